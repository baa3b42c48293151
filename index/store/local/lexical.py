"""BM25 index over the chunks of the vector index, on `normalize.tokens` terms (built by bm25_arrays.py)."""

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Self

import bm25s
import numpy as np

from index.normalize import tokens

from . import bm25_arrays

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG

_IDS_FILE = "lexical_ids.json"
_BM25_PARAMS_FILE = "params.index.json"  # written by bm25s.BM25.save


class LexicalIndex:
    """BM25 over chunk texts; results carry the chunk ids given to `build`."""

    def __init__(self, bm25: bm25s.BM25 | None, ids: list[int]) -> None:
        """Wrap a built bm25s index (None when no chunk has any term) whose row i is ids[i]."""
        self._bm25 = bm25
        self._ids = ids

    @classmethod
    def build(cls, texts: list[str], ids: list[int]) -> Self:
        """Index `texts`; `ids[i]` is the chunk id reported for `texts[i]`."""
        if len(texts) != len(ids):
            raise ValueError(f"{len(texts)} texts but {len(ids)} ids")
        return cls(bm25_arrays.build(texts), [int(i) for i in ids])

    @classmethod
    def build_from(cls, ids: Sequence[int], read: bm25_arrays.Read) -> Self:
        """Index the texts that `read` gives, a range at a time (none held all at once); `ids[i]`
        is the chunk id reported for text i."""
        return cls(bm25_arrays.build_from(len(ids), read), [int(i) for i in ids])

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Return up to `k` (chunk id, BM25 score) pairs, best first, only scores above 0.

        ``allowed`` (chunk ids) restricts the ranking to those chunks before the top k are
        taken (bm25s's weight mask), as ``Snapshot.search`` does for the vectors.
        """
        query_tokens = tokens(query)
        if self._bm25 is None or k <= 0 or not query_tokens:
            return []
        mask = None
        if allowed is not None:
            mask = self._mask(allowed)
            if not mask.any():
                return []
        rows, scores = self._bm25.retrieve(
            [query_tokens], k=min(k, len(self._ids)), show_progress=False, weight_mask=mask
        )
        return [
            (self._ids[row], float(score))
            for row, score in zip(rows[0].tolist(), scores[0].tolist())
            if score > 0
        ]

    def _mask(self, allowed: np.ndarray) -> np.ndarray:
        """1.0 for the rows whose chunk id is allowed, else 0.0."""
        return np.isin(np.asarray(self._ids, dtype=np.int64), np.asarray(allowed, dtype=np.int64)).astype(np.float32)

    def save(self, directory: Path) -> None:
        """Write the index files into the existing `directory`."""
        (directory / _IDS_FILE).write_text(json.dumps({"ids": self._ids}), encoding="utf-8")
        if self._bm25 is not None:
            self._bm25.save(directory, show_progress=False)

    @classmethod
    def load(cls, directory: Path) -> Self:
        """Read an index written by `save` into `directory`."""
        ids = json.loads((directory / _IDS_FILE).read_text(encoding="utf-8"))["ids"]
        if not (directory / _BM25_PARAMS_FILE).exists():
            return cls(None, ids)
        return cls(bm25s.BM25.load(directory, show_progress=False), ids)

    def __len__(self) -> int:
        """Number of indexed chunks."""
        return len(self._ids)
