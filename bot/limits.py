"""Limits: Telegram's (messages per second, flood control) and ours (questions per user).

`Throttle` is a python-telegram-bot rate limiter: it spaces the messages the bot sends (overall
and per chat, with a short burst), and when Telegram answers HTTP 429 it waits the
`retry_after` it was given (holding back every other message meanwhile, as Telegram asks) and
sends again, however many times Telegram asks (a reply is delivered late, never dropped: an
answer given up after N tries was an answer lost). A transient failure (no answer
in time, a dropped connection, HTTP 5xx, an answer that is not JSON: see `transport.transient`)
is tried again after a growing pause, a bounded number of times. Each failure is logged once,
by `transport.LoggedRequest`; nothing here logs it again.

Trying a send again after a timeout can, with the real Telegram, deliver a message twice (the
first try may have arrived and only its answer been lost): a reply sent twice is better than
a question never answered.

`QuestionLimit` counts each user's questions over the last minute.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import time
import warnings
from collections import OrderedDict, deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

from .transport import transient

log = logging.getLogger(__name__)

# Methods that put a message in a chat, counted against Telegram's message limits.
_UNTHROTTLED = {"sendChatAction"}


def _throttled(endpoint: str) -> bool:
    return endpoint not in _UNTHROTTLED and endpoint.startswith(("send", "edit", "copyMessage", "forwardMessage"))


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved; `reserve` takes one and says how long to wait."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = float(burst)
        self.stamp = clock()

    def reserve(self) -> float:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


def retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # the int/timedelta migration warns on every read
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# getMe is the start-up call: failing, it ends the start at once with its reason (app.py), and a
# supervisor (systemd's Restart=, a container's restart policy) tries again, not 30 s of backoff.
NOT_RETRIED = frozenset({"getMe"})


class Throttle(BaseRateLimiter[None]):
    def __init__(
        self, per_second: float = 30.0, chat_per_second: float = 1.0, chat_burst: int = 3,
        warn_after: int = 10, chats: int = 10_000, max_failures: int = 6, backoff: float = 0.5,
    ) -> None:
        self.overall = TokenBucket(per_second, max(1.0, per_second))
        self.chat_rate, self.chat_burst = chat_per_second, chat_burst
        self.warn_after = warn_after  # 429s in a row before a WARNING (the message is never dropped)
        self.chats: OrderedDict[Any, TokenBucket] = OrderedDict()
        self.max_chats = chats
        self.paused_until = 0.0
        self.retries = 0  # how many 429s were waited out (for logs and tests)
        self.max_failures, self.backoff = max_failures, backoff
        self.failures = 0  # how many transient failures were tried again (for logs and tests)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def _chat_bucket(self, chat_id: Any) -> TokenBucket:
        bucket = self.chats.get(chat_id)
        if bucket is None:
            bucket = self.chats[chat_id] = TokenBucket(self.chat_rate, self.chat_burst)
            while len(self.chats) > self.max_chats:
                self.chats.popitem(last=False)
        else:
            self.chats.move_to_end(chat_id)
        return bucket

    async def _wait_pause(self) -> None:
        while (delay := self.paused_until - time.monotonic()) > 0:
            await asyncio.sleep(delay)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        throttled = _throttled(endpoint)
        if throttled:
            chat_id = data.get("chat_id")
            if chat_id is not None:
                await asyncio.sleep(self._chat_bucket(chat_id).reserve())
            await asyncio.sleep(self.overall.reserve())
        attempt = failed = 0
        while True:
            await self._wait_pause()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:  # flood control: wait as asked and send, however many times
                attempt += 1
                if attempt == self.warn_after + 1:  # said once; the message stays queued, never dropped
                    log.warning("%s: flood control %d times in a row; still waiting to send", endpoint, attempt)
                delay = retry_seconds(exc)
                self.retries += 1
                log.debug("Telegram asked to wait %.0f s (flood control) before %s; waiting", delay, endpoint)
                self.paused_until = max(self.paused_until, time.monotonic() + delay)
            except TelegramError as exc:
                failed += 1
                if not transient(exc) or failed > self.max_failures or endpoint in NOT_RETRIED:
                    raise
                self.failures += 1
                delay = min(30.0, self.backoff * 2 ** (failed - 1))
                log.debug("%s failed (%s); trying again in %.1f s", endpoint, exc, delay)
                await asyncio.sleep(delay)


class QuestionLimit:
    """At most `per_minute` questions per user in any 60 seconds; remembers at most `users` users."""

    def __init__(self, per_minute: int, users: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute, self.max_users, self.clock = per_minute, users, clock
        self.asked: OrderedDict[int, deque[float]] = OrderedDict()
        self.warned: dict[int, float] = {}

    def check(self, user_id: int) -> tuple[bool, int, bool]:
        """(allowed, seconds until the next question is allowed, whether to say so now).

        Past the limit the user is told once; later questions in the same window are ignored
        quietly, so a flood does not become a flood of replies.
        """
        now = self.clock()
        times = self.asked.get(user_id)
        if times is None:
            times = self.asked[user_id] = deque()
            while len(self.asked) > self.max_users:
                old, _ = self.asked.popitem(last=False)
                self.warned.pop(old, None)
        else:
            self.asked.move_to_end(user_id)
        while times and times[0] <= now - 60:
            times.popleft()
        if len(times) < self.per_minute:
            times.append(now)
            self.warned.pop(user_id, None)
            return True, 0, False
        wait = max(1, int(times[0] + 60 - now + 0.999))
        tell = user_id not in self.warned or self.warned[user_id] <= now - 60
        if tell:
            self.warned[user_id] = now
        return False, wait, tell
