"""[generate] in the bot: the real Application polls the loopback Bot API server (tests/botapi.py)
and streams short answers from a real chat-completions server on 127.0.0.1 (tests/llmapi.py).
Assertions are on the messages and edits that reach the Bot API server."""

from __future__ import annotations

import contextlib
import itertools
import time

import pytest

from bot.app import build_application
from bot.render import TEXT
from index.generate import Generator
from index.settings import GenerateSettings
from tests.botapi import BotThread, FakeBotAPI
from tests.llmapi import FakeLLM, Reply
from tests.bot_helpers import CONTAINERS, bot_settings, new_id

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

MODEL = "test-model"
RIGHT = "More than 20,000 containers of ammunition were sent [1]. They went to Russia [1]."
WRITING = TEXT["en"]["writing"]
WRITTEN = TEXT["en"]["generated"].format(model=MODEL)
EXTRACTED = TEXT["en"]["extracted"].format(n=1)


@pytest.fixture(scope="module")
def llm():
    with FakeLLM(MODEL) as server:
        yield server


@contextlib.contextmanager
def running_bot(answerer, llm: FakeLLM, **overrides):
    generator = Generator(GenerateSettings(enabled=True, url=llm.base_url, model=MODEL, timeout=6.0))
    with FakeBotAPI() as server:
        settings = bot_settings(server, questions_per_minute=100, **overrides)
        with BotThread(build_application(settings, answerer, k=3, generator=generator), server, poll_timeout=5):
            yield server


@pytest.fixture(scope="module")
def api(seed_answerer, llm):
    with running_bot(seed_answerer, llm) as server:
        yield server


def edits(api: FakeBotAPI, chat: int) -> list:
    return api.calls("editMessageText", chat)


def final_edit(api: FakeBotAPI, chat: int, timeout: float = 30.0):
    """The edit that ends the writing (no "writing..." note any more)."""
    def done(calls):
        mine = [c for c in calls if c.method == "editMessageText" and c.chat_id == chat and c.ok]
        return next((c for c in mine if WRITING not in c.plain), None)

    return api.wait_for(done, timeout)


def ask(api: FakeBotAPI, llm: FakeLLM, *replies: Reply, question: str = CONTAINERS):
    chat = new_id()
    llm.script(*replies)
    sent = api.wait_reply(api.message(chat, question))
    return chat, sent, final_edit(api, chat)


def test_the_answer_is_streamed_above_the_passages_checked_sentence_by_sentence(api, llm):
    chat, sent, final = ask(api, llm, Reply(RIGHT, pieces=6, pause=0.3))
    first = sent[0].plain
    # At once: "writing..." above the passages (no answer by rules across languages meanwhile).
    assert first.startswith(WRITING) and "[1] " in first and "20 ألف حاوية" in first
    # Then the checked sentences, and at last the whole answer, marked as written by the model.
    assert final.plain.startswith(RIGHT + "\n" + WRITTEN)
    assert "20 ألف حاوية" in final.plain and int(final.params["message_id"]) == sent[0].result["message_id"]
    partial = [c.plain for c in edits(api, chat) if WRITING in c.plain]
    assert any(p.startswith("More than 20,000 containers of ammunition were sent [1].\n" + WRITING) for p in partial)
    # The buttons stay on the message; edits come at most about once a second.
    labels = {b["text"] for b in final.buttons}
    assert TEXT["en"]["full"] in labels and TEXT["en"]["more"] in labels
    times = [c.at for c in edits(api, chat)]
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(times))


@pytest.mark.parametrize(
    "reply",
    [
        Reply("More than 20,000 containers were sent [1]. Also 7,500 soldiers [1]."),
        Reply("More than 20,000 containers of ammunition [4]."),
        Reply("أرسلت كوريا الشمالية أكثر من 20 ألف حاوية [1]."),
        Reply(RIGHT, delay=8.0),
        Reply(status=429),
        Reply(status=500),
        Reply(RIGHT, broken=True),
        Reply(RIGHT, malformed=True),
    ],
    ids=["invented-number", "citation-out-of-range", "wrong-language", "slow", "429", "500", "broken-stream", "malformed"],
)
def test_a_failed_reply_leaves_the_answer_as_without_a_model(api, llm, reply):
    chat, sent, final = ask(api, llm, reply)
    assert final.plain.startswith("[1] ") and EXTRACTED not in final.plain  # as without a model: none by rules across languages
    assert final.plain == sent[0].plain.split(WRITING + "\n\n", 1)[1]  # the same passages
    for call in api.calls(None, chat):
        assert "7,500" not in call.plain and "[4]" not in call.plain and "أرسلت" not in call.plain
        assert WRITTEN not in call.plain


def test_a_model_saying_the_passages_do_not_answer_turns_the_reply_into_the_honest_one(seed_answerer, llm):
    with running_bot(seed_answerer, llm, passages=5) as api:
        chat, _, final = ask(api, llm, Reply("The passages do not say how many containers were sent."))
        sent = api.sent(chat)
    assert final.plain == TEXT["en"]["no_answer"]
    assert final.buttons == []
    assert len(sent) > 1  # five passages take two messages: the second is taken back
    deleted = {int(c.params["message_id"]) for c in api.calls("deleteMessage", chat)}
    assert deleted == {m.result["message_id"] for m in sent[1:]}


@pytest.mark.parametrize(
    "reply",
    ["The port authority had no answer to questions about the cost, but more than 20,000 containers were sent [1].",
     "No answer was given by the minister, but more than 20,000 containers were sent [1]."],
)
def test_no_answer_inside_a_real_answer_keeps_the_passages_and_shows_the_answer(seed_answerer, llm, reply):
    with running_bot(seed_answerer, llm, passages=5) as api:
        chat, sent, final = ask(api, llm, Reply(reply))
        calls = api.calls(None, chat)
        assert len(api.sent(chat)) > 1  # five passages take two messages: both stay
    assert final.plain.startswith(reply + "\n" + WRITTEN)
    assert final.plain.split(WRITTEN, 1)[1] == sent[0].plain.split(WRITING, 1)[1]  # the same passages
    assert not [c for c in calls if c.method == "deleteMessage"]
    assert all(TEXT["en"]["no_answer"] not in c.plain for c in calls)


def test_more_passages_never_asks_the_model_again(api, llm):
    chat, sent, final = ask(api, llm, Reply(RIGHT))
    asked = len(llm.requests)
    more = next(b for b in final.buttons if b["text"] == TEXT["en"]["more"])
    before = len(api.sent(chat))
    api.press(sent[-1], more["callback_data"])
    page = api.wait_sent(chat, before + 1)[-1]
    assert page.plain.lstrip().startswith("[4]")
    assert WRITING not in page.plain and WRITTEN not in page.plain
    assert len(llm.requests) == asked


def test_a_slow_model_in_one_chat_does_not_hold_up_another(api, llm):
    slow_chat, quick_chat = new_id(), new_id()
    llm.script(Reply(RIGHT, delay=2.5), Reply(RIGHT))
    before = len(llm.requests)
    api.message(slow_chat, CONTAINERS)
    deadline = time.monotonic() + 30
    while len(llm.requests) == before and time.monotonic() < deadline:  # the slow chat's request is in
        time.sleep(0.05)
    api.message(quick_chat, CONTAINERS)
    quick = final_edit(api, quick_chat)
    slow = final_edit(api, slow_chat)
    assert quick.plain.startswith(RIGHT) and slow.plain.startswith(RIGHT)
    assert quick.at < slow.at
