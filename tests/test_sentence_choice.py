"""The answering sentence (issue 13): shared terms count by their rarity among the passage's
sentences, so the sentence holding the question's rare word beats the ones that only share its
topic; across languages nothing changes."""

from __future__ import annotations

import pytest

from index.answer import rare_terms
from index.build import Builder
from index.normalize import tokens
from index.question import language_of, parse_question
from index.service import open_answerer
from tests.conftest import make_settings

JACKSONVILLE = [
    "Jacksonville is the largest city in Florida by population.",
    "It is the county seat of Duval County, with which the city government merged in 1968.",
    "Jacksonville is the main city of its metropolitan area, home to 1.3 million people.",
]
ARTICLE = "---\ntitle: Jacksonville, Florida\n---\n" + " ".join(JACKSONVILLE) + "\n"


def shares(question: str, sentences: list[str]) -> list[float]:
    return rare_terms(
        [frozenset(tokens(s)) for s in sentences], [language_of(s) for s in sentences], parse_question(question)
    )


def test_the_sentence_holding_the_rare_term_gets_the_larger_share():
    topic, rare, other = shares("Which county is Jacksonville the seat of?", JACKSONVILLE)
    # "county" and "seat" are in one sentence, "Jacksonville" in two: the rare ones weigh more.
    assert rare > topic and rare > other and rare > 0.5
    assert topic == pytest.approx(other) and topic > 0


def test_only_sentences_in_the_questions_language_get_a_share():
    arabic = ["جاكسونفيل أكبر مدن ولاية فلوريدا.", "وهي مقر مقاطعة دوفال منذ 1968."]
    assert shares("Which county is Jacksonville the seat of since 1968?", arabic) == [0.0, 0.0]
    assert shares("ما المقاطعة التي تعد جاكسونفيل مقرا لها؟", JACKSONVILLE) == [0.0, 0.0, 0.0]
    assert max(shares("ما مقر مقاطعة دوفال؟", arabic)) > 0


def test_no_shared_term_no_share():
    assert shares("Who won the final?", JACKSONVILLE) == [0.0, 0.0, 0.0]


@pytest.fixture(scope="module")
def answerer(tmp_path_factory, encoder):
    base = tmp_path_factory.mktemp("sentence-choice")
    corpus = base / "corpus"
    corpus.mkdir()
    (corpus / "jacksonville.md").write_text(ARTICLE, encoding="utf-8")
    settings = make_settings(corpus, base / "index")
    Builder(settings, encoder).run()
    return open_answerer(settings, encoder)


def test_the_sentence_with_the_asked_for_fact_is_highlighted_not_the_topic_sentence(answerer):
    # By cosine (and the flat shared-term bonus) the first and last sentences, which name
    # Jacksonville, come 0.02 above the one that answers; its rare terms lift it 0.015 above them.
    passage = answerer.ask("Which county is Jacksonville the seat of?", k=1).passages[0]
    assert passage.sentence == JACKSONVILLE[1]
    assert passage.text[passage.sentence_start : passage.sentence_end] == passage.sentence  # the CLI's highlight
