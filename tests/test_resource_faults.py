"""The disk fills during a real `rawi index`: simulated with a file-size limit (RLIMIT_FSIZE, set in
the subprocess before it starts, with SIGXFSZ ignored so that a write past the limit fails with
EFBIG, as a full disk fails one with ENOSPC).

The limit is placed so that the write fails at different points of a build: copying the rows
of the published index, inserting the new article's rows into SQLite, writing the FAISS vectors.
Every time: exit 1, one line on standard error that says what happened and that the published
index is unchanged, no traceback, nothing left in the index folder, the old index whole and
answering, and a rerun without the limit completes.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from index.store import local as local_store
from index.build import Builder
from tests.launch import Launch
from tests.reindex_helpers import (
    LIBRARY_ID, RAWI, SEED_ANSWER, SEED_ID, SEED_QUESTION, current_name, env, leftovers, make_workdir,
    settings_of,
)
from index.service import open_answerer
from rawi.config import load as load_config

SENTENCE = "The floating library on Lake Varna moors at a new village every week. "
# About 60 KB of text whose passages are all alike, so embedding it costs one or two passages.
BIG_ARTICLE = "A floating library\n\n" + "\n\n".join(SENTENCE * 6 for _ in range(140))


def rawi_index_limited(work, max_bytes: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        Launch(file_size=max_bytes).command([RAWI, "index", "--json"]), cwd=work, capture_output=True, text=True,
        env=env(), timeout=300,
    )


@pytest.fixture
def work(tmp_path, encoder):
    work = make_workdir(tmp_path)
    Builder(settings_of(work), encoder).run()
    (work / "corpus" / LIBRARY_ID).write_text(BIG_ARTICLE, encoding="utf-8")
    return work


def published_files(work) -> dict:
    generation = local_store.current_generation(work / "index")
    return {p.relative_to(generation).as_posix(): p.read_bytes() for p in generation.rglob("*") if p.is_file()}


# where the write fails -> the file-size limit, from the published rows.sqlite's size
POINTS = {
    "copying the published rows": lambda rows: rows // 2,
    "inserting the new rows": lambda rows: rows + 8192,
}


def check_refused_and_unchanged(work, result, before_name, before_files, encoder) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert json.loads(result.stdout) == {"error": result.stderr.strip().removeprefix("Error: ")}  # --json: one object
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    said = result.stderr.lower()
    assert "could not write the new index" in said and "unchanged" in said, result.stderr
    # what happened: EFBIG from Python ("File too large"), or SQLite's word for the failed write
    assert "file too large" in said or "disk i/o error" in said or "disk is full" in said, result.stderr
    index_dir = work / "index"
    assert current_name(index_dir) == before_name
    assert published_files(work) == before_files  # byte for byte
    assert leftovers(index_dir) == {"staging": [], "published": [before_name]}
    assert not (index_dir / f".{local_store.CURRENT}.tmp").exists()
    answer = open_answerer(settings_of(work), encoder).ask(SEED_QUESTION)
    assert answer.answered and SEED_ANSWER in answer.passages[0].text
    assert answer.generation == before_name


@pytest.mark.parametrize("point", POINTS)
def test_disk_full_during_rawi_index_leaves_the_old_index_whole(work, encoder, point):
    index_dir = work / "index"
    before_name, before_files = current_name(index_dir), published_files(work)
    max_bytes = POINTS[point](len(before_files[local_store.ROWS]))

    result = rawi_index_limited(work, max_bytes)
    check_refused_and_unchanged(work, result, before_name, before_files, encoder)

    stats = Builder(settings_of(work), encoder).run()  # the disk has room again
    assert (stats.added, stats.articles) == (1, 2)
    assert local_store.open_snapshot(index_dir).article(LIBRARY_ID) is not None


def test_disk_full_while_writing_the_vectors(tmp_path, encoder):
    """Tiny passages make the vectors file the biggest one: the limit lets the rows through, not it."""
    work = make_workdir(tmp_path)
    with (work / "config.toml").open("a", encoding="utf-8") as config:
        config.write("[chunks]\nmax_tokens = 24\noverlap_tokens = 0\n")
    Builder(settings_of(work), encoder).run()
    (work / "corpus" / LIBRARY_ID).write_text(BIG_ARTICLE, encoding="utf-8")
    index_dir = work / "index"
    before_name, before_files = current_name(index_dir), published_files(work)
    assert len(before_files[local_store.VECTORS]) < len(before_files[local_store.ROWS])

    result = rawi_index_limited(work, 16 * len(before_files[local_store.ROWS]))
    check_refused_and_unchanged(work, result, before_name, before_files, encoder)
    assert "vectors.faiss" in result.stderr

    stats = Builder(load_config(work / "config.toml").index, encoder).run()  # room again; same settings as rawi's
    assert (stats.added, stats.articles) == (1, 2)
    snapshot = local_store.open_snapshot(index_dir)
    assert snapshot.article(LIBRARY_ID) is not None and snapshot.article(SEED_ID) is not None
    sizes = {name: len(data) for name, data in published_files(work).items()}
    assert sizes[local_store.VECTORS] > 16 * len(before_files[local_store.ROWS])  # the limit really fell inside the vectors
