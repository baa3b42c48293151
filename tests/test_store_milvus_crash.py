"""`kill -9` a Milvus writer process at the crash-test points, on an embedded Milvus Lite file
(the killed process owned it: the engine recovers from its write-ahead log) and on a Milvus
server (a `milvus-lite server` process: the killed writer was one client of it). The old
generation stays published and answers; a rerun completes with every article and drops what the
killed writer left. On a server a reader in another process answers from the old generation
while a writer is paused just before its alias switch, and from the new one right after it.

The writer is ``tests/milvus_helpers.py`` run as a process: the store contract driven as the
build step drives it, with the stand-in encoder (the real `rawi index` is killed the same way in
tests/test_reindex_crash.py)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.store.milvus import schema as milvus_schema
from index.store.pause import PAUSE_POINTS
from tests.milvus_helpers import ARTICLES, backend_for
from tests.reindex_helpers import env, reap, wait_for

pytestmark = pytest.mark.slow  # writer processes, each importing pymilvus and building (80 s in all)

NEW = {"new/library.txt": ("AP", "2025-08-01", "en",
                           "Library opens\n\nThe floating library on Lake Varna opened with 4,512 books.")}


def writer(uri: str, added: dict, folder: Path, pause: str | None = None) -> subprocess.Popen:
    spec = folder / f"add-{time.time_ns()}.json"
    spec.write_text(json.dumps(added), encoding="utf-8")
    extra = {"RAWI_TEST_PAUSE_AT": pause, "RAWI_TEST_PAUSE_FILE": str(folder / "paused")} if pause else {}
    return subprocess.Popen([sys.executable, "-m", "tests.milvus_helpers", uri, str(spec)], cwd=Path(__file__).parent.parent,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(**extra))


def finished(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return out.strip()


def pause_and_kill(uri: str, folder: Path, point: str) -> None:
    proc = writer(uri, NEW, folder, point)
    try:
        wait_for((folder / "paused").exists, f"the writer to pause at {point}", process=proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    (folder / "paused").unlink(missing_ok=True)


def generations(backend) -> set[str]:
    return {p[0] for c in backend.client.list_collections() if (p := milvus_schema.parse_collection("rawi", c))}


def release(uri: str) -> None:
    """This process lets go of a Milvus Lite file (Milvus Lite serves one process at a time)."""
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(uri)


def check_old_answers(backend, before: str) -> None:
    reader = backend.open_reader()
    assert reader.generation == before == backend.generation()
    assert reader.article("new/library.txt") is None and set(reader.article_hashes()) == set(ARTICLES)
    hits = reader.lexical_search("Nampo containers", 3)
    assert hits and "20,000 containers" in reader.chunks([hits[0][0]])[hits[0][0]].text


def check_rerun(backend, before: str) -> None:
    reader = backend.open_reader()
    assert reader.generation != before and set(reader.article_hashes()) == set(ARTICLES) | set(NEW)
    assert generations(backend) == {before, reader.generation}  # the orphan is gone, the one before kept
    hits = reader.lexical_search("floating library books", 3)
    assert "4,512" in reader.chunks([hits[0][0]])[hits[0][0]].text


@pytest.mark.parametrize("point", PAUSE_POINTS)
def test_kill_9_of_an_embedded_milvus_lite_writer_loses_nothing(tmp_path, point):
    uri = str(tmp_path / "milvus.db")
    first = finished(writer(uri, ARTICLES, tmp_path))
    pause_and_kill(uri, tmp_path, point)
    backend = backend_for(tmp_path)
    try:
        check_old_answers(backend, first)
        left = generations(backend) - {first}
        assert len(left) == (0 if point == "embedding" else 1)  # the killed writer's collections, never published
    finally:
        backend.close()
        release(uri)
    finished(writer(uri, NEW, tmp_path))
    backend = backend_for(tmp_path)
    try:
        check_rerun(backend, first)
    finally:
        backend.close()
        release(uri)


@pytest.fixture
def server(tmp_path):
    """A Milvus server on loopback: `milvus-lite server`, speaking Milvus's gRPC protocol."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "milvus-lite"), "server", "--data-dir", str(tmp_path / "server-data"),
         "--host", "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )

    def listening() -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    try:
        wait_for(listening, "milvus-lite server to listen", process=proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()


def test_on_a_server_readers_answer_from_the_old_generation_until_the_switch(tmp_path, server):
    first = finished(writer(server, ARTICLES, tmp_path))
    reader_side = backend_for(tmp_path, uri=server)
    held = reader_side.open_reader()  # a long-running reader (a bot) holding the published generation
    proc = writer(server, NEW, tmp_path, "publish")
    try:
        wait_for((tmp_path / "paused").exists, "the writer to pause before its alias switch", process=proc)
        check_old_answers(reader_side, first)  # everything written, nothing switched
        (tmp_path / "paused").unlink()
        second = finished(proc)
    finally:
        reap(proc)
    assert reader_side.generation() == second != first
    assert held.article("aljazeera/market.txt") is not None  # the old generation still answers a question under way
    assert reader_side.open_reader().article("new/library.txt") is not None


def test_kill_9_of_a_writer_on_a_server_before_the_switch_loses_nothing(tmp_path, server):
    first = finished(writer(server, ARTICLES, tmp_path))
    pause_and_kill(server, tmp_path, "publish")
    backend = backend_for(tmp_path, uri=server)
    check_old_answers(backend, first)
    finished(writer(server, NEW, tmp_path))
    check_rerun(backend, first)


def test_the_real_rawi_refuses_a_damaged_milvus_index_in_one_line_and_rebuild_repairs(tmp_path):
    from tests.reindex_helpers import SEED_ANSWER, SEED_QUESTION, make_workdir, opened, rawi

    work = make_workdir(tmp_path, backend="milvus")
    assert rawi("index", cwd=work).returncode == 0
    with opened(work) as backend:
        backend.client.drop_collection(milvus_schema.collection("rawi", backend.generation(), "sentences"))
    for args in (("ask", SEED_QUESTION), ("index",)):
        result = rawi(*args, cwd=work)
        assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
        assert "is damaged (generation" in result.stderr and "rawi index --rebuild" in result.stderr
    assert rawi("index", "--rebuild", cwd=work).returncode == 0
    asked = rawi("ask", "--json", SEED_QUESTION, cwd=work)
    assert asked.returncode == 0 and SEED_ANSWER in json.loads(asked.stdout)["passages"][0]["text"]
