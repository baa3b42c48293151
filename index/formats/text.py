"""Markup inside a field (a feed's summary, a JSON body) -> plain text with paragraph breaks."""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
_BLOCK = re.compile(r"<\s*(?:br|/p|/div|/li|/h[1-6]|/tr|/blockquote)\s*/?\s*>", re.IGNORECASE)
_INLINE = re.compile(r"</?(?:a|b|i|u|em|strong|span|small|sup|sub|abbr|time|mark|font|q|cite)\b[^>]*>", re.IGNORECASE)
_DROP = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def html_to_text(value: str) -> str:
    """Text with tags removed and entities decoded; a value without tags comes back as it was."""
    if not _TAG.search(value):
        return value
    value = _BLOCK.sub("\n\n", _DROP.sub(" ", value))
    value = html.unescape(_TAG.sub(" ", _INLINE.sub("", value)))
    paragraphs = (" ".join(p.split()) for p in re.split(r"\n\s*\n", value))
    return "\n\n".join(p for p in paragraphs if p)
