"""Question translation through the user's [generate] server (issue 23 item 1): one short request
under its own time limit; a failing, slow or bad server leaves today's ranking. Real loopback HTTP
server (tests/llmapi.py); the ranking tests use the real encoder and index."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from index.service import open_answerer
from index.settings import GenerateSettings
from index.translate import BadTranslation, Translator, checked, translator_for
from tests.conftest import indexed_copy
from tests.llmapi import FakeLLM, Reply

PORTS = Path(__file__).parent / "data" / "port_desk"
BEIRUT_AR = "ما الطاقة الاستيعابية لمحطة الحاويات في مرفأ بيروت؟"
BEIRUT_EN = "What is the capacity of the container terminal at the Port of Beirut?"


def settings_for(llm: FakeLLM, timeout: float = 5.0) -> GenerateSettings:
    return GenerateSettings(enabled=True, url=llm.base_url, model="test-model", translate_timeout=timeout)


@pytest.fixture
def llm():
    with FakeLLM() as server:
        yield server


# -- the reply must be a question in the asked language ---------------------------------------------

def test_a_translation_is_taken_without_its_wrapping():
    assert checked(f'  "{BEIRUT_EN}"\n', BEIRUT_AR, "en") == BEIRUT_EN
    assert checked("«من وصل إلى بيونغ يانغ؟»", "Who arrived in Pyongyang?", "ar") == "من وصل إلى بيونغ يانغ؟"


@pytest.mark.parametrize(("reply", "why"), [
    ("", "one line"),
    ("Here it is:\nWhat is the capacity?", "one line"),
    ("ما هي السعة؟", "not in English"),  # the wrong language
    (BEIRUT_AR, "not in English"),  # the question itself, untranslated
    ("The terminal can handle 1.5 million containers a year.", "not a question"),  # an answer, not a question
    ("What " + "really " * 60 + "is it?", "far longer"),
])
def test_a_reply_that_is_no_translated_question_is_refused(reply, why):
    with pytest.raises(BadTranslation, match=why):
        checked(reply, BEIRUT_AR, "en")


def test_the_same_question_back_in_the_same_script_is_refused():
    with pytest.raises(BadTranslation, match="itself"):
        checked("Who arrived?", "Who  arrived ?", "en")


# -- the request and its failures, against a real loopback server ----------------------------------------

def test_one_short_request_names_the_language_and_is_not_streamed(llm):
    llm.script(Reply(BEIRUT_EN))
    assert Translator(settings_for(llm)).translate(BEIRUT_AR, "en") == BEIRUT_EN
    [body] = llm.requests
    assert body["stream"] is False and body["max_tokens"] <= 128 and body["temperature"] == 0
    assert "into English" in body["messages"][0]["content"] and body["messages"][-1]["content"] == BEIRUT_AR


def test_a_translation_is_remembered(llm):
    llm.script(Reply(BEIRUT_EN))
    translator = Translator(settings_for(llm))
    assert translator.translate(BEIRUT_AR, "en") == translator.translate(BEIRUT_AR, "en") == BEIRUT_EN
    assert len(llm.requests) == 1


@pytest.mark.parametrize("reply", [
    Reply(status=500), Reply(status=429), Reply(BEIRUT_AR), Reply("Sure! The capacity is 1.5 million."),
    Reply(malformed=True),
])
def test_a_failing_or_bad_server_gives_no_translation_and_says_why(llm, reply, caplog):
    llm.script(reply)
    with caplog.at_level(logging.WARNING, logger="index.translate"):
        assert Translator(settings_for(llm)).translate(BEIRUT_AR, "en") is None
    assert "question not translated" in caplog.text


def test_a_slow_server_is_not_waited_for(llm, caplog):
    llm.script(Reply(BEIRUT_EN, delay=3.0))
    with caplog.at_level(logging.WARNING, logger="index.translate"):
        assert Translator(settings_for(llm, timeout=0.3)).translate(BEIRUT_AR, "en") is None
    assert "no reply in 0.3 s" in caplog.text


def test_a_server_that_is_down_gives_no_translation():
    with FakeLLM() as gone:
        url = gone.base_url
    settings = GenerateSettings(enabled=True, url=url, translate_timeout=2.0)
    assert Translator(settings).translate(BEIRUT_AR, "en") is None


def test_no_translator_without_a_server_or_when_turned_off():
    assert translator_for(GenerateSettings(enabled=False)) is None
    assert translator_for(GenerateSettings(enabled=True, translate=False)) is None
    assert translator_for(GenerateSettings(enabled=True)) is not None


# -- how a passage is scored with the question and its translation -----------------------------------

def test_a_passage_is_read_by_both_questions_its_own_language_first():
    """retrieval.Translated with the shipped settings: a passage in the other language mostly by the
    translation, one in the question's language mostly by the question, with a share of the
    translation and the bonus that offsets the lower cosines across languages."""
    from index.retrieval import Translated
    from index.settings import RetrievalSettings

    scoring = Translated.of("en", RetrievalSettings())
    english, arabic = "The port reopened on Tuesday.", "أعيد فتح الميناء يوم الثلاثاء."
    assert scoring.meaning(english, [0.80, 0.70]) == pytest.approx(0.7 * 0.80 + 0.3 * 0.70 + 0.01)
    assert scoring.meaning(arabic, [0.70, 0.80]) == pytest.approx(0.8 * 0.80 + 0.2 * 0.70)
    assert scoring.score(arabic, [0.70, 0.80], [0.03, 0.01]) == pytest.approx(0.8 * 0.80 + 0.2 * 0.70 + 0.01)
    # A passage both questions find beats one the question alone finds a little better.
    assert scoring.meaning(arabic, [0.78, 0.82]) > scoring.meaning(english, [0.83, 0.70])
    # Without the translation's share and the bonus, an own-language passage is read by the question alone.
    plain = Translated("en", 0.85)
    assert plain.meaning(english, [0.80, 0.10]) == 0.80


# -- ranking with the translation (real encoder, real index) ------------------------------------------

@pytest.fixture(scope="module")
def ports_settings(tmp_path_factory, encoder):
    return indexed_copy(tmp_path_factory.mktemp("ports"), encoder, PORTS)


@pytest.mark.slow
def test_the_beirut_question_is_answered_from_the_english_article_with_its_translation(ports_settings, encoder, llm):
    """Without a server this Arabic question is declined (0.31) with an Arabic article on the port's
    silos first; searched in English as well, the English article that answers leads."""
    llm.script(Reply(BEIRUT_EN))
    answerer = open_answerer(ports_settings, encoder, Translator(settings_for(llm)))
    answer = answerer.ask(BEIRUT_AR, k=3)
    assert answer.answered and answer.passages[0].article_id == "beirut-container-terminal.md"
    assert "1.5 million containers" in answer.passages[0].sentence
    assert [b["messages"][-1]["content"] for b in llm.requests] == [BEIRUT_AR]


@pytest.mark.slow
@pytest.mark.parametrize("reply", [Reply(status=500), Reply("ما هي السعة؟"), Reply(BEIRUT_EN, delay=3.0)],
                         ids=["failing", "bad", "slow"])
def test_without_a_usable_translation_the_ranking_is_todays(ports_settings, encoder, llm, reply):
    llm.script(reply)
    translated = open_answerer(ports_settings, encoder, Translator(settings_for(llm, timeout=0.5))).ask(BEIRUT_AR, k=3)
    today = open_answerer(ports_settings, encoder).ask(BEIRUT_AR, k=3)
    assert [p.chunk_id for p in translated.passages] == [p.chunk_id for p in today.passages]
    assert translated.answered == today.answered and translated.confidence == pytest.approx(today.confidence)


@pytest.mark.slow
def test_a_declined_translated_question_has_no_near_miss_reordering(ports_settings, encoder, llm, monkeypatch):
    """The near miss (near_miss.py) stands in for a translation; with one, each language was already
    searched with the question in it, and moving the other language's best up again only loses
    (3 declined XQuAD ar->ar questions had their right passage pushed down: docs/measurements.md)."""
    import index.answer

    def refuse(*args, **kwargs):
        raise AssertionError("the near miss was consulted for a translated question")

    llm.script(Reply("Who objected?"))
    answerer = open_answerer(ports_settings, encoder, Translator(settings_for(llm)))
    monkeypatch.setattr(index.answer, "other_language_near", refuse)
    answer = answerer.ask("من اعترض؟", k=3)
    assert not answer.answered and answer.near is None and len(llm.requests) == 1


@pytest.mark.slow
def test_a_question_filtered_to_its_own_language_is_not_translated(ports_settings, encoder, llm):
    from index.filters import ArticleFilter

    llm.script(Reply(BEIRUT_EN))
    answerer = open_answerer(ports_settings, encoder, Translator(settings_for(llm)))
    answerer.ask(BEIRUT_AR, k=3, where=ArticleFilter(language="ar"))
    assert llm.requests == []


@pytest.mark.slow
def test_a_one_language_corpus_asks_for_no_translation(seed_settings, encoder, llm):
    llm.script(Reply("How many containers did North Korea send?"))
    answerer = open_answerer(seed_settings, encoder, Translator(settings_for(llm)))
    assert answerer.ask("كم عدد حاويات الذخيرة التي أرسلتها كوريا الشمالية إلى روسيا؟", k=1).answered
    assert llm.requests == []


@pytest.mark.slow
def test_a_question_over_articles_of_the_other_language_only_is_translated_and_answered(seed_settings, encoder, llm):
    """An English question over the Arabic seed: searched in Arabic too, its answering sentence
    and its short answer read with the translation, the answer written in English. Without a
    server the rules show none (they cannot check a number across languages)."""
    from index.extract import extract

    question = "How many containers of ammunition did North Korea send to Russia?"
    translation = "كم حاوية ذخيرة أرسلت كوريا الشمالية إلى روسيا؟"
    assert extract(open_answerer(seed_settings, encoder).ask(question, k=3)) is None
    llm.script(Reply(translation))
    answer = open_answerer(seed_settings, encoder, Translator(settings_for(llm))).ask(question, k=3)
    assert [b["messages"][-1]["content"] for b in llm.requests] == [question]
    assert answer.answered and answer.translation == translation
    assert "20 ألف حاوية" in answer.passages[0].sentence
    short = extract(answer)
    assert short is not None and short.text == "more than 20,000"


@pytest.mark.slow
@pytest.mark.parametrize(("question", "translation", "expected"), [
    ("كم حاوية تستطيع محطة الحاويات في مرفأ بيروت أن تتعامل معها سنويا؟",
     "How many containers a year can the container terminal at the Port of Beirut handle?", "1.5 مليون"),
    ("كم تبلغ تكلفة الأعمال في ميناء طرابلس بالدولار؟", "How many dollars will the works at Tripoli port cost?",
     "60 مليون دولار"),  # ("... Tripoli quay work ..." is a near-tie of two sentences: the quay's, the cost's)
    ("How many travellers passed through Beirut's airport in August?", "كم مسافرا مر عبر مطار بيروت في أغسطس؟",
     "more than 600,000"),
], ids=["count-ar-en", "money-ar-en", "words-en-ar"])
def test_a_short_answer_across_languages_is_read_with_the_translation(ports_settings, encoder, llm, question,
                                                                    translation, expected):
    from index.extract import extract

    assert extract(open_answerer(ports_settings, encoder).ask(question, k=3)) is None
    llm.script(Reply(translation))
    answer = open_answerer(ports_settings, encoder, Translator(settings_for(llm))).ask(question, k=3)
    short = extract(answer)
    assert answer.answered and short is not None and short.text == expected


@pytest.mark.slow
def test_the_cli_logs_the_translation_with_v_and_shows_only_better_passages(ports_settings, llm, tmp_path):
    """Through the real `rawi` executable with [generate] naming the loopback server."""
    import os
    import subprocess

    from tests.conftest import MODEL_CACHE
    from tests.reindex_helpers import RAWI

    llm.script(Reply(BEIRUT_EN), Reply(status=500))  # the translation, then the short answer fails
    (tmp_path / "config.toml").write_text(
        f'[corpus]\ndir = "{ports_settings.corpus_dir}"\n[index]\ndir = "{ports_settings.index_dir}"\n'
        f'[encoder]\ncache_dir = "{MODEL_CACHE}"\n[generate]\nenabled = true\nurl = "{llm.base_url}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "RAWI_CONFIG"}
    result = subprocess.run([str(RAWI), "-v", "ask", "-k", "1", BEIRUT_AR], cwd=tmp_path, capture_output=True,
                            text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"question translated into English: {BEIRUT_EN}" in result.stderr
    assert "Beirut port's container terminal back at full capacity" in result.stdout.splitlines()[0]
    assert BEIRUT_EN not in result.stdout  # the translation is no part of the reply
