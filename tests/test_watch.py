"""`rawi watch`: a real watcher (in a thread, and the CLI in a subprocess) re-indexes when
articles land, change, move or go. Waits poll for CURRENT to change, with generous deadlines.
The watcher in a thread needs no meaning: it embeds with the stand-in encoder."""

import os
import signal
import threading
from types import SimpleNamespace

import pytest
from index.store import local as local_store
from index.settings import WatchSettings
from index.watch import Watcher
from tests.launch import Launch
from tests.reindex_helpers import (
    LIBRARY, LIBRARY_ID, current_name, make_workdir, popen, reap, settings_of, wait_for, Lines,
)


@pytest.fixture
def watching(tmp_path, stand_in_encoder, request):
    """A watcher thread over a copy of seeds/, after its first build; yields (settings, reports)."""
    settings = settings_of(make_workdir(tmp_path))
    reports: list[str] = []
    polling = getattr(request, "param", False)
    watch = WatchSettings(debounce_seconds=0.3, polling=polling, poll_seconds=0.2)
    watcher = Watcher(settings, watch, stand_in_encoder, report=reports.append)
    stop = threading.Event()
    errors = []

    def run():
        try:
            watcher.run(stop)
        except BaseException as exc:  # surfaced by the test below
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    # The report follows the publish: wait for it, not for CURRENT, or a test reading the reports
    # races the watcher thread (it lost under load: CURRENT had moved, the report was not in yet).
    wait_for(lambda: any("indexed:" in r for r in reports) or errors, "the watcher's first build to be reported")
    assert current_name(settings.index_dir), errors
    yield SimpleNamespace(settings=settings, reports=reports, errors=errors)
    stop.set()
    thread.join(timeout=300)  # a deadline, not a timing: a build under way finishes first
    assert not thread.is_alive() and not errors


def next_generation(settings, before, what):
    return wait_for(lambda: (current_name(settings.index_dir) or before) != before and current_name(settings.index_dir), what)


@pytest.mark.parametrize("watching", [False, True], ids=["file-events", "polling"], indirect=True)
def test_create_modify_move_delete_each_reindex(watching):
    settings, reports = watching.settings, watching.reports
    corpus = settings.corpus_dir
    assert any("watching" in r for r in reports) and any("added 1" in r for r in reports)

    gen = current_name(settings.index_dir)
    (corpus / "news").mkdir()
    (corpus / "news" / LIBRARY_ID).write_text(LIBRARY, encoding="utf-8")
    gen = next_generation(settings, gen, "the new article to be indexed")
    snap = local_store.open_snapshot(settings.index_dir)
    assert snap.article(f"news/{LIBRARY_ID}").title == "A floating library opens on Lake Varna"
    first_sha = snap.article(f"news/{LIBRARY_ID}").sha256

    (corpus / "news" / LIBRARY_ID).write_text(LIBRARY + "\n\nThe barge was repainted blue.", encoding="utf-8")
    gen = next_generation(settings, gen, "the changed article to be re-indexed")
    assert local_store.open_snapshot(settings.index_dir).article(f"news/{LIBRARY_ID}").sha256 != first_sha

    os.rename(corpus / "news" / LIBRARY_ID, corpus / "library.md")
    gen = next_generation(settings, gen, "the moved article to be re-indexed")
    snap = local_store.open_snapshot(settings.index_dir)
    assert snap.article(f"news/{LIBRARY_ID}") is None and snap.article("library.md") is not None

    (corpus / "library.md").unlink()
    next_generation(settings, gen, "the deleted article to be removed")
    snap = local_store.open_snapshot(settings.index_dir)
    assert snap.article("library.md") is None and snap.manifest.articles == 1

    wait_for(lambda: len([r for r in reports if "indexed:" in r]) == 5, "the last report (it follows the publish)")
    said = "\n".join(reports)
    assert "added 1, updated 0, removed 0" in said
    assert "added 0, updated 1, removed 0" in said
    assert "added 1, updated 0, removed 1" in said  # a move: the new id added, the old one removed
    assert "added 0, updated 0, removed 1" in said


def test_a_burst_of_files_is_one_build_and_other_files_are_ignored(watching):
    settings, reports = watching.settings, watching.reports
    gen = current_name(settings.index_dir)
    builds = len(reports)
    for n in range(5):
        (settings.corpus_dir / f"note-{n}.txt").write_text(f"Note {n}\n\n{LIBRARY}\nNote number {n}.", encoding="utf-8")
    next_generation(settings, gen, "the burst to be indexed")
    wait_for(lambda: local_store.open_snapshot(settings.index_dir).manifest.articles == 6, "all five notes")
    assert sum("indexed:" in r for r in reports[builds:]) <= 2  # debounced (usually exactly one)


def test_event_filter(tmp_path, stand_in_encoder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    watcher = Watcher(settings_of(tmp_path), WatchSettings(), stand_in_encoder)
    assert watcher.is_article_path(str(corpus / "a.txt")) and watcher.is_article_path(str(corpus / "x" / "B.MD"))
    assert watcher.is_article_path(str(corpus / "أخبار" / "خبر 1.txt"))
    for ignored in ["a.png", ".a.txt", ".git/a.txt", "a.txt.swp", "a.txt~", "../elsewhere.txt"]:
        assert not watcher.is_article_path(str(corpus / ignored)), ignored
    assert watcher.is_article_path(str(corpus / "folder"), directory=True)
    assert not watcher.is_article_path(str(corpus / ".hidden"), directory=True)


@pytest.mark.slow  # `rawi watch` loads the real model
def test_rawi_watch_cli_indexes_a_new_file_loads_the_model_once_and_stops_cleanly_on_ctrl_c(tmp_path):
    work = make_workdir(tmp_path, debounce=0.3)
    index_dir = work / "index"
    # SIGINT as from a terminal (a test runner started in the background may ignore it)
    proc = popen("-v", "watch", cwd=work, launch=Launch(sigint_default=True))
    said = Lines(proc.stderr)
    lines = []
    try:
        lines.append(said.until(lambda line: "indexed: added 1" in line))  # the start-up build
        gen = current_name(index_dir)
        (work / "corpus" / LIBRARY_ID).write_text(LIBRARY, encoding="utf-8")
        lines.append(said.until(lambda line: "indexed: added 1" in line))
        assert current_name(index_dir) != gen
        assert local_store.open_snapshot(index_dir).article(LIBRARY_ID) is not None
        proc.send_signal(signal.SIGINT)
        rest = []
        try:
            while True:
                rest.append(said.next(timeout=120))
        except AssertionError:  # output closed: the process is exiting
            pass
        assert proc.wait(timeout=120) == 0
    finally:
        reap(proc)
    everything = "".join(lines + rest)
    assert rest and rest[-1].rstrip().endswith("stopped"), rest
    assert "Traceback" not in everything
    # the start-up build and the second one used the same model, loaded once
    assert "".join(said.lines).count("loading encoder") == 1


@pytest.mark.parametrize("how", ["moved-and-copied-back", "deleted-and-made-again"])
@pytest.mark.parametrize("watching", [False, True], ids=["file-events", "polling"], indirect=True)
def test_a_replaced_corpus_folder_is_watched_again(watching, how):
    """`mv c c.old; cp -a c.old c` (or rm -r and a fresh copy): the observer watched the old folder."""
    import shutil

    settings = watching.settings
    corpus = settings.corpus_dir
    gen = current_name(settings.index_dir)
    old = corpus.with_name("corpus.old")
    if how == "moved-and-copied-back":
        corpus.rename(old)
        shutil.copytree(old, corpus, symlinks=True)
    else:
        shutil.copytree(corpus, old, symlinks=True)
        shutil.rmtree(corpus)
        shutil.copytree(old, corpus, symlinks=True)
    (corpus / LIBRARY_ID).write_text(LIBRARY, encoding="utf-8")
    gen = wait_for(
        lambda: (current_name(settings.index_dir) or gen) != gen and current_name(settings.index_dir),
        "the article added to the new folder to be indexed", timeout=120,
    )
    found = lambda: local_store.open_snapshot(settings.index_dir).article(LIBRARY_ID)  # noqa: E731
    wait_for(found, "the new article in the index", timeout=120)


def test_the_watcher_reports_an_article_whose_date_it_cannot_read_once(tmp_path, stand_in_encoder):
    settings = settings_of(make_workdir(tmp_path))
    (settings.corpus_dir / "hugo.md").write_text(
        "---\ntitle: Harbour\npublished: Mon, 01 Jan 0001 00:00:00 +0000\n---\nA note on the old harbour.\n", encoding="utf-8")
    reports: list[str] = []
    watcher = Watcher(settings, WatchSettings(), stand_in_encoder, report=reports.append)
    watcher.build()
    assert "undated hugo.md: its date 'Mon, 01 Jan 0001 00:00:00 +0000' cannot be read" in "\n".join(reports)
    (settings.corpus_dir / "later.md").write_text("---\npublished: 24/11/2026\n---\nThe port reopened.\n", encoding="utf-8")
    watcher.build()
    assert sum("undated" in r for r in reports) == 1  # said once; 24/11/2026 is read


def test_a_hostile_json_file_dropped_in_is_skipped_and_watching_goes_on(watching):
    """100,000 nested brackets (RecursionError) and a 5,000-digit integer (ValueError) ended the watch."""
    settings, reports = watching.settings, watching.reports
    corpus = settings.corpus_dir
    gen = current_name(settings.index_dir)
    (corpus / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (corpus / "lines.jsonl").write_text('{"text": "x", "n": ' + "1" * 5000 + "}\n", encoding="utf-8")
    (corpus / LIBRARY_ID).write_text(LIBRARY, encoding="utf-8")
    next_generation(settings, gen, "the build after the hostile files")
    wait_for(lambda: local_store.open_snapshot(settings.index_dir).article(LIBRARY_ID), "the good article indexed")
    wait_for(lambda: any(r.startswith("skipped lines.jsonl") for r in reports), "the skip reported")
    assert "skipped deep.json: not valid JSON (nested too deeply)" in reports
    assert not watching.errors


def test_an_unexpected_error_in_one_build_is_reported_and_watching_goes_on(watching, monkeypatch):
    """A reader bug planted for one file: that build fails with one line, the next change is indexed."""
    from index.formats import records

    settings, reports = watching.settings, watching.reports
    real = records.read_json
    monkeypatch.setattr(records, "read_json", lambda raw, file_id: (_ for _ in ()).throw(KeyError("planted")))
    (settings.corpus_dir / "bug.json").write_text('{"text": "x"}', encoding="utf-8")
    wait_for(lambda: any("unexpected KeyError" in r for r in reports), "the failed build reported")
    monkeypatch.setattr(records, "read_json", real)
    gen = current_name(settings.index_dir)
    (settings.corpus_dir / LIBRARY_ID).write_text(LIBRARY, encoding="utf-8")
    next_generation(settings, gen, "the next build")
    assert local_store.open_snapshot(settings.index_dir).article(LIBRARY_ID) and not watching.errors
