"""JSON and JSON-lines articles: one object, a list of objects, or one object a line.

Fields (the first present of each): title; text, body, content or description (HTML is
reduced to its text); url or link; published, date, published_at or pubDate; source,
publisher or outlet; language or lang. Text is required; a record without a title takes its
first line.
"""

from __future__ import annotations

import hashlib
import json
import math

from ..traversal import NotText, Skipped
from .plain import Article, CorpusScan, decode
from .text import html_to_text

FIELDS = {
    "title": ("title", "headline"),
    "text": ("text", "body", "content", "description"),
    "url": ("url", "link"),
    "published": ("published", "date", "published_at", "pubDate", "datePublished"),
    "source": ("source", "publisher", "outlet"),
    "language": ("language", "lang"),
}


class BadRecord(ValueError):
    """This record cannot be an article; the message is the reason."""


# What json raises on hostile input besides JSONDecodeError: RecursionError for deep nesting (the C
# scanner and encoder count their depth against the recursion limit), ValueError for an integer past
# sys.get_int_max_str_digits (4,300 digits), MemoryError when a value cannot be held.
HOSTILE = (RecursionError, ValueError, MemoryError)


def parse_json(text: str) -> object:
    """``json.loads`` whose every failure is a BadRecord with the reason (one bad file or line never
    stops the others)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        at = f"line {exc.lineno}, " if "\n" in text else ""  # a JSON line is named by the caller
        raise BadRecord(f"not valid JSON ({at}column {exc.colno}: {exc.msg})") from None
    except HOSTILE as exc:
        raise BadRecord(f"not valid JSON ({_hostile_reason(exc)})") from None


def _hostile_reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, MemoryError):
        return "too large to hold in memory"
    return str(exc).split(";")[0]  # "Exceeds the limit (4300 digits) for integer string conversion..."


def read_json(raw: bytes, file_id: str) -> CorpusScan:
    """A JSON file: one article object, or a list of them (each keyed by id, url or position)."""
    try:
        data = parse_json(decode(raw))
        if isinstance(data, dict):
            return CorpusScan([record_article(data, file_id, raw)], [])
    except BadRecord as exc:
        raise NotText(str(exc)) from None
    if not isinstance(data, list):
        raise NotText(f"JSON {type(data).__name__}: expected an article object or a list of them")
    return scan_records(file_id, ((n, item) for n, item in enumerate(data, 1)), "item")


def read_jsonl(raw: bytes, file_id: str) -> CorpusScan:
    """JSON lines: one article object a line; blank lines are allowed."""
    text = decode(raw)

    def parsed():
        for number, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                yield number, parse_json(line)
            except BadRecord as exc:
                yield number, exc

    return scan_records(file_id, parsed(), "line")


def scan_records(file_id: str, items, unit: str) -> CorpusScan:
    """(position, record) pairs of one file -> its articles, ids ``<file>#<id, url or unit+position>``,
    and the records skipped with their position (``unit``: "line", "item", "entry")."""
    articles: list[Article] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for number, item in items:
        try:
            if isinstance(item, BadRecord):
                raise item
            article_id = f"{file_id}#{record_key(item, f'{unit[0]}{number}')}"
            if article_id in seen:
                raise BadRecord(f"another record of this file has the same id ({article_id})")
            canonical = json.dumps(item, sort_keys=True, ensure_ascii=False).encode("utf-8")
            articles.append(record_article(item, article_id, canonical))
            seen.add(article_id)
        except BadRecord as exc:
            skipped.append(Skipped(file_id, f"{unit} {number}: {exc}", line=number))
    if not articles and not skipped:
        raise NotText("empty file (no records)")
    return CorpusScan(articles, skipped)


def record_key(item: object, fallback: str) -> str:
    """The stable part of a record's id: its ``id``, else its ``url``, else its position."""
    if not isinstance(item, dict):
        raise BadRecord(f"a JSON {type(item).__name__}, not an article object")
    for name in ("id", "guid", "url", "link"):
        value = item.get(name)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return fallback


def record_article(item: dict, article_id: str, raw: bytes) -> Article:
    """A JSON object -> an Article; BadRecord when it has no usable text."""
    if not isinstance(item, dict):
        raise BadRecord(f"a JSON {type(item).__name__}, not an article object")
    values = {name: _field(item, keys) for name, keys in FIELDS.items()}
    text = html_to_text(values["text"]).strip()
    if not text:
        raise BadRecord(f"no text (expected one of: {', '.join(FIELDS['text'])})")
    title = " ".join(values["title"].split()) or text.splitlines()[0].strip()
    return Article(
        id=article_id, title=title, text=text, sha256=hashlib.sha256(raw).hexdigest(), url=values["url"].strip(),
        published=values["published"].strip(), source=values["source"].strip(), language=values["language"].strip(),
    )


def _field(item: dict, keys: tuple[str, ...]) -> str:
    for key in keys:
        value = item.get(key)
        if isinstance(value, dict):  # {"source": {"name": "Reuters"}}, as news APIs give it
            value = value.get("name") or value.get("title")
        if isinstance(value, float) and not math.isfinite(value):
            continue  # 1e999, NaN, Infinity: json reads them, but they say nothing
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and value.strip():
            return value
    return ""
