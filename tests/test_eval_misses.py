"""`rawi eval --misses` (issue 25, item 6): the questions missed at R@1, each with what came first,
in the table and in --json; and a legend for the figures, in --help and in --json."""

from __future__ import annotations

import json

import pytest

from index.eval_legend import LEGEND
from index.evaluation import QuestionResult, misses, report
from rawi.eval_output import eval_json, eval_lines
from tests.conftest import MODEL_CACHE, SEEDS
from tests.reindex_helpers import rawi

SEED = "000_7bfe1c75e114bc62.txt"


def result(qid: str, answerable: bool, rank: int | None, first=(SEED, "North Korea sent …")) -> QuestionResult:
    return QuestionResult(qid, answerable, True, rank, False, 0.01, question=f"question {qid}?", first=first)


def test_a_miss_is_an_answerable_question_whose_first_passage_is_not_right():
    results = [result("hit", True, 1), result("second", True, 2), result("none", True, None, first=None),
               result("unanswerable", False, None)]
    assert [r.id for r in misses(results)] == ["second", "none"]
    lines = eval_lines({"all": report(results)}, misses(results))
    at = lines.index("Missed at R@1: 2 of 3 answerable question(s)")
    assert lines[at + 1:] == [
        "  second: question second?  (right article at rank 2)", f"      first: [{SEED}] North Korea sent …",
        "  none: question none?  (right article not in the first 10)", "      first: no passage",
    ]
    assert not any(line.startswith("Missed") for line in eval_lines({"all": report(results)}, None))


def test_a_missed_question_cannot_write_control_sequences_to_the_terminal():
    bad = QuestionResult("q\x1b[2J", True, True, 3, False, 0.01, question="who\x1b]0;owned\x07?", first=("a\x1bb", "x\x9b"))
    text = "\n".join(eval_lines({"all": report([bad])}, [bad]))
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text


def test_json_has_a_legend_for_every_figure_and_the_misses_when_asked():
    results = [result("hit", True, 1), result("second", True, 2)]
    reports = {"all": report(results), "en->ar": report(results)}
    record = eval_json(reports, misses(results))
    assert set(record) - {"legend"} <= set(LEGEND) and set(record["pairs"]["en->ar"]) <= set(LEGEND)
    assert record["misses"] == [{"id": "second", "question": "question second?", "pair": "", "rank": 2,
                                 "first": {"article_id": SEED, "words": "North Korea sent …"}}]
    assert "misses" not in eval_json(reports, None) and "legend" in eval_json(reports, None)


def test_the_legend_is_in_the_help():
    shown = rawi("eval", "--help", cwd=SEEDS)
    assert shown.returncode == 0 and "--misses" in shown.stdout
    for name in ("recall_at_1", "mrr_at_10", "abstention_accuracy", "latency_p95_ms"):
        assert f"  {name} " in shown.stdout  # each figure named, with its meaning after it


HARBOUR = ("Harbour reopens after the storm\n\nThe port of Tyre reopened on Tuesday after the storm. "
           "Fishing boats returned to the harbour and the market sold sardines again.\n")


@pytest.mark.slow  # the real `rawi eval` loads the real model
def test_rawi_eval_misses_lists_the_question_that_missed_with_what_came_first(tmp_path):
    import shutil

    shutil.copytree(SEEDS, tmp_path / "corpus")
    (tmp_path / "corpus" / "harbour.txt").write_text(HARBOUR, "utf-8")
    (tmp_path / "config.toml").write_text(
        f'[corpus]\ndir = "corpus"\n[index]\ndir = "var/index"\n[encoder]\ncache_dir = "{MODEL_CACHE}"\n', "utf-8")
    questions = tmp_path / "questions.jsonl"
    rows = [  # the second's gold names the wrong article on purpose: the seed article answers it, so it misses
        {"id": "harbour", "question": "When did the port of Tyre reopen?", "article": "harbour.txt",
         "passage_contains_any": ["Tuesday"], "abstain": False},
        {"id": "mislabelled", "question": "How many containers of ammunition did North Korea send to Russia?",
         "article": "harbour.txt", "passage_contains_any": ["sardines"], "abstain": False},
    ]
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    shown = rawi("eval", str(questions), "--misses", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    at = lines.index("Missed at R@1: 1 of 2 answerable question(s)")
    assert lines[at + 1].startswith("  mislabelled: How many containers")
    assert lines[at + 2].startswith(f"      first: [{SEED}] ")
    record = json.loads(rawi("eval", str(questions), "--misses", "--json", cwd=tmp_path).stdout)
    [miss] = record["misses"]
    assert miss["id"] == "mislabelled" and miss["rank"] != 1 and miss["first"]["article_id"] == SEED
    assert len(miss["first"]["words"].split()) >= 5 and record["legend"]["recall_at_1"].startswith("R@1")
    assert record["recall_at_1"] == 0.5
