"""The index store: the contract (contract.py), its backends (local.py, milvus.py), and the
live view a long-running reader holds.

``open_backend(settings)`` gives the backend ``[store] backend`` names; the build step writes
through its ``Writer`` and the retrieval step reads through its ``Reader``, nothing else.
"""

from __future__ import annotations

import threading

from ..settings import IndexSettings
from .contract import (
    REBUILD_HINT, ArticleRow, Backend, ChunkRow, IndexBusy, IndexDamaged, IndexProblem, IndexMismatch,
    IndexUnwritable, NewChunk, NoIndex, Reader, Removed, SourceStats, Stored, Writer,
)
from .local.generations import (
    CURRENT, GENERATIONS, current_generation, left_clean_if_unpublished, prune, publish, writer_lock,
)
from .local.reader import (
    ANN, LEXICAL, ROWS, SENTENCES, VECTORS, LocalBackend, LocalReader, Snapshot, check_staged, open_generation,
    open_snapshot,
)
from .manifest import FORMAT_VERSION, MANIFEST, Manifest, file_digest, library_versions, read_manifest, write_manifest
from .pause import PAUSE_POINTS, pause_point
from .local.rows import ARTICLE_COLUMNS_V1, ROWS_SCHEMA, SCHEMA, Rows, empty_rows, migrate_rows


def open_backend(settings: IndexSettings, encoder: str | None = None) -> Backend:
    """The backend of ``[store]``; ``encoder`` (its name) is checked against every generation opened."""
    if settings.store.backend == "milvus":
        from .milvus import MilvusBackend

        return MilvusBackend(settings, encoder)
    return LocalBackend(settings.index_dir, encoder, settings.vectors)


class LiveIndex:
    """Hands out the newest published generation's reader; a long-running reader picks up re-indexes.

    Each call of ``snapshot()`` costs one cheap ``generation()`` look-up; a question uses the
    reader it got for all its steps, so it never mixes two generations.
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._lock = threading.Lock()
        self._snapshot: Reader | None = None

    def snapshot(self) -> Reader:
        name = self.backend.generation()
        with self._lock:
            if self._snapshot is None or self._snapshot.generation != name:
                self._snapshot = self.backend.open_reader()
            return self._snapshot


__all__ = [
    "ANN", "ARTICLE_COLUMNS_V1", "SCHEMA", "file_digest", "read_manifest", "CURRENT", "FORMAT_VERSION", "GENERATIONS", "LEXICAL", "MANIFEST", "PAUSE_POINTS", "REBUILD_HINT",
    "ROWS", "ROWS_SCHEMA", "SENTENCES", "VECTORS", "ArticleRow", "Backend", "ChunkRow", "IndexBusy",
    "IndexDamaged", "IndexProblem", "IndexMismatch", "IndexUnwritable", "LiveIndex", "left_clean_if_unpublished", "LocalBackend",
    "LocalReader", "Manifest", "NewChunk", "NoIndex", "Reader", "Removed", "Rows", "Snapshot", "SourceStats", "Stored",
    "Writer", "check_staged", "current_generation", "empty_rows", "library_versions", "migrate_rows",
    "open_backend", "open_generation", "open_snapshot", "pause_point", "prune", "publish", "write_manifest",
    "writer_lock",
]
