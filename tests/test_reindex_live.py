"""Live pick-up: long-running readers answer from a newly published index without a restart,
and every answer comes from one generation, never a mix of two. The in-process ones on both
store backends (``store``); `rawi ask -` beside a build is two processes, which a Milvus Lite
file does not serve (tests/test_store_milvus_crash.py shows a reader process on a server)."""

import json
import subprocess
import threading

import pytest

from index.store import open_backend
from index.build import Builder
from index.service import open_answerer
from tests.reindex_helpers import (  # noqa: F401  (indexed_workdir, indexed_store_workdir, store_backend: fixtures)
    indexed_store_workdir, indexed_workdir, store_backend,
    LIBRARY, LIBRARY_ANSWER, LIBRARY_ID, LIBRARY_QUESTION, SEED_ANSWER, SEED_ID, SEED_QUESTION, Lines,
    current_name, make_workdir, popen, reap, settings_of,
)


@pytest.fixture
def work(indexed_workdir):  # noqa: F811  (the fixture, under the name these tests use)
    return indexed_workdir


@pytest.fixture
def store(indexed_store_workdir):  # noqa: F811
    return indexed_store_workdir


def test_an_answerer_answers_from_the_new_index_without_a_restart(store, encoder):
    work = store
    settings = settings_of(work)
    backend = open_backend(settings, encoder.name)
    answerer = open_answerer(settings, encoder)
    before = answerer.ask(LIBRARY_QUESTION)
    assert all(p.article_id == SEED_ID for p in before.passages)
    assert before.generation == backend.generation()

    (settings.corpus_dir / LIBRARY_ID).write_text(LIBRARY, encoding="utf-8")
    Builder(settings, encoder).run()

    after = answerer.ask(LIBRARY_QUESTION)
    assert after.generation == backend.generation() != before.generation
    assert after.answered and after.passages[0].article_id == LIBRARY_ID
    assert LIBRARY_ANSWER in after.passages[0].text
    seed = answerer.ask(SEED_QUESTION)
    assert seed.answered and SEED_ANSWER in seed.passages[0].text


def chunk_map(backend):
    """The published generation's name, and its passages: id -> (article id, text)."""
    reader = backend.open_reader()
    try:
        rows = reader.chunks(list(range(reader.manifest.next_chunk_id)))
        return reader.generation, {i: (row.article_id, row.text) for i, row in rows.items()}
    finally:
        reader.close()


def test_answers_during_reindexes_each_come_from_one_generation(store, encoder):
    work = store
    settings = settings_of(work)
    backend = open_backend(settings, encoder.name)
    answerer = open_answerer(settings, encoder)
    generations = dict([chunk_map(backend)])
    answers, errors, done = [], [], threading.Event()

    def reader():
        questions = [LIBRARY_QUESTION, SEED_QUESTION, "What did the librarian say about the village?"]
        try:
            while not done.is_set():
                for question in questions:
                    answers.append(answerer.ask(question, k=5))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for n in range(4):  # add, edit, add, remove: every publish changes chunk ids in use
            corpus = settings.corpus_dir
            if n == 0:
                (corpus / LIBRARY_ID).write_text(LIBRARY, encoding="utf-8")
            elif n == 1:
                (corpus / LIBRARY_ID).write_text(LIBRARY + "\n\nThe barge was repainted blue.", encoding="utf-8")
            elif n == 2:
                (corpus / "second.txt").write_text("Second library\n\n" + LIBRARY.replace("Varna", "Ohrid"), encoding="utf-8")
            else:
                (corpus / LIBRARY_ID).unlink()
            Builder(settings, encoder).run()
            # recorded right away: the writer keeps the current generation and the one before it
            name, rows = chunk_map(backend)
            generations[name] = rows
    finally:
        done.set()
        thread.join(timeout=300)
    assert not errors, errors
    seen = {a.generation for a in answers}
    assert len(seen) >= 2, "the reader never saw a new index"
    for answer in answers:
        rows = generations[answer.generation]
        for p in answer.passages:
            assert rows.get(p.chunk_id) == (p.article_id, p.text), (answer.generation, p.chunk_id, p.article_id)


def test_rawi_ask_stdin_picks_up_a_new_index_between_two_lines(work, encoder):
    settings = settings_of(work)
    proc = popen("ask", "-", cwd=work, stdin=subprocess.PIPE)
    out = Lines(proc.stdout)
    try:
        proc.stdin.write(LIBRARY_QUESTION + "\n")
        proc.stdin.flush()
        first = json.loads(out.next())
        assert all(p["article"] == SEED_ID for p in first["passages"])

        (settings.corpus_dir / LIBRARY_ID).write_text(LIBRARY, encoding="utf-8")
        Builder(settings, encoder).run()

        proc.stdin.write(LIBRARY_QUESTION + "\n" + SEED_QUESTION + "\n")
        proc.stdin.flush()
        second, third = json.loads(out.next()), json.loads(out.next())
        assert second["answered"] and second["passages"][0]["article"] == LIBRARY_ID
        assert LIBRARY_ANSWER in second["passages"][0]["text"]
        assert third["answered"] and SEED_ANSWER in third["passages"][0]["text"]
        proc.stdin.close()
        assert proc.wait(timeout=120) == 0
    finally:
        reap(proc)
