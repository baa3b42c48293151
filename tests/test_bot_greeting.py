"""The bot greets with a question to try drawn from the user's own index, in the greeting's
language (issue 25, item 3): /start, /help, "hello", "مرحبا", "السلام عليكم", and a lone word. The
example is index/greeting.py's, the one `rawi ask hello` prints.

The real bot polls a loopback Bot API server (tests/botapi.py) and reads a real index of a small
corpus of this module's own, built with the stand-in encoder (no question here needs meaning)."""

from __future__ import annotations

import json

import pytest

from bot.render import TEXT
from index.build import Builder
from index.service import open_answerer
from tests.bot_helpers import html_ok, new_id, running_bot
from tests.conftest import make_settings
from tests.test_newcomer import rawi

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

ARTICLES = {
    "tunis.md": "---\ntitle: Tram line opens in Tunis\npublished: 2025-06-02\nlanguage: en\n---\n"
                "The new tram line opened in Tunis on Monday.\n",
    "beirut.md": "---\ntitle: وصول سفينة الحبوب إلى ميناء بيروت\npublished: 2025-06-04\nlanguage: ar\n---\n"
                 "وصلت سفينة محملة بالقمح إلى ميناء بيروت صباح الأربعاء.\n",
    "oil.md": "---\ntitle: Oil exports rise in May\npublished: 2025-06-01\nlanguage: en\n---\n"
              "Saudi oil exports rose by four percent in May.\n",
}
EN_EXAMPLE = "What do the articles say about “Tram line opens in Tunis”?"
AR_EXAMPLE = "ماذا تقول المقالات عن «وصول سفينة الحبوب إلى ميناء بيروت»؟"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, stand_in_encoder):
    base = tmp_path_factory.mktemp("bot-greeting")
    for name, text in ARTICLES.items():
        (base / "corpus" / name).parent.mkdir(parents=True, exist_ok=True)
        (base / "corpus" / name).write_text(text, encoding="utf-8")
    settings = make_settings(base / "corpus", base / "index")
    Builder(settings, stand_in_encoder).run()
    return base, open_answerer(settings, stand_in_encoder)


@pytest.fixture(scope="module")
def api(corpus):
    with running_bot(corpus[1]) as server:
        yield server


@pytest.mark.parametrize("command, language, example", [
    ("/start", "en", EN_EXAMPLE), ("/start", "ar", AR_EXAMPLE), ("/help", "en", EN_EXAMPLE), ("/help", "ar", AR_EXAMPLE),
])
def test_start_and_help_show_a_question_on_a_title_of_the_users_index(api, command, language, example):
    chat = new_id()
    api.message(chat, command, language_code=language)
    [sent] = api.wait_sent(chat)
    plain = html_ok(sent)
    assert f"{TEXT[language]['ask_like']}\n{example}\n" in plain
    assert f"<code>{example}</code>" in sent.text  # one tap copies it
    assert "/sources" in plain and "North Korea" not in plain and "بيونغ يانغ" not in plain  # not the demo's


@pytest.mark.parametrize("greeting, language", [
    ("hello", "en"), ("Hi!", "en"), ("مرحبا", "ar"), ("السلام عليكم", "ar"),
])
def test_a_greeting_is_answered_in_its_language_with_a_question_from_the_index(api, corpus, greeting, language):
    chat = new_id()
    # The app's language is the other one: the greeting's own language decides.
    [reply] = api.wait_reply(api.message(chat, greeting, language_code="ar" if language == "en" else "en"))
    plain = html_ok(reply)
    example = EN_EXAMPLE if language == "en" else AR_EXAMPLE
    assert plain.endswith(f"{TEXT[language]['ask_like']}\n{example}")
    # The same example `rawi ask` gives for the same greeting: one logic, two clients.
    cli = json.loads(rawi("ask", "--index", "index", "--json", greeting, cwd=corpus[0]).stdout)
    assert cli["example"] == example


def test_a_lone_word_gets_a_question_on_the_article_that_names_it(api):
    chat = new_id()
    [reply] = api.wait_reply(api.message(chat, "oil"))
    assert html_ok(reply) == '"oil" alone is not a question: ask a whole question, for example:\n' \
                             "What do the articles say about “Oil exports rise in May”?"


def test_without_an_index_the_greeting_has_no_example_and_no_error(tmp_path, stand_in_encoder):
    """The index goes away while the bot runs: "hello" still gets what rawi does, politely."""
    import shutil

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("---\ntitle: A story\n---\nSomething happened.\n", encoding="utf-8")
    settings = make_settings(corpus, tmp_path / "index")
    Builder(settings, stand_in_encoder).run()
    answerer = open_answerer(settings, stand_in_encoder)
    shutil.rmtree(tmp_path / "index")
    with running_bot(answerer) as server:
        chat = new_id()
        [reply] = server.wait_reply(server.message(chat, "hello"))
        plain = html_ok(reply)
    assert plain.startswith("rawi answers questions") and TEXT["en"]["ask_like"] not in plain
