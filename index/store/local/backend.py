"""The local store's backend: generations as folders under ``[index] dir``, published by a
CURRENT file (generations.py); its reader (reader.py) and writer (writer.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from ...settings import VectorIndexSettings
from ..contract import Reader
from . import ann as ann_module
from . import generations
from .reader import LocalReader, open_snapshot
from .rows import ROWS_SCHEMA
from .writer import LocalWriter


class LocalBackend:
    """Generations as folders under ``[index] dir`` (generations.py), published by a CURRENT file."""

    def __init__(self, index_dir: Path, encoder: str | None = None, vectors: VectorIndexSettings | None = None) -> None:
        self.index_dir = index_dir
        self.encoder = encoder
        self.vectors = vectors or VectorIndexSettings()

    def __str__(self) -> str:
        return str(self.index_dir)

    def generation(self) -> str:
        return generations.current_generation(self.index_dir).name

    def open_reader(self) -> LocalReader:
        return open_snapshot(self.index_dir, self.encoder, self.vectors)

    def writer(self, previous: Reader | None, dimension: int) -> LocalWriter:
        assert previous is None or isinstance(previous, LocalReader)
        return LocalWriter(self, previous, dimension)

    def up_to_date(self, previous: Reader) -> bool:
        assert isinstance(previous, LocalReader)
        return previous.rows_schema == ROWS_SCHEMA and ann_module.reusable(
            previous.manifest.index, self.vectors, previous.manifest.chunks
        )

    @contextmanager
    def lock(self, wait: bool = False) -> Iterator[object]:
        held = generations.writer_lock(self.index_dir, wait)
        try:
            yield held
        finally:
            held.release()

    def left_clean_if_unpublished(self) -> AbstractContextManager[object]:
        return generations.left_clean_if_unpublished(self.index_dir)

    def prune(self) -> None:
        generations.prune(self.index_dir)

    def recover(self) -> None:
        """Nothing to do: a rebuild publishes a new generation over any damage (CURRENT replaced)."""


__all__ = ["LocalBackend"]
