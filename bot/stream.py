"""The short answer written into a sent answer message while the model streams it.

The answer message goes out at once: the passages, and above them "writing a short answer..."
(with the rule-extracted answer, when there is one). As checked sentences arrive
(``index/generate.py`` shows only sentences that passed the checks) the message is edited, at
most once every ``EDIT_EVERY`` seconds; the last edit shows the written answer, or, when the
reply failed, the message as it would have been without a model. A model saying the passages
do not answer turns the reply into the honest "the articles don't say".

The model is read on the event loop (the async client): other chats are answered meanwhile.
Edits go through the bot's rate limiter like every message; a slow edit never delays reading.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from index.service import ABSTAINED, ShortAnswer

from . import render

log = logging.getLogger(__name__)

EDIT_EVERY = 1.0  # seconds between two edits of one message


@dataclass
class LiveAnswer:
    """A sent answer: its messages, the first one's passages (without the block above) and buttons."""

    bot: Any
    messages: list[Message]
    body: str  # the first message's HTML below the short answer block
    markup: InlineKeyboardMarkup | None  # the first message's buttons (when it is also the last)
    lang: str
    extracted: ShortAnswer | None
    preview: LinkPreviewOptions
    last_edit: float = field(default=0.0)

    async def edit(self, html: str, markup: InlineKeyboardMarkup | None) -> None:
        wait = self.last_edit + EDIT_EVERY - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        first = self.messages[0]
        try:
            await self.bot.edit_message_text(
                html, chat_id=first.chat_id, message_id=first.message_id, parse_mode=ParseMode.HTML,
                reply_markup=markup, link_preview_options=self.preview,
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                log.warning("could not edit the answer in chat %s: %s", first.chat_id, exc)
        except TelegramError as exc:
            log.warning("could not edit the answer in chat %s: %s", first.chat_id, exc)
        self.last_edit = time.monotonic()

    async def show(self, lead: str) -> None:
        if render.tg_len(lead) > render.LEAD_RESERVE:
            log.warning("short answer too long for the message (%d characters): not shown", render.tg_len(lead))
            lead = render.short_answer_html(self.extracted, self.lang)
        await self.edit(render.with_lead(lead, self.body), self.markup)

    async def decline(self) -> None:
        """The model says the passages do not answer: the honest reply, the passages taken back."""
        await self.edit(render.escape(render.text(self.lang, "no_answer")), None)
        for message in self.messages[1:]:
            with contextlib.suppress(TelegramError):
                await self.bot.delete_message(message.chat_id, message.message_id)


async def write_into(live: LiveAnswer, generator: Any, request: Any) -> ShortAnswer | None:
    """Stream the model's checked answer into the live message; returns what was finally shown."""
    latest = ""
    done = False
    changed = asyncio.Event()

    async def on_text(shown: str) -> None:
        nonlocal latest
        latest = shown
        changed.set()

    async def editor() -> None:
        while True:
            await changed.wait()
            changed.clear()
            if done:
                return
            await live.show(render.short_answer_html(live.extracted, live.lang, writing=latest))

    task = asyncio.create_task(editor())
    try:
        result = await generator.awrite(request, on_text)
    finally:
        done = True  # an edit under way completes; no new one starts
        changed.set()
        await task
    if result is not None and result.kind == ABSTAINED:
        await live.decline()
        return result
    shown = result or live.extracted
    await live.show(render.short_answer_html(shown, live.lang))
    return shown
