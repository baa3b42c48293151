"""The HTTP side of the Bot API: every failed call logged once, one line, never the token.

python-telegram-bot puts the token in every request URL and reports some failures (a timed-out
long poll, flood control on getUpdates) only at DEBUG, others with a traceback. `LoggedRequest`
is the one place that sees every call: a call that fails (no answer in time, a dropped
connection, an HTTP error, a body that is not JSON) is logged here once, at WARNING, naming
only the method. The retry policies above it log nothing more: `limits.Throttle` for the
messages the bot sends, python-telegram-bot's polling loop for getUpdates (which loses
nothing: an update is confirmed only by the offset of the next successful poll).

`transient` tells a failure worth another try (the same request may well succeed) from a
refusal that another try would only repeat (a bad request, a blocked chat, a wrong token).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable

from telegram.error import (
    BadRequest, ChatMigrated, Conflict, EndPointNotFound, Forbidden, InvalidToken, NetworkError, TelegramError,
)
from telegram.request import HTTPXRequest

from .redact import redact

log = logging.getLogger("bot.api")

_DEFINITE = (BadRequest, Forbidden, InvalidToken, Conflict, ChatMigrated, EndPointNotFound)


def transient(error: BaseException) -> bool:
    """A network failure, a timeout, a server error or an unreadable answer: worth trying again."""
    if isinstance(error, _DEFINITE):
        return False
    # NetworkError covers timeouts, dropped connections and HTTP 5xx; a bare TelegramError is
    # what python-telegram-bot raises for an answer that is not JSON.
    return isinstance(error, NetworkError) or type(error) is TelegramError


def method_of(url: str) -> str:
    """The Bot API method of a request URL (".../bot<token>/sendMessage" -> "sendMessage")."""
    return url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]


def _described(payload: bytes) -> str:
    try:
        description = json.loads(payload).get("description")
    except (ValueError, AttributeError):
        description = None
    return redact(str(description)[:200]) if description else "no description"


NO_UPDATES = b'{"ok": true, "result": []}'


class LoggedRequest(HTTPXRequest):
    """HTTPXRequest that logs each failed Bot API call once (method and reason, not the URL).

    ``intake`` (for the getUpdates request) sees each batch of updates before python-telegram-bot
    parses it (see ``intake.py``). ``on_unauthorized`` is called when the Bot API answers HTTP 401
    (the token was revoked while running): python-telegram-bot would end its polling loop and
    leave the process alive and deaf, so the poll is answered as empty here and the caller stops
    the bot, which exits with one line for its supervisor to act on.
    """

    def __init__(
        self, *args: Any, intake: Callable[[list], list] | None = None,
        on_unauthorized: Callable[[], None] | None = None, **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.intake = intake
        self.on_unauthorized = on_unauthorized

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        name = method_of(url)
        try:
            code, payload = await super().do_request(url, method, *args, **kwargs)
        except TelegramError as exc:
            if name != "getMe":  # the start-up call: app.py says why it failed, in its one line
                log.warning("Bot API %s failed: %s", name, redact(exc.message or type(exc).__name__))
            raise
        if not 200 <= code <= 299:
            log.warning("Bot API %s answered HTTP %s (%s)", name, code, _described(payload))
            if code == 401 and self.on_unauthorized is not None:
                self.on_unauthorized()
                if name == "getUpdates":
                    return 200, NO_UPDATES
            return code, payload
        try:
            data = json.loads(payload)
        except ValueError:
            log.warning("Bot API %s answered HTTP %s with a body that is not JSON (%d bytes)", name, code, len(payload))
            return code, payload
        if name == "getUpdates" and self.intake is not None and isinstance(data, dict):
            result = data.get("result")
            if data.get("ok") and isinstance(result, list) and result:
                data["result"] = self.intake(result)
                payload = json.dumps(data).encode("utf-8")  # ASCII: a lone surrogate stays escaped
        return code, payload

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict:
        """As python-telegram-bot's, without its second log (at ERROR, the whole body) of a bad answer."""
        try:
            return json.loads(payload.decode("utf-8", "replace"))
        except ValueError as exc:
            raise TelegramError("Invalid server response") from exc
