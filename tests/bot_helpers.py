"""Helpers shared by the bot's tests: the real bot polling a loopback Bot API server
(tests/botapi.py), an Answerer that records what it is asked, fresh chat ids, and the check of a
sent message as Telegram would make it."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from bot.app import build_application
from bot.settings import BotSettings
from tests.botapi import BotThread, FakeBotAPI, parse_html, utf16_len

CONTAINERS = "How many containers of ammunition did North Korea send to Russia?"
CONTAINERS_AR = "كم حاوية ذخيرة أرسلت كوريا الشمالية إلى روسيا؟"
PER_MINUTE = 3  # questions a user may ask a minute, in ``bot_settings``

_ids = itertools.count(1000)


def new_id() -> int:
    """A chat or user id no other test uses: a shared bot's per-user limits and conversations never mix."""
    return next(_ids)


class SpyAnswerer:
    """The real Answerer, recording the questions asked of it; a question in `explode` raises."""

    def __init__(self, answerer) -> None:
        self.answerer = answerer
        self.asked: list[str] = []
        self.explode: set[str] = set()
        self.lock = threading.Lock()

    def ask(self, question: str, k: int = 3, offset: int = 0):
        with self.lock:
            self.asked.append(question)
        if question in self.explode:
            raise RuntimeError("boom (a test's planted failure)")
        return self.answerer.ask(question, k=k, offset=offset)

    def article(self, article_id: str):
        return self.answerer.article(article_id)

    def sources(self, newest: int = 5):
        return self.answerer.sources(newest)


def bot_settings(api: FakeBotAPI, **overrides) -> BotSettings:
    """Settings for a bot polling `api`: fast polls, no per-chat pacing, PER_MINUTE questions a minute."""
    values = dict(
        token=api.token, api_url=api.base_url, questions_per_minute=PER_MINUTE, poll_timeout=5,
        chat_messages_per_second=100.0, chat_burst=100,
    )
    values.update(overrides)
    return BotSettings(**values)


@contextmanager
def running_bot(answerer, **overrides) -> Iterator[FakeBotAPI]:
    """A loopback Bot API server and the real bot polling it, configured by ``bot_settings``."""
    with FakeBotAPI() as server:
        settings = bot_settings(server, **overrides)
        with BotThread(build_application(settings, answerer, k=3), server, poll_timeout=settings.poll_timeout):
            yield server


def html_ok(call) -> str:
    """The plain text of a sent message, after checking it as Telegram would."""
    assert call.params.get("parse_mode") == "HTML"
    plain, tags = parse_html(call.text)
    assert utf16_len(plain) <= 4096 and utf16_len(call.text) <= 4096
    return plain
