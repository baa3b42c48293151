"""The local store's rows.sqlite: articles, passages (chunks) and the copy-detection sketches.

Written by the local writer in a staging generation; read by ``Rows`` (read-only, immutable).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from . import copies
from ..contract import ArticleRow, ChunkRow, NewChunk

# rows.sqlite's own schema version (PRAGMA user_version), apart from FORMAT_VERSION (the vector
# files): 1 added each article's language, sortable publication time and copy group, which the
# builder fills in when it copies an older generation's rows (no re-embedding, no --rebuild),
# and the tables of the articles' MinHash sketches (copies.py).
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
""" + copies.TABLES



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

    def chunks(self, ids: Sequence[int]) -> dict[int, ChunkRow]:
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



@dataclass(frozen=True)
class ChunkTexts:
    """The texts of the chunks ``ids[first:stop]`` of a finished rows file (committed, no longer
    written), a range of rows at a time (``bm25_arrays.Read``), so that no process holds them all.
    Each read opens its own read-only connection: forked workers read side by side, and none
    uses a connection its parent opened."""

    path: Path
    ids: Sequence[int]  # every chunk's, ascending

    def __call__(self, first: int, stop: int) -> list[str]:
        if first >= stop:
            return []
        with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as db:
            texts = [text for (text,) in db.execute(
                "SELECT text FROM chunks WHERE id BETWEEN ? AND ? ORDER BY id", (int(self.ids[first]), int(self.ids[stop - 1]))
            )]
        if len(texts) != stop - first:
            raise sqlite3.DatabaseError(f"{len(texts)} chunk texts for {stop - first} chunk ids: {self.path}")
        return texts


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
    for statement in copies.TABLES.split(";"):
        if statement.strip():
            db.execute(statement)
    rows = db.execute("SELECT id, text, published FROM articles").fetchall()
    db.executemany("UPDATE articles SET language = ?, published_at = ? WHERE id = ?",
                   [(*fill(text, published), article_id) for article_id, text, published in rows])
    copies.add(db, [(article_id, text) for article_id, text, _ in rows])
    db.execute(f"PRAGMA user_version = {ROWS_SCHEMA}")
    return True



def insert(db: sqlite3.Connection, articles: Sequence[ArticleRow], chunks: Sequence[NewChunk]) -> None:
    now = time.time()
    db.executemany(
        "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(a.id, a.title, a.url, a.published, a.source, a.sha256, a.text, a.indexed_at or now, a.language,
          a.published_at, a.group_id) for a in articles],
    )
    db.executemany(
        "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(c.id, c.article_id, c.seq, c.start, c.end, c.text, c.text_sha) for c in chunks],
    )


def delete_articles(db: sqlite3.Connection, article_ids: Sequence[str]) -> list[tuple[int, str]]:
    """Delete the articles, their chunks and sketches; returns the (chunk id, text) removed."""
    gone: list[tuple[int, str]] = []
    for article_id in article_ids:
        gone += db.execute("SELECT id, text FROM chunks WHERE article_id = ?", (article_id,)).fetchall()
        db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
        db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
    copies.remove(db, list(article_ids))
    return gone


def chunk_with_text(db: sqlite3.Connection, sha: str) -> tuple[int, str] | None:
    """One stored chunk (id, text) whose text has this hash."""
    row = db.execute("SELECT id, text FROM chunks WHERE text_sha = ? LIMIT 1", (sha,)).fetchone()
    return (int(row[0]), row[1]) if row is not None else None
