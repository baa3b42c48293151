"""The bot's typed settings, built by the CLI shell from config.toml and the environment."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# What @BotFather gives: the bot's number, a colon, then 35 letters, digits, "-" or "_" (a few
# fewer are allowed: the length is Telegram's to change).
TOKEN_SHAPE = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{30,80}")


def token_problem(token: str) -> str:
    """Why ``token`` cannot be a bot token ("" when it looks like one); never quotes it."""
    if not token:
        return "no bot token: set TELEGRAM_BOT_TOKEN (from @BotFather) in the environment"
    if not TOKEN_SHAPE.fullmatch(token):
        return (f"TELEGRAM_BOT_TOKEN does not look like a bot token ({len(token)} characters): @BotFather gives "
                "one like 123456789:AAH... (digits, a colon, then about 35 letters, digits, - or _)")
    return ""


@dataclass(frozen=True)
class BotSettings:
    token: str = field(default="", repr=False)  # from TELEGRAM_BOT_TOKEN only; never logged
    api_url: str = "https://api.telegram.org/bot"
    allowed_chats: frozenset[int] = frozenset()
    questions_per_minute: int = 10
    # Passages per page of an answer ("more passages" shows the next page); 0: [retrieval] k.
    passages: int = 0
    # Conversation context: chats remembered (least recently used forgotten first) and for how long.
    context_chats: int = 10_000
    context_minutes: float = 30.0
    # Telegram's own limits: messages per second over all chats, and per chat (with a short burst).
    messages_per_second: float = 30.0
    chat_messages_per_second: float = 1.0
    chat_burst: int = 3
    # Seconds a getUpdates long poll waits for news before asking again.
    poll_timeout: int = 30
    # Seconds to wait for the Bot API's answer to one call (a long poll waits poll_timeout more).
    request_timeout: float = 10.0
    # Threads that run retrieval (CPU work) off the event loop.
    workers: int = 2
    # Received-but-unanswered updates, kept on disk so a crash loses no question (bot/journal.py).
    # None: no journal (library use and tests); config.toml names var/bot-journal.jsonl.
    journal: Path | None = None
