"""The bot's typed settings, built by the CLI shell from config.toml and the environment."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class BotSettings:
    token: str = field(default="", repr=False)  # from TELEGRAM_BOT_TOKEN only; never logged
    api_url: str = "https://api.telegram.org/bot"
    allowed_chats: frozenset[int] = frozenset()
    questions_per_minute: int = 10
