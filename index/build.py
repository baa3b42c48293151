"""articles -> chunks -> vectors -> store, incremental by content hash.

Only new or changed articles are chunked; each chunk is embedded whole and sentence by
sentence (see ``sentences.py``). A chunk whose exact text is already in the index (an
unchanged passage of an edited article, a syndicated copy) reuses its stored vectors, and
within one run each distinct text (a sentence shared by overlapping chunks) is embedded once,
so no text is embedded twice. Vectors are reused from the exact store (``vectors.faiss``),
never from an approximate index, whose codes may be lossy; the approximate index of
``[index] type`` is derived from the exact store after each update (see ``ann.py``). A file
that still exists but can no longer be read keeps its previously indexed version: bad input
never costs an article. Everything is written into a fresh generation and published
atomically (see ``store.py``); one writer at a time. A write that fails (a full disk, a
file-size limit) removes the unfinished generation and is reported as a one-line BuildError:
the published index is untouched.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import ann, duplicates, store
from .articles import Article, CorpusError, Skipped, scan
from .chunks import Chunk, Chunker
from .published import sortable
from .encoder import Encoder
from .languages import LanguageMeans, reference_direction
from .lexical import LexicalIndex
from .question import article_language
from .sentences import sentence_ids, sentences
from .settings import IndexSettings


class BuildError(RuntimeError):
    """Indexing cannot proceed; the message is one line for the user."""


@dataclass
class BuildStats:
    articles: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks: int = 0
    chunks_embedded: int = 0
    groups: int = 0  # groups of syndicated copies (two or more articles: duplicates.py)
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


@dataclass
class Plan:
    """What changed between the corpus on disk and the published index."""

    new: list[Article]  # added or updated: to chunk and embed
    added: int
    updated: int
    removed_ids: list[str]  # articles to delete (gone, or replaced by a new version)
    unchanged: int


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan(articles: list[Article], previous: dict[str, str], skipped: list[Skipped]) -> Plan:
    """Compare article hashes with the previous index (id -> sha256).

    A skipped file, and everything below a skipped folder (``folder/``: it could not be
    listed), keeps its indexed version: bad input never costs an article.
    """
    current = {a.id: a for a in articles}
    unreadable = {s.path for s in skipped}
    folders = tuple(s.path for s in skipped if s.folder)
    new = [a for a in articles if previous.get(a.id) != a.sha256]
    gone = [i for i in previous if i not in current and not _kept(i, unreadable) and not i.startswith(folders)]
    updated = sum(1 for a in new if a.id in previous)
    return Plan(
        new=new,
        added=len(new) - updated,
        updated=updated,
        removed_ids=gone + [a.id for a in new if a.id in previous],
        unchanged=sum(1 for a in articles if previous.get(a.id) == a.sha256),
    )


def _kept(article_id: str, unreadable: set[str]) -> bool:
    """Is this article, absent from the scan, in a file that could not be read (whole or in part)?
    Records of a many-article file have the id ``<file>#<key>``: bad input never costs an article."""
    if article_id in unreadable:
        return True
    marks = [n for n, ch in enumerate(article_id) if ch == "#"]
    return any(article_id[:n] in unreadable for n in marks)


class Builder:
    """One indexing run. Use ``run()``; the lock is taken by the caller (see ``lock``)."""

    def __init__(self, settings: IndexSettings, encoder: Encoder, progress: bool = False) -> None:
        self.settings = settings
        self.encoder = encoder
        self.progress = progress
        self.index_dir = settings.index_dir

    def run(self, rebuild: bool = False) -> BuildStats:
        started = time.perf_counter()
        try:
            corpus = scan(self.settings.corpus_dir)
        except CorpusError as exc:
            raise BuildError(str(exc)) from None
        if not corpus.articles:
            raise BuildError(
                f"no articles in {self.settings.corpus_dir} "
                "(looked for readable .txt, .md, .html, .json, .jsonl and RSS/Atom files)"
                + _skipped_hint(corpus.skipped)
            )
        previous = None if rebuild else self._previous()
        prev_hashes = previous.article_hashes() if previous else {}
        work = plan(corpus.articles, prev_hashes, corpus.skipped)
        stats = BuildStats(
            added=work.added, updated=work.updated, removed=len(work.removed_ids) - work.updated,
            unchanged=work.unchanged, skipped=corpus.skipped,
        )
        if (
            previous is not None and not work.new and not work.removed_ids
            and previous.manifest.languages is not None and previous.rows_schema == store.ROWS_SCHEMA
            and ann.reusable(previous.manifest.index, self.settings.vectors, previous.manifest.chunks)
        ):
            stats.articles, stats.chunks = previous.manifest.articles, previous.manifest.chunks
            stats.groups = previous.copy_groups()
        else:
            stats.articles, stats.chunks, stats.chunks_embedded, stats.groups = self._write(previous, work)
        stats.seconds = time.perf_counter() - started
        return stats

    def _previous(self) -> store.Snapshot | None:
        try:
            return store.open_snapshot(self.index_dir, self.encoder.name)
        except store.NoIndex:
            return None
        except store.IndexError_ as exc:
            raise BuildError(str(exc)) from None

    def _write(self, previous: store.Snapshot | None, work: Plan) -> tuple[int, int, int, int]:
        store.prune(self.index_dir)  # what a killed writer left behind never gets in the way
        try:
            staging = store.new_staging(self.index_dir)
            try:
                result = self._stage(staging, previous, work)
                self._check(staging)
                store.publish(self.index_dir, staging)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        except (OSError, sqlite3.Error) as exc:  # the disk is full, a file-size or quota limit...
            raise BuildError(
                f"could not write the new index in {self.index_dir} ({_write_failure(exc)}); "
                "the index it holds is unchanged: free some space and run `rawi index` again"
            ) from None
        store.prune(self.index_dir)
        return result

    def _check(self, staging: Path) -> None:
        """Publish only what the reader accepts: a generation it refuses would stop every question."""
        try:
            store.check_staged(staging, self.encoder.name)
        except store.IndexError_ as exc:
            raise BuildError(
                f"the new index failed the reader's checks ({exc}); nothing was published, the index is unchanged"
            ) from None

    def _stage(self, staging: Path, previous: store.Snapshot | None, work: Plan) -> tuple[int, int, int, int]:
        import faiss

        if previous is not None:
            shutil.copyfile(previous.directory / store.ROWS, staging / store.ROWS)
            db = sqlite3.connect(staging / store.ROWS)
            store.migrate_rows(db, lambda text, published: _meta("", text, published))
            # The snapshot's copy of the vectors is memory-mapped read-only: read writable ones
            # from the same (verified, immutable) files.
            index = Vectors(
                faiss.read_index(str(previous.directory / store.VECTORS)),
                faiss.read_index(str(previous.directory / store.SENTENCES)),
            )
            next_id = previous.manifest.next_chunk_id
            means = _recorded_means(previous.manifest)
        else:
            db = store.empty_rows(staging / store.ROWS)
            index = None
            next_id = 0
            means = LanguageMeans()
        with db:
            chunks = self._chunk(work.new)
            reuse = _stored_vectors(db, index, {text_sha(c.text) for c in chunks})
            removed = _delete_articles(db, index, work.removed_ids, means)
            store.pause_point("embedding")
            embedded, new = self._vectors(chunks, reuse)
            index = index or Vectors.empty(self.encoder.dimension)
            ids = np.arange(next_id, next_id + len(chunks), dtype=np.int64)
            for chunk_id, (chunk_vector, sentence_vectors) in zip(ids, new):
                index.add(int(chunk_id), chunk_vector, sentence_vectors)
            _insert(db, work.new, chunks, ids)
            if means is None:  # an index from before language means were kept: count them all once
                means = _all_means(db, index)
            elif new:
                means.add([c.text for c in chunks], np.stack([v for v, _ in new]))
            if means.bilingual and means.reference is None:  # measured once, when a second language arrives
                means.reference = reference_direction(self.encoder)
            duplicates.add(db, [(a.id, a.text) for a in work.new])
            groups = duplicates.regroup(db)
        _write_vectors(index.chunks, staging / store.VECTORS)
        _write_vectors(index.sentences, staging / store.SENTENCES)
        old_ann = (previous.ann, previous.manifest.index) if previous is not None else (None, dict(ann.FLAT))
        new_vectors = np.stack([v for v, _ in new]) if new else np.zeros((0, index.chunks.d), dtype=np.float32)
        try:
            approximate, record = ann.derive(self.settings.vectors, index.chunks, old_ann, removed, ids, new_vectors)
        except ann.AnnError as exc:
            raise BuildError(str(exc)) from None
        if approximate is not None:
            _write_vectors(approximate, staging / store.ANN)
        n_articles, n_chunks = self._finish_rows(db, staging)
        manifest = store.Manifest(
            encoder=self.encoder.name, dimension=index.chunks.d, chunking=asdict(self.settings.chunks),
            versions=store.library_versions(), built_at=time.time(), articles=n_articles,
            chunks=n_chunks, next_chunk_id=next_id + len(chunks), sentences=index.sentences.ntotal, index=record,
            languages=means.to_json(),
        )
        store.write_manifest(staging, manifest)
        return n_articles, n_chunks, embedded, groups

    def _chunk(self, articles: list[Article]) -> list[Chunk]:
        if not articles:
            return []
        chunker = Chunker(self.settings.chunks, self.encoder.count_tokens)
        return [chunk for article in articles for chunk in chunker.split(article)]

    def _vectors(self, chunks: list[Chunk], reuse: dict[str, Stored]) -> tuple[int, list[Stored]]:
        """(chunk vector, sentence vectors) of each chunk; returns how many chunk texts were embedded.

        The chunk texts not already in the index and their sentences are embedded in one call,
        each distinct text once (a one-sentence chunk is its own sentence).
        """
        todo = sorted({c.text for c in chunks if text_sha(c.text) not in reuse})
        pieces = {text: sentences(text) for text in todo}
        texts = sorted(set(todo).union(*pieces.values()))
        vectors = dict(zip(texts, self.encoder.encode_passages(texts, progress=self.progress))) if texts else {}
        for text in todo:
            reuse[text_sha(text)] = (vectors[text], np.stack([vectors[p] for p in pieces[text]]))
        return len(todo), [reuse[text_sha(c.text)] for c in chunks]

    def _finish_rows(self, db: sqlite3.Connection, staging: Path) -> tuple[int, int]:
        rows = db.execute("SELECT id, text FROM chunks ORDER BY id").fetchall()
        n_articles = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        db.close()
        lexical_dir = staging / store.LEXICAL
        lexical_dir.mkdir()
        LexicalIndex.build([text for _, text in rows], [i for i, _ in rows]).save(lexical_dir)
        return n_articles, len(rows)


def _write_vectors(vectors, path: Path) -> None:
    """FAISS's own writer reports a failed write as a RuntimeError with no errno; Python's says why."""
    import faiss

    data = faiss.serialize_index(vectors)
    try:
        with path.open("wb") as handle:
            handle.write(memoryview(data))
    except OSError as exc:
        exc.filename = exc.filename or str(path)
        raise


def _write_failure(exc: OSError | sqlite3.Error) -> str:
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        return f"{reason}: {Path(exc.filename).name}" if exc.filename else reason
    name = getattr(exc, "sqlite_errorname", "")  # e.g. SQLITE_FULL, SQLITE_IOERR_WRITE
    return f"{exc or type(exc).__name__}{f' ({name})' if name else ''}: {store.ROWS}"


def _meta(language: str, text: str, published: str) -> tuple[str, str]:
    """The stored language (as given, else detected from the text) and sortable publication time."""
    return article_language(language, text), sortable(published)


def _skipped_hint(skipped: list[Skipped]) -> str:
    return f"; {len(skipped)} file(s) skipped, e.g. {skipped[0].path}: {skipped[0].reason}" if skipped else ""


Stored = tuple[np.ndarray, np.ndarray]  # a chunk's vector and its sentences' vectors


@dataclass
class Vectors:
    """The two FAISS indexes of a generation: chunk vectors, and sentence vectors under derived ids."""

    chunks: Any  # faiss.IndexIDMap2 (faiss ships no type hints)
    sentences: Any  # faiss.IndexIDMap2

    @classmethod
    def empty(cls, dimension: int) -> "Vectors":
        import faiss

        # fp16 sentence vectors: half the memory, and scores move by under 0.001.
        sentences = faiss.IndexScalarQuantizer(dimension, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dimension)), faiss.IndexIDMap2(sentences))

    def add(self, chunk_id: int, vector: np.ndarray, sentence_vectors: np.ndarray) -> None:
        self.chunks.add_with_ids(vector[None, :].astype(np.float32), np.array([chunk_id], dtype=np.int64))
        self.sentences.add_with_ids(sentence_vectors.astype(np.float32), sentence_ids(chunk_id, len(sentence_vectors)))

    def get(self, chunk_id: int, text: str) -> Stored:
        ids = sentence_ids(chunk_id, len(sentences(text)))
        return self.chunks.reconstruct(chunk_id), self.sentences.reconstruct_batch(ids)

    def remove(self, chunks: list[tuple[int, str]]) -> None:
        """Remove these (chunk id, text) and their sentences, in one pass over each index."""
        if not chunks:
            return
        self.chunks.remove_ids(np.array([i for i, _ in chunks], dtype=np.int64))
        self.sentences.remove_ids(np.concatenate([sentence_ids(i, len(sentences(t))) for i, t in chunks]))


def _stored_vectors(db: sqlite3.Connection, index: Vectors | None, shas: set[str]) -> dict[str, Stored]:
    """Vectors already in the index for these chunk-text hashes (so no text is embedded twice)."""
    if index is None or not shas:
        return {}
    found: dict[str, Stored] = {}
    for sha in shas:
        row = db.execute("SELECT id, text FROM chunks WHERE text_sha = ? LIMIT 1", (sha,)).fetchone()
        if row is not None:
            found[sha] = index.get(int(row[0]), row[1])
    return found


def _recorded_means(manifest: store.Manifest) -> LanguageMeans | None:
    if manifest.languages is None:
        return None
    return LanguageMeans.from_json(manifest.languages, manifest.dimension)  # checked when the snapshot opened


def _all_means(db: sqlite3.Connection, index: Vectors) -> LanguageMeans:
    """Every stored passage counted (an index from before the means were kept)."""
    rows = db.execute("SELECT id, text FROM chunks ORDER BY id").fetchall()
    means = LanguageMeans()
    if rows:
        ids = np.array([i for i, _ in rows], dtype=np.int64)
        means.add([text for _, text in rows], index.chunks.reconstruct_batch(ids))
    return means


def _delete_articles(
    db: sqlite3.Connection, index: Vectors | None, article_ids: list[str], means: LanguageMeans | None
) -> np.ndarray:
    """Delete the articles' rows and vectors; returns the chunk ids removed.

    One ``remove_ids`` per index for all of them: each call compacts the whole flat array, so
    one call per article would cost O(corpus) per deleted article.
    """
    gone: list[tuple[int, str]] = []
    for article_id in article_ids:
        gone += db.execute("SELECT id, text FROM chunks WHERE article_id = ?", (article_id,)).fetchall()
        db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
        db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
    duplicates.remove(db, article_ids)
    if index is not None and gone:
        if means is not None:
            means.remove([text for _, text in gone], index.chunks.reconstruct_batch(np.array([i for i, _ in gone], dtype=np.int64)))
        index.remove([(int(i), text) for i, text in gone])
    return np.array([i for i, _ in gone], dtype=np.int64)


def _insert(db: sqlite3.Connection, articles: list[Article], chunks: list[Chunk], ids: np.ndarray) -> None:
    now = time.time()
    db.executemany(
        "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')",
        [(a.id, a.title, a.url, a.published, a.source, a.sha256, a.text, now, *_meta(a.language, a.text, a.published))
         for a in articles],
    )
    db.executemany(
        "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(int(i), c.article_id, c.seq, c.start, c.end, c.text, text_sha(c.text)) for c, i in zip(chunks, ids)],
    )
