"""The local store's writer: a new generation in a staging folder, from the previous one's rows
and vectors (reader.py has the generation's files).

SQLite's errors (the disk is full, a quota...) cross the contract as ``IndexWriteFailed``, whose
message names the reason and the rows file; a file written through Python raises OSError, as
any backend's may.
"""

from __future__ import annotations

import functools
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import numpy as np

from ...article_meta import stored_meta
from ...sentences import sentence_ids, sentences
from ..contract import ArticleRow, IndexWriteFailed, NewChunk, Removed, Stored, one_vector_pair_each
from ..manifest import Manifest, write_manifest
from . import ann as ann_module
from . import copies, generations, streamed
from .lexical import LexicalIndex
from .reader import ANN, LEXICAL, ROWS, SENTENCES, VECTORS, LocalReader, check_staged
from .rows import ChunkTexts, chunk_with_text, delete_articles, empty_rows, insert, migrate_rows

if TYPE_CHECKING:
    from .backend import LocalBackend

P = ParamSpec("P")
R = TypeVar("R")


def rows_failure(exc: sqlite3.Error) -> IndexWriteFailed:
    """The contract's error for a failed write of the rows, e.g. ``database or disk is full (SQLITE_FULL): rows.sqlite``."""
    name = getattr(exc, "sqlite_errorname", "")  # e.g. SQLITE_FULL, SQLITE_IOERR_WRITE
    return IndexWriteFailed(f"{exc or type(exc).__name__}{f' ({name})' if name else ''}: {ROWS}")


@contextmanager
def rows_errors() -> Iterator[None]:
    """SQLite's errors inside as the contract's ``IndexWriteFailed``."""
    try:
        yield
    except sqlite3.Error as exc:
        raise rows_failure(exc) from exc


def _translated(method: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with rows_errors():
            return method(*args, **kwargs)

    return wrapper


@dataclass
class Vectors:
    """The two FAISS indexes of a generation: chunk vectors, and sentence vectors under derived ids."""

    chunks: Any  # faiss.IndexIDMap2 (faiss ships no type hints)
    sentences: Any  # faiss.IndexIDMap2

    @classmethod
    def empty(cls, dimension: int) -> Vectors:
        import faiss

        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dimension)), streamed.empty_index(dimension))

    @classmethod
    def read(cls, directory: Path) -> Vectors:
        """Writable copies of a generation's vectors (a reader's are memory-mapped read-only)."""
        import faiss

        return cls(faiss.read_index(str(directory / VECTORS)), faiss.read_index(str(directory / SENTENCES)))

    def add(self, chunk_id: int, vector: np.ndarray, sentence_vectors: np.ndarray) -> None:
        self.chunks.add_with_ids(vector[None, :].astype(np.float32), np.array([chunk_id], dtype=np.int64))
        self.sentences.add_with_ids(sentence_vectors.astype(np.float32), sentence_ids(chunk_id, len(sentence_vectors)))

    def add_many(self, chunk_ids: Sequence[int], vectors: Sequence[Stored]) -> None:
        """``add`` for many chunks in one FAISS call per index: the same vectors under the same ids."""
        if not chunk_ids:
            return
        self.chunks.add_with_ids(
            np.stack([v for v, _ in vectors]).astype(np.float32), np.asarray(chunk_ids, dtype=np.int64)
        )
        self.sentences.add_with_ids(
            np.concatenate([s for _, s in vectors]).astype(np.float32),
            np.concatenate([sentence_ids(i, len(s)) for i, (_, s) in zip(chunk_ids, vectors)]),
        )

    def make_room(self, chunks: int, sentences: int) -> None:
        """Room for this many more vectors in each index, made once: grown add by add, a FAISS
        array is copied into one twice its size, and for that moment both are in memory (at a
        million passages, gigabytes of sentence vectors more at the peak)."""
        import faiss

        for index, more in ((self.chunks, chunks), (self.sentences, sentences)):
            if isinstance(index, streamed.StreamedSentences):  # on disk, not in memory
                continue
            inner = faiss.downcast_index(index.index)
            size = inner.codes.size()
            inner.codes.resize(size + more * inner.code_size)  # a vector shrunk keeps its capacity
            inner.codes.resize(size)

    def get(self, chunk_id: int, text: str) -> Stored:
        ids = sentence_ids(chunk_id, len(sentences(text)))
        return self.chunks.reconstruct(chunk_id), self.sentences.reconstruct_batch(ids)

    def remove(self, chunks: list[tuple[int, str]]) -> None:
        """Remove these (chunk id, text) and their sentences, in one pass over each index.

        One ``remove_ids`` per index for all of them: each call compacts the whole flat array, so
        one call per article would cost O(corpus) per deleted article."""
        if not chunks:
            return
        self.chunks.remove_ids(np.array([i for i, _ in chunks], dtype=np.int64))
        self.sentences.remove_ids(np.concatenate([sentence_ids(i, len(sentences(t))) for i, t in chunks]))


class LocalWriter:
    """A new generation in a staging folder: the previous one's rows and vectors copied, then edited."""

    @_translated
    def __init__(self, backend: LocalBackend, previous: LocalReader | None, dimension: int) -> None:
        self.backend = backend
        self.previous = previous
        self.staging = generations.new_staging(backend.index_dir)
        self._removed = np.zeros(0, dtype=np.int64)
        self._added: list[int] = []  # chunk ids added; their vectors are read back from self.vectors if needed
        try:
            self._start(previous, dimension)
        except BaseException:  # e.g. the disk filled while copying the rows: no half-made staging left
            shutil.rmtree(self.staging, ignore_errors=True)
            raise

    def _start(self, previous: LocalReader | None, dimension: int) -> None:
        if previous is not None:
            shutil.copyfile(previous.directory / ROWS, self.staging / ROWS)
            self.db = sqlite3.connect(self.staging / ROWS)
            migrate_rows(self.db, lambda text, published: stored_meta("", text, published))
            self.vectors = Vectors.read(previous.directory)
            self.next_chunk_id = previous.manifest.next_chunk_id
        else:
            self.db = empty_rows(self.staging / ROWS)
            self.vectors = Vectors.empty(dimension)
            # Nothing reads a fresh generation's sentence vectors before it is checked: they go
            # straight to their file, batch by batch (streamed.py), instead of being held.
            stream = streamed.StreamedSentences.open(self.staging / SENTENCES, dimension)
            if stream is not None:
                self.vectors.sentences = stream
            self.next_chunk_id = 0

    def expect(self, passages: int, sentences: int) -> None:
        self.vectors.make_room(passages, sentences)

    @_translated
    def stored_vectors(self, text_shas: set[str]) -> dict[str, Stored]:
        if self.previous is None:
            return {}
        found: dict[str, Stored] = {}
        for sha in text_shas:
            row = chunk_with_text(self.db, sha)
            if row is not None:
                found[sha] = self.vectors.get(*row)
        return found

    @_translated
    def remove_articles(self, article_ids: Sequence[str]) -> Removed:
        gone = delete_articles(self.db, article_ids)
        ids = np.array([i for i, _ in gone], dtype=np.int64)
        vectors = self.vectors.chunks.reconstruct_batch(ids) if len(ids) else np.zeros((0, self.vectors.chunks.d), dtype=np.float32)
        self.vectors.remove(gone)
        self._removed = np.concatenate([self._removed, ids])
        return Removed(ids, [text for _, text in gone], vectors)

    @_translated
    def add(
        self, articles: Sequence[ArticleRow], chunks: Sequence[NewChunk], vectors: Sequence[Stored],
        signatures: dict[str, np.ndarray],
    ) -> None:
        """The rows, vectors and copy sketches of a batch of new articles, straight into the staging copy."""
        one_vector_pair_each(chunks, vectors, "chunks")
        self.vectors.add_many([c.id for c in chunks], vectors)
        self._added += [chunk.id for chunk in chunks]
        insert(self.db, articles, chunks)
        copies.store(self.db, signatures)
        self.next_chunk_id = max([self.next_chunk_id, *(c.id + 1 for c in chunks)])

    def all_passages(self) -> Iterator[tuple[list[str], np.ndarray]]:
        with rows_errors():
            rows = self.db.execute("SELECT id, text FROM chunks ORDER BY id").fetchall()
        if rows:
            ids = np.array([i for i, _ in rows], dtype=np.int64)
            yield [text for _, text in rows], self.vectors.chunks.reconstruct_batch(ids)

    @_translated
    def regroup(self) -> int:
        return copies.regroup(self.db)

    @_translated
    def finish(self, manifest: Manifest) -> Manifest:
        self.db.commit()
        write_vectors(self.vectors.chunks, self.staging / VECTORS)
        if isinstance(self.vectors.sentences, streamed.StreamedSentences):
            self.vectors.sentences.close()  # written as it came
        else:
            write_vectors(self.vectors.sentences, self.staging / SENTENCES)
        self._derive_ann(manifest)
        manifest.dimension = self.vectors.chunks.d
        manifest.sentences = self.vectors.sentences.ntotal
        self.vectors = Vectors(None, None)  # written: their memory goes back before BM25 is built
        manifest.articles, manifest.chunks = self._finish_rows()
        manifest.next_chunk_id = self.next_chunk_id
        write_manifest(self.staging, manifest)
        check_staged(self.staging, manifest.encoder)
        return manifest

    def _derive_ann(self, manifest: Manifest) -> None:
        """The approximate index of ``[index] type``, from the exact vectors (ann.py): raises AnnError."""
        previous = self.previous
        old = (previous.ann, previous.manifest.index) if previous is not None else (None, dict(ann_module.FLAT))
        ids = np.array(self._added, dtype=np.int64)
        # Read back (exact: the flat index holds them as given) only where an approximate index may
        # take them incrementally: keeping a copy of every added vector would double a backfill's memory.
        wanted = len(ids) and self.backend.vectors.type != "flat"
        added = self.vectors.chunks.reconstruct_batch(ids) if wanted else np.zeros((0, self.vectors.chunks.d), dtype=np.float32)
        approximate, manifest.index = ann_module.derive(
            self.backend.vectors, self.vectors.chunks, old, self._removed, ids, added
        )
        if approximate is not None:
            write_vectors(approximate, self.staging / ANN)

    def _finish_rows(self) -> tuple[int, int]:
        ids = [i for (i,) in self.db.execute("SELECT id FROM chunks ORDER BY id")]
        n_articles = self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        self.db.close()
        lexical_dir = self.staging / LEXICAL
        lexical_dir.mkdir()
        # The texts are read back a range at a time, where they are tokenized (issue 27: all of
        # them at once were gigabytes at a million passages).
        LexicalIndex.build_from(ids, ChunkTexts(self.staging / ROWS, ids)).save(lexical_dir)
        return n_articles, len(ids)

    @_translated
    def publish(self) -> str:
        return generations.publish(self.backend.index_dir, self.staging)

    @_translated
    def discard(self) -> None:
        self.db.close()
        if isinstance(self.vectors.sentences, streamed.StreamedSentences):
            self.vectors.sentences.discard()
        shutil.rmtree(self.staging, ignore_errors=True)


def write_vectors(vectors: Any, path: Path) -> None:
    """FAISS's own file writer reports a failed write as a RuntimeError with no errno: the index is
    streamed through Python's file object instead, whose OSError says why. Streamed, not
    serialized first: a copy of an archive's sentence vectors would double the writer's memory."""
    import faiss

    failed: list[OSError] = []

    def write(data: bytes) -> int:
        if failed:
            return 0
        try:
            handle.write(data)
        except OSError as exc:
            failed.append(exc)
            return 0
        return len(data)

    try:
        with path.open("wb") as handle:
            try:
                faiss.write_index(vectors, faiss.PyCallbackIOWriter(write, 1 << 22))
            except RuntimeError:
                if not failed:
                    raise
            if failed:
                raise failed[0]
    except OSError as exc:
        exc.filename = exc.filename or str(path)
        raise


__all__ = ["LocalWriter", "Vectors", "rows_errors", "rows_failure", "write_vectors"]
