"""articles -> chunks -> vectors -> store, incremental by content hash.

Only new or changed articles are chunked; a chunk whose exact text is already in the index
(an unchanged passage of an edited article, a syndicated copy) reuses its stored vector, so
no text is embedded twice. Vectors are reused from the exact store (``vectors.faiss``), never
from an approximate index, whose codes may be lossy; the approximate index of ``[index] type``
is derived from the exact store after each update (see ``ann.py``). A file that still exists
but can no longer be read keeps its previously indexed version: bad input never costs an
article. Everything is written into a fresh generation and published atomically (see
``store.py``); one writer at a time.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import ann, store
from .articles import Article, CorpusError, Skipped, scan
from .chunks import Chunk, Chunker
from .encoder import Encoder
from .lexical import LexicalIndex
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
    """Compare article hashes with the previous index (id -> sha256)."""
    current = {a.id: a for a in articles}
    unreadable = {s.path for s in skipped}
    new = [a for a in articles if previous.get(a.id) != a.sha256]
    gone = [i for i in previous if i not in current and i not in unreadable]
    updated = sum(1 for a in new if a.id in previous)
    return Plan(
        new=new,
        added=len(new) - updated,
        updated=updated,
        removed_ids=gone + [a.id for a in new if a.id in previous],
        unchanged=sum(1 for a in articles if previous.get(a.id) == a.sha256),
    )


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
                f"no articles in {self.settings.corpus_dir} (looked for readable .txt and .md files)"
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
            and ann.reusable(previous.manifest.index, self.settings.vectors, previous.manifest.chunks)
        ):
            stats.articles, stats.chunks = previous.manifest.articles, previous.manifest.chunks
        else:
            stats.articles, stats.chunks, stats.chunks_embedded = self._write(previous, work)
        stats.seconds = time.perf_counter() - started
        return stats

    def _previous(self) -> store.Snapshot | None:
        try:
            return store.open_snapshot(self.index_dir, self.encoder.name)
        except store.NoIndex:
            return None
        except store.IndexError_ as exc:
            raise BuildError(str(exc)) from None

    def _write(self, previous: store.Snapshot | None, work: Plan) -> tuple[int, int, int]:
        store.prune(self.index_dir)  # what a killed writer left behind never gets in the way
        staging = store.new_staging(self.index_dir)
        try:
            result = self._stage(staging, previous, work)
            store.publish(self.index_dir, staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        store.prune(self.index_dir)
        return result

    def _stage(self, staging: Path, previous: store.Snapshot | None, work: Plan) -> tuple[int, int, int]:
        import faiss

        if previous is not None:
            shutil.copyfile(previous.directory / store.ROWS, staging / store.ROWS)
            db = sqlite3.connect(staging / store.ROWS)
            # The snapshot's copy is memory-mapped read-only: read a writable one from the same
            # (verified, immutable) file.
            vectors = faiss.read_index(str(previous.directory / store.VECTORS))
            next_id = previous.manifest.next_chunk_id
        else:
            db = store.empty_rows(staging / store.ROWS)
            vectors = None
            next_id = 0
        with db:
            chunks = self._chunk(work.new)
            reuse = _stored_vectors(db, vectors, {text_sha(c.text) for c in chunks})
            removed = _delete_articles(db, vectors, work.removed_ids)
            store.pause_point("embedding")
            embedded, new_vectors = self._vectors(chunks, reuse)
            if vectors is None:
                vectors = faiss.IndexIDMap2(faiss.IndexFlatIP(new_vectors.shape[1]))
            ids = np.arange(next_id, next_id + len(chunks), dtype=np.int64)
            if len(chunks):
                vectors.add_with_ids(new_vectors, ids)
            _insert(db, work.new, chunks, ids)
        faiss.write_index(vectors, str(staging / store.VECTORS))
        old_ann = (previous.ann, previous.manifest.index) if previous is not None else (None, dict(ann.FLAT))
        try:
            approximate, record = ann.derive(self.settings.vectors, vectors, old_ann, removed, ids, new_vectors)
        except ann.AnnError as exc:
            raise BuildError(str(exc)) from None
        if approximate is not None:
            faiss.write_index(approximate, str(staging / store.ANN))
        n_articles, n_chunks = self._finish_rows(db, staging)
        manifest = store.Manifest(
            encoder=self.encoder.name, dimension=vectors.d, chunking=asdict(self.settings.chunks),
            versions=store.library_versions(), built_at=time.time(), articles=n_articles,
            chunks=n_chunks, next_chunk_id=next_id + len(chunks), index=record,
        )
        store.write_manifest(staging, manifest)
        return n_articles, n_chunks, embedded

    def _chunk(self, articles: list[Article]) -> list[Chunk]:
        if not articles:
            return []
        chunker = Chunker(self.settings.chunks, self.encoder.count_tokens)
        return [chunk for article in articles for chunk in chunker.split(article)]

    def _vectors(self, chunks: list[Chunk], reuse: dict[str, np.ndarray]) -> tuple[int, np.ndarray]:
        """Vectors for the chunks, embedding each distinct text not already in the index once."""
        todo = sorted({c.text for c in chunks if text_sha(c.text) not in reuse})
        if todo:
            fresh = self.encoder.encode_passages(todo, progress=self.progress)
            reuse.update({text_sha(t): v for t, v in zip(todo, fresh)})
        if not chunks:
            return len(todo), np.zeros((0, 0), dtype=np.float32)
        return len(todo), np.stack([reuse[text_sha(c.text)] for c in chunks]).astype(np.float32)

    def _finish_rows(self, db: sqlite3.Connection, staging: Path) -> tuple[int, int]:
        rows = db.execute("SELECT id, text FROM chunks ORDER BY id").fetchall()
        n_articles = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        db.close()
        lexical_dir = staging / store.LEXICAL
        lexical_dir.mkdir()
        LexicalIndex.build([text for _, text in rows], [i for i, _ in rows]).save(lexical_dir)
        return n_articles, len(rows)


def _skipped_hint(skipped: list[Skipped]) -> str:
    return f"; {len(skipped)} file(s) skipped, e.g. {skipped[0].path}: {skipped[0].reason}" if skipped else ""


def _stored_vectors(db: sqlite3.Connection, vectors, shas: set[str]) -> dict[str, np.ndarray]:
    """Vectors already in the index for these chunk-text hashes (so no text is embedded twice)."""
    if vectors is None or not shas:
        return {}
    found: dict[str, np.ndarray] = {}
    for sha in shas:
        row = db.execute("SELECT id FROM chunks WHERE text_sha = ? LIMIT 1", (sha,)).fetchone()
        if row is not None:
            found[sha] = vectors.reconstruct(int(row[0]))
    return found


def _delete_articles(db: sqlite3.Connection, vectors, article_ids: list[str]) -> np.ndarray:
    """Delete the articles' rows and vectors; returns the chunk ids removed.

    One ``remove_ids`` for all of them: each call compacts the whole flat array, so one call
    per article would cost O(corpus) per deleted article.
    """
    removed: list[int] = []
    for article_id in article_ids:
        removed += [row[0] for row in db.execute("SELECT id FROM chunks WHERE article_id = ?", (article_id,))]
        db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
        db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
    ids = np.array(removed, dtype=np.int64)
    if len(ids) and vectors is not None:
        vectors.remove_ids(ids)
    return ids


def _insert(db: sqlite3.Connection, articles: list[Article], chunks: list[Chunk], ids: np.ndarray) -> None:
    now = time.time()
    db.executemany(
        "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(a.id, a.title, a.url, a.published, a.source, a.sha256, a.text, now) for a in articles],
    )
    db.executemany(
        "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(int(i), c.article_id, c.seq, c.start, c.end, c.text, text_sha(c.text)) for c, i in zip(chunks, ids)],
    )
