"""`rawi eval`: question sets read, corpora laid out, metrics computed, through real parts."""

from __future__ import annotations

import json

import pytest

from index import evaluation
from index.evaluation import QuestionResult, report, roc_auc
from tests.conftest import EVAL
from tests.reindex_helpers import rawi


def squad(*articles: tuple[str, str, list[tuple[str, str, str]]]) -> dict:
    """SQuAD JSON: (title, context, [(id, question, answer)]) per article, one paragraph each."""
    return {"data": [
        {"title": title, "paragraphs": [{"context": context, "qas": [
            {"id": qid, "question": q, "answers": [{"text": a, "answer_start": context.find(a)}]} for qid, q, a in qas
        ]}]}
        for title, context, qas in articles
    ]}


ARTICLES = (
    ("Lake_Varna", "The floating library on Lake Varna opened on Monday with 4,512 books.",
     [("q1", "How many books does the floating library hold?", "4,512")]),
    ("Volcano", "Mount Hekla erupted in 1947 after a century of quiet, covering farms in ash.",
     [("q2", "When did Mount Hekla erupt?", "1947")]),
    ("Cheese", "Halloumi is a brined cheese made from goat and sheep milk in Cyprus.",
     [("q3", "Where is halloumi made?", "Cyprus")]),
)


@pytest.fixture
def squad_file(tmp_path):
    path = tmp_path / "set.en.json"
    path.write_text(json.dumps(squad(*ARTICLES)), encoding="utf-8")
    return path


def test_squad_paragraphs_become_the_corpus_and_questions_find_them(squad_file, corpus_settings, encoder):
    run = evaluation.prepare(corpus_settings, squad_file, None, split=None)
    assert sorted(p.name for p in run.settings.corpus_dir.iterdir()) == ["000-00.txt", "001-00.txt", "002-00.txt"]
    summary = report(evaluation.run(run))
    assert (summary.questions, summary.answerable) == (3, 3)
    assert summary.recall_at_1 == 1.0 and summary.answer_in_passage_at_5 == 1.0
    assert summary.abstention_accuracy is None


def test_split_leaves_every_other_article_out_and_its_questions_unanswerable(squad_file, corpus_settings, encoder):
    run = evaluation.prepare(corpus_settings, squad_file, None, split="even")
    assert sorted(p.name for p in run.settings.corpus_dir.iterdir()) == ["000-00.txt", "002-00.txt"]
    assert [q.answerable for q in run.questions] == [True, False, True]
    summary = report(evaluation.run(run))
    assert summary.answerable == 2 and summary.abstention_accuracy is not None


def test_the_odd_split_is_the_other_half(squad_file, corpus_settings):
    run = evaluation.prepare(corpus_settings, squad_file, None, split="odd")
    assert sorted(p.name for p in run.settings.corpus_dir.iterdir()) == ["001-00.txt"]
    assert [q.answerable for q in run.questions] == [False, True, False]


def test_cross_lingual_answers_come_from_the_paragraphs_file(tmp_path, squad_file):
    """XQuAD is parallel: answer texts must be those of the language of the passages."""
    arabic = squad(("Lake_Varna", "افتتحت المكتبة العائمة يوم الاثنين وفيها ٤٥١٢ كتابا.", [("q1", "كم كتابا؟", "٤٥١٢")]))
    paragraphs = tmp_path / "set.ar.json"
    paragraphs.write_text(json.dumps(arabic), encoding="utf-8")
    questions = evaluation.read_squad_questions(squad_file, split=None, paragraphs=paragraphs)
    assert questions[0].question.startswith("How many") and questions[0].contains_any == ("٤٥١٢",)


def test_seed_questions_are_read_with_abstentions():
    questions = evaluation.read_seed_questions(EVAL / "seed_questions.jsonl")
    assert any(not q.answerable for q in questions) and any(q.answerable for q in questions)
    assert all(q.rank_by_passage for q in questions)


def test_report_counts_ranks_answers_and_abstentions():
    results = [
        QuestionResult("a", True, True, 1, True, 0.010),
        QuestionResult("b", True, False, 3, True, 0.020),
        QuestionResult("c", True, True, None, False, 0.030),
        QuestionResult("d", False, False, None, False, 0.040),
        QuestionResult("e", False, True, 2, False, 0.050),
    ]
    summary = report(results)
    assert summary.recall_at_1 == pytest.approx(1 / 3)
    assert summary.recall_at_5 == pytest.approx(2 / 3)
    assert summary.mrr_at_10 == pytest.approx((1 + 1 / 3) / 3)
    assert summary.answered_share == pytest.approx(2 / 3)
    assert summary.abstention_accuracy == pytest.approx(1 / 2)
    assert (summary.latency_p50_ms, summary.latency_p95_ms) == (pytest.approx(30.0), pytest.approx(50.0))


def test_roc_area():
    assert roc_auc([0.9, 0.8, 0.1], [True, True, False]) == 1.0
    assert roc_auc([0.1, 0.9], [True, False]) == 0.0
    assert roc_auc([0.5, 0.5], [True, False]) == 0.5


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not a SQuAD-format file"), ('{"data": 3}', "not a SQuAD-format file")],
)
def test_a_bad_squad_file_is_one_line_and_exit_1(workdir, content, message):  # noqa: F811
    bad = workdir / "bad.json"
    bad.write_text(content, encoding="utf-8")
    result = rawi("eval", str(bad), cwd=workdir)
    assert result.returncode == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_bad_question_line_names_its_line(workdir):  # noqa: F811
    bad = workdir / "bad.jsonl"
    bad.write_text('{"question": "q", "article": "a.txt"}\n{"no": "question"}\n', encoding="utf-8")
    result = rawi("eval", str(bad), cwd=workdir)
    assert result.returncode == 1
    assert "bad.jsonl:2: not a question record" in result.stderr


def test_on_milvus_an_evaluation_keeps_its_index_apart_from_the_users(corpus_settings, squad_file):
    from dataclasses import replace

    from index.settings import StoreSettings

    lite = replace(corpus_settings, store=StoreSettings(backend="milvus", uri=str(corpus_settings.index_dir.parent / "news.db")))
    run = evaluation.prepare(lite, squad_file, None, split=None)
    assert run.settings.store.uri == str(run.settings.index_dir.parent / "milvus.db") and run.settings.store.name == "rawi"
    server = replace(corpus_settings, store=StoreSettings(backend="milvus", uri="http://milvus.example:19530"))
    run = evaluation.prepare(server, squad_file, None, split=None)
    assert run.settings.store.uri == "http://milvus.example:19530"
    assert run.settings.store.name == f"rawi_eval_{run.settings.index_dir.parent.name}"
    assert evaluation.prepare(corpus_settings, squad_file, None, split=None).settings.store == corpus_settings.store
