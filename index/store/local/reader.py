"""The local store: FAISS vectors + SQLite rows + BM25 files, one folder per generation.

A generation folder (generations.py has the index directory around it and publishing)::

    manifest.json        encoder, dimension, chunking, versions, counts, file checksums
    vectors.faiss        IndexIDMap2(IndexFlatIP): normalized vectors under stable chunk ids,
                         the exact source of truth for every index type
    ann.faiss            only for [index] type "hnsw" or "ivfpq": the approximate index
                         derived from vectors.faiss (see ann.py)
    sentences.faiss      IndexIDMap2(fp16 IndexScalarQuantizer): each chunk's sentence
                         vectors, under ids derived from the chunk id (sentences.py)
    rows.sqlite          articles and chunks (text, spans), copy sketches (rows.py)
    lexical/             the BM25 index over the same chunks

FAISS has no checksum and loads a damaged file without complaint, so every file's size and
SHA-256 are recorded in the manifest and verified on open, and the vector and row counts are
cross-checked. Readers memory-map vectors.faiss (a published generation never changes): with an
approximate index only the few vectors re-scored are paged in, and processes share the pages.
A writer (writer.py) copies the previous generation's rows and vectors into a staging folder,
edits them, derives the approximate index, checks the result as a reader would, and publishes it;
the backend (backend.py) hands out both.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ...languages import LanguageMeans
from ...sentences import all_sentence_ids, sentences_per_chunk
from ...settings import VectorIndexSettings
from ..contract import REBUILD_HINT, ArticleRow, ChunkRow, IndexDamaged, IndexMismatch, IndexProblem, SourceStats, tally_sources
from ..manifest import Manifest, check_encoder, read_manifest, verify_files
from . import ann as ann_module
from . import generations, restrict
from .lexical import LexicalIndex
from .rows import Rows

if TYPE_CHECKING:
    from ...filters import ArticleFilter

VECTORS = "vectors.faiss"
SENTENCES = "sentences.faiss"
ANN = "ann.faiss"
ROWS = "rows.sqlite"
LEXICAL = "lexical"
FILTER_CACHE = 8  # allowed-id sets kept per reader: one question searches twice with one filter


class LocalReader:
    """One published generation, opened read-only and verified.

    ``vectors`` and ``sentences`` are memory-mapped and read-only: calling anything that modifies
    them (add, remove, or modifying a ``clone_index`` of one) aborts the process inside FAISS. A
    writer reads the files itself instead.
    """

    def __init__(self, directory: Path, manifest: Manifest, settings: VectorIndexSettings | None = None) -> None:
        import faiss

        # One question is one search: OpenMP's thread team costs more than it saves there, and
        # its spinning threads stall for milliseconds whenever the cores are busy (measured:
        # 11.6 ms with two threads, 0.02 ms with one, on a loaded 2-core machine).
        faiss.omp_set_num_threads(1)
        self.directory = directory
        self.manifest = manifest
        self.generation = directory.name
        self.settings = settings or VectorIndexSettings()  # search-time parameters (efSearch, nprobe)
        self._allowed: dict[ArticleFilter, np.ndarray] = {}
        self._allowed_lock = threading.Lock()
        self.vectors = faiss.read_index(str(directory / VECTORS), faiss.IO_FLAG_MMAP_IFC)
        # Memory-mapped as well: at 100,000 passages the sentence vectors are 280 MB on disk, and
        # a question reads a few hundred of them.
        self.sentences = faiss.read_index(str(directory / SENTENCES), faiss.IO_FLAG_MMAP_IFC)
        # Sentence vector ids derive from chunk ids, so their counts come from the ids alone:
        # ranking needs no text splitting (1 byte per chunk id).
        sentence_id_array = faiss.vector_to_array(self.sentences.id_map)
        self._sentence_counts = sentences_per_chunk(sentence_id_array)
        # The direction that separates the corpus's languages (None for one language): questions
        # are searched with it scaled down (see languages.py).
        self.language_direction = (
            None if manifest.languages is None
            else LanguageMeans.from_json(manifest.languages, manifest.dimension).direction()
        )
        kind = manifest.index.get("type")
        self.ann = None if kind == "flat" else faiss.read_index(str(directory / ANN))
        self.rows = Rows(directory / ROWS)
        self._sources: list[str] | None = None  # read once: a published generation never changes
        self._newest: dict[str, str] = {}  # not_after -> the newest stamp up to it
        try:
            self.rows_schema = self.rows.schema()
            self.lexical = LexicalIndex.load(directory / LEXICAL)
            self._cross_check()
            self._check_sentence_ids(sentence_id_array)
        except BaseException:
            self.rows.close()
            raise

    def _damaged(self, what: str) -> IndexDamaged:
        return IndexDamaged(f"index at {self.directory} is damaged ({what}): {REBUILD_HINT}")

    def _cross_check(self) -> None:
        rows = self._query("SELECT COUNT(*) FROM chunks")[0][0]
        articles = self._query("SELECT COUNT(*) FROM articles")[0][0]
        counts = (self.vectors.ntotal, rows, len(self.lexical), self.manifest.chunks)
        if self.ann is not None and self.ann.ntotal != rows:
            raise self._damaged(f"{ANN} holds {self.ann.ntotal} vectors for {rows} chunk rows")
        if len(set(counts)) != 1 or articles != self.manifest.articles:
            raise self._damaged(
                f"vectors {counts[0]}, chunk rows {rows}, lexical {counts[2]}, manifest {counts[3]}"
            )
        if self.vectors.d != self.manifest.dimension or self.sentences.d != self.manifest.dimension:
            raise self._damaged("dimension")
        if self.sentences.ntotal != self.manifest.sentences:
            raise self._damaged(f"sentence vectors {self.sentences.ntotal}, manifest {self.manifest.sentences}")

    def _check_sentence_ids(self, sentence_id_array: np.ndarray) -> None:
        """Every passage has sentences, numbered from 0 without gaps, and no sentence lacks its
        passage: otherwise a question would ask FAISS for a vector that is not there."""
        import faiss

        counts = self._sentence_counts
        passages = np.flatnonzero(counts)
        chunk_ids = np.sort(faiss.vector_to_array(self.vectors.id_map))
        if len(chunk_ids) and not 0 <= chunk_ids[0] <= chunk_ids[-1] < self.manifest.next_chunk_id:
            raise self._damaged("chunk ids outside 0..next_chunk_id")
        expected = all_sentence_ids(passages, counts[passages])
        if not (np.array_equal(passages, chunk_ids) and np.array_equal(np.sort(sentence_id_array), expected)):
            raise self._damaged("sentence vectors do not match the passages")

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self.rows.query(sql, params)

    # ------------------------------------------------------------ the contract's search

    def search(self, query: np.ndarray, k: int, where: ArticleFilter | None = None) -> list[int]:
        allowed = self.chunk_ids_where(where) if where else None
        _, ids = self.search_vectors(np.asarray(query, dtype=np.float32).reshape(1, -1), k, self.settings, allowed)
        return [int(i) for i in ids[0] if i >= 0]

    def lexical_search(self, question: str, k: int, where: ArticleFilter | None = None) -> list[tuple[int, float]]:
        return self.lexical.search(question, k, allowed=self.chunk_ids_where(where) if where else None)

    def passage_vectors(self, ids: Sequence[int]) -> np.ndarray:
        if not len(ids):
            return np.zeros((0, self.vectors.d), dtype=np.float32)
        return self.vectors.reconstruct_batch(np.asarray(ids, dtype=np.int64))

    def sentence_vectors(self, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        chunk_ids = np.asarray(ids, dtype=np.int64)
        counts = self.sentence_counts(chunk_ids)
        wanted = all_sentence_ids(chunk_ids, counts)
        if not len(wanted):
            return counts, np.zeros((0, self.sentences.d), dtype=np.float32)
        return counts, self.sentences.reconstruct_batch(np.ascontiguousarray(wanted, dtype=np.int64))

    # ------------------------------------------------------------ FAISS level (tests, benches)

    def sentence_counts(self, chunk_ids: np.ndarray) -> np.ndarray:
        """How many sentence vectors each of these chunks has (0 for an unknown id)."""
        table = self._sentence_counts
        known = (chunk_ids >= 0) & (chunk_ids < len(table))
        counts = np.zeros(len(chunk_ids), dtype=np.int64)
        counts[known] = table[chunk_ids[known]]
        return counts

    def search_vectors(
        self, queries: np.ndarray, k: int, settings: VectorIndexSettings | None = None,
        allowed: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Inner-product search: (scores, chunk ids), -1 ids where fewer than k exist.

        Uses the stored index type; ``settings`` gives the search-time parameters of an
        approximate index (efSearch, nprobe, re-scoring). Scores are exact cosines either way.
        ``allowed`` (chunk ids, e.g. from ``chunk_ids_where``) restricts the search inside
        FAISS, so k hits come back whenever k allowed chunks exist (see ``restrict.py``).
        """
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        settings = settings or self.settings
        if allowed is not None:
            return restrict.search(self, queries, k, settings, allowed)
        k = max(1, min(k, self.vectors.ntotal or 1))
        if self.ann is None:
            return self.vectors.search(queries, k)
        return ann_module.search(self.ann, self.manifest.index, self.vectors, queries, k, settings)

    def chunk_ids_where(self, where: ArticleFilter) -> np.ndarray:
        """The ids of the chunks whose article passes ``where`` (sorted): the ``allowed`` of
        ``search_vectors`` and ``lexical.search``. An index older than ROWS_SCHEMA 1 cannot tell."""
        if self.rows_schema < 1:
            raise IndexMismatch(f"index at {self.directory} predates date, source and language filters: run `rawi index`")
        with self._allowed_lock:
            found = self._allowed.get(where)
        if found is None:
            clause, params = where.sql(self.sources())
            sql = f"SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id WHERE {clause} ORDER BY c.id"
            found = np.array([row[0] for row in self._query(sql, params)], dtype=np.int64)
            with self._allowed_lock:
                if len(self._allowed) >= FILTER_CACHE:
                    self._allowed.pop(next(iter(self._allowed)))
                self._allowed[where] = found
        return found

    # ------------------------------------------------------------ rows

    def article_meta(self, article_ids: Sequence[str]) -> dict[str, ArticleRow]:
        """The articles of these ids, text left out (for ordering and showing cited passages)."""
        if not article_ids:
            return {}
        wanted = sorted(set(article_ids))
        columns = "id, title, url, published, source, sha256, '', indexed_at"
        if self.rows_schema >= 1:
            columns += ", language, published_at, group_id"
        sql = f"SELECT {columns} FROM articles WHERE id IN ({','.join('?' * len(wanted))})"
        return {row[0]: ArticleRow(*row) for row in self._query(sql, tuple(wanted))}

    def group_members(self, group_ids: Sequence[str]) -> dict[str, list[ArticleRow]]:
        """Each copy group's articles (text left out), earliest published first."""
        if not group_ids or self.rows_schema < 1:
            return {}
        wanted = sorted(set(group_ids))
        sql = (
            "SELECT id, title, url, published, source, sha256, '', indexed_at, language, published_at, group_id "
            f"FROM articles WHERE group_id IN ({','.join('?' * len(wanted))}) "
            "ORDER BY published_at = '', published_at, id"
        )
        found: dict[str, list[ArticleRow]] = {}
        for row in self._query(sql, tuple(wanted)):
            found.setdefault(row[10], []).append(ArticleRow(*row))
        return found

    def sources(self) -> list[str]:
        """The distinct sources of the articles (read once per snapshot: it never changes)."""
        if self._sources is None:
            self._sources = [row[0] for row in self._query("SELECT DISTINCT source FROM articles WHERE source <> ''")]
        return self._sources

    def copy_groups(self) -> int:
        """How many groups of syndicated copies (two or more articles) the index holds."""
        if self.rows_schema < 1:
            return 0
        return self._query("SELECT COUNT(DISTINCT group_id) FROM articles WHERE group_id <> ''")[0][0]

    def newest_published(self, not_after: str = "") -> str:
        """The latest ``published_at`` of any article, up to ``not_after`` when given ("" when
        none is dated): "today" for a question."""
        if self.rows_schema < 1:
            return ""
        if not_after not in self._newest:
            bound, params = ("WHERE published_at <= ?", (not_after,)) if not_after else ("", ())
            self._newest[not_after] = self._query(f"SELECT COALESCE(MAX(published_at), '') FROM articles {bound}", params)[0][0]
        return self._newest[not_after]

    def source_stats(self) -> list[SourceStats]:
        """Each source with its article count and date range (``rawi sources``), most articles first."""
        stamp = "published_at" if self.rows_schema >= 1 else "''"
        return tally_sources(self._query(f"SELECT source, {stamp} FROM articles"))

    def undated(self) -> list[tuple[str, str]]:
        """(id, date as written) of each article whose date could not be read."""
        if self.rows_schema < 1:
            return []
        return self._query("SELECT id, published FROM articles WHERE published <> '' AND published_at = '' ORDER BY id")

    def chunks(self, ids: Sequence[int]) -> dict[int, ChunkRow]:
        return self.rows.chunks(ids)

    def article(self, article_id: str) -> ArticleRow | None:
        rows = self._query("SELECT * FROM articles WHERE id = ?", (article_id,))
        return ArticleRow(*rows[0]) if rows else None

    def article_hashes(self) -> dict[str, str]:
        return dict(self._query("SELECT id, sha256 FROM articles"))

    def newest_articles(self, limit: int) -> list[ArticleRow]:
        order = "published_at DESC" if self.rows_schema >= 1 else "published DESC"
        sql = f"SELECT * FROM articles ORDER BY {order}, indexed_at DESC, id LIMIT ?"
        return [ArticleRow(*row) for row in self._query(sql, (limit,))]

    def close(self) -> None:
        self.rows.close()


Snapshot = LocalReader  # the name readers and tests knew it by


def open_snapshot(index_dir: Path, encoder: str | None = None, settings: VectorIndexSettings | None = None) -> LocalReader:
    """Open and verify the published generation; raise NoIndex, IndexDamaged or IndexMismatch."""
    directory = generations.current_generation(index_dir)
    if not directory.is_dir():
        raise IndexDamaged(f"index at {index_dir} is damaged (generation {directory.name} is missing): {REBUILD_HINT}")
    return open_generation(directory, encoder, settings)


def open_generation(directory: Path, encoder: str | None = None, settings: VectorIndexSettings | None = None) -> LocalReader:
    """Open one generation folder with every check: manifest, encoder, file checksums, cross-counts."""
    manifest = read_manifest(directory)
    check_encoder(manifest, directory, encoder)
    verify_files(directory, manifest)
    try:
        return LocalReader(directory, manifest, settings)
    except IndexProblem:
        raise
    except Exception as exc:  # noqa: BLE001 -- files that pass their checksums but do not load: damage all the same
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise IndexDamaged(f"index at {directory} is damaged ({reason}): {REBUILD_HINT}") from None


def check_staged(staging: Path, encoder: str) -> None:
    """A writer's last step before publishing: the staged generation passes every check a reader makes."""
    open_generation(staging, encoder).close()


__all__ = [
    "ANN", "FILTER_CACHE", "LEXICAL", "ROWS", "SENTENCES", "VECTORS", "LocalReader", "Snapshot", "check_staged",
    "open_generation", "open_snapshot",
]
