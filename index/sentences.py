"""Sentence spans inside a passage, for both languages.

A sentence ends at ``. ! ? ؟ ۔ …`` followed by whitespace, or at a line end. The Arabic comma
``،`` never ends one. Spans are character offsets into the given text, trimmed of whitespace.
"""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"(?<=[.!?؟۔…])\s+|\n+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    return start + lead, start + len(piece.rstrip())
