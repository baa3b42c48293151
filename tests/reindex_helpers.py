"""Helpers shared by the re-indexing and watch tests: a work folder with its own config.toml,
the real `rawi` executable in a subprocess, and polling with generous deadlines (never a
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
from pathlib import Path

import pytest

from index import store
from tests.conftest import MODEL_CACHE, SEEDS, make_settings

RAWI = Path(sys.executable).parent / "rawi"
SEED_ID = "000_7bfe1c75e114bc62.txt"
SEED_QUESTION = "How many containers did the DPRK send?"
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


def make_workdir(base: Path, debounce: float | None = None) -> Path:
    """base/config.toml naming base/corpus (a copy of seeds/) and base/index."""
    shutil.copytree(SEEDS, base / "corpus")
    config = f'[corpus]\ndir = "corpus"\n[index]\ndir = "index"\n[encoder]\ncache_dir = "{MODEL_CACHE}"\n'
    if debounce is not None:
        config += f"[watch]\ndebounce_seconds = {debounce}\n"
    (base / "config.toml").write_text(config, encoding="utf-8")
    return base


def settings_of(workdir: Path):
    return make_settings(workdir / "corpus", workdir / "index")


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
    return subprocess.run(
        [str(RAWI), *args], cwd=cwd, input=stdin, capture_output=True, text=True, env=env(**extra_env), timeout=timeout
    )


def popen(*args: str, cwd: Path, stdin=None, preexec_fn=None, **extra_env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(RAWI), *args], cwd=cwd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env(**extra_env), preexec_fn=preexec_fn,
    )


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
        return (index_dir / store.CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None


def leftovers(index_dir: Path) -> dict:
    generations = index_dir / store.GENERATIONS
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
