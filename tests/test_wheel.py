"""rawi as a user installs it: the wheel built from this tree, installed non-editable into a fresh
virtual environment, answering the seed question from a folder outside the clone.

The fresh environment reuses the test environment's installed dependencies (a ``.pth`` line that
puts its site-packages on the path, without running its ``.pth`` files, so the editable install of
this tree is not seen): only rawi itself comes from the wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import MODEL_CACHE, ROOT, SEEDS

pytestmark = pytest.mark.slow  # the installed `rawi` loads the real encoder


def _run(args: list, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    # Nothing of this tree on the path: PYTHONPATH (a worktree's) would shadow the installed copy.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RAWI_CONFIG")}
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding the wheel of this tree; returns its bin/ folder."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"  # a copy, so the build leaves nothing (build/, *.egg-info) in the clone
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".cache", ".git", "var", "build", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "eval"))
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                  "-w", base / "dist", source], cwd=base)
    assert built.returncode == 0, built.stderr
    (wheel,) = (base / "dist").glob("rawi-*.whl")
    venv = base / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=base)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=base)
    Path(site.stdout.strip(), "_rawi_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q",
                      wheel], cwd=base)
    assert installed.returncode == 0, installed.stderr
    return venv / "bin"


def test_the_wheel_holds_every_subpackage(installed, tmp_path):
    probe = _run([installed / "python", "-c",
                  "import index, index.store.local, index.formats.html, bot.app, rawi.cli; print(index.__file__)"],
                 cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr
    assert Path(probe.stdout.strip()).is_relative_to(installed.parent), probe.stdout  # not this tree's copy


def test_the_installed_rawi_answers_the_seed_question_from_another_folder(installed, tmp_path):
    shutil.copytree(SEEDS, tmp_path / "articles")
    (tmp_path / "config.toml").write_text(
        f'[corpus]\ndir = "articles"\n[index]\ndir = "index"\n[encoder]\ncache_dir = "{MODEL_CACHE}"\n',
        encoding="utf-8")
    indexed = _run([installed / "rawi", "index"], cwd=tmp_path)
    assert indexed.returncode == 0, indexed.stderr
    asked = _run([installed / "rawi", "ask", "--json", "How many containers of ammunition did North Korea send to Russia?"], cwd=tmp_path)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["answered"]
    assert any("20 ألف حاوية" in p["text"] for p in answer["passages"])
    assert all(p["article"].startswith("000_") for p in answer["passages"])
