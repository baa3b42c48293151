"""The vector index types of ``[index] type`` and the sizes they are built at, for every backend.

The local store derives FAISS indexes of these types (``local/ann.py``); the Milvus store builds
its own of the same names (``milvus/schema.py``); a manifest records which one was built.
"""

from __future__ import annotations

import math

from ..settings import VectorIndexSettings

FLAT = {"type": "flat"}
KNOWN_TYPES = ("flat", "hnsw", "ivfpq")
PQ_BITS = 8


def auto_nlist(n: int) -> int:
    """4 sqrt(n) inverted lists, the usual rule for IVF."""
    return max(1, int(4 * math.sqrt(n)))


def min_training(nlist: int) -> int:
    """Fewest chunks IVF-PQ is trained on: FAISS's 39 points per k-means centroid, for both the
    ``nlist`` coarse centroids and the 2^8 centroids of each PQ sub-quantizer."""
    return 39 * max(nlist, 2**PQ_BITS)


def effective_type(settings: VectorIndexSettings, n: int) -> str:
    """The type the builder stores for ``n`` chunks: the configured one, except IVF-PQ on too few."""
    if settings.type == "ivfpq" and n < min_training(settings.ivf_nlist or auto_nlist(n)):
        return "flat"
    return settings.type


__all__ = ["FLAT", "KNOWN_TYPES", "PQ_BITS", "auto_nlist", "effective_type", "min_training"]
