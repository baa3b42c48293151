"""The approximate vector index (HNSW or IVF-PQ): derived from the exact vectors, never the truth.

Design. ``vectors.faiss`` (an ``IndexIDMap2(IndexFlatIP)`` of every chunk's normalized vector
under its stable chunk id) stays the one source of truth for every index type: the builder
reuses vectors of unchanged chunk text from it exactly, deletes from it, and the reader takes
exact cosines from it. With ``type = "hnsw"`` or ``"ivfpq"`` a second file, ``ann.faiss``, is
derived from it and only ever answers "which chunk ids are near this question":

* ``hnsw``: ``IndexIDMap(IndexHNSWFlat)``. Its distances are exact inner products, so its
  scores are used as they are. HNSW cannot remove a vector: when any chunk was removed (an
  article deleted or changed) the graph is rebuilt from the kept exact vectors; additions only
  are inserted into a copy of the previous graph.
* ``ivfpq``: ``IndexIVFPQ`` with native ids. PQ codes are lossy, so reconstructing from them
  would silently degrade reused vectors and the cosine the abstention model reads: neither
  happens, because vectors are reused from the exact store and the ``pq_rescore`` x k
  candidates are re-scored with exact vectors before the top k are returned. IVF removes ids
  natively, so updates stay incremental; the coarse quantizer and the codebooks are trained
  once and reused until the corpus has grown ``RETRAIN_GROWTH`` times past its training size
  (or the parameters change). Below ``min_training(nlist)`` chunks the index stays flat: exact
  search is fast there and k-means has too few points.

The manifest records what was built (``spec``); a reader uses what is stored whatever the
config now says (the type is a property of the index), and the next ``rawi index`` converts
the index to the configured type from the exact vectors, without embedding anything again.
"""

from __future__ import annotations

import numpy as np

from ...settings import VectorIndexSettings
from ..contract import IndexSettingsRejected
# The types and their sizes are every backend's (vector_kinds.py); named here too, as ann.FLAT etc.
from ..vector_kinds import FLAT as FLAT
from ..vector_kinds import KNOWN_TYPES as KNOWN_TYPES
from ..vector_kinds import PQ_BITS as PQ_BITS
from ..vector_kinds import auto_nlist as auto_nlist
from ..vector_kinds import effective_type as effective_type
from ..vector_kinds import min_training as min_training

RETRAIN_GROWTH = 2  # retrain IVF-PQ when the corpus has doubled since training
TRAIN_SAMPLE = 100_000  # k-means sample cap: the training time stays bounded at any corpus size
BATCH = 65_536  # vectors copied out of the exact store at a time while deriving


class AnnError(IndexSettingsRejected):
    """The configured parameters cannot be applied to this index (one line for the user)."""


def reusable(stored: dict, settings: VectorIndexSettings, n: int) -> bool:
    """Whether the stored ANN (manifest ``index`` record) serves the configured type at ``n`` chunks
    once updated incrementally; False means derive a new one from the exact vectors."""
    kind = effective_type(settings, n)
    if kind != stored.get("type", "flat"):
        return False
    if kind == "hnsw":
        return stored.get("m") == settings.hnsw_m and stored.get("ef_construction") == settings.hnsw_ef_construction
    if kind == "ivfpq":
        return (
            stored.get("pq_m") == settings.pq_m
            and (settings.ivf_nlist == 0 or stored.get("nlist") == settings.ivf_nlist)
            and n <= RETRAIN_GROWTH * stored.get("trained_on", 0)
        )
    return True


def derive(
    settings: VectorIndexSettings,
    exact,
    previous: tuple[object | None, dict],
    removed: np.ndarray,
    added_ids: np.ndarray,
    added: np.ndarray,
):
    """The ANN for the exact store after an update, and its manifest record.

    ``previous`` is (the previous generation's ANN or None, its manifest record); ``removed``,
    ``added_ids`` and ``added`` are what this build changed in the exact store. Returns
    (index or None for flat, record).
    """
    n = exact.ntotal
    kind = effective_type(settings, n)
    if kind == "flat":
        return None, dict(FLAT)
    _check(settings, exact.d)
    old, record = previous
    if old is not None and reusable(record, settings, n) and (kind == "ivfpq" or len(removed) == 0):
        import faiss

        index = faiss.clone_index(old)
        if len(removed):
            index.remove_ids(np.asarray(removed, dtype=np.int64))
        if len(added_ids):
            index.add_with_ids(np.ascontiguousarray(added, dtype=np.float32), added_ids)
        return index, dict(record)
    return (_new_hnsw if kind == "hnsw" else _new_ivfpq)(settings, exact)


def _check(settings: VectorIndexSettings, dimension: int) -> None:
    if settings.type == "ivfpq" and dimension % settings.pq_m:
        raise AnnError(f"[index] pq_m = {settings.pq_m} must divide the encoder's dimension {dimension}")


def _copy_all(exact, target) -> None:
    """Add every exact vector to ``target`` under its chunk id, a batch at a time."""
    import faiss

    ids = faiss.vector_to_array(exact.id_map)
    for start in range(0, exact.ntotal, BATCH):
        stop = min(start + BATCH, exact.ntotal)
        target.add_with_ids(exact.index.reconstruct_n(start, stop - start), ids[start:stop])


def _new_hnsw(settings: VectorIndexSettings, exact):
    import faiss

    index = faiss.index_factory(exact.d, f"IDMap,HNSW{settings.hnsw_m},Flat", faiss.METRIC_INNER_PRODUCT)
    faiss.downcast_index(index.index).hnsw.efConstruction = settings.hnsw_ef_construction
    _copy_all(exact, index)
    return index, {"type": "hnsw", "m": settings.hnsw_m, "ef_construction": settings.hnsw_ef_construction}


def _new_ivfpq(settings: VectorIndexSettings, exact):
    import faiss

    n = exact.ntotal
    nlist = settings.ivf_nlist or auto_nlist(n)
    # "np": no polysemous training, which FAISS's factory would otherwise run for 8-bit codes
    # (minutes of simulated annealing for a code ordering rawi never uses).
    index = faiss.index_factory(exact.d, f"IVF{nlist},PQ{settings.pq_m}x{PQ_BITS}np", faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)  # the same corpus trains the same codebooks
    sample = np.sort(rng.choice(n, min(n, TRAIN_SAMPLE), replace=False))
    index.train(exact.index.reconstruct_batch(sample.astype(np.int64)))
    _copy_all(exact, index)
    return index, {"type": "ivfpq", "nlist": nlist, "pq_m": settings.pq_m, "trained_on": n}


def search(ann, record: dict, exact, queries: np.ndarray, k: int, settings: VectorIndexSettings):
    """Top-k (cosine scores, chunk ids) through the ANN; scores are always exact inner products."""
    import faiss

    kind = record.get("type")
    if kind == "hnsw":
        params = faiss.SearchParametersHNSW(efSearch=max(settings.hnsw_ef_search, k))
        return ann.search(queries, k, params=params)
    wide = min(k * settings.pq_rescore, ann.ntotal)
    _, candidates = ann.search(queries, wide, params=faiss.SearchParametersIVF(nprobe=settings.ivf_nprobe))
    return rescore(exact, queries, candidates, k)


def rescore(exact, queries: np.ndarray, candidates: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact inner products of each query with its candidates (from the exact store); best k first."""
    scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    ids = np.full((len(queries), k), -1, dtype=np.int64)
    for row, (query, found) in enumerate(zip(queries, candidates)):
        found = found[found >= 0]
        if not len(found):
            continue
        exact_scores = exact.reconstruct_batch(found) @ query
        best = np.argsort(-exact_scores, kind="stable")[:k]
        scores[row, : len(best)] = exact_scores[best]
        ids[row, : len(best)] = found[best]
    return scores, ids
