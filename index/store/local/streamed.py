"""A new generation's sentence vectors written to their FAISS file batch by batch, not held in memory.

A fresh build's sentence vectors are most of its memory (at a million passages, some seven
million fp16 vectors: over 5 GB), and nothing reads them before the generation is checked: they
are only added. So instead of an in-memory ``IndexIDMap2(IndexScalarQuantizer fp16)`` the file
FAISS would write for one is written as the vectors come: FAISS's own header for the empty
index (its counts patched once the count is known), the codes as FAISS's own encoder makes
them (``sa_encode``), then the ids. ``tests/test_streamed_vectors.py`` holds the file to the one
``faiss.write_index`` writes for the same vectors, byte for byte. Where FAISS's layout is not
the one expected, ``StreamedSentences.open`` returns None and the writer keeps the vectors in
memory as before.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

# The empty index's serialization: "IxM2" header, then "IxSQ" header and quantizer, then the
# codes vector's and the id vector's lengths (8 bytes each). Header: fourcc, d (int32),
# ntotal (int64), two int64, is_trained (1 byte), metric (int32).
_HEADER = 4 + 4 + 8 + 8 + 8 + 1 + 4
_NTOTAL_AT = (8, _HEADER + 8)


def empty_index(dimension: int) -> Any:
    """What the writer holds the sentence vectors in (writer.Vectors.empty)."""
    import faiss

    return faiss.IndexIDMap2(_quantizer(dimension))


def _quantizer(dimension: int) -> Any:
    import faiss

    # fp16 sentence vectors: half the memory, and scores move by under 0.001.
    return faiss.IndexScalarQuantizer(dimension, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)


class StreamedSentences:
    """``add_with_ids`` and ``ntotal`` of the sentence index, straight into ``path``; ``close`` finishes the file."""

    def __init__(self, path: Path, handle: BinaryIO, prefix: bytes, encoder: Any) -> None:
        self.path = path
        self._handle = handle
        self._prefix = prefix
        self._encoder = encoder  # an empty IndexScalarQuantizer: its sa_encode makes the stored codes
        self._ids: list[np.ndarray] = []
        self.ntotal = 0
        self.d = encoder.d

    @classmethod
    def open(cls, path: Path, dimension: int) -> StreamedSentences | None:
        import faiss

        serialized = faiss.serialize_index(empty_index(dimension)).tobytes()
        if serialized[:4] != b"IxM2" or serialized[_HEADER : _HEADER + 4] != b"IxSQ" or serialized[-16:] != bytes(16):
            return None  # another FAISS layout: keep the vectors in memory
        handle = path.open("wb")
        try:
            prefix = serialized[:-16]
            handle.write(prefix + bytes(8))  # the codes' length, patched by close
        except BaseException:
            handle.close()
            raise
        return cls(path, handle, prefix, _quantizer(dimension))

    def add_with_ids(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(vectors) != len(ids) or (len(vectors) and vectors.shape[1] != self.d):
            raise ValueError(f"{len(vectors)} vectors of dimension {self.d} for {len(ids)} ids")
        if len(vectors):
            with self._named():
                self._handle.write(self._encoder.sa_encode(vectors).tobytes())
            self._ids.append(np.asarray(ids, dtype=np.int64))
            self.ntotal += len(vectors)

    @contextmanager
    def _named(self) -> Iterator[None]:
        """An OSError (the disk is full...) names this file, as ``writer.write_vectors``'s do."""
        try:
            yield
        except OSError as exc:
            exc.filename = exc.filename or str(self.path)
            raise

    def close(self) -> None:
        """The ids after the codes, and the counts in the headers: the file is whole (flushed and closed)."""
        handle = self._handle
        ids = np.concatenate(self._ids) if self._ids else np.zeros(0, dtype=np.int64)
        with self._named():
            try:
                handle.write(struct.pack("<Q", len(ids)) + ids.tobytes())
                for at in _NTOTAL_AT:
                    handle.seek(at)
                    handle.write(struct.pack("<q", self.ntotal))
                handle.seek(len(self._prefix))
                handle.write(struct.pack("<Q", self.ntotal * self._encoder.code_size))
            finally:
                handle.close()
        self._ids = []

    def discard(self) -> None:
        self._handle.close()
