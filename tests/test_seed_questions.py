"""The seed evaluation set: each answerable question cites its passage near the top."""

import json

import pytest

from tests.conftest import EVAL

QUESTIONS = [json.loads(line) for line in (EVAL / "seed_questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("case", [q for q in QUESTIONS if not q["abstain"]], ids=lambda q: q["id"])
def test_answerable_seed_questions_cite_their_passage_in_the_top_3(seed_answerer, case):
    answer = seed_answerer.ask(case["question"], k=3)
    texts = [p.text for p in answer.passages]
    assert any(s in t for t in texts for s in case["passage_contains_any"]), texts
    assert all(p.article_id == case["article"] for p in answer.passages)


def test_each_sentence_of_a_hit_carries_the_cosine_of_its_own_text(seed_answerer, encoder):
    """Sentence cosines come from stored vectors found by derived ids: a wrong count or offset
    would pair a sentence with its neighbour's vector."""
    question = "How many containers did the DPRK send?"
    ranking = seed_answerer.retriever.rank(seed_answerer.index.snapshot(), question)
    hit = ranking.hits[0]
    texts = [hit.chunk.text[s.start : s.end] for s in hit.sentences]
    assert len(texts) == len(hit.sentence_cosines) > 1
    fresh = encoder.encode_passages(texts) @ ranking.query_vector
    assert [s.cosine for s in hit.sentences] == pytest.approx(fresh.tolist(), abs=0.01)
    assert hit.sentence == max(s.cosine for s in hit.sentences)
