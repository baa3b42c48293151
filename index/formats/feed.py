"""An RSS or Atom file -> one article per entry (its content, else its summary, as text).

Parsed by feedparser, which reads RSS 0.9x/1.0/2.0 and Atom and tolerates most damage. A file
that is not a feed at all is skipped whole; an entry without text is skipped with its position.
An entry's id is ``<path>#<guid or link>``; its source is the feed's title.
"""

from __future__ import annotations

from ..traversal import NotText
from .plain import CorpusScan
from .records import scan_records


def read_feed(raw: bytes, file_id: str) -> CorpusScan:
    import feedparser

    parsed = feedparser.parse(raw)
    if not parsed.entries:
        problem = f" ({parsed.bozo_exception})" if parsed.get("bozo") else ""
        raise NotText(f"not an RSS or Atom feed with entries{problem}")
    source = (parsed.feed.get("title") or "").strip()
    language = (parsed.feed.get("language") or "").split("-")[0].lower()
    records = (entry_record(entry, source, language) for entry in parsed.entries)
    return scan_records(file_id, enumerate(records, 1), "entry")


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

