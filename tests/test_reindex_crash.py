"""`kill -9` a real `rawi index` at known points; one writer at a time. On both store backends
(``store_backend``: local files, and Milvus through an embedded Milvus Lite file).

The writer is paused at a point with the RAWI_TEST_PAUSE_AT hook (see ``store.pause.pause_point``),
killed there, and then: the previous index is whole and answers (`rawi ask --json`), and a
rerun, with no flag, completes with every article present and clears what the killed writer
left (staging folders, or collections, of a generation never made current; its lock died with it).
"""

import json
import signal

import pytest

from index import store
from index.store.pause import PAUSE_POINTS
from tests.reindex_helpers import (  # noqa: F401  (indexed_store_workdir, store_backend: fixtures)
    indexed_store_workdir, store_backend,
    LIBRARY, LIBRARY_ANSWER, LIBRARY_ID, LIBRARY_QUESTION, SEED_ANSWER, SEED_ID, SEED_QUESTION, Lines,
    last_json, make_workdir, opened, popen, published, rawi, reap, store_leftovers, wait_for,
)


@pytest.fixture
def workdir(indexed_store_workdir):  # noqa: F811  (the fixture, under the name these tests use)
    return indexed_store_workdir


def lock_of(work):
    """The writer's lock file: in the index folder, or next to the Milvus Lite file."""
    return work / "index" / "lock" if (work / "index").is_dir() else work / ".milvus.db.lock"


def pause_and_kill(work, point):
    """Run `rawi index --json`, wait until it pauses at `point`, kill -9 it."""
    marker = work / f"paused-at-{point}"
    proc = popen("index", "--json", cwd=work, RAWI_TEST_PAUSE_AT=point, RAWI_TEST_PAUSE_FILE=str(marker))
    try:
        wait_for(marker.exists, f"`rawi index` to pause at {point}", process=proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    return marker


@pytest.mark.parametrize("point", PAUSE_POINTS)
def test_kill_9_leaves_the_old_index_answering_and_a_rerun_completes(workdir, point):
    before = published(workdir)
    local = (workdir / "index").is_dir()
    (workdir / "corpus" / LIBRARY_ID).write_text(LIBRARY, encoding="utf-8")

    pause_and_kill(workdir, point)

    # the killed writer left something behind, right where it was killed...
    left = store_leftovers(workdir)
    if point == "publish":
        assert left["staging"] == [] and len(left["generations"]) == 2  # complete, never current
    elif local:
        assert len(left["staging"]) == 1
    else:  # a Milvus writer writes nothing before it finishes; then collections without a manifest
        assert len(left["generations"]) == (1 if point == "embedding" else 2)
    assert lock_of(workdir).exists()
    # ...but the published index is the old one, whole, and answers
    assert published(workdir) == before
    with opened(workdir) as backend:
        snap = backend.open_reader()
        assert snap.article(LIBRARY_ID) is None and snap.article(SEED_ID) is not None
    asked = rawi("ask", "--json", SEED_QUESTION, cwd=workdir)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["answered"] and SEED_ANSWER in answer["passages"][0]["text"]

    # a plain rerun (no --wait, no cleanup by hand) completes with every article present
    rerun = rawi("index", "--json", cwd=workdir)
    assert rerun.returncode == 0, rerun.stderr
    stats = last_json(rerun.stdout)
    assert (stats["articles"], stats["added"], stats["unchanged"], stats["skipped"]) == (2, 1, 1, [])
    assert published(workdir) != before
    with opened(workdir) as backend:
        snap = backend.open_reader()
        assert {snap.article(SEED_ID).id, snap.article(LIBRARY_ID).id} == {SEED_ID, LIBRARY_ID}
    left = store_leftovers(workdir)
    assert left["staging"] == [] and published(workdir) in left["generations"]
    assert len(left["generations"]) == 2  # the new one and the one before it; the orphan is gone
    assert before in left["generations"]
    asked = rawi("ask", "--json", LIBRARY_QUESTION, cwd=workdir)
    assert asked.returncode == 0, asked.stderr
    assert LIBRARY_ANSWER in json.loads(asked.stdout)["passages"][0]["text"]


@pytest.mark.slow  # `rawi index` loads the real model
def test_kill_9_during_the_first_publish_leaves_no_index_and_a_rerun_builds_it(tmp_path, store_backend):  # noqa: F811
    work = make_workdir(tmp_path, backend=store_backend)
    pause_and_kill(work, "publish")
    assert published(work) is None and len(store_leftovers(work)["generations"]) == 1
    with opened(work) as backend, pytest.raises(store.NoIndex, match="run `rawi index`"):
        backend.open_reader()
    rerun = rawi("index", "--json", cwd=work)
    assert rerun.returncode == 0, rerun.stderr
    assert last_json(rerun.stdout)["articles"] == 1
    assert store_leftovers(work) == {"staging": [], "generations": [published(work)]}


def test_a_second_writer_fails_at_once_with_one_line_and_wait_waits(workdir):
    (workdir / "corpus" / LIBRARY_ID).write_text(LIBRARY, encoding="utf-8")
    marker = workdir / "paused"
    first = popen("index", "--json", cwd=workdir, RAWI_TEST_PAUSE_AT="embedding", RAWI_TEST_PAUSE_FILE=str(marker))
    waiting = None
    try:
        wait_for(marker.exists, "the first `rawi index` to hold the lock mid-build", process=first)

        second = rawi("index", "--json", cwd=workdir, timeout=120)
        assert second.returncode == 1 and json.loads(second.stdout) == {"error": second.stderr.strip().removeprefix("Error: ")}
        assert second.stderr.count("\n") == 1
        assert "another `rawi index` is updating" in second.stderr and "--wait" in second.stderr

        waiting = popen("index", "--json", "--wait", cwd=workdir)
        said = Lines(waiting.stderr)
        said.until(lambda line: "waiting for it" in line)  # it reached the lock and waits...
        assert waiting.poll() is None
        marker.unlink()  # ...until the first one carries on and finishes
        out, err = first.communicate(timeout=300)
        assert first.returncode == 0, err
        assert last_json(out)["added"] == 1
        out = waiting.stdout.read()
        assert waiting.wait(timeout=300) == 0
        # it ran after the first one, from the index the first one published: no interleaving
        stats = last_json(out)
        assert (stats["added"], stats["unchanged"], stats["articles"], stats["chunks_embedded"]) == (0, 2, 2, 0)
    finally:
        reap(first, waiting)
