"""The CLI contract, through the real `rawi` executable in a subprocess, on both store backends
(``workdir``, in conftest.py, is parametrised: local files, and Milvus through a Milvus Lite file)."""

import json

import pytest

from tests.conftest import ROOT
from tests.reindex_helpers import rawi

INDEX_KEYS = ["articles", "added", "updated", "removed", "unchanged", "chunks", "chunks_embedded", "groups", "skipped", "undated", "seconds"]


@pytest.fixture
def indexed(workdir):
    result = rawi("index", "--json", cwd=workdir)
    assert result.returncode == 0, result.stderr
    return workdir, result


@pytest.mark.slow  # `rawi index` and `rawi ask` load the real model
def test_index_json_is_the_last_line_of_stdout(indexed):
    _, result = indexed
    stats = json.loads(result.stdout.strip().splitlines()[-1])
    assert list(stats) == INDEX_KEYS
    assert (stats["articles"], stats["added"], stats["skipped"]) == (1, 1, [])
    assert stats["chunks"] == stats["chunks_embedded"] > 0


@pytest.mark.slow  # `rawi index` and `rawi ask` load the real model
def test_ask_json_shape_and_the_cited_passage(indexed):
    workdir, _ = indexed
    result = rawi("ask", "--json", "-k", "2", "How many containers of ammunition did North Korea send to Russia?", cwd=workdir)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    answer = json.loads(lines[0])
    assert list(answer) == ["question", "answered", "passages", "filters"]  # filters: always, null when none
    # Without a model server, no short answer by rules across languages: the passages alone.
    assert "answer" not in answer
    assert answer["answered"] is True and len(answer["passages"]) == 2
    first = answer["passages"][0]
    assert list(first) == [
        "article", "title", "url", "published", "published_as_written", "source", "text", "sentence", "score", "cosine", "weak", "also_in",
    ]
    assert first["article"] == "000_7bfe1c75e114bc62.txt" and "20 ألف حاوية" in first["text"]
    assert first["sentence"] in first["text"] and "20 ألف حاوية" in first["sentence"]
    # In the passage's language: the number of the answering sentence, written for the asker, by rules.
    arabic = json.loads(rawi("ask", "--json", "كم حاوية ذخيرة أرسلت كوريا الشمالية إلى روسيا؟", cwd=workdir).stdout)
    assert arabic["answer"] == {"text": "أكثر من 20 ألف", "citations": [1], "model": None, "checked": False,
                                "kind": "extracted"}


@pytest.mark.slow  # `rawi index` and `rawi ask` load the real model
def test_ask_stdin_answers_line_by_line_in_order(indexed):
    workdir, _ = indexed
    questions = ["Who arrived in Pyongyang on Wednesday?", "", "What is the capital of France?"]
    result = rawi("ask", "-", cwd=workdir, stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in records] == questions
    assert records[1]["error"] == "the question is empty" and records[1]["passages"] == []
    assert records[2]["answered"] is False


@pytest.mark.slow  # `rawi index` and `rawi ask` load the real model
def test_terminal_output_says_plainly_when_the_articles_dont_answer(indexed):
    workdir, _ = indexed
    result = rawi("ask", "What is the capital of France?", cwd=workdir)
    assert result.returncode == 0
    assert result.stdout.startswith("The articles don't answer this question.")


def test_missing_index_is_a_one_line_error(workdir):
    result = rawi("ask", "Who arrived?", cwd=workdir)
    assert result.returncode == 1
    where = f"in Milvus at {workdir / 'milvus.db'} (store 'rawi')" if (workdir / "milvus.db").exists() else f"at {workdir / 'index'}"
    assert result.stderr.strip().splitlines() == [f"Error: no index {where}: run `rawi index`"]


@pytest.mark.slow  # `rawi index` and `rawi ask` load the real model
def test_empty_question_is_a_usage_error(indexed):
    workdir, _ = indexed
    result = rawi("ask", "   ", cwd=workdir)
    assert result.returncode == 2 and "the question is empty" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("corpus, message", [("missing", "does not exist"), ("empty", "no articles in")])
def test_bad_corpus_paths_are_one_line_errors(workdir, corpus, message):
    (workdir / "empty").mkdir()
    result = rawi("index", "--corpus", str(workdir / corpus), cwd=workdir)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert not (workdir / "index" / "CURRENT").exists() and not (workdir / "milvus.db").exists()


def test_usage_errors_exit_2(workdir):
    assert rawi("ask", cwd=workdir).returncode == 2
    assert rawi("ask", "-k", "0", "q", cwd=workdir).returncode == 2
    assert rawi("frobnicate", cwd=workdir).returncode == 2


def test_bad_config_is_a_one_line_error(workdir):
    (workdir / "config.toml").write_text("[encoder]\nmodle = 'x'\n", encoding="utf-8")
    result = rawi("ask", "q", cwd=workdir)
    assert result.returncode == 2 and "unknown key(s) in [encoder]: modle" in result.stderr


def test_help_teaches_with_examples():
    result = rawi("--help", cwd=ROOT)
    assert result.returncode == 0 and "Examples:" in result.stdout and "rawi ask" in result.stdout
