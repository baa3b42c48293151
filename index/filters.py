"""Which articles a question is about: a date range, sources, a language.

``ArticleFilter`` is applied inside the search (``Snapshot.chunk_ids_where`` -> the ``allowed``
chunk ids of the vector and lexical searches), so k passages still come back when k exist.
``parse_inline`` reads the same filters written into a question (``since:2025-06-01
source:Reuters lang:ar What happened?``), for the bot and for piped questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from .published import next_day, parse_day
from .question import QuestionError

LANGUAGES = ("ar", "en")
_INLINE = re.compile(r"(?:^|\s)(since|until|source|lang):(\"[^\"]*\"|\S+)", re.IGNORECASE)


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

    def sql(self) -> tuple[str, tuple]:
        """A WHERE clause over the ``articles`` table aliased ``a``, and its parameters."""
        clauses, params = ["1"], []
        if self.since:
            clauses.append("a.published_at >= ?")
            params.append(self.since.isoformat())
        if self.until:
            clauses.append("a.published_at <> '' AND a.published_at < ?")
            params.append(next_day(self.until).isoformat())
        if self.source:
            clauses.append("instr(lower(a.source), ?) > 0")
            params.append(self.source.lower())
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
            source=(source or "").strip(), language=(language or "").strip().lower(),
        )
    except ValueError as exc:
        raise FilterError(str(exc)) from None


def parse_inline(question: str, base: ArticleFilter = ArticleFilter()) -> tuple[str, ArticleFilter]:
    """``since:DATE until:DATE source:NAME lang:ar|en`` written in a question -> (the rest, filter)."""
    found: dict[str, str] = {}
    for match in _INLINE.finditer(question):
        found[match.group(1).lower()] = match.group(2).strip('"')
    if not found:
        return question, base
    rest = " ".join(_INLINE.sub(" ", question).split())
    made = make_filter(found.get("since"), found.get("until"), found.get("source"), found.get("lang"))
    merged = replace(base, **{k: v for k, v in vars(made).items() if v})
    return rest, merged
