"""The bot end to end: the real Application polls a real Bot API server on 127.0.0.1 (tests/botapi.py)
and answers from a real index of the seed article. Assertions are on what reaches the server.

Every test uses chat and user ids of its own, so the shared bot's per-user limits and per-chat
conversations never mix between tests. Waits have generous timeouts; nothing is timed.
"""

from __future__ import annotations

import logging

import pytest

from bot.app import build_application
from bot.render import TEXT
from tests.bot_helpers import (
    CONTAINERS, CONTAINERS_AR, PER_MINUTE, SpyAnswerer, bot_settings, html_ok, new_id, running_bot,
)
from tests.botapi import BOT_ID, BOT_USERNAME, BotThread, FakeBotAPI, parse_html

OFF_TOPIC = "What is the capital of France?"

# python-telegram-bot itself reads RetryAfter.retry_after (deprecated int form) when it builds the error.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture(scope="module")
def spy(seed_answerer) -> SpyAnswerer:
    return SpyAnswerer(seed_answerer)


@pytest.fixture(scope="module")
def api(spy):
    """One server and one running bot for the module (the bot is cheap; the model is shared)."""
    with running_bot(spy) as server:
        yield server


def bold_parts(html_text: str) -> list[str]:
    import re

    return [parse_html(m)[0] for m in re.findall(r"<b>(.*?)</b>", html_text, flags=re.S)]


# --------------------------------------------------------------------------------------------
# Answers


def test_answer_cites_the_passage_with_title_and_buttons(api, seed_answerer):
    chat = new_id()
    question = api.message(chat, CONTAINERS)
    reply = api.wait_reply(question)
    first = reply[0]
    plain = html_ok(first)
    assert "20 ألف حاوية" in plain
    title = seed_answerer.sources().newest[0].title
    assert title in plain
    # No short answer by rules across languages (the question's words cannot be matched to the
    # Arabic sentence's): the passages alone.
    assert plain.startswith("[1] ") and TEXT["en"]["extracted"].format(n=1) not in plain
    # The answering sentence is in bold, inside its passage.
    assert any("20 ألف حاوية" in b for b in bold_parts(first.text))
    # "typing..." came before the reply.
    actions = api.calls("sendChatAction", chat)
    assert actions and actions[0].params["action"] == "typing" and actions[0].at <= first.at
    # Buttons in the question's language, data within Telegram's 64 bytes.
    buttons = reply[-1].buttons
    labels = {b["text"] for b in buttons}
    assert TEXT["en"]["full"] in labels and TEXT["en"]["more"] in labels
    assert all(1 <= len(b["callback_data"].encode()) <= 64 for b in buttons)


def test_arabic_question_gets_an_arabic_interface(api):
    chat = new_id()
    reply = api.wait_reply(api.message(chat, CONTAINERS_AR))
    assert "20 ألف حاوية" in html_ok(reply[0])
    # The number of the answering sentence, extracted by rules and marked so, above the passages.
    assert html_ok(reply[0]).startswith("أكثر من 20 ألف [1]\n" + TEXT["ar"]["extracted"].format(n=1) + "\n\n[1] ")
    labels = {b["text"] for b in reply[-1].buttons}
    assert TEXT["ar"]["full"] in labels
    assert not labels & {TEXT["en"]["full"], TEXT["en"]["more"]}


def test_off_topic_question_is_declined_honestly_citing_nothing(api, seed_answerer):
    chat = new_id()
    reply = api.wait_reply(api.message(chat, OFF_TOPIC))
    assert len(reply) == 1
    plain = html_ok(reply[0])
    assert plain == TEXT["en"]["no_answer"]
    assert seed_answerer.sources().newest[0].title not in plain
    assert reply[0].buttons == []
    arabic = api.wait_reply(api.message(chat, "ما هي عاصمة فرنسا؟"))
    assert html_ok(arabic[0]) == TEXT["ar"]["no_answer"]


def test_full_article_button_sends_the_article_in_parts(api, seed_answerer):
    chat = new_id()
    reply = api.wait_reply(api.message(chat, CONTAINERS))
    button = next(b for b in reply[-1].buttons if b["text"] == TEXT["en"]["full"])
    before = len(api.sent(chat))
    query = api.press(reply[-1], button["callback_data"])
    api.wait_for(lambda calls: any(c.method == "answerCallbackQuery" and c.params["callback_query_id"] == query["id"] for c in calls))
    article = seed_answerer.sources().newest[0]
    paragraphs = [p.strip() for p in article.text.split("\n") if p.strip()]

    def whole(calls):
        parts = [c for c in calls if c.method == "sendMessage" and c.chat_id == chat][before:]
        text = "\n".join(html_ok(c) for c in parts)
        return parts if all(p in text for p in paragraphs) else None

    parts = api.wait_for(whole)
    assert article.title in html_ok(parts[0])


def test_more_passages_continues_the_numbering_and_retires_the_button(api):
    chat = new_id()
    reply = api.wait_reply(api.message(chat, CONTAINERS))
    more = next(b for b in reply[-1].buttons if b["text"] == TEXT["en"]["more"])
    before = len(api.sent(chat))
    api.press(reply[-1], more["callback_data"])
    page = api.wait_sent(chat, before + 1)[before]
    assert html_ok(page).lstrip().startswith("[4]")
    # The old message keeps its article buttons but loses "more".
    edit = api.wait_sent(chat, 1, method="editMessageReplyMarkup")[0]
    assert TEXT["en"]["more"] not in {b["text"] for b in edit.buttons}
    # Pressing the spent button again: a polite answer, nothing sent.
    query = api.press(reply[-1], more["callback_data"])
    answered = api.wait_for(lambda calls: [c for c in calls if c.method == "answerCallbackQuery" and c.params["callback_query_id"] == query["id"]])
    assert answered[0].params["text"] == TEXT["en"]["expired"]


FORGED = [
    ("a:en:../../../../etc/passwd", "no_article"),
    ("a:en:/etc/passwd", "no_article"),
    ("a:ar:no-such-article.txt", "no_article"),
    ("m:en:not-a-token", "expired"),
    ("s:forged", "expired"),
    ("x" * 64, "expired"),
    ("a:xx:000.txt", "expired"),
    ("", "expired"),
]


def test_stale_or_forged_buttons_get_a_polite_answer(api):
    chat = new_id()
    reply = api.wait_reply(api.message(chat, OFF_TOPIC))
    for data, expected in FORGED:
        query = api.press(reply[0], data, user_id=new_id())  # presses count against the user limit
        answered = api.wait_for(lambda calls: [c for c in calls if c.method == "answerCallbackQuery" and c.params["callback_query_id"] == query["id"]])
        lang = "ar" if data.startswith("a:ar") else "en"
        assert answered[0].params["text"] == TEXT[lang][expected], data
    assert len(api.sent(chat)) == 1  # nothing but the first reply


# --------------------------------------------------------------------------------------------
# Conversation and commands


def test_follow_up_builds_on_the_previous_question_and_new_forgets_it(api, spy):
    chat = new_id()
    first = "Who vetoed the extension of the sanctions committee?"
    api.wait_reply(api.message(chat, first))
    api.wait_reply(api.message(chat, "and China?"))
    assert spy.asked[-1] == f"{first} and China?"
    api.message(chat, "/new")
    api.wait_for(lambda calls: any(c.chat_id == chat and c.method == "sendMessage" and html_ok(c) == TEXT["en"]["new"] for c in calls))
    api.wait_reply(api.message(chat, "and China?"))
    assert spy.asked[-1] == "and China?"
    # Another chat's topic is its own.
    other = new_id()
    api.wait_reply(api.message(other, "والصين؟"))
    assert spy.asked[-1] == "والصين؟"


def test_start_and_help_teach_with_examples_in_both_languages(api, seed_answerer):
    """The example is built on the index's own article (tests/test_bot_greeting.py has more)."""
    title = " ".join(seed_answerer.sources().newest[0].title.split())
    chat = new_id()
    api.message(chat, "/start")
    [start] = api.wait_sent(chat)
    plain = html_ok(start)
    assert "rawi" in plain and "/sources" in plain and "/new" in plain
    assert TEXT["en"]["ask_like"] in plain and title[:40] in plain
    api.message(chat, "/help", language_code="ar")
    help_ar = html_ok(api.wait_sent(chat, 2)[1])
    assert "راوي" in help_ar and TEXT["ar"]["ask_like"] in help_ar and title[:40] in help_ar
    assert api.calls("setMyCommands")  # the command menu was published


def test_sources_names_the_newest_articles(api, seed_answerer):
    chat = new_id()
    api.message(chat, "/sources")
    [reply] = api.wait_sent(chat)
    plain = html_ok(reply)
    sources = seed_answerer.sources()
    assert f"Articles I have read: {sources.articles}" in plain
    assert sources.newest[0].title in plain


# --------------------------------------------------------------------------------------------
# Groups


def test_groups_answer_only_when_mentioned_or_replied_to(api):
    group = -new_id()
    user = new_id()
    api.message(group, CONTAINERS, user_id=user, chat_type="group")  # chatter: ignored
    api.sticker(group, user_id=user, chat_type="group")  # ignored too
    mention = api.message(group, f"@{BOT_USERNAME} {CONTAINERS}", user_id=user, chat_type="group")
    reply = api.wait_reply(mention)
    assert "20 ألف حاوية" in html_ok(reply[0])
    bot_message = reply[0].result
    follow = api.message(group, "and how many soldiers?", user_id=user, chat_type="group", reply_to=bot_message)
    api.wait_reply(follow)
    sticker = api.sticker(group, user_id=user, chat_type="group", reply_to=bot_message)
    assert html_ok(api.wait_reply(sticker)[0]) == TEXT["en"]["text_only"]
    targets = [c.reply_to for c in api.sent(group)]
    assert targets.count(mention["message_id"]) == 1 and targets.count(follow["message_id"]) == 1
    assert len([t for t in targets if t is not None]) == 3


# --------------------------------------------------------------------------------------------
# Never broken by what people send


@pytest.mark.parametrize(
    "text, key",
    [
        ("   ", "empty"),
        ("🤔🤔🤔", "empty"),
        ("?!…", "empty"),
        ("x" * 5000, "too_long"),
    ],
)
def test_unaskable_messages_get_a_polite_reply(api, text, key):
    chat = new_id()
    reply = api.wait_reply(api.message(chat, text))
    plain = html_ok(reply[0])
    if key == "too_long":
        assert "5,000" in plain and "1,000" in plain
    else:
        assert plain == TEXT["en"][key]


def test_emoji_only_follows_the_users_app_language(api):
    chat = new_id()
    reply = api.wait_reply(api.message(chat, "👍", language_code="ar"))
    assert html_ok(reply[0]) == TEXT["ar"]["empty"]


ODD_QUESTIONS = [
    "<b>How many</b> containers & <script>alert(1)</script> did the DPRK send?",
    "*How many* _containers_ did the `DPRK` send? [link](http://x) &amp; &lt;",
    "كم حاوية؟ <i>&nbsp;</i> ⚠️🚀 </blockquote>",
]


def test_html_and_markdown_characters_are_escaped(api):
    chats = [new_id() for _ in ODD_QUESTIONS]
    questions = [api.message(chat, text) for chat, text in zip(chats, ODD_QUESTIONS)]
    for chat, question in zip(chats, questions):
        for call in api.wait_reply(question):
            html_ok(call)
        assert not api.calls(chat_id=chat, ok=False)


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice"])
def test_non_text_messages_get_text_questions_only(api, kind):
    chat = new_id()
    message = getattr(api, kind)(chat)
    assert html_ok(api.wait_reply(message)[0]) == TEXT["en"]["text_only"]


def test_an_error_in_one_update_is_answered_politely_and_the_bot_goes_on(api, spy, caplog):
    chat = new_id()
    spy.explode.add("Planted failure: who arrived?")
    with caplog.at_level(logging.ERROR, logger="bot.handlers"):
        api.message(chat, "Planted failure: who arrived?")
        [apology] = api.wait_sent(chat)
    assert html_ok(apology) == TEXT["en"]["error"]
    assert any("failed" in r.getMessage() and r.exc_info for r in caplog.records)
    reply = api.wait_reply(api.message(chat, CONTAINERS))
    assert "20 ألف حاوية" in html_ok(reply[0])


# --------------------------------------------------------------------------------------------
# Limits


def test_per_user_rate_limit_replies_politely_once(api):
    chat = new_id()
    questions = [api.message(chat, f"{CONTAINERS} ({i})") for i in range(PER_MINUTE + 2)]
    slow = api.wait_reply(questions[PER_MINUTE])
    assert html_ok(slow[0]).startswith(TEXT["en"]["slow_down"].split("{")[0])
    for question in questions[:PER_MINUTE]:
        assert "20 ألف حاوية" in html_ok(api.wait_reply(question)[0])
    # The next one over the limit is ignored quietly; /help still answers (it is not a question).
    api.message(chat, "/help")
    api.wait_for(lambda calls: any(c.chat_id == chat and "/sources" in c.text for c in calls if c.method == "sendMessage"))
    assert questions[PER_MINUTE + 1]["message_id"] not in [c.reply_to for c in api.sent(chat)]


def test_concurrent_chats_are_all_answered_and_the_token_never_logged(api, caplog):
    chats = [new_id() for _ in range(4)]
    with caplog.at_level(logging.DEBUG):
        questions = [api.message(chat, CONTAINERS if i % 2 else CONTAINERS_AR) for i, chat in enumerate(chats)]
        for question in questions:
            assert "20 ألف حاوية" in html_ok(api.wait_reply(question)[0])
    assert caplog.records
    assert api.token not in caplog.text
    assert api.token.split(":")[1] not in caplog.text


# --------------------------------------------------------------------------------------------
# Bots of their own: flood control, allow-list


def test_http_429_is_waited_out_and_the_reply_delivered(seed_answerer):
    with FakeBotAPI() as server:
        application = build_application(bot_settings(server), seed_answerer, k=3)
        with BotThread(application, server):
            server.fail("sendMessage", times=2, status=429, retry_after=1)
            chat = new_id()
            reply = server.wait_reply(server.message(chat, CONTAINERS), timeout=60)
            assert "20 ألف حاوية" in html_ok(reply[0])
            attempts = server.calls("sendMessage", chat, ok=None)
            assert [c.status for c in attempts[:3]] == [429, 429, 200]
            # Each retry came no sooner than Telegram asked.
            assert attempts[1].at - attempts[0].at >= 0.99
            assert attempts[2].at - attempts[1].at >= 0.99
            assert application.bot.rate_limiter.retries == 2


def test_allow_list_keeps_other_chats_out(seed_answerer):
    allowed, other = new_id(), new_id()
    with FakeBotAPI() as server:
        application = build_application(bot_settings(server, allowed_chats=frozenset({allowed})), seed_answerer, k=3)
        with BotThread(application, server):
            server.message(other, CONTAINERS)
            [refusal] = server.wait_sent(other)
            assert html_ok(refusal) == TEXT["en"]["not_allowed"]
            reply = server.wait_reply(server.message(allowed, CONTAINERS))
            assert "20 ألف حاوية" in html_ok(reply[0])
            group = server.message(-other, f"@{BOT_USERNAME} {CONTAINERS}", chat_type="group")
            server.wait_reply(server.message(allowed, "and when?"))
            assert not server.sent(-other) and group
            assert BOT_ID  # the fake's bot id is what the bot saw in getMe
