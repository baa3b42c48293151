"""Vector search restricted to some chunks (a date, source or language filter), inside FAISS.

Filtering after the search would return fewer than k passages whenever the k nearest are
outside the filter; here FAISS itself skips every id outside ``allowed`` (an ``IDSelector``
passed in the search parameters), so the k nearest allowed chunks come back. Flat search is
exact. An approximate index (HNSW, IVF-PQ) may find fewer than asked when the allowed set is a
small part of the corpus (its graph or lists lead elsewhere): then, and whenever the allowed
set is small, the allowed vectors are scored exactly, one matrix product.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import ann as ann_module
from ..settings import VectorIndexSettings

if TYPE_CHECKING:
    from .local import LocalReader as Snapshot

EXACT_BELOW = 2048  # allowed sets up to this size are scored directly: cheaper than a selector scan


def search(
    snapshot: Snapshot, queries: np.ndarray, k: int, settings: VectorIndexSettings, allowed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(scores, chunk ids) of the k nearest allowed chunks per query; -1 ids where fewer exist."""
    allowed = np.ascontiguousarray(np.unique(np.asarray(allowed, dtype=np.int64)))
    k = max(1, k)
    if len(allowed) == 0:
        return np.full((len(queries), k), -np.inf, dtype=np.float32), np.full((len(queries), k), -1, dtype=np.int64)
    if len(allowed) <= EXACT_BELOW:
        return ann_module.rescore(snapshot.vectors, queries, np.tile(allowed, (len(queries), 1)), k)
    scores, ids = _selected(snapshot, queries, k, settings, allowed)
    wanted = min(k, len(allowed))
    if snapshot.ann is not None and int((ids >= 0).sum(axis=1).min()) < wanted:
        return ann_module.rescore(snapshot.vectors, queries, np.tile(allowed, (len(queries), 1)), k)
    return scores, ids


def _selected(snapshot: Snapshot, queries: np.ndarray, k: int, settings: VectorIndexSettings, allowed: np.ndarray):
    import faiss

    selector = faiss.IDSelectorBatch(allowed)
    kind = snapshot.manifest.index.get("type", "flat")
    if kind == "flat" or snapshot.ann is None:
        return snapshot.vectors.search(queries, k, params=faiss.SearchParameters(sel=selector))
    if kind == "hnsw":
        params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(settings.hnsw_ef_search, k))
        return snapshot.ann.search(queries, k, params=params)
    wide = min(k * settings.pq_rescore, snapshot.ann.ntotal)
    params = faiss.SearchParametersIVF(sel=selector, nprobe=settings.ivf_nprobe)
    _, candidates = snapshot.ann.search(queries, wide, params=params)
    return ann_module.rescore(snapshot.vectors, queries, candidates, k)
