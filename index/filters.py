"""Which articles a question is about: a date range, sources, a language.

``ArticleFilter`` is applied inside the search (``Snapshot.chunk_ids_where`` -> the ``allowed``
chunk ids of the vector and lexical searches), so k passages still come back when k exist.
``parse_inline`` reads the same filters written into a question (``since:2025-06-01
source:Reuters lang:ar What happened?``), for the bot and for piped questions.

A source filter is a part of a source's name, compared by normalised names (``source_key``:
NFKC, case, zero-width marks, tatweel and diacritics folded, spaces collapsed), so a look-alike
"Reu\u200bters" never hides the real Reuters: both are the same name and both match. Which
names match is decided here, over the index's distinct sources, for every backend.
Punctuation around a filter's value ("source:Reuters?", ``source:"Al Jazeera".``) is the
sentence's, never the filter's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

from .normalize import normalize
from .published import end_of, parse_day
from .question import QuestionError

LANGUAGES = ("ar", "en")
_TRAILING = ".,;:!?\u061f\u060c\u061b\u2026\"'\u201d\u2019\u00bb"  # incl. ؟ ، ؛ … ” ’ »
_INLINE = re.compile(r"(?:^|\s)(since|until|source|lang):(\"[^\"]*\"\S*|\S+)", re.IGNORECASE)


@lru_cache(maxsize=65536)
def source_key(name: str) -> str:
    """A source's name as sources are compared: normalised (normalize.py), spaces collapsed."""
    return " ".join(normalize(name).split())


def matching_sources(needle: str, sources: Iterable[str]) -> list[str]:
    """The sources whose normalised name contains ``needle``'s (sorted; none for an empty needle)."""
    key = source_key(needle)
    return sorted({s for s in sources if key and key in source_key(s)})


def bare(value: str) -> str:
    """A filter's value without its quotes and the sentence's punctuation after it
    ("Reuters?" -> "Reuters", ``"Al Jazeera".`` -> "Al Jazeera")."""
    value = value.strip()
    quoted = re.fullmatch(r'"([^"]*)"\S*', value)
    return (quoted.group(1) if quoted else value).strip().rstrip(_TRAILING).strip()


class FilterError(QuestionError):
    """A filter that cannot be applied; the message is one line for the user (a question error:
    every caller that reports a bad question reports a bad filter the same way)."""


@dataclass(frozen=True)
class ArticleFilter:
    since: date | None = None  # inclusive
    until: date | None = None  # inclusive (the whole day)
    source: str = ""  # case-insensitive part of the article's source
    language: str = ""  # "ar" or "en"

    def __post_init__(self) -> None:
        if self.language and self.language not in LANGUAGES:
            raise FilterError(f"unknown language {self.language!r} (use {' or '.join(LANGUAGES)})")
        if self.since and self.until and self.since > self.until:
            raise FilterError(f"--since {self.since} is after --until {self.until}")

    def __bool__(self) -> bool:
        return bool(self.since or self.until or self.source or self.language)

    def sql(self, sources: Iterable[str] = ()) -> tuple[str, tuple]:
        """A WHERE clause over the ``articles`` table aliased ``a``, and its parameters;
        ``sources``: the index's distinct sources, among which the source filter's are found."""
        clauses, params = ["1"], []
        if self.since:
            clauses.append("a.published_at >= ?")
            params.append(self.since.isoformat())
        if self.until:
            clauses.append("a.published_at <> '' AND a.published_at <= ?")
            params.append(end_of(self.until))
        if self.source:
            names = matching_sources(self.source, sources)
            clauses.append(f"a.source IN ({','.join('?' * len(names))})" if names else "0")
            params.extend(names)
        if self.language:
            clauses.append("a.language = ?")
            params.append(self.language)
        return " AND ".join(clauses), tuple(params)

    def describe(self) -> str:
        parts = [f"since {self.since}" if self.since else "", f"until {self.until}" if self.until else "",
                 f"source {self.source}" if self.source else "", f"in {self.language}" if self.language else ""]
        return ", ".join(p for p in parts if p)


def make_filter(since: str | None = None, until: str | None = None, source: str | None = None,
                language: str | None = None) -> ArticleFilter:
    """Filter from user strings (CLI options, inline syntax); FilterError with the reason."""
    try:
        return ArticleFilter(
            since=parse_day(since) if since else None, until=parse_day(until) if until else None,
            source=bare(source or ""), language=(language or "").strip().lower(),
        )
    except ValueError as exc:
        raise FilterError(str(exc)) from None


def parse_inline(question: str, base: ArticleFilter = ArticleFilter()) -> tuple[str, ArticleFilter]:
    """``since:DATE until:DATE source:NAME lang:ar|en`` written in a question -> (the rest, filter)."""
    found: dict[str, str] = {}
    for match in _INLINE.finditer(question):
        found[match.group(1).lower()] = bare(match.group(2))
    if not found:
        return question, base
    rest = " ".join(_INLINE.sub(" ", question).split())
    made = make_filter(found.get("since"), found.get("until"), found.get("source"), found.get("lang"))
    merged = replace(base, **{k: v for k, v in vars(made).items() if v})
    return rest, merged
