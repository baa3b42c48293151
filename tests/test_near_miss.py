"""A cross-language miss is not declined flatly (issue 23, item 4): when the best passage in the
other language comes close to answering, the reply says what was found and in which language, in
the CLI and the bot alike. Real encoder, real index, articles of tests/data/port_desk."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from bot import render
from index.filters import ArticleFilter
from index.near_miss import NEAR_MISS_FLOOR, NearMiss
from index.service import open_answerer
from rawi.render import answer_json, render_with_short
from tests.conftest import MODEL_CACHE, indexed_copy
from tests.reindex_helpers import RAWI

PORTS = Path(__file__).parent / "data" / "port_desk"  # two Arabic and two English articles on Lebanon's ports
TRIPOLI_DEPTH = "كم يبلغ عمق الرصيف الرئيسي في ميناء طرابلس بعد الأشغال؟"
# Ranked by plain cosines, an English passage wins this (declined at 0.00), and the Arabic one
# comes close (0.80). "... through Beirut's airport in August?" was the example until the name
# and the month were matched across scripts: it is now answered from the Arabic passage (below).
AIRPORT = "How many travellers passed through the capital's airport last summer?"
AIRPORT_NAMED = "How many travellers passed through Beirut's airport in August?"
pytestmark = pytest.mark.slow  # the real model


@pytest.fixture(scope="module")
def ports_settings(tmp_path_factory, encoder):
    """The seed article beside the port desk: both languages, a few articles each, ranked by plain
    cosines (language_balance 0), where the question's own language comes first: with the
    balance the questions below are answered from the other language outright (their passage
    ranked first), and the near miss is for the misses the balance leaves."""
    settings = indexed_copy(tmp_path_factory.mktemp("ports"), encoder, PORTS)
    return replace(settings, retrieval=replace(settings.retrieval, language_balance=0.0))


@pytest.fixture(scope="module")
def ports(ports_settings, encoder):
    return open_answerer(ports_settings, encoder)


@pytest.mark.parametrize(("question", "language", "article"), [
    (TRIPOLI_DEPTH, "en", "tripoli-port-expansion.md"),
    (AIRPORT, "ar", "beirut-airport-ar.md"),
])
def test_a_close_passage_in_the_other_language_is_named_not_declined(ports, question, language, article):
    answer = ports.ask(question, k=3)
    assert not answer.answered  # the question's own language wins the ranking, and does not answer
    assert answer.near is not None and answer.near.language == language
    # Measured 0.86 and 0.97 against the floor of 0.15: the passage comes close by a wide margin.
    assert answer.near.confidence >= 3 * NEAR_MISS_FLOOR
    assert answer.passages[0].article_id == article and not answer.passages[0].weak


@pytest.mark.parametrize("question", ["ما عدد سكان كندا؟", "Who won the football world cup in 2022?",
                                      "What is the capital of Australia?"])
def test_a_question_nothing_answers_is_still_declined_flatly(ports, question):
    answer = ports.ask(question, k=3)
    assert not answer.answered and answer.near is None  # measured 0.00-0.02 against the floor of 0.15
    assert render_with_short(answer, None).startswith("The articles don't answer this question.")
    assert render.render_answer(answer, "ar") == [render.escape(render.text("ar", "no_answer"))]


def test_a_name_and_a_month_in_the_other_script_answer_outright(ports):
    """"Beirut" / "بيروت" by sound (name_sounds.py), "August" / "أغسطس" as a month named in either
    language and no longer counted by BM25 for English alone: the Arabic passage comes first and
    answers, even ranked by plain cosines (confidence 0.97; declined at 0.01-0.02 before)."""
    answer = ports.ask(AIRPORT_NAMED, k=3)
    assert answer.answered and answer.near is None
    assert answer.passages[0].article_id == "beirut-airport-ar.md"


def test_an_answered_question_has_no_near_miss(ports):
    answer = ports.ask("What is the capacity of the container terminal at the Port of Beirut?", k=3)
    assert answer.answered and answer.near is None
    assert answer.passages[0].article_id == "beirut-container-terminal.md"


def test_a_language_filter_leaves_no_other_language_to_name(ports):
    answer = ports.ask(TRIPOLI_DEPTH, k=3, where=ArticleFilter(language="ar"))
    assert not answer.answered and answer.near is None
    assert all(p.article_id != "tripoli-port-expansion.md" for p in answer.passages)


def test_the_bot_words_the_near_miss_in_the_persons_language(ports):
    answer = ports.ask(TRIPOLI_DEPTH, k=3)
    [arabic] = render.render_answer(answer, "ar")
    assert "بالإنجليزية" in arabic and "Tripoli port signs deal" in arabic and "15.5 metres" in arabic
    assert render.text("ar", "no_answer") not in arabic
    [english] = render.render_answer(ports.ask(AIRPORT, k=3), "en")
    assert "The closest passage is in Arabic" in english and "ستمئة ألف مسافر" in english


def test_the_cli_prints_the_near_miss_and_its_json(ports_settings, tmp_path):
    """Through the real `rawi` executable: the line naming the language, then the passage."""
    config = tmp_path / "config.toml"
    config.write_text(f'[corpus]\ndir = "{ports_settings.corpus_dir}"\n[index]\ndir = "{ports_settings.index_dir}"\n'
                      f'[encoder]\ncache_dir = "{MODEL_CACHE}"\n[retrieval]\nlanguage_balance = 0.0\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "RAWI_CONFIG"}

    def ask(*args: str) -> str:
        result = subprocess.run([str(RAWI), "ask", *args], cwd=tmp_path, capture_output=True, text=True, env=env,
                                timeout=300)
        assert result.returncode == 0, result.stderr
        return result.stdout

    shown = ask(TRIPOLI_DEPTH)
    first = shown.splitlines()[0]
    assert "a passage in English comes close" in first and "don't answer" not in shown
    assert "Tripoli port signs deal to deepen its main quay" in shown.splitlines()[1]
    record = json.loads(ask("--json", TRIPOLI_DEPTH))
    assert record["answered"] is False and record["near_miss"]["language"] == "en"
    assert record["passages"][0]["article"] == "tripoli-port-expansion.md"


def test_the_near_miss_note_reads_the_same_in_json_and_text():
    near = NearMiss("ar", 0.61234)
    assert near.to_json() == {"language": "ar", "confidence": 0.6123, "text": near.text()}
    assert "in Arabic" in near.text() and "0.61" in near.text()


def test_json_without_a_near_miss_has_no_such_key(ports):
    assert "near_miss" not in answer_json(ports.ask("What is the capital of Australia?", k=1))


def test_a_first_passage_that_came_closer_keeps_its_place(encoder, tmp_path):
    """The seed's borderline answer (0.26-0.39 across backends) to the Arabic weekday question
    stays first: the English passage beside it reads 0.16 as a first passage, below it."""
    story = open_answerer(indexed_copy(tmp_path, encoder, Path(__file__).parent / "data" / "bilingual_story"), encoder)
    answer = story.ask("من وصل إلى بيونغ يانغ يوم الأربعاء؟", k=3)
    assert answer.passages[0].article_id.startswith("000_")
    assert answer.answered or answer.near is None


def test_with_the_language_balance_the_same_question_is_answered_from_the_other_language(ports_settings, encoder):
    balanced = open_answerer(replace(ports_settings, retrieval=replace(ports_settings.retrieval, language_balance=1.6)),
                             encoder)
    answer = balanced.ask(TRIPOLI_DEPTH, k=3)
    assert answer.answered and answer.near is None and answer.passages[0].article_id == "tripoli-port-expansion.md"
