"""The index on disk: FAISS vectors + SQLite rows + BM25 + a manifest, published atomically.

Layout of an index directory::

    CURRENT                      the name of the published generation (one line)
    generations/<name>/          one complete, immutable index
        manifest.json            encoder, dimension, chunking, versions, counts, file checksums
        vectors.faiss            IndexIDMap2(IndexFlatIP): normalized vectors under stable chunk ids,
                                 the exact source of truth for every index type
        ann.faiss                only for [index] type "hnsw" or "ivfpq": the approximate index
                                 derived from vectors.faiss (see ann.py)
        sentences.faiss          IndexIDMap2(fp16 IndexScalarQuantizer): each chunk's sentence
                                 vectors, under ids derived from the chunk id (sentences.py)
        rows.sqlite              articles and chunks (text, spans)
        lexical/                 the BM25 index over the same chunks
    lock                         held by the one writer

A writer builds a new generation in a staging directory, fsyncs it, renames it into place and
then replaces CURRENT with one ``os.replace``: a reader sees the old index or the new one,
never a mix, and a crash at any point leaves the published index whole. FAISS has no checksum
and loads a damaged file without complaint, so every file's size and SHA-256 are recorded in
the manifest and verified on open, and the vector and row counts are cross-checked.
Readers memory-map vectors.faiss (a published generation never changes): with an approximate
index only the few vectors re-scored are paged in, and processes share the pages.

Generation names sort in publish order (UTC time to the nanosecond, then the pid). What a
``kill -9`` can leave behind is harmless and removed by the next writer (``prune``): a
``.staging-*`` folder, a ``.CURRENT.tmp`` file, or a generation renamed into place whose
CURRENT switch never happened (it sorts after CURRENT and was never read). The writer lock is
an OS file lock: the kernel releases it when its holder dies, so it is never stale.

Test hook: ``RAWI_TEST_PAUSE_AT=<point>`` makes a writer create ``$RAWI_TEST_PAUSE_FILE`` and
wait at that point while the file exists, so crash tests can ``kill -9`` a real ``rawi index``
there (see ``pause_point``; the points are ``embedding``, ``staged`` and ``publish``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import ann as ann_module
from .. import duplicates, restrict
from ..languages import LanguageMeans
from ..lexical import LexicalIndex
from ..sentences import MAX_SENTENCES, all_sentence_ids, sentences_per_chunk
from ..settings import VectorIndexSettings

if TYPE_CHECKING:
    from ..filters import ArticleFilter

log = logging.getLogger(__name__)

FORMAT_VERSION = 3  # 2: sentence vectors; 3: sentences split knowing abbreviations and headings
CURRENT = "CURRENT"
GENERATIONS = "generations"
VECTORS = "vectors.faiss"
SENTENCES = "sentences.faiss"
ANN = "ann.faiss"
ROWS = "rows.sqlite"
LEXICAL = "lexical"
MANIFEST = "manifest.json"
REBUILD_HINT = "rebuild it with `rawi index --rebuild`"
# Sentence vector ids are chunk id * MAX_SENTENCES + n in an int64 (sentences.py): chunk ids stay below this.
CHUNK_ID_LIMIT = 2**63 // MAX_SENTENCES

# rows.sqlite's own schema version (PRAGMA user_version), apart from FORMAT_VERSION (the vector
# files): 1 added each article's language, sortable publication time and copy group, which the
# builder fills in when it copies an older generation's rows (no re-embedding, no --rebuild),
# and the tables of the articles' MinHash sketches (duplicates.py).
ROWS_SCHEMA = 1
ARTICLE_COLUMNS_V1 = (
    ("language", "TEXT NOT NULL DEFAULT ''"),  # "ar" / "en": as given by the article, else detected
    ("published_at", "TEXT NOT NULL DEFAULT ''"),  # dates.sortable(published): "" when undated
    ("group_id", "TEXT NOT NULL DEFAULT ''"),  # the earliest copy of a syndicated article ("" alone)
)
SCHEMA = """
CREATE TABLE articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, url TEXT NOT NULL, published TEXT NOT NULL,
    source TEXT NOT NULL, sha256 TEXT NOT NULL, text TEXT NOT NULL, indexed_at REAL NOT NULL,
    language TEXT NOT NULL DEFAULT '', published_at TEXT NOT NULL DEFAULT '', group_id TEXT NOT NULL DEFAULT ''
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, article_id TEXT NOT NULL REFERENCES articles(id), seq INTEGER NOT NULL,
    start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL, text_sha TEXT NOT NULL
);
CREATE INDEX chunks_by_article ON chunks(article_id);
CREATE INDEX chunks_by_text ON chunks(text_sha);
CREATE INDEX articles_by_published ON articles(published_at);
CREATE INDEX articles_by_group ON articles(group_id);
PRAGMA user_version = 1;
""" + duplicates.TABLES


class IndexError_(RuntimeError):
    """Base for index problems shown to users as one line."""


class NoIndex(IndexError_):
    pass


class IndexDamaged(IndexError_):
    pass


class IndexMismatch(IndexError_):
    pass


@dataclass
class Manifest:
    encoder: str
    dimension: int
    chunking: dict
    versions: dict
    built_at: float
    articles: int
    chunks: int
    next_chunk_id: int
    sentences: int = 0
    files: dict = field(default_factory=dict)  # relative path -> {"bytes": int, "sha256": str}
    index: dict = field(default_factory=lambda: dict(ann_module.FLAT))  # the vector index built (ann.py)
    languages: dict | None = None  # per-language passage vector sums (languages.py); None: not recorded
    format_version: int = FORMAT_VERSION

    @classmethod
    def from_json(cls, data: dict) -> "Manifest":
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclass(frozen=True)
class ChunkRow:
    id: int
    article_id: str
    seq: int
    start: int
    end: int
    text: str
    title: str
    url: str
    published: str = ""  # of its article, from front matter
    source: str = ""


@dataclass(frozen=True)
class ArticleRow:
    id: str
    title: str
    url: str
    published: str
    source: str
    sha256: str
    text: str
    indexed_at: float
    language: str = ""  # the columns of ROWS_SCHEMA 1 (absent from older generations)
    published_at: str = ""
    group_id: str = ""


def library_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str | None] = {}
    for name in ("faiss-cpu", "sentence-transformers", "torch", "transformers", "bm25s", "rawi"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def file_digest(path: Path) -> dict:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _all_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST)


# ---------------------------------------------------------------- reading


class Rows:
    """Read-only access to one generation's rows.sqlite (articles and chunks), safe across threads.

    Chunk lookups go by the integer primary key (SQLite's rowid B-tree), so their cost grows
    with log(chunks): flat in practice (``bench/bench_scale.py --rows`` shows it).
    """

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        self._lock = threading.Lock()

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def chunks(self, ids: list[int]) -> dict[int, ChunkRow]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        sql = (
            "SELECT c.id, c.article_id, c.seq, c.start, c.end, c.text, a.title, a.url, a.published, a.source "
            f"FROM chunks c JOIN articles a ON a.id = c.article_id WHERE c.id IN ({marks})"
        )
        return {row[0]: ChunkRow(*row) for row in self.query(sql, tuple(int(i) for i in ids))}

    def schema(self) -> int:
        return int(self.query("PRAGMA user_version")[0][0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class Snapshot:
    """One published generation, opened read-only and verified.

    ``vectors`` and ``sentences`` are memory-mapped and read-only: calling anything that modifies
    them (add, remove, or modifying a ``clone_index`` of one) aborts the process inside FAISS. A
    writer reads the files itself instead.
    """

    def __init__(self, directory: Path, manifest: Manifest) -> None:
        import faiss

        # One question is one search: OpenMP's thread team costs more than it saves there, and
        # its spinning threads stall for milliseconds whenever the cores are busy (measured:
        # 11.6 ms with two threads, 0.02 ms with one, on a loaded 2-core machine).
        faiss.omp_set_num_threads(1)
        self.directory = directory
        self.manifest = manifest
        self.generation = directory.name
        self.vectors = faiss.read_index(str(directory / VECTORS), faiss.IO_FLAG_MMAP_IFC)
        # Memory-mapped as well: at 100,000 passages the sentence vectors are 280 MB on disk, and
        # a question reads a few hundred of them.
        self.sentences = faiss.read_index(str(directory / SENTENCES), faiss.IO_FLAG_MMAP_IFC)
        # Sentence vector ids derive from chunk ids, so their counts come from the ids alone:
        # ranking needs no text splitting (1 byte per chunk id).
        sentence_ids = faiss.vector_to_array(self.sentences.id_map)
        self._sentence_counts = sentences_per_chunk(sentence_ids)
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
        self._newest: str | None = None
        try:
            self.rows_schema = self.rows.schema()
            self.lexical = LexicalIndex.load(directory / LEXICAL)
            self._cross_check()
            self._check_sentence_ids(sentence_ids)
        except BaseException:
            self.rows.close()
            raise

    def _cross_check(self) -> None:
        rows = self._query("SELECT COUNT(*) FROM chunks")[0][0]
        articles = self._query("SELECT COUNT(*) FROM articles")[0][0]
        counts = (self.vectors.ntotal, rows, len(self.lexical), self.manifest.chunks)
        if self.ann is not None and self.ann.ntotal != rows:
            raise IndexDamaged(
                f"index at {self.directory} is damaged ({ANN} holds {self.ann.ntotal} vectors for {rows} chunk rows): "
                f"{REBUILD_HINT}"
            )
        if len(set(counts)) != 1 or articles != self.manifest.articles:
            raise IndexDamaged(
                f"index at {self.directory} is damaged (vectors {counts[0]}, chunk rows {rows}, "
                f"lexical {counts[2]}, manifest {counts[3]}): {REBUILD_HINT}"
            )
        if self.vectors.d != self.manifest.dimension or self.sentences.d != self.manifest.dimension:
            raise IndexDamaged(f"index at {self.directory} is damaged (dimension): {REBUILD_HINT}")
        if self.sentences.ntotal != self.manifest.sentences:
            raise IndexDamaged(
                f"index at {self.directory} is damaged (sentence vectors {self.sentences.ntotal}, "
                f"manifest {self.manifest.sentences}): {REBUILD_HINT}"
            )

    def _check_sentence_ids(self, sentence_ids: np.ndarray) -> None:
        """Every passage has sentences, numbered from 0 without gaps, and no sentence lacks its
        passage: otherwise a question would ask FAISS for a vector that is not there."""
        import faiss

        counts = self._sentence_counts
        passages = np.flatnonzero(counts)
        chunk_ids = np.sort(faiss.vector_to_array(self.vectors.id_map))
        if len(chunk_ids) and not 0 <= chunk_ids[0] <= chunk_ids[-1] < self.manifest.next_chunk_id:
            raise IndexDamaged(
                f"index at {self.directory} is damaged (chunk ids outside 0..next_chunk_id): {REBUILD_HINT}"
            )
        expected = all_sentence_ids(passages, counts[passages])
        if not (np.array_equal(passages, chunk_ids) and np.array_equal(np.sort(sentence_ids), expected)):
            raise IndexDamaged(
                f"index at {self.directory} is damaged (sentence vectors do not match the passages): {REBUILD_HINT}"
            )

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self.rows.query(sql, params)

    def sentence_counts(self, chunk_ids: np.ndarray) -> np.ndarray:
        """How many sentence vectors each of these chunks has (0 for an unknown id)."""
        table = self._sentence_counts
        known = (chunk_ids >= 0) & (chunk_ids < len(table))
        counts = np.zeros(len(chunk_ids), dtype=np.int64)
        counts[known] = table[chunk_ids[known]]
        return counts

    def sentence_vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored sentence vectors under these ids (see ``sentences.sentence_ids``)."""
        if not len(ids):
            return np.zeros((0, self.sentences.d), dtype=np.float32)
        return self.sentences.reconstruct_batch(np.ascontiguousarray(ids, dtype=np.int64))

    def search(
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
        if allowed is not None:
            return restrict.search(self, queries, k, settings or VectorIndexSettings(), allowed)
        k = max(1, min(k, self.vectors.ntotal or 1))
        if self.ann is None:
            return self.vectors.search(queries, k)
        return ann_module.search(self.ann, self.manifest.index, self.vectors, queries, k, settings or VectorIndexSettings())

    def chunk_ids_where(self, where: "ArticleFilter") -> np.ndarray:
        """The ids of the chunks whose article passes ``where`` (sorted): the ``allowed`` of
        ``search`` and ``lexical.search``. An index older than ROWS_SCHEMA 1 cannot tell."""
        if self.rows_schema < 1:
            raise IndexMismatch(f"index at {self.directory} predates date, source and language filters: run `rawi index`")
        clause, params = where.sql()
        sql = f"SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id WHERE {clause} ORDER BY c.id"
        return np.array([row[0] for row in self._query(sql, params)], dtype=np.int64)

    def article_meta(self, article_ids: list[str]) -> dict[str, ArticleRow]:
        """The articles of these ids, text left out (for ordering and showing cited passages)."""
        if not article_ids:
            return {}
        wanted = sorted(set(article_ids))
        columns = "id, title, url, published, source, sha256, '', indexed_at"
        if self.rows_schema >= 1:
            columns += ", language, published_at, group_id"
        sql = f"SELECT {columns} FROM articles WHERE id IN ({','.join('?' * len(wanted))})"
        return {row[0]: ArticleRow(*row) for row in self._query(sql, tuple(wanted))}

    def group_members(self, group_ids: list[str]) -> dict[str, list[ArticleRow]]:
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

    def newest_published(self) -> str:
        """The latest ``published_at`` of any article ("" when none is dated): "today" for a question."""
        if self.rows_schema < 1:
            return ""
        if self._newest is None:
            self._newest = self._query("SELECT COALESCE(MAX(published_at), '') FROM articles")[0][0]
        return self._newest

    def chunks(self, ids: list[int]) -> dict[int, ChunkRow]:
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


def current_generation(index_dir: Path) -> Path:
    pointer = index_dir / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise NoIndex(f"no index at {index_dir}: run `rawi index`") from None
    except (OSError, UnicodeDecodeError):  # not text, a folder, unreadable
        name = ""
    if not name or "/" in name or "\\" in name or name.startswith(".") or not name.isprintable():
        raise IndexDamaged(f"index at {index_dir} is damaged (CURRENT is unreadable): {REBUILD_HINT}")
    return index_dir / GENERATIONS / name


def read_manifest(directory: Path) -> Manifest:
    try:
        return _checked(Manifest.from_json(_json_object(json.loads((directory / MANIFEST).read_text(encoding="utf-8")))))
    except FileNotFoundError:
        raise IndexDamaged(f"index at {directory} is damaged (no manifest): {REBUILD_HINT}") from None
    except (ValueError, TypeError) as exc:
        raise IndexDamaged(f"index at {directory} is damaged (manifest: {exc}): {REBUILD_HINT}") from None


def _json_object(data: object) -> dict:
    if not isinstance(data, dict):
        raise ValueError(f"a JSON {type(data).__name__}, not an object")
    return data


def _is_int(value: object) -> bool:
    return type(value) is int


_FIELD_TYPES: dict[str, tuple[str, object]] = {
    "encoder": ("a string", lambda v: isinstance(v, str)),
    "dimension": ("a positive integer", lambda v: _is_int(v) and v > 0),
    "chunking": ("an object", lambda v: isinstance(v, dict)),
    "versions": ("an object", lambda v: isinstance(v, dict)),
    "built_at": ("a number", lambda v: type(v) in (int, float)),
    "articles": ("a count", lambda v: _is_int(v) and v >= 0),
    "chunks": ("a count", lambda v: _is_int(v) and v >= 0),
    "sentences": ("a count", lambda v: _is_int(v) and v >= 0),
    "next_chunk_id": ("a chunk id", lambda v: _is_int(v) and 0 <= v < CHUNK_ID_LIMIT),
    "index": ("an object", lambda v: isinstance(v, dict)),
    "format_version": ("an integer", _is_int),
}


def _checked(manifest: Manifest) -> Manifest:
    """Every field has its type and range, and the file list is what `verify_files` expects:
    relative paths inside the generation. (A writer builds on these values: one out of range
    would be carried into every generation after it.)"""
    for name, (kind, ok) in _FIELD_TYPES.items():
        if not ok(getattr(manifest, name)):  # type: ignore[operator]
            raise ValueError(f"{name} is {getattr(manifest, name)!r}, not {kind}")
    if manifest.next_chunk_id < manifest.chunks:
        raise ValueError(f"next_chunk_id {manifest.next_chunk_id} is below the {manifest.chunks} chunks")
    files = manifest.files
    if not isinstance(files, dict):
        raise ValueError("its file list is not an object")
    for relative, expected in files.items():
        parts = Path(relative).parts
        if not parts or Path(relative).is_absolute() or ".." in parts:
            raise ValueError(f"it lists a file outside the index: {relative!r}")
        if not (isinstance(expected, dict) and type(expected.get("bytes")) is int and isinstance(expected.get("sha256"), str)):
            raise ValueError(f"its entry for {relative!r} has no size and checksum")
    return manifest


def verify_files(directory: Path, manifest: Manifest) -> None:
    """Sizes and checksums against the manifest: FAISS itself would load a damaged file."""
    if not manifest.files:
        raise IndexDamaged(f"index at {directory} is damaged (manifest lists no files): {REBUILD_HINT}")
    for relative, expected in manifest.files.items():
        path = directory / relative
        if not path.is_file():
            raise IndexDamaged(f"index at {directory} is damaged ({relative} is missing): {REBUILD_HINT}")
        if path.stat().st_size != expected["bytes"] or file_digest(path) != expected:
            raise IndexDamaged(
                f"index at {directory} is damaged ({relative} fails its checksum): {REBUILD_HINT}"
            )


def check_encoder(manifest: Manifest, directory: Path, encoder: str | None) -> None:
    if encoder is not None and manifest.encoder != encoder:
        raise IndexMismatch(
            f"index at {directory} was built with encoder {manifest.encoder!r}, but config names "
            f"{encoder!r}: {REBUILD_HINT}"
        )
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatch(
            f"index at {directory} has format {manifest.format_version}, this rawi reads "
            f"{FORMAT_VERSION}: {REBUILD_HINT}"
        )
    kind = manifest.index.get("type") if isinstance(manifest.index, dict) else None
    if kind not in ann_module.KNOWN_TYPES:
        raise IndexMismatch(
            f"index at {directory} uses vector index type {kind!r}, this rawi reads "
            f"{', '.join(ann_module.KNOWN_TYPES)}: {REBUILD_HINT}"
        )


def open_snapshot(index_dir: Path, encoder: str | None = None) -> Snapshot:
    """Open and verify the published generation; raise NoIndex, IndexDamaged or IndexMismatch."""
    directory = current_generation(index_dir)
    if not directory.is_dir():
        raise IndexDamaged(f"index at {index_dir} is damaged (generation {directory.name} is missing): {REBUILD_HINT}")
    return open_generation(directory, encoder)


def check_staged(staging: Path, encoder: str) -> None:
    """A writer's last step before publishing: the staged generation passes every check a reader makes."""
    open_generation(staging, encoder).close()


def open_generation(directory: Path, encoder: str | None = None) -> Snapshot:
    """Open one generation folder with every check: manifest, encoder, file checksums, cross-counts."""
    manifest = read_manifest(directory)
    check_encoder(manifest, directory, encoder)
    verify_files(directory, manifest)
    try:
        return Snapshot(directory, manifest)
    except IndexError_:
        raise
    except Exception as exc:  # noqa: BLE001 -- files that pass their checksums but do not load: damage all the same
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise IndexDamaged(f"index at {directory} is damaged ({reason}): {REBUILD_HINT}") from None


class LiveIndex:
    """Hands out the newest published snapshot; a long-running reader picks up re-indexes.

    Each call of ``snapshot()`` costs one small file read; a question uses the snapshot it
    got for all its steps, so it never mixes two generations.
    """

    def __init__(self, index_dir: Path, encoder: str | None = None) -> None:
        self.index_dir = index_dir
        self.encoder = encoder
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    def snapshot(self) -> Snapshot:
        name = current_generation(self.index_dir).name
        with self._lock:
            if self._snapshot is None or self._snapshot.generation != name:
                self._snapshot = open_snapshot(self.index_dir, self.encoder)
            return self._snapshot


# ---------------------------------------------------------------- writing

PAUSE_POINTS = ("embedding", "staged", "publish")


def pause_point(point: str) -> None:
    """Test hook for crash tests; a no-op unless ``RAWI_TEST_PAUSE_AT`` names this point.

    At the point, the writer creates the file ``$RAWI_TEST_PAUSE_FILE`` and waits while it
    exists (at most 300 s): the test then kills it (``kill -9``), or deletes the file to let
    it carry on. The points:
    ``embedding``: staging holds the copied rows, edited in an open transaction, nothing embedded.
    ``staged``: every file of the new generation written, not yet fsynced or renamed.
    ``publish``: the generation renamed into ``generations/``, CURRENT not yet switched.
    """
    if os.environ.get("RAWI_TEST_PAUSE_AT") != point:
        return
    marker = Path(os.environ["RAWI_TEST_PAUSE_FILE"])
    marker.write_text(point, encoding="utf-8")
    deadline = time.monotonic() + 300
    while marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(directory: Path) -> None:
    for path in directory.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    for path in [directory, *[p for p in directory.rglob("*") if p.is_dir()]]:
        _fsync_dir(path)


def create_index_dir(index_dir: Path) -> None:
    """Index directories are private: they hold the articles' text."""
    index_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    (index_dir / GENERATIONS).mkdir(exist_ok=True, mode=0o700)


def new_staging(index_dir: Path) -> Path:
    create_index_dir(index_dir)
    return Path(tempfile.mkdtemp(prefix=".staging-", dir=index_dir / GENERATIONS))


def empty_rows(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    return db


def migrate_rows(db: sqlite3.Connection, fill) -> bool:
    """Bring a copied rows.sqlite up to ROWS_SCHEMA; ``fill(article row)`` gives the new columns'
    values (language, published_at) of each existing article. Returns whether anything changed."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version >= ROWS_SCHEMA:
        return False
    for name, kind in ARTICLE_COLUMNS_V1:
        db.execute(f"ALTER TABLE articles ADD COLUMN {name} {kind}")
    db.execute("CREATE INDEX articles_by_published ON articles(published_at)")
    db.execute("CREATE INDEX articles_by_group ON articles(group_id)")  # an answer's "also in" reads by group
    for statement in duplicates.TABLES.split(";"):
        if statement.strip():
            db.execute(statement)
    rows = db.execute("SELECT id, text, published FROM articles").fetchall()
    db.executemany("UPDATE articles SET language = ?, published_at = ? WHERE id = ?",
                   [(*fill(text, published), article_id) for article_id, text, published in rows])
    duplicates.add(db, [(article_id, text) for article_id, text, _ in rows])
    db.execute(f"PRAGMA user_version = {ROWS_SCHEMA}")
    return True


def write_manifest(staging: Path, manifest: Manifest) -> None:
    manifest.files = {p.relative_to(staging).as_posix(): file_digest(p) for p in _all_files(staging)}
    (staging / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1, ensure_ascii=False), encoding="utf-8")


def publish(index_dir: Path, staging: Path) -> str:
    """Make the staged generation the current one, atomically; returns its name."""
    pause_point("staged")
    _fsync_tree(staging)
    final = index_dir / GENERATIONS / _generation_name()
    while final.exists():  # same nanosecond: cannot happen under the writer lock, but be sure
        final = index_dir / GENERATIONS / _generation_name()
    name = final.name
    os.replace(staging, final)
    _fsync_dir(index_dir / GENERATIONS)
    pause_point("publish")
    pointer = index_dir / f".{CURRENT}.tmp"
    with pointer.open("w", encoding="utf-8") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pointer, index_dir / CURRENT)
    _fsync_dir(index_dir)
    return name


def _generation_name() -> str:
    now = time.time_ns()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 10**9))
    return f"{stamp}.{now % 10**9:09d}-{os.getpid()}"


def prune(index_dir: Path, keep: int = 2) -> None:
    """Remove what a crashed writer left and all but the newest ``keep`` generations.

    Only the writer (holding ``writer_lock``) calls this. Left by a crash: ``.staging-*``
    folders and generations that sort after CURRENT (renamed into place, never made current,
    so never read). The current generation always stays, and so does the one before it,
    which a reader may still be answering from.
    """
    generations = index_dir / GENERATIONS
    if not generations.is_dir():
        return
    try:
        current = current_generation(index_dir).name
    except NoIndex:
        current = ""  # nothing was ever published: every generation here is a leftover
    except IndexDamaged:
        return  # leave a damaged index as it is for the user (`--rebuild` replaces CURRENT)
    for stale in generations.glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
    (index_dir / f".{CURRENT}.tmp").unlink(missing_ok=True)
    published = sorted((p for p in generations.iterdir() if not p.name.startswith(".")), reverse=True)
    never_current = [p for p in published if p.name > current]
    older = [p for p in published if p.name < current]
    for old in never_current + older[keep - 1 :]:
        shutil.rmtree(old, ignore_errors=True)


class IndexBusy(IndexError_):
    pass


class IndexUnwritable(IndexError_):
    pass


def writer_lock(index_dir: Path, wait: bool = False):
    """The one-writer lock: a second `rawi index` fails at once (or waits, if asked)."""
    from filelock import FileLock, Timeout

    try:
        create_index_dir(index_dir)
        lock = FileLock(str(index_dir / "lock"), timeout=0)
        lock.acquire()
    except Timeout:  # before OSError: filelock's Timeout is a TimeoutError, hence an OSError
        if not wait:
            raise IndexBusy(
                f"another `rawi index` is updating {index_dir}; wait for it or pass --wait"
            ) from None
        log.warning("another `rawi index` is updating %s; waiting for it", index_dir)
    except OSError as exc:  # a read-only mount, no permission, `dir` naming a file
        raise IndexUnwritable(
            f"cannot write in the index folder {index_dir} ({exc.strerror or exc}): "
            "make it writable, or point [index] dir / --index elsewhere"
        ) from None
    else:
        return lock
    lock.acquire(timeout=-1)
    return lock
