"""The live view a long-running reader holds: the newest published generation, picked up after a re-index."""

from __future__ import annotations

import threading

from .contract import Backend, Reader


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


__all__ = ["LiveIndex"]
