"""index/service.py, the front door the CLI and the bot call: a question checked before any model
loads, asked with its filters, and its short answer (extracted, or written by a model and checked),
over a real index of three articles (the real encoder: whether a question is answered is the
model's call) and a real chat-completions server on 127.0.0.1 (tests/llmapi.py)."""

from __future__ import annotations

import json

import pytest

from index import errors, filters, question
from index.build import Builder
from index.generate import Generator
from index.service import Desk, check, make_filter, open_answerer
from index.settings import GenerateSettings
from index.short import EXTRACTED, GENERATED
from tests.conftest import make_settings
from tests.llmapi import FakeLLM, Reply

LIBRARY = "The floating library on Lake Varna opened on Monday with 4,512 books donated by fishermen."
LIBRARY_AR = "افتتحت المكتبة العائمة على بحيرة فارنا يوم الاثنين وفيها 4512 كتابا تبرع بها الصيادون."
WHEAT = "Wheat prices rose by ten percent on local markets on Tuesday, traders said."
QUESTION = "How many books does the floating library on Lake Varna hold?"


@pytest.fixture(scope="module")
def answerer(tmp_path_factory, encoder):
    base = tmp_path_factory.mktemp("service")
    corpus = base / "corpus"
    corpus.mkdir()
    records = [("library", "en", LIBRARY), ("library-ar", "ar", LIBRARY_AR), ("wheat", "en", WHEAT)]
    (corpus / "wire.jsonl").write_text("\n".join(
        json.dumps({"id": i, "title": t[:30], "text": t, "language": lang, "source": "Wire"}) for i, lang, t in records
    ), encoding="utf-8")
    settings = make_settings(corpus, base / "index")
    Builder(settings, encoder).run()
    return open_answerer(settings, encoder)


def test_a_question_is_checked_before_any_model_loads():
    assert check("  How many   books?  ").text == "How many books?"
    with pytest.raises(errors.QuestionError, match="empty"):
        check("   ")
    with pytest.raises(errors.NoContent):
        check("hello")
    with pytest.raises(errors.QuestionError, match="too long"):
        check("why " * 400)
    # The errors the clients catch are the ones index/ raises, re-exported in one place.
    assert (errors.FilterError, errors.NoContent, errors.QuestionError) == (
        filters.FilterError, question.NoContent, question.QuestionError)


def test_the_desk_asks_with_filters_and_extracts_the_short_answer(answerer):
    desk = Desk(answerer)
    answer = desk.ask(QUESTION, k=2)
    assert answer.answered and answer.passages[0].article_id == "wire.jsonl#library"
    assert not desk.writes(answer)  # no model configured
    short = desk.short_answer(answer)
    assert short is not None and short.kind == EXTRACTED and "4,512" in short.text
    assert short == desk.extracted(answer)
    arabic = desk.ask(QUESTION, k=2, where=make_filter(language="ar"))
    assert [p.article_id for p in arabic.passages] == ["wire.jsonl#library-ar"]
    with pytest.raises(errors.FilterError):
        desk.ask("since:someday " + QUESTION)
    assert desk.article("wire.jsonl#wheat").title == WHEAT[:30]
    assert desk.sources(2).articles == 3


def test_with_a_model_the_desk_writes_the_short_answer_and_falls_back_to_rules(answerer):
    with FakeLLM() as llm:
        desk = Desk(answerer, Generator(GenerateSettings(enabled=True, url=llm.base_url, model=llm.model, timeout=10)))
        answer = desk.ask(QUESTION, k=1)
        assert desk.writes(answer)
        llm.script(Reply("The library holds 4,512 books [1]."))
        written = desk.short_answer(answer)
        assert written is not None and (written.kind, written.text) == (GENERATED, "The library holds 4,512 books [1].")
        sent = llm.requests[-1]["messages"][-1]["content"]
        assert QUESTION in sent and "4,512 books" in sent  # the request carries the question and the cited passage
        assert desk.request(answer).question == QUESTION
        llm.script(Reply(status=500))
        fallback = desk.short_answer(answer)
        assert fallback == desk.extracted(answer) and fallback is not None and fallback.kind == EXTRACTED


def test_reading_a_question_loads_no_index_model_or_indexer():
    """The CLI checks a question and its filters through the front door before loading anything heavy."""
    import subprocess
    import sys

    code = ("import sys, index.service; "
            "print(sorted(m for m in ('faiss', 'torch', 'openai', 'index.encoder', 'index.store', 'index.build') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stdout + result.stderr
