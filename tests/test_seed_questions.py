"""The seed evaluation set: each answerable question cites its passage near the top."""

import json

import pytest

from tests.conftest import SHARED

QUESTIONS = [json.loads(line) for line in (SHARED / "eval" / "seed_questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("case", [q for q in QUESTIONS if not q["abstain"]], ids=lambda q: q["id"])
def test_answerable_seed_questions_cite_their_passage_in_the_top_3(seed_answerer, case):
    answer = seed_answerer.ask(case["question"], k=3)
    texts = [p.text for p in answer.passages]
    assert any(s in t for t in texts for s in case["passage_contains_any"]), texts
    assert all(p.article_id == case["article"] for p in answer.passages)
