"""Inline-button data: short strings (Telegram allows 64 bytes) that name no file.

    m:<lang>:<token>        "more passages": the token keys a Page kept in memory
    a:<lang>:<article id>   "full article": the id is looked up only through Answerer.article
    s:<token>               any of the above that would not fit in 64 bytes, kept in memory

Memory is bounded (least recently made forgotten first), so a button can outlive what it
points at (and every button outlives a restart): `parse` then returns None and the handler
answers politely. Forged data is just data that parses to nothing, or to an article id the
index does not hold.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass

MAX_BYTES = 64
LANGS = ("ar", "en")


@dataclass(frozen=True)
class Page:
    chat_id: int
    question: str  # the question as asked of the index (with its conversation context)
    offset: int  # passages already shown
    lang: str


@dataclass(frozen=True)
class More:
    lang: str
    page: Page


@dataclass(frozen=True)
class FullArticle:
    lang: str
    article_id: str


class Store:
    """A bounded token -> value map."""

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self.items: OrderedDict[str, object] = OrderedDict()

    def put(self, value: object) -> str:
        token = secrets.token_urlsafe(9)  # 12 characters, 72 random bits: not guessable
        self.items[token] = value
        while len(self.items) > self.size:
            self.items.popitem(last=False)
        return token

    def get(self, token: str) -> object | None:
        return self.items.get(token)

    def pop(self, token: str) -> object | None:
        return self.items.pop(token, None)


class Callbacks:
    def __init__(self, size: int = 5000) -> None:
        self.store = Store(size)

    def _fit(self, data: str) -> str:
        if len(data.encode("utf-8")) <= MAX_BYTES:
            return data
        return f"s:{self.store.put(data)}"

    def more(self, page: Page) -> str:
        return self._fit(f"m:{page.lang}:{self.store.put(page)}")

    def article(self, lang: str, article_id: str) -> str:
        return self._fit(f"a:{lang}:{article_id}")

    def parse(self, data: str | None, chat_id: int) -> More | FullArticle | None:
        """What a pressed button asks for, or None (expired, from another chat, or forged)."""
        if not isinstance(data, str) or len(data.encode("utf-8", "replace")) > MAX_BYTES:
            return None
        if data.startswith("s:"):
            stored = self.store.get(data[2:])
            if not isinstance(stored, str):
                return None
            data = stored
        kind, _, rest = data.partition(":")
        lang, _, value = rest.partition(":")
        if lang not in LANGS or not value:
            return None
        if kind == "a":
            return FullArticle(lang, value)
        if kind == "m":
            page = self.store.pop(value)
            if isinstance(page, Page) and page.chat_id == chat_id:
                return More(lang, page)
            if page is not None:  # another chat's button: leave it for its owner
                self.store.items[value] = page
        return None
