"""The bot's typed settings, built by the CLI shell from config.toml and the environment."""

from __future__ import annotations

from dataclasses import dataclass, field


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
