"""Question -> ranked hits: dense (FAISS) and lexical (BM25) rankings fused by reciprocal rank.

Dense retrieval carries meaning across languages; BM25 over normalized, stemmed tokens
catches names and numbers the encoder blurs. Reciprocal-rank fusion needs no score
calibration between the two. Each hit keeps both raw signals for the answer step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .encoder import Encoder
from .settings import RetrievalSettings, VectorIndexSettings
from .store import ChunkRow, Snapshot


@dataclass(frozen=True)
class Hit:
    chunk: ChunkRow
    fused: float
    dense: float  # cosine of question and passage
    dense_rank: int | None  # 1-based; None when outside the dense candidates
    lexical: float  # BM25 score, 0 when the passage shares no term with the question
    lexical_rank: int | None


@dataclass(frozen=True)
class Ranking:
    """Everything retrieval learned about one question."""

    hits: list[Hit]
    query_vector: np.ndarray
    dense_background: float  # mean cosine of the dense candidates: the question's own baseline


class Retriever:
    def __init__(
        self, encoder: Encoder, settings: RetrievalSettings, vectors: VectorIndexSettings = VectorIndexSettings()
    ) -> None:
        self.encoder = encoder
        self.settings = settings
        self.vectors = vectors  # search-time parameters of an approximate index (efSearch, nprobe)

    def rank(self, snapshot: Snapshot, question: str, query_vector: np.ndarray | None = None) -> Ranking:
        if query_vector is None:
            query_vector = self.encoder.encode_queries([question])[0]
        n = self.settings.candidates
        scores, ids = snapshot.search(query_vector[None, :], n, self.vectors)
        dense = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        lexical = snapshot.lexical.search(question, n)
        hits = self._fuse(snapshot, dense, lexical, query_vector)
        background = float(np.mean([s for _, s in dense])) if dense else 0.0
        return Ranking(hits, query_vector, background)

    def _fuse(
        self, snapshot: Snapshot, dense: list[tuple[int, float]], lexical: list[tuple[int, float]], query: np.ndarray
    ) -> list[Hit]:
        k = self.settings.rrf_k
        dense_rank = {i: r for r, (i, _) in enumerate(dense, 1)}
        lexical_rank = {i: r for r, (i, _) in enumerate(lexical, 1)}
        lexical_score = dict(lexical)
        ids = list(dense_rank) + [i for i in lexical_rank if i not in dense_rank]
        missing = [i for i in ids if i not in dense_rank]
        dense_score = dict(dense) | self._dense_scores(snapshot, missing, query)
        rows = snapshot.chunks(ids)
        hits = [
            Hit(
                chunk=rows[i],
                fused=_rrf(dense_rank.get(i), k) + _rrf(lexical_rank.get(i), k),
                dense=dense_score.get(i, 0.0),
                dense_rank=dense_rank.get(i),
                lexical=lexical_score.get(i, 0.0),
                lexical_rank=lexical_rank.get(i),
            )
            for i in ids
            if i in rows
        ]
        return sorted(hits, key=lambda h: (-h.fused, -h.dense))

    @staticmethod
    def _dense_scores(snapshot: Snapshot, ids: list[int], query_vector: np.ndarray) -> dict[int, float]:
        """Cosine for lexical-only hits, so every hit carries both signals."""
        if not ids:
            return {}
        vectors = np.stack([snapshot.vectors.reconstruct(int(i)) for i in ids])
        return dict(zip(ids, (vectors @ query_vector).tolist()))


def _rrf(rank: int | None, k: int) -> float:
    return 0.0 if rank is None else 1.0 / (k + rank)
