"""Bad files never cost good ones: one real `rawi index --json` over a corpus holding every bad
kind at once, and an indexed article that later becomes unreadable keeps its indexed version."""

import codecs
import os
from pathlib import Path

import pytest
from index.store import local as local_store
from index.build import Builder
from index.service import open_answerer
from tests.reindex_helpers import (
    LIBRARY, LIBRARY_ANSWER, LIBRARY_ID, LIBRARY_QUESTION, SEED_ID, last_json, make_workdir, rawi, settings_of,
)

ARABIC = "عاجل: افتتاح مكتبة عائمة\n\nافتتحت مكتبة عائمة على بحيرة فارنا يوم الاثنين وفيها 4512 كتاباً.\nقالت أمينة المكتبة إنها ستنتقل كل أسبوع."
ENGLISH = "Port expansion approved\n\nThe council approved the port expansion on Tuesday.\nDredging starts in May."


def big_text() -> str:
    """About 3 MB of text: 40 distinct paragraphs, repeated (so embedding it stays cheap)."""
    paragraphs = [
        f"Paragraph {i} of the inquiry report. The committee met on day {i} and heard {3 * i} witnesses "
        f"about the port expansion, the dredging costs and the fishing quotas of the northern bay. " * 2
        for i in range(40)
    ]
    body = "\n\n".join(paragraphs[i % 40] for i in range(3 * 1024 * 1024 // len(paragraphs[0])))
    return "Inquiry report, full text\n\n" + body


# file name -> (bytes, expected: text the index must hold, or a word of the skip reason)
CASES = {
    "empty.txt": (b"", ("skipped", "empty")),
    "whitespace.txt": (b"  \n\t\r\n   \n", ("skipped", "empty")),
    "binary.txt": (bytes(range(256)) * 16, ("skipped", "binary")),
    "nul.txt": (b"Title\n\nhello\x00world " * 20, ("skipped", "NUL")),
    "cp1256.txt": (ARABIC.encode("cp1256"), ("indexed", ARABIC)),
    "utf16.txt": (codecs.BOM_UTF16_LE + ARABIC.encode("utf-16-le"), ("indexed", ARABIC)),
    "utf8-bom.md": (codecs.BOM_UTF8 + ENGLISH.encode(), ("indexed", ENGLISH)),
    "crlf.txt": (ENGLISH.replace("\n", "\r\n").replace("Port", "Harbour").encode(), ("indexed", ENGLISH.replace("Port", "Harbour"))),
    "أخبار اليوم/خبر عاجل 1.txt": (ARABIC.replace("4512", "4513").encode(), ("indexed", ARABIC.replace("4512", "4513"))),
}


@pytest.mark.slow  # `rawi index` loads the real model
def test_rawi_index_over_every_bad_kind_of_file_at_once(tmp_path):
    work = make_workdir(tmp_path)
    corpus = work / "corpus"
    for name, (data, _) in CASES.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_bytes(data)
    big = big_text()
    (corpus / "big.txt").write_text(big, encoding="utf-8")
    assert (corpus / "big.txt").stat().st_size > 3_000_000
    os.symlink(corpus / "loop.txt", corpus / "loop.txt")
    os.symlink(corpus / "nowhere.txt", corpus / "dangling.txt")  # unreadable, as a subprocess sees it even as root
    (corpus / "locked.txt").write_text(ENGLISH.replace("Port", "Airport"), encoding="utf-8")
    (corpus / "locked.txt").chmod(0)  # root reads it anyway: then it is simply indexed

    result = rawi("index", "--json", cwd=work, timeout=600)

    assert result.returncode == 0, result.stderr
    stats = last_json(result.stdout)
    skipped = {s["path"]: s["reason"] for s in stats["skipped"]}
    snap = local_store.open_snapshot(work / "index")
    for name, (_, (outcome, expected)) in CASES.items():
        if outcome == "skipped":
            assert expected in skipped.pop(name), name
            assert snap.article(name) is None
        else:
            article = snap.article(name)
            assert article is not None, (name, skipped.get(name))
            assert article.text == expected, name
            assert article.title == expected.split("\n", 1)[0]
    assert "cannot read" in skipped.pop("loop.txt") and "cannot read" in skipped.pop("dangling.txt")
    if os.geteuid() == 0:
        assert snap.article("locked.txt") is not None
    else:
        assert "Permission denied" in skipped.pop("locked.txt")
    assert skipped == {}, skipped
    assert snap.article("big.txt").text == big
    assert snap.article(SEED_ID) is not None
    indexed = 1 + sum(1 for _, (_, (o, _)) in CASES.items() if o == "indexed") + 1 + (os.geteuid() == 0)
    assert stats["articles"] == indexed == snap.manifest.articles


@pytest.fixture
def library_indexed(tmp_path, encoder):
    settings = settings_of(make_workdir(tmp_path))
    (settings.corpus_dir / LIBRARY_ID).write_text(LIBRARY, encoding="utf-8")
    Builder(settings, encoder).run()
    return settings


def make_unreadable(path: Path, monkeypatch) -> None:
    path.chmod(0)
    if os.geteuid() == 0:  # root reads any file: make the kernel's answer for others explicit
        real_open = os.open  # the call index/traversal.py reads an article through

        def refusing_open(name, *args, **kwargs):
            if os.path.basename(name) == path.name:
                raise PermissionError(13, "Permission denied", str(name))
            return real_open(name, *args, **kwargs)

        monkeypatch.setattr(os, "open", refusing_open)


@pytest.mark.parametrize("damage", ["unreadable", "truncated-to-empty", "symlink-loop"])
def test_an_indexed_article_that_becomes_unreadable_keeps_its_indexed_version(library_indexed, encoder, monkeypatch, damage):
    settings = library_indexed
    path = settings.corpus_dir / LIBRARY_ID
    before = local_store.open_snapshot(settings.index_dir).article(LIBRARY_ID)
    if damage == "unreadable":
        make_unreadable(path, monkeypatch)
    elif damage == "truncated-to-empty":  # e.g. caught halfway through an editor's save
        path.write_bytes(b"")
    else:
        path.unlink()
        os.symlink(path, path)

    stats = Builder(settings, encoder).run()

    assert [s.path for s in stats.skipped] == [LIBRARY_ID]
    assert (stats.added, stats.updated, stats.removed, stats.unchanged, stats.articles) == (0, 0, 0, 1, 2)
    assert local_store.open_snapshot(settings.index_dir).article(LIBRARY_ID) == before
    answer = open_answerer(settings, encoder).ask(LIBRARY_QUESTION)
    assert answer.passages[0].article_id == LIBRARY_ID and LIBRARY_ANSWER in answer.passages[0].text

    monkeypatch.undo()  # readable again, with new text: now it is updated
    if path.is_symlink():
        path.unlink()
    path.write_text(LIBRARY + "\n\nThe barge was repainted blue.", encoding="utf-8")
    path.chmod(0o644)
    stats = Builder(settings, encoder).run()
    assert (stats.updated, stats.skipped) == (1, [])
