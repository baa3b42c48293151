"""An RSS or Atom file -> one article per entry (its content, else its summary, as text).

Parsed by feedparser, which reads RSS 0.9x/1.0/2.0 and Atom and tolerates most damage. A file
that is not a feed at all is skipped whole; an entry without text is skipped with its position.
An entry's id is ``<path>#<guid or link>``; its source is the feed's title.
"""

from __future__ import annotations

import json

from ..articles import Article, CorpusScan, NotText, Skipped
from .records import BadRecord, record_article


def read_feed(raw: bytes, file_id: str) -> CorpusScan:
    import feedparser

    parsed = feedparser.parse(raw)
    if not parsed.entries:
        problem = f" ({parsed.bozo_exception})" if parsed.get("bozo") else ""
        raise NotText(f"not an RSS or Atom feed with entries{problem}")
    source = (parsed.feed.get("title") or "").strip()
    language = (parsed.feed.get("language") or "").split("-")[0].lower()
    articles: list[Article] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for number, entry in enumerate(parsed.entries, 1):
        record = entry_record(entry, source, language)
        key = record.get("id") or record.get("url") or f"e{number}"
        article_id = f"{file_id}#{key}"
        try:
            if article_id in seen:
                raise BadRecord(f"another entry of this feed has the same id ({article_id})")
            canonical = json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8")
            articles.append(record_article(record, article_id, canonical))
            seen.add(article_id)
        except BadRecord as exc:
            skipped.append(Skipped(file_id, f"entry {number}: {exc}", line=number))
    return CorpusScan(articles, skipped)


def entry_record(entry, source: str = "", language: str = "") -> dict[str, str]:
    """A feedparser entry -> the fields of a JSON article record (see records.py)."""
    contents = [c.get("value", "") for c in entry.get("content", []) if c.get("value")]
    text = max(contents, key=len) if contents else entry.get("summary", "")
    return {
        "id": (entry.get("id") or "").strip(),
        "title": entry.get("title", ""),
        "text": text,
        "url": (entry.get("link") or "").strip(),
        "published": entry.get("published") or entry.get("updated") or "",
        "source": source,
        "language": language,
    }

