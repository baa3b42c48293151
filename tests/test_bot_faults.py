"""Bot API faults, injected for real on the loopback Bot API server (tests/botapi.py).

Each fault kind (HTTP 429 with retry_after, 500, 502 with a proxy's HTML page, a connection
reset mid-answer, an answer that never comes, a body that is not JSON) hits getUpdates (a poll
carrying updates: they leave the server and never arrive) or sendMessage (the reply is not
delivered). Every time: the bot keeps polling, each question is asked of the index once and
gets exactly one reply, and each fault is logged once, at WARNING, without the token.

"Exactly one" is checked after a barrier, not a pause: a later question in the same chat is
answered only after the earlier ones (one lock per chat), so once its reply is in, a duplicate
of an earlier reply would be too.
"""

from __future__ import annotations

import itertools
import logging

import pytest

from bot.app import build_application
from bot.render import TEXT
from tests.botapi import BotThread, FakeBotAPI
from tests.bot_helpers import CONTAINERS, CONTAINERS_AR, SpyAnswerer, bot_settings, html_ok, running_bot

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

ANSWER = "20 ألف حاوية"
REQUEST_TIMEOUT = 2  # seconds; a held answer waits HOLD, well past it
HOLD = 4.5
FAULTS = [
    pytest.param({"kind": "status", "status": 429, "retry_after": 1}, id="429"),
    pytest.param({"kind": "status", "status": 500}, id="500"),
    pytest.param({"kind": "status", "status": 502}, id="502"),
    pytest.param({"kind": "reset"}, id="reset"),
    pytest.param({"kind": "timeout", "hold": HOLD}, id="timeout"),
    pytest.param({"kind": "malformed"}, id="malformed-json"),
]

_ids = itertools.count(50_000)


def new_id() -> int:
    return next(_ids)


def ask(api: FakeBotAPI, chat: int, arabic: bool = False) -> dict:
    """A question of its own (so the spy can count it), answered by the seed article."""
    return api.message(chat, f"{CONTAINERS_AR if arabic else CONTAINERS} ({next(_ids)})")


@pytest.fixture(scope="module")
def spy(seed_answerer) -> SpyAnswerer:
    return SpyAnswerer(seed_answerer)


@pytest.fixture(scope="module")
def api(spy):
    with running_bot(spy, poll_timeout=1, request_timeout=REQUEST_TIMEOUT, questions_per_minute=100) as server:
        yield server


def replies_to(api: FakeBotAPI, question: dict) -> list:
    chat_id, message_id = question["chat"]["id"], question["message_id"]
    return [c for c in api.sent(chat_id) if c.reply_to == message_id]


def assert_answered_once(api: FakeBotAPI, spy: SpyAnswerer, questions: list[dict]) -> None:
    """Each question: answered (the seed's answer), after a same-chat barrier exactly one reply, asked once."""
    for question in questions:
        assert ANSWER in html_ok(api.wait_reply(question, timeout=60)[0])
    for chat in {q["chat"]["id"] for q in questions}:
        api.wait_reply(ask(api, chat), timeout=60)
    for question in questions:
        assert len(replies_to(api, question)) == 1, question["text"]
        assert spy.asked.count(question["text"]) == 1, question["text"]


def fault_logs(caplog, method: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.api" and r.levelno == logging.WARNING and method in r.getMessage()]


def assert_no_secret(caplog, api: FakeBotAPI) -> None:
    secret = api.token.split(":")[1]
    for record in caplog.records:
        text = record.getMessage() + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        assert secret not in text and api.token not in text


@pytest.mark.parametrize("fault", FAULTS)
def test_a_lost_poll_loses_no_question(api, spy, caplog, fault):
    chats = [new_id(), new_id()]
    before = len(api.calls("getUpdates", ok=False))
    with caplog.at_level(logging.DEBUG):
        api.fail("getUpdates", times=1, **fault)
        questions = [ask(api, chats[0]), ask(api, chats[1], arabic=True)]
        assert_answered_once(api, spy, questions)
    hit = api.calls("getUpdates", ok=False)[before:]
    assert len(hit) == 1 and hit[0].fault  # the fault really met a poll that carried updates
    assert len(fault_logs(caplog, "getUpdates")) == 1  # logged once...
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # ...and nothing worse
    assert_no_secret(caplog, api)


@pytest.mark.parametrize("fault", FAULTS)
def test_a_failed_send_is_tried_again_and_delivered_once(api, spy, caplog, fault):
    chat = new_id()
    before = len(api.calls("sendMessage", ok=False))
    with caplog.at_level(logging.DEBUG):
        api.fail("sendMessage", times=1, **fault)
        question = ask(api, chat)
        assert_answered_once(api, spy, [question])
    failed = api.calls("sendMessage", ok=False)[before:]
    assert len(failed) == 1 and failed[0].chat_id == chat  # the reply met the fault, then got through
    assert len(fault_logs(caplog, "sendMessage")) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert_no_secret(caplog, api)


def test_a_storm_of_every_fault_at_once_loses_nothing(api, spy, caplog):
    """Every kind on getUpdates and on sendMessage, armed together, while eight questions arrive."""
    chats = [new_id() for _ in range(4)]
    failed_before = len(api.calls(ok=False))
    with caplog.at_level(logging.DEBUG):
        for param in FAULTS:
            api.fail("getUpdates", times=1, **param.values[0])
            api.fail("sendMessage", times=1, **param.values[0])
        questions = []
        for _ in range(2):
            for i, chat in enumerate(chats):
                questions.append(ask(api, chat, arabic=bool(i % 2)))
        assert_answered_once(api, spy, questions)
    failed = api.calls(ok=False)[failed_before:]
    assert sorted(c.method for c in failed) == ["getUpdates"] * len(FAULTS) + ["sendMessage"] * len(FAULTS)
    assert len(fault_logs(caplog, "getUpdates")) == len(FAULTS)
    assert len(fault_logs(caplog, "sendMessage")) == len(FAULTS)
    assert_no_secret(caplog, api)


def test_a_server_down_past_every_retry_gets_one_apology_and_the_bot_goes_on(seed_answerer, caplog):
    """sendMessage fails more often than the bot tries: the person is told once; the next question is answered."""
    with FakeBotAPI() as server:
        application = build_application(bot_settings(server, poll_timeout=1, request_timeout=REQUEST_TIMEOUT), seed_answerer)
        throttle = application.bot.rate_limiter
        throttle.backoff = 0.01  # the retry schedule itself is not under test here
        with BotThread(application, server, poll_timeout=1), caplog.at_level(logging.DEBUG):
            chat = new_id()
            server.fail("sendMessage", times=throttle.max_failures + 1, status=500)
            question = server.message(chat, CONTAINERS)
            [apology] = server.wait_sent(chat, timeout=60)
            assert html_ok(apology) == TEXT["en"]["error"]
            assert len(server.calls("sendMessage", chat, ok=False)) == throttle.max_failures + 1
            follow = server.message(chat, CONTAINERS_AR)
            assert ANSWER in html_ok(server.wait_reply(follow, timeout=60)[0])
            assert replies_to(server, question) == []  # the apology does not pretend to be the answer
    assert len(fault_logs(caplog, "sendMessage")) == throttle.max_failures + 1
    assert len([r for r in caplog.records if r.name == "bot.handlers" and r.levelno == logging.ERROR]) == 1
    assert_no_secret(caplog, server)
