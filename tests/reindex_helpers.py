"""Helpers shared by the CLI, re-indexing and watch tests: a work folder with its own config.toml,
the real `rawi` executable in a subprocess (and its clean-up), and polling with generous deadlines (never a
timed assertion: a deadline only turns a hang into a clear failure)."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from index import store
from index.store import local as local_store
from index.settings import StoreSettings
from tests.launch import Launch
from tests.conftest import MODEL_CACHE, SEEDS, make_settings

RAWI = Path(sys.executable).parent / "rawi"
SEED_ID = "000_7bfe1c75e114bc62.txt"
SEED_QUESTION = "How many containers of ammunition did North Korea send to Russia?"
SEED_ANSWER = "20 ألف حاوية"

LIBRARY_ID = "floating-library.txt"
LIBRARY = (
    "A floating library opens on Lake Varna\n\n"
    "The floating library on Lake Varna opened on Monday with 4,512 books, most of them donated by "
    "fishermen's families. The barge that carries it was built in the old shipyard of Balchik.\n\n"
    "The librarian, Elena Petrova, said the library will moor at a different village every week."
)
LIBRARY_QUESTION = "How many books does the floating library on Lake Varna hold?"
LIBRARY_ANSWER = "4,512"


BACKENDS = ("local", "milvus")  # [store] backend: the tests that make sense for a server store run on both
MILVUS_FILE = "milvus.db"  # the Milvus Lite file of a work folder on the milvus backend


def make_workdir(base: Path, debounce: float | None = None, backend: str = "local") -> Path:
    """base/config.toml naming base/corpus (a copy of seeds/) and base/index (or, on the milvus
    backend, the Milvus Lite file base/milvus.db)."""
    shutil.copytree(SEEDS, base / "corpus")
    config = f'[corpus]\ndir = "corpus"\n[index]\ndir = "index"\n[encoder]\ncache_dir = "{MODEL_CACHE}"\n'
    if debounce is not None:
        config += f"[watch]\ndebounce_seconds = {debounce}\n"
    if backend != "local":
        config += f'[store]\nbackend = "{backend}"\nuri = "{MILVUS_FILE}"\n'
    (base / "config.toml").write_text(config, encoding="utf-8")
    return base


def settings_of(workdir: Path):
    settings = make_settings(workdir / "corpus", workdir / "index")
    config = workdir / "config.toml"
    if config.is_file() and "[store]" in config.read_text(encoding="utf-8"):
        settings = replace(settings, store=StoreSettings(backend="milvus", uri=str(workdir / MILVUS_FILE)))
    return settings


@contextmanager
def opened(workdir: Path, encoder: str | None = None):
    """The work folder's backend, opened in this process and let go after: Milvus Lite serves one
    process at a time, so a `rawi` process run next can open the file."""
    settings = settings_of(workdir)
    backend = store.open_backend(settings, encoder)
    try:
        yield backend
    finally:
        let_go(settings)


def let_go(settings) -> None:
    if settings.store.backend == "milvus":
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(settings.store.uri)


def published(workdir: Path) -> str | None:
    """The published generation's name (None: no index)."""
    with opened(workdir) as backend:
        try:
            return backend.generation()
        except store.NoIndex:
            return None


def store_leftovers(workdir: Path) -> dict:
    """What a work folder's store holds besides the published generation: "staging" (a local
    writer's unfinished folders; on Milvus there are none) and "generations" (every generation
    whose collections or folder exist, the published one included)."""
    settings = settings_of(workdir)
    if settings.store.backend == "local":
        left = leftovers(settings.index_dir)
        return {"staging": left["staging"], "generations": left["published"]}
    from index.store.milvus import schema as milvus_schema

    with opened(workdir) as backend:
        found = {p[0] for c in backend.client.list_collections() if (p := milvus_schema.parse_collection("rawi", c))}
    return {"staging": [], "generations": sorted(found)}


@pytest.fixture(params=BACKENDS)
def store_backend(request) -> str:
    return request.param


@pytest.fixture
def indexed_store_workdir(tmp_path, encoder, store_backend) -> Path:
    """indexed_workdir on each backend (``store_backend``)."""
    from index.build import Builder

    work = make_workdir(tmp_path, backend=store_backend)
    settings = settings_of(work)
    try:
        Builder(settings, encoder).run()
    finally:
        let_go(settings)
    return work


@pytest.fixture
def indexed_workdir(tmp_path, encoder) -> Path:
    """A work folder whose index of the seeds is built (in-process, by the session's encoder)."""
    from index.build import Builder

    work = make_workdir(tmp_path)
    Builder(settings_of(work), encoder).run()
    return work


def env(**extra: str) -> dict:
    values = {k: v for k, v in os.environ.items() if k not in ("RAWI_CONFIG", "RAWI_TEST_PAUSE_AT", "RAWI_TEST_PAUSE_FILE")}
    values.update(extra)
    return values


def rawi(*args: str, cwd: Path, stdin: str | None = None, timeout: float = 300, **extra_env: str):
    """The real `rawi` executable run to its end in `cwd` (its config.toml), without the caller's RAWI_* variables."""
    return subprocess.run(
        [str(RAWI), *args], cwd=cwd, input=stdin, capture_output=True, text=True, env=env(**extra_env), timeout=timeout
    )


def popen(*args: str, cwd: Path, stdin=None, launch: Launch = Launch(), **extra_env: str) -> subprocess.Popen:
    """The real `rawi` executable started in `cwd`, its stdout and stderr piped as text; ``reap`` it after."""
    return subprocess.Popen(
        launch.command([RAWI, *args]), cwd=cwd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env(**extra_env),
    )


def reap(*processes: subprocess.Popen | None) -> None:
    """Kill and wait for each process still running (for a ``finally:``: a failed test leaves none behind)."""
    for process in processes:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def wait_for(condition, what: str, timeout: float = 300, process: subprocess.Popen | None = None):
    """Poll until condition() is truthy; fail clearly (never hang) if it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise AssertionError(f"process exited ({process.returncode}) before {what}: {process.stderr.read()}")
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def current_name(index_dir: Path) -> str | None:
    try:
        return (index_dir / local_store.CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None


def leftovers(index_dir: Path) -> dict:
    generations = index_dir / local_store.GENERATIONS
    names = sorted(p.name for p in generations.iterdir()) if generations.is_dir() else []
    return {
        "staging": [n for n in names if n.startswith(".staging-")],
        "published": [n for n in names if not n.startswith(".")],
    }


class Lines:
    """Reads a subprocess's stdout line by line in a thread, so a test can wait with a deadline."""

    def __init__(self, stream) -> None:
        self._queue: queue.Queue = queue.Queue()
        self.lines: list[str] = []  # everything read so far
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)

    def next(self, timeout: float = 300) -> str:
        line = self._queue.get(timeout=timeout)
        assert line is not None, "the process closed its output"
        return line

    def until(self, wanted, timeout: float = 300) -> str:
        """The first line for which wanted(line) holds; earlier lines are dropped."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.next(timeout=max(0.1, deadline - time.monotonic()))
            if wanted(line):
                return line
