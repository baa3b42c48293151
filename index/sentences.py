"""Sentence spans inside a passage, for both languages.

A sentence ends at ``. ! ? ؟ ۔ …`` followed by whitespace, or at a line end. The Arabic comma
``،`` never ends one. Spans are character offsets into the given text, trimmed of whitespace.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .encoder import Encoder

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


class SentenceVectors:
    """Embeddings of each chunk's sentences, computed on first need and kept (bounded LRU).

    Chunk ids are never reused (see store.py), so a chunk id always names the same text and
    the cache stays valid across re-indexes.
    """

    def __init__(self, encoder: Encoder, capacity: int = 20_000) -> None:
        self.encoder = encoder
        self.capacity = capacity
        self._cache: OrderedDict[int, tuple[list[tuple[int, int]], np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, chunks: list[tuple[int, str]]) -> list[tuple[list[tuple[int, int]], np.ndarray]]:
        """(spans, vectors) for each (chunk id, chunk text)."""
        with self._lock:
            known = {i: self._cache[i] for i, _ in chunks if i in self._cache}
            for chunk_id in known:
                self._cache.move_to_end(chunk_id)
        computed = self._compute([(i, t) for i, t in chunks if i not in known])
        with self._lock:
            self._cache.update(computed)
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
        return [known.get(i) or computed[i] for i, _ in chunks]

    def _compute(self, chunks: list[tuple[int, str]]) -> dict[int, tuple[list[tuple[int, int]], np.ndarray]]:
        if not chunks:
            return {}
        spans = {i: sentence_spans(t) for i, t in chunks}
        texts = [t[s:e] for i, t in chunks for s, e in spans[i]]
        vectors = self.encoder.encode_passages(texts) if texts else np.zeros((0, 0), dtype=np.float32)
        result, row = {}, 0
        for chunk_id, _ in chunks:
            n = len(spans[chunk_id])
            result[chunk_id] = (spans[chunk_id], vectors[row : row + n])
            row += n
        return result
