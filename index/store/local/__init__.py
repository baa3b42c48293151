"""The local store's room: FAISS + SQLite + BM25 files in generation folders.

``backend.py`` (LocalBackend) hands out ``reader.py``'s reader (the files of a generation, and
their checks) and ``writer.py``'s writer; ``generations.py`` publishes a folder by its CURRENT
file; ``rows.py`` and ``copies.py`` are its SQLite tables, ``ann.py`` the approximate FAISS index,
``lexical.py`` BM25, ``restrict.py`` the filtered search. The names below are for the tools and
tests that look at a local index's files; the build and retrieval steps use the contract only.
"""

from __future__ import annotations

from ..manifest import MANIFEST, file_digest, read_manifest, write_manifest
from .backend import LocalBackend
from .generations import CURRENT, GENERATIONS, current_generation, left_clean_if_unpublished, prune, publish, writer_lock
from .reader import ANN, LEXICAL, ROWS, SENTENCES, VECTORS, LocalReader, Snapshot, check_staged, open_generation, open_snapshot
from .rows import ARTICLE_COLUMNS_V1, ROWS_SCHEMA, SCHEMA, Rows, empty_rows, migrate_rows
from .writer import LocalWriter, Vectors, write_vectors

__all__ = [
    "ANN", "ARTICLE_COLUMNS_V1", "CURRENT", "GENERATIONS", "LEXICAL", "MANIFEST", "ROWS", "ROWS_SCHEMA", "SCHEMA",
    "SENTENCES", "VECTORS", "LocalBackend", "LocalReader", "LocalWriter", "Rows", "Snapshot", "Vectors", "check_staged",
    "current_generation", "empty_rows", "file_digest", "left_clean_if_unpublished", "migrate_rows", "open_generation",
    "open_snapshot", "prune", "publish", "read_manifest", "write_manifest", "write_vectors", "writer_lock",
]
