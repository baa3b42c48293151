"""The question in the other language, asked of the user's OpenAI-compatible server ([generate]).

multilingual-e5 ranks a question's own language first (languages.py): the passage that answers
in the other language loses to unrelated ones in the question's. Searched with the question in
the passage's language, it is a same-language match again (retrieval.py merges the two). One
short request, non-streamed, under a time limit of its own (``[generate] translate_timeout``,
a few seconds: the reader waits for it before anything is shown). A slow or failing server, or a
reply that is not a question in the asked language, gives None: the question is ranked as
without a server. Translations are remembered (a bot's "more passages" asks again).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from typing import Any

from .question import language_of
from .settings import GenerateSettings

log = logging.getLogger(__name__)

LANGUAGES = {"ar": "Arabic", "en": "English"}
SYSTEM = (
    "Translate the user's question into {language}. Keep names, numbers and dates exactly. Reply with the "
    "translated question only: one line, no quotes, no explanation, no answer."
)
MAX_TOKENS = 128
REMEMBERED = 256  # translations kept, most recent first
QUESTION_MARKS = ("?", "؟")
WRAPPERS = "\"'`«»“”‘’ "


class BadTranslation(Exception):
    """The reply is not a question in the asked language; the message says why (logged)."""


def checked(reply: str, question: str, target: str) -> str:
    """The translation in ``reply``, or BadTranslation: one line of the target language, a
    question when the original is one, of a length a translation has."""
    text = reply.strip().strip(WRAPPERS).strip()
    if not text or "\n" in text:
        raise BadTranslation("not one line")
    if language_of(text) != target:
        raise BadTranslation(f"not in {LANGUAGES.get(target, target)}")
    if len(text) > 3 * len(question) + 40:
        raise BadTranslation("far longer than the question")
    if question.rstrip().endswith(QUESTION_MARKS) and not text.endswith(QUESTION_MARKS):
        raise BadTranslation("not a question")
    if re.sub(r"\W", "", text) == re.sub(r"\W", "", question):
        raise BadTranslation("the question itself")
    return text


class Translator:
    """Asks the server for a question's translation; one per process, safe to share between threads."""

    def __init__(self, settings: GenerateSettings) -> None:
        self.settings = settings
        self.timeout = settings.translate_timeout
        self._client: Any = None
        self._lock = threading.Lock()
        self._remembered: OrderedDict[tuple[str, str], str] = OrderedDict()

    def translate(self, question: str, target: str) -> str | None:
        """The question in ``target`` ("ar" or "en"), or None (the reason logged) within ``timeout`` seconds."""
        key = (question, target)
        with self._lock:
            if key in self._remembered:
                self._remembered.move_to_end(key)
                return self._remembered[key]
        reply: list[str] = []
        failed: list[BaseException] = []
        done = threading.Event()

        def ask() -> None:
            try:
                reply.append(self._ask(question, target))
            except Exception as exc:  # reported below
                failed.append(exc)
            finally:
                done.set()

        # A daemon thread: a server that keeps the connection busy past the limit holds neither
        # the reader nor the process's exit (httpx's timeout is per read).
        threading.Thread(target=ask, name="translate", daemon=True).start()
        if not done.wait(self.timeout):
            log.warning("question not translated (no reply in %.1f s): ranked without it", self.timeout)
            return None
        try:
            if failed:
                raise failed[0]
            text = checked(reply[0], question, target)
        except Exception as exc:  # every failure ends the same way: today's ranking
            log.warning("question not translated (%s): ranked without it", _reason(exc))
            return None
        log.info("question translated into %s: %s", LANGUAGES.get(target, target), text)
        with self._lock:
            self._remembered[key] = text
            while len(self._remembered) > REMEMBERED:
                self._remembered.popitem(last=False)
        return text

    def _ask(self, question: str, target: str) -> str:
        import httpx

        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self.timeout)  # per read: the overall limit is the wait in translate()
        headers = {"Authorization": f"Bearer {self.settings.api_key}"} if self.settings.api_key else {}
        body = {
            "model": self.settings.model, "stream": False, "temperature": 0.0, "max_tokens": MAX_TOKENS,
            "messages": [{"role": "system", "content": SYSTEM.format(language=LANGUAGES.get(target, target))},
                         {"role": "user", "content": question}],
        }
        response = self._client.post(f"{self.settings.url.rstrip('/')}/chat/completions", json=body, headers=headers)
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
        if not isinstance(content, str):
            raise BadTranslation("no text in the reply")
        return content

def translator_for(settings: GenerateSettings) -> Translator | None:
    """The translator when [generate] names a server and ``translate`` is on, else None."""
    return Translator(settings) if settings.enabled and settings.translate else None


def _reason(exc: BaseException) -> str:
    import httpx

    if isinstance(exc, BadTranslation):
        return str(exc)
    if isinstance(exc, httpx.HTTPStatusError):
        return f"the server answered HTTP {exc.response.status_code}"
    if isinstance(exc, httpx.TimeoutException):
        return "no reply in time"
    if isinstance(exc, httpx.TransportError):
        return "the connection to the server failed"
    return f"malformed reply ({type(exc).__name__})"
