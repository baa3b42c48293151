"""A damaged index on disk: truncated, zeroed, swapped or mismatched files, a broken manifest or
CURRENT pointer. Every time the real `rawi ask --json` refuses in one line on standard error that
names the way out (`rawi index --rebuild`), prints nothing on standard output (never a wrong
answer), and exits 1 (no traceback); an incremental `rawi index` refuses the same way; and a
rebuild makes the index answer again.

Some damage comes with a manifest "repaired" to match it (sizes and checksums recomputed), as a
careless restore or a bad copy tool could leave it: then the checks behind the checksums (FAISS,
SQLite and BM25 loading, and the count cross-check of vectors, rows and manifest) must refuse.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
from pathlib import Path

import pytest

from index import store
from index.store import local as local_store
from index.build import Builder, BuildError
from index.service import open_answerer
from tests.reindex_helpers import (
    LIBRARY, LIBRARY_ID, SEED_ANSWER, SEED_QUESTION, make_workdir, rawi, settings_of,
)

HINT = "rawi index --rebuild"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, encoder) -> Path:
    """A work folder whose index holds two generations: the seed alone (older), then seed + library."""
    work = make_workdir(tmp_path_factory.mktemp("damaged") / "work")
    Builder(settings_of(work), encoder).run()
    (work / "corpus" / LIBRARY_ID).write_text(LIBRARY, encoding="utf-8")
    Builder(settings_of(work), encoder).run()
    generations = sorted((work / "index" / local_store.GENERATIONS).iterdir())
    assert len(generations) == 2
    return work


@pytest.fixture
def work(pristine, tmp_path) -> Path:
    copy = tmp_path / "work"
    shutil.copytree(pristine, copy)
    return copy


def generations(work: Path) -> tuple[Path, Path]:
    """(the current generation, the one before it)."""
    current = local_store.current_generation(work / "index")
    older = next(p for p in (work / "index" / local_store.GENERATIONS).iterdir() if p != current)
    return current, older


def refit_manifest(generation: Path) -> None:
    """Recompute the manifest's sizes and checksums so that they match the (damaged) files."""
    manifest = json.loads((generation / local_store.MANIFEST).read_text(encoding="utf-8"))
    manifest["files"] = {
        p.relative_to(generation).as_posix(): local_store.file_digest(p) for p in sorted(p for p in generation.rglob("*") if p.is_file() and p.name != local_store.MANIFEST)
    }
    (generation / local_store.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def zero(path: Path) -> None:
    path.write_bytes(b"\0" * path.stat().st_size)


def edit_manifest(change):
    def damage(current: Path, older: Path) -> None:
        path = current / local_store.MANIFEST
        data = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(change(data)), encoding="utf-8")
    return damage


def lexical_files(generation: Path) -> list[Path]:
    return sorted(p for p in (generation / local_store.LEXICAL).iterdir() if p.is_file())


def write_current(text: bytes):
    def damage(current: Path, older: Path) -> None:
        (current.parent.parent / local_store.CURRENT).write_bytes(text)
    return damage


def swap(a: str, b: str):
    def damage(current: Path, older: Path) -> None:
        (current / a).rename(current / "swap.tmp")
        (current / b).rename(current / a)
        (current / "swap.tmp").rename(current / b)
    return damage


def _manifest_files_as(value):
    def change(data):
        data["files"] = value(data["files"])
        return data
    return change


def _sentence_count_as_in(current: Path, older: Path) -> None:
    """Give the current manifest the older generation's sentence count, so only the ids differ."""
    older_count = json.loads((older / local_store.MANIFEST).read_text(encoding="utf-8"))["sentences"]
    edit_manifest(lambda d: {**d, "sentences": older_count})(current, older)


def _with_refit(damage):
    def both(current: Path, older: Path) -> None:
        damage(current, older)
        refit_manifest(current)
    return both


# name -> damage(current generation, older generation)
DAMAGE = {
    # the files themselves (the manifest's checksums catch these)
    "vectors truncated": lambda c, o: truncate(c / local_store.VECTORS),
    "vectors zeroed": lambda c, o: zero(c / local_store.VECTORS),
    "vectors empty": lambda c, o: (c / local_store.VECTORS).write_bytes(b""),
    "vectors missing": lambda c, o: (c / local_store.VECTORS).unlink(),
    "rows truncated": lambda c, o: truncate(c / local_store.ROWS),
    "rows zeroed": lambda c, o: zero(c / local_store.ROWS),
    "lexical truncated": lambda c, o: [truncate(p) for p in lexical_files(c)],
    "lexical zeroed": lambda c, o: [zero(p) for p in lexical_files(c)],
    "lexical folder gone": lambda c, o: shutil.rmtree(c / local_store.LEXICAL),
    "vectors and rows swapped": swap(local_store.VECTORS, local_store.ROWS),
    "a file replaced by a folder": lambda c, o: ((c / local_store.VECTORS).unlink(), (c / local_store.VECTORS).mkdir()),
    # mismatched: one file of the previous generation copied in
    "vectors of the previous generation": lambda c, o: shutil.copyfile(o / local_store.VECTORS, c / local_store.VECTORS),
    "rows of the previous generation": lambda c, o: shutil.copyfile(o / local_store.ROWS, c / local_store.ROWS),
    "manifest of the previous generation": lambda c, o: shutil.copyfile(o / local_store.MANIFEST, c / local_store.MANIFEST),
    # damage behind a manifest refitted to match it
    "vectors zeroed, manifest refitted": _with_refit(lambda c, o: zero(c / local_store.VECTORS)),
    "vectors truncated, manifest refitted": _with_refit(lambda c, o: truncate(c / local_store.VECTORS)),
    "rows zeroed, manifest refitted": _with_refit(lambda c, o: zero(c / local_store.ROWS)),
    "rows truncated, manifest refitted": _with_refit(lambda c, o: truncate(c / local_store.ROWS)),
    "lexical zeroed, manifest refitted": _with_refit(lambda c, o: [zero(p) for p in lexical_files(c)]),
    "lexical truncated, manifest refitted": _with_refit(lambda c, o: [truncate(p) for p in lexical_files(c)]),
    "vectors of the previous generation, manifest refitted": _with_refit(
        lambda c, o: shutil.copyfile(o / local_store.VECTORS, c / local_store.VECTORS)),
    "rows of the previous generation, manifest refitted": _with_refit(
        lambda c, o: shutil.copyfile(o / local_store.ROWS, c / local_store.ROWS)),
    "vectors and rows swapped, manifest refitted": _with_refit(swap(local_store.VECTORS, local_store.ROWS)),
    "sentences truncated": lambda c, o: truncate(c / local_store.SENTENCES),
    "sentences zeroed, manifest refitted": _with_refit(lambda c, o: zero(c / local_store.SENTENCES)),
    "sentences of the previous generation, counts and manifest refitted": _with_refit(
        lambda c, o: (shutil.copyfile(o / local_store.SENTENCES, c / local_store.SENTENCES), _sentence_count_as_in(c, o))),
    # the manifest
    "manifest truncated": lambda c, o: truncate(c / local_store.MANIFEST),
    "manifest zeroed": lambda c, o: zero(c / local_store.MANIFEST),
    "manifest not UTF-8": lambda c, o: (c / local_store.MANIFEST).write_bytes(b"\xff\xfe{\x00"),
    "manifest missing": lambda c, o: (c / local_store.MANIFEST).unlink(),
    "manifest a list": edit_manifest(lambda d: [d]),
    "manifest a string": edit_manifest(lambda d: "manifest"),
    "manifest empty object": edit_manifest(lambda d: {}),
    "manifest without its counts": edit_manifest(lambda d: {k: v for k, v in d.items() if k != "chunks"}),
    "manifest counts of the wrong type": edit_manifest(lambda d: {**d, "chunks": "many", "articles": None}),
    "manifest dimension off": edit_manifest(lambda d: {**d, "dimension": 512}),
    "manifest chunk count off by one": edit_manifest(lambda d: {**d, "chunks": d["chunks"] + 1}),
    "manifest files a list": edit_manifest(_manifest_files_as(lambda f: list(f))),
    "manifest files empty": edit_manifest(_manifest_files_as(lambda f: {})),
    "manifest file entry a number": edit_manifest(_manifest_files_as(lambda f: {k: 5 for k in f})),
    "manifest file entry without its size": edit_manifest(_manifest_files_as(lambda f: {k: {"sha256": v["sha256"]} for k, v in f.items()})),
    "manifest names a file outside the index": edit_manifest(_manifest_files_as(lambda f: {**f, "../../../../etc/hostname": {"bytes": 1, "sha256": "0"}})),
    "manifest format from the future": edit_manifest(lambda d: {**d, "format_version": 99}),
    "manifest language means a list": edit_manifest(lambda d: {**d, "languages": [1, 2]}),
    "manifest language sum of the wrong length": edit_manifest(
        lambda d: {**d, "languages": {"passages": {"ar": {"passages": 3, "sum": [0.5] * 7}}, "reference": None}}),
    "manifest language count not a count": edit_manifest(lambda d: {**d, "languages": {
        "passages": {"ar": {"passages": "many", "sum": [0.5] * d["dimension"]}}, "reference": None}}),
    "manifest language reference of the wrong length": edit_manifest(
        lambda d: {**d, "languages": {**d["languages"], "reference": [0.1] * 5}}),
    # the CURRENT pointer
    "CURRENT empty": write_current(b""),
    "CURRENT zeroed": write_current(b"\0" * 40),
    "CURRENT garbage bytes": write_current(b"\xff\xfe\x80garbage\n"),
    "CURRENT names a missing generation": write_current(b"20990101T000000.000000000-1\n"),
    "CURRENT climbs out": write_current(b"../../../etc\n"),
    "generation folder gone": lambda c, o: shutil.rmtree(c),
}


def assert_one_line_refusal(result) -> None:
    """`result`: a CompletedProcess, or click's Result for the same CLI run in-process."""
    stderr = result.stderr
    code = getattr(result, "returncode", getattr(result, "exit_code", None))
    assert code == 1, (code, result.stdout, stderr, getattr(result, "exception", None))
    if result.stdout:  # --json: the error as one JSON object, no answer at all, so never a wrong one
        assert json.loads(result.stdout) == {"error": stderr.strip().removeprefix("Error: ")}
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    assert HINT in stderr, stderr


def cli(work: Path, *args: str):
    """The `rawi` command run in-process (the same code as the executable, without its start-up cost)."""
    from click.testing import CliRunner

    from rawi.cli import main

    return CliRunner().invoke(main, ["--config", str(work / "config.toml"), *args], catch_exceptions=True)


@pytest.mark.parametrize("name", DAMAGE)
def test_damage_is_refused_in_one_line_with_the_way_out(work, encoder, name):
    current, older = generations(work)
    DAMAGE[name](current, older)

    assert_one_line_refusal(cli(work, "ask", "--json", SEED_QUESTION))
    with pytest.raises(BuildError, match="--rebuild"):  # an incremental build would build on rot
        Builder(settings_of(work), encoder).run()


REPRESENTATIVE = ["rows zeroed, manifest refitted", "manifest a list", "CURRENT garbage bytes"]


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_a_rebuild_makes_a_damaged_index_answer_again(work, encoder, name):
    current, older = generations(work)
    DAMAGE[name](current, older)
    assert Builder(settings_of(work), encoder).run(rebuild=True).articles == 2
    answer = open_answerer(settings_of(work), encoder).ask(SEED_QUESTION)
    assert answer.answered and SEED_ANSWER in answer.passages[0].text


@pytest.mark.parametrize("name", ["vectors zeroed", "manifest file entry a number", "CURRENT climbs out"])
def test_the_real_rawi_ask_refuses_in_one_line(work, name):
    current, older = generations(work)
    DAMAGE[name](current, older)
    assert_one_line_refusal(rawi("ask", "--json", SEED_QUESTION, cwd=work, timeout=120))


def test_the_real_rawi_index_refuses_and_rawi_index_rebuild_repairs(work, encoder):
    current, older = generations(work)
    shutil.copyfile(older / local_store.VECTORS, current / local_store.VECTORS)
    refit_manifest(current)  # only the count cross-check can tell now

    assert_one_line_refusal(rawi("index", "--json", cwd=work, timeout=300))
    rebuilt = rawi("index", "--rebuild", "--json", cwd=work, timeout=300)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert json.loads(rebuilt.stdout.splitlines()[-1])["articles"] == 2
    answer = open_answerer(settings_of(work), encoder).ask(SEED_QUESTION)
    assert answer.answered and SEED_ANSWER in answer.passages[0].text


def _open_files_named(name: str) -> int:
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if fd.is_symlink() and Path(os.readlink(fd)).name == name)


@pytest.mark.parametrize("name", ["lexical zeroed, manifest refitted", "manifest chunk count off by one"])
def test_a_refused_index_leaves_no_database_open(work, name):
    """A long-running bot retries a damaged index on every question: each refusal must close
    the SQLite handle it opened, or file handles run out."""
    current, older = generations(work)
    DAMAGE[name](current, older)
    # Collection closes forgotten handles (a refused snapshot sits in a reference cycle with its
    # traceback): collect earlier tests' leftovers first, then none until the count.
    gc.collect()
    gc.disable()
    try:
        before = _open_files_named(local_store.ROWS)
        for _ in range(3):
            with pytest.raises(store.IndexDamaged):
                local_store.open_snapshot(work / "index")
        assert _open_files_named(local_store.ROWS) == before
    finally:
        gc.enable()
