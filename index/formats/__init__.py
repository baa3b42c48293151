"""Corpus files other than plain text: web pages, JSON records and RSS/Atom feeds.

Dispatched by suffix from ``articles.read_file``. A file of one article (a web page, a JSON
object) gets its path as id; a file of many (JSON lines, a JSON list, a feed) gives each record
the id ``<path>#<key>``, the key being the record's ``id`` or ``url`` (stable when records are
added or reordered) or else its line / position. A malformed record is listed in ``skipped``
with its line and the reason; the good records of the same file are kept. Any other suffix is
listed in ``skipped`` as a format rawi does not read.
"""

from __future__ import annotations

from pathlib import Path

from ..traversal import SUFFIXES, Skipped, read_capped
from .plain import CorpusScan

FEED_SUFFIXES = (".xml", ".rss", ".atom")


def read_other(path: Path, file_id: str) -> CorpusScan:
    """One non-text corpus file -> its articles and bad records; NotText for a file unread as a whole."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        return CorpusScan([], [Skipped(file_id, _unsupported(suffix))])
    raw = read_capped(path)  # a regular file, read at most to the size cap (traversal.py)
    if suffix in (".html", ".htm"):
        from .html import read_html

        return CorpusScan([read_html(raw, file_id)], [])
    if suffix in FEED_SUFFIXES:
        from .feed import read_feed

        return read_feed(raw, file_id)
    from .records import read_json, read_jsonl

    return (read_jsonl if suffix == ".jsonl" else read_json)(raw, file_id)


def _unsupported(suffix: str) -> str:
    kind = f"{suffix} files" if suffix else "files without a suffix"
    return f"not an article format rawi reads ({kind}); it reads {', '.join(SUFFIXES)}"
