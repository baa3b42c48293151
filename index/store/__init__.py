"""The index store: its contract (contract.py) and ``open_backend``; each backend in a room of its own.

``open_backend(settings)`` gives the backend ``[store] backend`` names: ``local/`` (FAISS +
SQLite + BM25 generation folders) or ``milvus/`` (Milvus Lite or a Milvus server). The build step
writes through its ``Writer`` and the retrieval step reads through its ``Reader``, nothing else;
their errors are the contract's. A long-running reader holds a ``live.LiveIndex``; the manifest
a writer finishes with is ``manifest.py``'s, the same for both backends.
"""

from __future__ import annotations

from ..settings import IndexSettings
from .contract import (
    REBUILD_HINT, ArticleRow, Backend, ChunkRow, IndexBusy, IndexDamaged, IndexMismatch, IndexProblem,
    IndexSettingsRejected, IndexUnwritable, IndexWriteFailed, NewChunk, NoIndex, Reader, Removed, SourceStats, Stored,
    Writer,
)
from .manifest import Manifest


def open_backend(settings: IndexSettings, encoder: str | None = None) -> Backend:
    """The backend of ``[store]``; ``encoder`` (its name) is checked against every generation opened."""
    if settings.store.backend == "milvus":
        from .milvus import MilvusBackend

        return MilvusBackend(settings, encoder)
    from .local.backend import LocalBackend

    return LocalBackend(settings.index_dir, encoder, settings.vectors)


__all__ = [
    "REBUILD_HINT", "ArticleRow", "Backend", "ChunkRow", "IndexBusy", "IndexDamaged", "IndexMismatch", "IndexProblem",
    "IndexSettingsRejected", "IndexUnwritable", "IndexWriteFailed", "Manifest", "NewChunk", "NoIndex", "Reader",
    "Removed", "SourceStats", "Stored", "Writer", "open_backend",
]
