"""The writer never publishes what its reader refuses, and never fails with a traceback.

Item 2 of issue 17: every manifest field is checked on open (a wrong `next_chunk_id` used to
pass the reader, then poison the next generation the writer built on it), and a staged
generation goes through the reader's own checks before it is published. Item 12: an index
folder that cannot be written is one line, not an OSError traceback.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from index import store
from index.store import local as local_store
from index.build import Builder, BuildError
from tests.conftest import ROOT, SEEDS
from tests.unprivileged import AS_NOBODY, SYSTEM_PYTHON, needs_nobody
from tests.reindex_helpers import LIBRARY, LIBRARY_ID, RAWI, SEED_ID, make_workdir, settings_of

SMALL = "A short note\n\nThe harbour of Varna reopened on Monday after the storm.\n"


@pytest.fixture
def small(tmp_path, encoder) -> Path:
    """A work folder with one short article, indexed."""
    work = tmp_path / "work"
    (work / "corpus").mkdir(parents=True)
    (work / "corpus" / "note.txt").write_text(SMALL, encoding="utf-8")
    Builder(settings_of(work), encoder).run()
    return work


def edit_manifest(work: Path, **values) -> Path:
    generation = local_store.current_generation(work / "index")
    path = generation / local_store.MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(values)
    path.write_text(json.dumps(manifest), encoding="utf-8")
    return generation


@pytest.mark.parametrize("value", [-5, 2**62, "7", None, True, 1.5, 0], ids=repr)
def test_a_wrong_next_chunk_id_is_refused_by_reader_and_writer(small, encoder, value):
    generation = edit_manifest(small, next_chunk_id=value)
    with pytest.raises(store.IndexDamaged, match="next_chunk_id"):
        local_store.open_snapshot(small / "index")
    (small / "corpus" / LIBRARY_ID).write_text(LIBRARY, encoding="utf-8")
    with pytest.raises(BuildError, match="damaged"):
        Builder(settings_of(small), encoder).run()
    assert local_store.current_generation(small / "index") == generation  # nothing published on top of it
    stats = Builder(settings_of(small), encoder).run(rebuild=True)  # the way out the message names
    assert stats.articles == 2
    local_store.open_snapshot(small / "index").close()


@pytest.mark.parametrize("field, value", [
    ("chunks", -1), ("articles", "1"), ("dimension", 0), ("sentences", None), ("built_at", "now"),
    ("encoder", 5), ("index", []), ("chunking", None), ("format_version", "2"),
])
def test_every_manifest_field_is_checked_on_open(small, field, value):
    edit_manifest(small, **{field: value})
    with pytest.raises(store.IndexDamaged, match=field):
        local_store.open_snapshot(small / "index")


def test_a_stored_chunk_id_past_next_chunk_id_is_damage(small, encoder):
    """Ids are never reused: after an edit they reach past the count, and a next_chunk_id that fits
    the count but not the ids would make the writer give a new passage an id already taken."""
    (small / "corpus" / "note.txt").write_text(SMALL.replace("Monday", "Tuesday"), encoding="utf-8")
    Builder(settings_of(small), encoder).run()
    snapshot = local_store.open_snapshot(small / "index")
    chunks = snapshot.manifest.chunks
    snapshot.close()
    edit_manifest(small, next_chunk_id=chunks)
    with pytest.raises(store.IndexDamaged, match="chunk ids"):
        local_store.open_snapshot(small / "index")


def test_a_staged_generation_the_reader_refuses_is_not_published(small, encoder, monkeypatch):
    """Whatever the cause (here: a writer bug that miscounts the articles), the check before publish holds."""
    before = local_store.current_generation(small / "index")
    real = local_store.write_manifest

    def miscounting(staging, manifest):
        manifest.articles += 1
        real(staging, manifest)

    monkeypatch.setattr(local_store.writer, "write_manifest", miscounting)
    (small / "corpus" / LIBRARY_ID).write_text(LIBRARY, encoding="utf-8")
    with pytest.raises(BuildError, match="failed the reader's checks.*nothing was published"):
        Builder(settings_of(small), encoder).run()
    assert local_store.current_generation(small / "index") == before
    assert not list((small / "index" / local_store.GENERATIONS).glob(".staging-*"))
    monkeypatch.undo()
    assert Builder(settings_of(small), encoder).run().added == 1


# ------------------------------------------------------------------ item 12: an index folder that cannot be written


def run_index(work: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(RAWI), "--config", str(work / "config.toml"), "index", *args],
                          capture_output=True, text=True, timeout=600, **kwargs)


def assert_one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("where", ["a file", "below a file"])
def test_an_index_folder_that_is_a_file_is_one_line(tmp_path, where):
    work = make_workdir(tmp_path / "work")
    (work / "blocker").write_text("not a folder", encoding="utf-8")
    target = work / "blocker" if where == "a file" else work / "blocker" / "index"
    result = run_index(work, "--index", str(target))
    assert_one_line_error(result, "cannot write in the index folder", str(target))
    assert (work / "blocker").read_text(encoding="utf-8") == "not a folder"


@needs_nobody
def test_an_index_folder_the_user_cannot_write_is_one_line_even_with_nothing_to_do(tmp_path, encoder):
    """Root writes anywhere: the real refusal comes from running `rawi index` as nobody (the
    project's interpreter lives under /root, so the system python3 runs the same code)."""
    base = Path(tempfile.mkdtemp(prefix="rawi-ro-", dir="/tmp"))
    try:
        work = make_workdir(base / "work")
        Builder(settings_of(work), encoder).run()  # indexed by root: nothing changed since
        for path in [base, *base.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        site = next((ROOT / ".venv" / "lib").glob("python3*/site-packages"))

        result = subprocess.run(
            AS_NOBODY.command([SYSTEM_PYTHON, "-c", "from rawi.cli import main; main()", "--config", work / "config.toml",
                               "index"]),
            cwd=ROOT, capture_output=True, text=True, timeout=600,
            env={"PYTHONPATH": f"{ROOT}:{site}", "HOME": str(base), "PATH": "/usr/bin:/bin"},
        )
        assert_one_line_error(result, "cannot write in the index folder", "Permission denied")
        assert (work / "corpus" / SEED_ID).read_bytes() == (SEEDS / SEED_ID).read_bytes()
    finally:
        shutil.rmtree(base)
