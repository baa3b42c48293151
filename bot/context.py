"""Conversation context: the topic of each chat, so a short follow-up builds on it.

"Who vetoed the resolution?" then "and China?" asks the index "Who vetoed the resolution?
and China?". A question that stands on its own becomes the new topic; /new forgets it.
Memory is bounded: at most `chats` chats (least recently active forgotten first), and a
topic older than `ttl` seconds is forgotten.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable

from index.service import MAX_QUESTION_CHARS, clean

# A follow-up starts with one of these, or is short and asks nothing by itself.
_MARKERS = re.compile(
    r"^(?:and|but|also|what about|how about|what of|same for|or)\b"
    r"|^(?:و\s*)?(?:ماذا عن|ما ذا عن|وماذا|وما|وكذلك|كذلك|أيضا|ايضا|أيضًا)(?:\s|$|[؟?])",
    re.IGNORECASE,
)
_QUESTION_WORDS = re.compile(
    r"\b(?:who|whom|whose|what|when|where|why|how|which|is|are|was|were|did|does|do|can|could|will|would|should|has|have|had)\b"
    r"|(?:^|\s)(?:من|ما|ماذا|متى|أين|اين|لماذا|لم|كيف|كم|بكم|هل|أي|اي|لمن|مَن)(?:\s|$|[؟?])",
    re.IGNORECASE,
)
SHORT_WORDS = 3


def is_follow_up(text: str) -> bool:
    text = clean(text).lower()
    if _MARKERS.search(text):
        return True
    return len(text.split()) <= SHORT_WORDS and not _QUESTION_WORDS.search(text)


def with_topic(topic: str, text: str) -> str:
    """The follow-up joined to its topic, the topic's start dropped if the whole would be too long."""
    text = clean(text)
    room = MAX_QUESTION_CHARS - len(text) - 1
    if room <= 0:
        return text
    return f"{topic[-room:]} {text}"


class Conversations:
    def __init__(self, chats: int = 10_000, ttl: float = 1800.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_chats, self.ttl, self.clock = chats, ttl, clock
        self.topics: OrderedDict[int, tuple[str, float]] = OrderedDict()

    def question(self, chat_id: int, text: str) -> str:
        """The question to ask the index for `text`, and the chat's topic updated."""
        now = self.clock()
        entry = self.topics.get(chat_id)
        topic = entry[0] if entry and now - entry[1] <= self.ttl else None
        if topic and is_follow_up(text):
            self._set(chat_id, topic, now)  # the topic stays; the conversation is still alive
            return with_topic(topic, text)
        self._set(chat_id, clean(text), now)
        return clean(text)

    def topic(self, chat_id: int) -> str | None:
        entry = self.topics.get(chat_id)
        return entry[0] if entry and self.clock() - entry[1] <= self.ttl else None

    def clear(self, chat_id: int) -> None:
        self.topics.pop(chat_id, None)

    def _set(self, chat_id: int, topic: str, now: float) -> None:
        self.topics[chat_id] = (topic, now)
        self.topics.move_to_end(chat_id)
        while len(self.topics) > self.max_chats:
            self.topics.popitem(last=False)
