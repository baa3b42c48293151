"""The corpus walk and the safe reader (index/traversal.py): what is an article, and reading one safely.

Unreadable folders are made unreadable for real: `chmod 000` does not stop root (these tests
run as root), so `scan` runs in a child process as the unprivileged user `nobody`, where the
kernel refuses the listing itself. The full incremental build meets the same refusal through
`os.scandir` (the call a traversal makes), since the encoder and index live with root.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from index import traversal
from index.store import local as local_store
from index.articles import read_article, scan
from index.build import Builder
from tests.conftest import ROOT
from tests.unprivileged import AS_NOBODY, SYSTEM_PYTHON, needs_nobody

TEXT = "Title {n}\n\nThe council met on Tuesday and agreed on budget item number {n}.\n"


def write(corpus: Path, name: str, n: int = 0) -> Path:
    path = corpus / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TEXT.format(n=n), encoding="utf-8")
    return path


def sport_and_politics(corpus: Path) -> None:
    write(corpus, "sport/match.txt", 1)
    for n in range(3):
        write(corpus, f"politics/p{n}.txt", 10 + n)


def refuse_listing(monkeypatch, folder: Path) -> None:
    """os.scandir of `folder` fails as the kernel fails it for a user without the permission."""
    real = os.scandir

    def scandir(path=".", *args, **kwargs):
        if os.path.abspath(os.fspath(path)) == os.path.abspath(folder):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)


def ids(settings) -> set[str]:
    snapshot = local_store.open_snapshot(settings.index_dir)
    try:
        return {row[0] for row in snapshot._query("SELECT id FROM articles")}
    finally:
        snapshot.close()


# ------------------------------------------------------------------ item 1: unlistable folders


def test_an_unlistable_folder_keeps_its_articles(corpus_settings, encoder, monkeypatch):
    corpus = corpus_settings.corpus_dir
    sport_and_politics(corpus)
    Builder(corpus_settings, encoder).run()
    refuse_listing(monkeypatch, corpus / "politics")
    stats = Builder(corpus_settings, encoder).run()
    assert stats.removed == 0
    assert [(s.path, "Permission denied" in s.reason) for s in stats.skipped] == [("politics/", True)]
    assert ids(corpus_settings) == {"sport/match.txt", "politics/p0.txt", "politics/p1.txt", "politics/p2.txt"}
    monkeypatch.undo()  # readable again: nothing to do, nothing lost
    again = Builder(corpus_settings, encoder).run()
    assert (again.removed, again.added, again.skipped) == (0, 0, [])


def test_an_unlistable_corpus_is_a_clear_error(tmp_path, monkeypatch):
    write(tmp_path, "a.txt")
    refuse_listing(monkeypatch, tmp_path)
    with pytest.raises(traversal.CorpusError, match="cannot list the corpus directory .*Permission denied"):
        scan(tmp_path)


@needs_nobody
def test_a_folder_chmod_000_is_skipped_for_a_user_the_kernel_refuses():
    base = Path(tempfile.mkdtemp(prefix="rawi-nobody-", dir="/tmp"))
    try:
        base.chmod(0o755)
        corpus = base / "corpus"
        sport_and_politics(corpus)
        for path in [corpus, *corpus.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        (corpus / "politics").chmod(0)
        code = "import json, sys; from index.articles import scan; r = scan(__import__('pathlib').Path(sys.argv[1])); " \
               "print(json.dumps([[a.id for a in r.articles], [[s.path, s.reason] for s in r.skipped]]))"
        out = subprocess.run(AS_NOBODY.command([SYSTEM_PYTHON, "-c", code, corpus]), cwd=ROOT,
                             capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(ROOT)})
        assert out.returncode == 0, out.stderr
        articles, skipped = json.loads(out.stdout)
        assert articles == ["sport/match.txt"]
        assert [path for path, _ in skipped] == ["politics/"] and "Permission denied" in skipped[0][1]
    finally:
        (base / "corpus" / "politics").chmod(0o755)
        shutil.rmtree(base)


# ------------------------------------------------------------------ item 4: only regular files


def test_a_fifo_named_like_an_article_is_skipped_not_waited_for(tmp_path):
    write(tmp_path, "good.txt")
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    result: list = []
    worker = threading.Thread(target=lambda: result.append(scan(tmp_path)), daemon=True)
    worker.start()
    worker.join(timeout=60)
    if worker.is_alive():  # release the reader stuck in open() before failing
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        pytest.fail("scan() blocked on a FIFO")
    [found] = result
    assert [a.id for a in found.articles] == ["good.txt"]
    assert [(s.path, "FIFO" in s.reason) for s in found.skipped] == [("pipe.txt", True)]


def test_a_character_device_is_refused_without_reading_it(tmp_path):
    zero = tmp_path / "zero.txt"
    try:
        os.mknod(zero, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero
    except PermissionError:
        pytest.skip("no CAP_MKNOD here")
    write(tmp_path, "good.txt")
    found = scan(tmp_path)
    assert [a.id for a in found.articles] == ["good.txt"]
    assert [(s.path, "character device" in s.reason) for s in found.skipped] == [("zero.txt", True)]


def test_a_device_reached_by_a_path_is_refused_on_the_open_descriptor():
    with pytest.raises(traversal.NotText, match="character device"):
        traversal.read_capped(Path("/dev/zero"))


def test_the_size_cap_holds_while_reading_not_only_from_st_size(monkeypatch):
    status = Path("/proc/self/status")  # a regular file whose st_size is 0, with far more than 100 bytes
    assert status.stat().st_size == 0
    monkeypatch.setattr(traversal, "MAX_BYTES", 100)
    monkeypatch.setattr("index.articles.MAX_BYTES", 100, raising=False)
    with pytest.raises(traversal.NotText, match="limit"):
        read_article(status, "status.txt")


# ------------------------------------------------------------------ item 6: names that are not UTF-8


def test_a_file_name_that_is_not_utf8_is_skipped_and_the_rest_indexed(corpus_settings, encoder):
    corpus = corpus_settings.corpus_dir
    write(corpus, "good.txt")
    bad = os.fsdecode(b"caf\xe9.txt")
    write(corpus, bad, 2)
    write(corpus, os.fsdecode(b"d\xefr") + "/inner.txt", 3)
    stats = Builder(corpus_settings, encoder).run()
    assert ids(corpus_settings) == {"good.txt"}
    assert sorted((s.path, "not valid UTF-8" in s.reason) for s in stats.skipped) == [
        ("caf\\xe9.txt", True), ("d\\xefr/", True),
    ]
    json.dumps(stats.to_json(), ensure_ascii=False).encode("utf-8")  # printable as it is reported


# ------------------------------------------------------------------ item 15: folder links


def test_a_folder_link_is_skipped_with_a_reason(tmp_path):
    write(tmp_path, "real/a.txt")
    os.symlink(tmp_path / "real", tmp_path / "alias")
    os.symlink(tmp_path, tmp_path / "loop")
    found = scan(tmp_path)
    assert [a.id for a in found.articles] == ["real/a.txt"]
    assert [(s.path, s.reason) for s in found.skipped] == [
        ("alias/", "a link to a folder (not followed)"), ("loop/", "a link to a folder (not followed)"),
    ]
