"""The local store's copy sketches in SQLite: each article's MinHash and its band keys, and the
copy groups recomputed from them (the MinHash and the grouping rule: ``index/duplicates.py``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import numpy as np

from ...duplicates import _copies, band_keys, signature

TABLES = """
CREATE TABLE IF NOT EXISTS sketches (article_id TEXT PRIMARY KEY, signature BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS sketch_bands (band INTEGER NOT NULL, key INTEGER NOT NULL, article_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sketch_bands_by_key ON sketch_bands(band, key);
CREATE INDEX IF NOT EXISTS sketch_bands_by_article ON sketch_bands(article_id);
"""


def add(db: sqlite3.Connection, articles: Iterable[tuple[str, str]]) -> None:
    """Store the sketches and band keys of these (article id, text)."""
    store(db, {article_id: signature(text) for article_id, text in articles})


def store(db: sqlite3.Connection, signatures: dict[str, np.ndarray]) -> None:
    """Store these articles' sketches (``signature``) and their band keys."""
    sketches, bands = [], []
    for article_id, sig in signatures.items():
        sketches.append((article_id, sig.tobytes()))
        bands += [(b, key, article_id) for b, key in enumerate(band_keys(sig))]
    db.executemany("INSERT OR REPLACE INTO sketches VALUES (?, ?)", sketches)
    db.executemany("INSERT INTO sketch_bands VALUES (?, ?, ?)", bands)


def remove(db: sqlite3.Connection, article_ids: list[str]) -> None:
    db.executemany("DELETE FROM sketches WHERE article_id = ?", [(i,) for i in article_ids])
    db.executemany("DELETE FROM sketch_bands WHERE article_id = ?", [(i,) for i in article_ids])


def regroup(db: sqlite3.Connection) -> int:
    """Recompute every article's ``group_id`` from the stored sketches; returns the number of
    groups of two or more. Candidates come from shared band keys, and are confirmed by their
    estimated similarity."""
    pairs = db.execute(
        "SELECT DISTINCT a.article_id, b.article_id FROM sketch_bands a JOIN sketch_bands b "
        "ON a.band = b.band AND a.key = b.key AND a.article_id < b.article_id"
    ).fetchall()
    sigs = _signatures(db, sorted({i for pair in pairs for i in pair})) if pairs else {}

    def text_of(article_id: str) -> str:
        row = db.execute("SELECT text FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row[0] if row else ""

    groups = _copies(pairs, sigs, text_of)
    wanted = {article_id: _earliest(db, group) for group in groups for article_id in group}
    current = dict(db.execute("SELECT id, group_id FROM articles WHERE group_id <> ''").fetchall())
    changes = [(g, i) for i, g in wanted.items() if current.get(i) != g]
    changes += [("", i) for i in current if i not in wanted]
    db.executemany("UPDATE articles SET group_id = ? WHERE id = ?", changes)
    return len(groups)


def _signatures(db: sqlite3.Connection, ids: list[str]) -> dict[str, np.ndarray]:
    found: dict[str, np.ndarray] = {}
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        sql = f"SELECT article_id, signature FROM sketches WHERE article_id IN ({','.join('?' * len(part))})"
        found |= {i: np.frombuffer(blob, dtype=np.uint64) for i, blob in db.execute(sql, part)}
    return found


def _earliest(db: sqlite3.Connection, group: list[str]) -> str:
    """The member published first (undated ones last; then by id, for a stable choice)."""
    marks = ",".join("?" * len(group))
    sql = f"SELECT id FROM articles WHERE id IN ({marks}) ORDER BY published_at = '', published_at, id LIMIT 1"
    return db.execute(sql, group).fetchone()[0]
