"""A saved web page -> one article: its main text and metadata, extracted by trafilatura.

trafilatura drops navigation, footers and boilerplate, reads the charset the page declares (or
detects it), and takes the title, publication date, canonical url and site name from the page's
metadata (Open Graph, JSON-LD, meta tags). The language is the page's ``<html lang>``, when given.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from ..traversal import NotText
from .plain import Article

_LANG = re.compile(rb"<html[^>]*?\blang\s*=\s*[\"']?([a-zA-Z]{2,3})", re.IGNORECASE)


def read_html(raw: bytes, article_id: str) -> Article:
    """Page bytes -> Article; NotText when the page has no main text."""
    fields = extract(raw)
    if fields is None:
        raise NotText("a web page without main text (nothing to index)")
    return Article(id=article_id, sha256=hashlib.sha256(raw).hexdigest(), **fields)


def extract(raw: bytes | str) -> dict[str, str] | None:
    """Title, text, url, published, source and language of a page, or None when it has no text."""
    import trafilatura

    document: Any = trafilatura.bare_extraction(raw, with_metadata=True, include_comments=False, include_tables=True)
    text = (getattr(document, "text", None) or "").strip() if document is not None else ""
    if not text:
        return None
    text = "\n\n".join(line.strip() for line in text.splitlines() if line.strip())
    head = raw[:4096]
    lang = _LANG.search(head if isinstance(head, bytes) else head.encode("utf-8", "replace"))
    return {
        "title": " ".join((document.title or "").split()) or text.splitlines()[0],
        "text": text,
        "url": document.url or "",
        "published": document.date or "",
        "source": document.sitename or document.hostname or "",
        "language": lang.group(1).decode().lower() if lang else "",
    }
