"""A small, real Telegram Bot API server on 127.0.0.1, for tests and benchmarks.

It speaks HTTP like api.telegram.org (POST /bot<token>/<method>, form or JSON parameters,
{"ok": ..., "result": ...} answers), long-polls getUpdates, records every call the bot makes,
checks what Telegram checks (HTML parse mode: only its tags, balanced, entities; 4096
characters after parsing; callback data of 1-64 bytes) and answers 400 where Telegram would.
Tests inject updates (messages, stickers, button presses) and faults (`fail`: HTTP 429 with
retry_after, 500, 502, a connection reset mid-answer, an answer that never comes, a body that
is not JSON), then wait for what the bot sends.

    with FakeBotAPI() as api:
        settings = BotSettings(token=api.token, api_url=api.base_url)
        ...
        api.message(chat_id=1, text="How many containers?")
        [reply] = api.wait_sent(chat_id=1)
"""

from __future__ import annotations

import html
import json
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable
from urllib.parse import parse_qs

from tests.loopback import LoopbackServer, QuietHandler

BOT_ID = 777000111
BOT_USERNAME = "rawi_test_bot"
MAX_TEXT = 4096

# Telegram's HTML parse mode: these tags, these attributes.
ALLOWED_TAGS = {
    "b": set(), "strong": set(), "i": set(), "em": set(), "u": set(), "ins": set(), "s": set(), "strike": set(),
    "del": set(), "tg-spoiler": set(), "span": {"class"}, "a": {"href"}, "code": {"class"}, "pre": set(),
    "blockquote": {"expandable"}, "tg-emoji": {"emoji-id"},
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class BadHTML(ValueError):
    pass


class _TelegramHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.plain: list[str] = []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in ALLOWED_TAGS:
            raise BadHTML(f"unsupported start tag {tag!r}")
        names = {name for name, _ in attrs}
        if not names <= ALLOWED_TAGS[tag]:
            raise BadHTML(f"unsupported attribute(s) {names - ALLOWED_TAGS[tag]} in <{tag}>")
        if tag == "span" and dict(attrs).get("class") != "tg-spoiler":
            raise BadHTML("<span> needs class tg-spoiler")
        if tag == "a" and not (dict(attrs).get("href") or "").startswith(("http://", "https://", "tg://")):
            raise BadHTML("<a> needs an http(s) href")
        if tag == "blockquote" and "blockquote" in self.stack:
            raise BadHTML("nested blockquote")
        self.stack.append(tag)
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        raise BadHTML(f"self-closing tag {tag!r}")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise BadHTML(f"unexpected end tag {tag!r} (open: {self.stack})")
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if any(ch in data for ch in "<>&"):
            raise BadHTML(f"unescaped character in {data[:40]!r}")
        self.plain.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in NAMED_ENTITIES:
            raise BadHTML(f"unsupported entity &{name};")
        self.plain.append(NAMED_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        self.plain.append(html.unescape(f"&#{name};"))

    def handle_comment(self, data: str) -> None:
        raise BadHTML("comment")

    def handle_decl(self, decl: str) -> None:
        raise BadHTML("declaration")

    def unknown_decl(self, data: str) -> None:
        raise BadHTML("declaration")


def parse_html(text: str) -> tuple[str, list[tuple[str, dict]]]:
    """Telegram-HTML -> (the plain text Telegram would show, the tags used); BadHTML if Telegram would refuse it."""
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    if parser.rawdata:  # HTMLParser keeps an unfinished tag like "<b" here
        raise BadHTML(f"unfinished markup {parser.rawdata[:40]!r}")
    if parser.stack:
        raise BadHTML(f"unclosed tag(s) {parser.stack}")
    return "".join(parser.plain), parser.tags


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    result: Any = None
    description: str = ""
    fault: str = ""  # the injected fault this call met ("" for none): see FakeBotAPI.fail

    @property
    def ok(self) -> bool:
        """Did the bot get a successful answer (so a message was really delivered)?"""
        return self.status == 200 and not self.fault

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return self.params.get("text", "")

    @property
    def plain(self) -> str:
        if self.params.get("parse_mode") == "HTML":
            return parse_html(self.text)[0]
        return self.text

    @property
    def buttons(self) -> list[dict]:
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    @property
    def reply_to(self) -> int | None:
        params = self.params.get("reply_parameters") or {}
        return params.get("message_id") or self.params.get("reply_to_message_id")


FAULT_KINDS = ("status", "reset", "timeout", "malformed")
BAD_GATEWAY_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
MALFORMED_BODY = b'{"ok": true, "result": [{"update_id": '  # cut off: not JSON
HALF_AN_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n" + MALFORMED_BODY


@dataclass
class Fault:
    method: str
    times: int
    status: int
    retry_after: int | None
    kind: str = "status"
    hold: float = 0.0


@dataclass
class _State:
    updates: list[dict] = field(default_factory=list)
    next_update: int = 1
    next_message: int = 1000
    messages: dict[tuple[int, int], dict] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)


class FakeBotAPI(LoopbackServer):
    """The server; `token` and `base_url` go into BotSettings."""

    def __init__(self, token: str = "123456:TEST-token-never-logged-0123456789ab") -> None:  # as @BotFather shapes one
        self.token = token
        self.state = _State()
        self.cond = threading.Condition()
        self.closing = False
        super().__init__(self._handler(), name="fake-bot-api", path="/bot")

    def close(self) -> None:
        with self.cond:
            self.closing = True
            self.cond.notify_all()
        super().close()

    # -- what tests inject -------------------------------------------------------------------

    def _push(self, kind: str, payload: dict) -> dict:
        with self.cond:
            update = {"update_id": self.state.next_update, kind: payload}
            self.state.next_update += 1
            self.state.updates.append(update)
            self.cond.notify_all()
        return payload

    def _new_message_id(self) -> int:
        with self.cond:
            self.state.next_message += 1
            return self.state.next_message

    @staticmethod
    def user(user_id: int, language_code: str = "en") -> dict:
        return {"id": user_id, "is_bot": False, "first_name": f"user{user_id}", "language_code": language_code}

    @staticmethod
    def chat(chat_id: int, chat_type: str = "private") -> dict:
        chat = {"id": chat_id, "type": chat_type}
        if chat_type != "private":
            chat["title"] = f"group {chat_id}"
        return chat

    def message(
        self, chat_id: int, text: str | None = None, user_id: int | None = None, chat_type: str = "private",
        language_code: str = "en", reply_to: dict | None = None, **extra: Any,
    ) -> dict:
        """Inject a message from a person; returns it (its message_id identifies the reply's target)."""
        message: dict[str, Any] = {
            "message_id": self._new_message_id(), "date": int(time.time()),
            "chat": self.chat(chat_id, chat_type), "from": self.user(user_id or abs(chat_id), language_code),
        }
        if text is not None:
            message["text"] = text
            entities = []
            if text.startswith("/"):
                entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(text.split()[0])})
            at = text.find("@" + BOT_USERNAME)
            if at >= 0:
                entities.append({"type": "mention", "offset": utf16_len(text[:at]), "length": len(BOT_USERNAME) + 1})
            if entities:
                message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(extra)
        return self._push("message", message)

    def edit(self, message: dict, text: str) -> dict:
        """Inject an edit of an earlier message: Telegram sends the whole message again, edited."""
        return self._push("edited_message", {**message, "text": text, "edit_date": int(time.time())})

    def sticker(self, chat_id: int, **kwargs: Any) -> dict:
        sticker = {
            "file_id": "CAACAgIAAxkBAAE", "file_unique_id": "AgAD", "type": "regular",
            "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": "👍",
        }
        return self.message(chat_id, None, sticker=sticker, **kwargs)

    def photo(self, chat_id: int, **kwargs: Any) -> dict:
        photo = [{"file_id": "AgACAgIAAxk", "file_unique_id": "AQAD", "width": 90, "height": 90}]
        return self.message(chat_id, None, photo=photo, **kwargs)

    def voice(self, chat_id: int, **kwargs: Any) -> dict:
        voice = {"file_id": "AwACAgIAAxk", "file_unique_id": "AgADv", "duration": 3}
        return self.message(chat_id, None, voice=voice, **kwargs)

    def press(self, sent: Call, data: str, user_id: int | None = None, language_code: str = "en") -> dict:
        """Inject a press of a button (or forged data) under a message the bot sent."""
        chat_id = sent.result["chat"]["id"]
        with self.cond:
            message = self.state.messages.get((chat_id, sent.result["message_id"]), sent.result)
        query = {
            "id": str(self._new_message_id()), "from": self.user(user_id or abs(chat_id), language_code),
            "chat_instance": str(chat_id), "data": data, "message": message,
        }
        return self._push("callback_query", query)

    def fail(
        self, method: str, times: int = 1, status: int = 429, retry_after: int | None = 1, kind: str = "status",
        hold: float = 3.0,
    ) -> None:
        """The next `times` calls of `method` fail; nothing they asked for is done (no message is sent).

        kind "status": HTTP `status` (429: flood control with retry_after; 502: a proxy's HTML page;
        others: Telegram's JSON error). "reset": half an answer, then the connection is reset.
        "timeout": no answer for `hold` seconds (make it longer than the client's read timeout),
        then the connection is closed. "malformed": HTTP 200 with a body that is not JSON.
        For getUpdates, a fault hits the next poll that carries updates (the worst moment: the
        updates leave the server and never arrive); they stay pending until a poll succeeds.
        """
        assert kind in FAULT_KINDS, kind
        with self.cond:
            self.state.faults.append(Fault(method, times, status, retry_after, kind, hold))

    # -- what tests read ---------------------------------------------------------------------

    def calls(self, method: str | None = None, chat_id: int | None = None, ok: bool | None = True) -> list[Call]:
        with self.cond:
            calls = list(self.state.calls)
        return [
            c for c in calls
            if (method is None or c.method == method) and (chat_id is None or c.chat_id == chat_id)
            and (ok is None or c.ok == ok)
        ]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        return self.calls("sendMessage", chat_id)

    def wait_for(self, predicate: Callable[[list[Call]], Any], timeout: float = 30.0) -> Any:
        """Wait until predicate(all calls) is truthy; return its value (AssertionError on timeout)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                value = predicate(list(self.state.calls))
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    methods = [(c.method, c.chat_id, c.status) for c in self.state.calls[-20:]]
                    raise AssertionError(f"timed out waiting; last calls: {methods}")
                self.cond.wait(left)

    def wait_sent(self, chat_id: int, count: int = 1, timeout: float = 30.0, method: str = "sendMessage") -> list[Call]:
        def enough(calls: list[Call]) -> list[Call] | None:
            mine = [c for c in calls if c.method == method and c.chat_id == chat_id and c.ok]
            return mine if len(mine) >= count else None

        return self.wait_for(enough, timeout)

    def wait_reply(self, question: dict, timeout: float = 30.0) -> list[Call]:
        """The messages that answer an injected message: the first replies to it, the rest follow it."""
        chat_id, message_id = question["chat"]["id"], question["message_id"]

        def replied(calls: list[Call]) -> list[Call] | None:
            mine = [c for c in calls if c.method == "sendMessage" and c.chat_id == chat_id and c.ok]
            for i, c in enumerate(mine):
                if c.reply_to == message_id:
                    return mine[i:]
            return None

        return self.wait_for(replied, timeout)

    # -- the HTTP side -----------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                self._serve(body)

            def do_GET(self) -> None:
                self._serve(b"")

            def _serve(self, body: bytes) -> None:
                prefix = f"/bot{api.token}/"
                if not self.path.startswith(prefix):
                    return self._send(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                method = self.path[len(prefix):].split("?")[0]
                params = api._decode(body, self.headers.get("Content-Type", ""))
                status, payload, fault = api._call(method, params)
                if fault is None or fault.kind == "status":
                    return self._send(status, payload)
                if fault.kind == "malformed":
                    return self._send(200, MALFORMED_BODY)
                if fault.kind == "timeout":
                    with api.cond:  # the answer never comes (bounded; ends early when the server closes)
                        api.cond.wait_for(lambda: api.closing, timeout=fault.hold)
                    self.close_connection = True
                    return None
                return self.reset(HALF_AN_ANSWER)

            def _send(self, status: int, payload: dict | bytes) -> None:
                if isinstance(payload, bytes):  # a proxy's HTML page, or a body cut off
                    return self.send_body(status, payload, "text/html")
                return self.send_json(status, payload)

        return Handler

    @staticmethod
    def _decode(body: bytes, content_type: str) -> dict[str, Any]:
        if not body:
            return {}
        if content_type.startswith("application/json"):
            return json.loads(body)
        if content_type.startswith("multipart/form-data"):
            raise NotImplementedError("multipart uploads are not used by the bot")
        params: dict[str, Any] = {}
        for key, values in parse_qs(body.decode(), keep_blank_values=True).items():
            value = values[0]
            if key in ("reply_markup", "reply_parameters", "link_preview_options", "allowed_updates", "commands"):
                value = json.loads(value)
            params[key] = value
        return params

    def _take_fault(self, method: str) -> Fault | None:
        with self.cond:
            fault = next((f for f in self.state.faults if f.method == method and f.times > 0), None)
            if fault:
                fault.times -= 1
            return fault

    def _faulted(self, call: Call, fault: Fault) -> tuple[int, dict | bytes, Fault]:
        """Record `call` as having met `fault`; the answer to give (for kind "status")."""
        call.fault = fault.kind if fault.kind != "status" else f"status {fault.status}"
        call.status = fault.status if fault.kind == "status" else 0
        answer: dict[str, Any] | bytes = {"ok": False, "error_code": fault.status}
        if fault.kind != "status":
            call.description = fault.kind
        elif fault.status == 429:
            answer["description"] = f"Too Many Requests: retry after {fault.retry_after}"
            answer["parameters"] = {"retry_after": fault.retry_after}
        elif fault.status == 502:
            answer = BAD_GATEWAY_PAGE
        else:
            answer["description"] = "Internal Server Error"
        if isinstance(answer, dict):
            call.description = call.description or answer["description"]
        self._record(call)
        return fault.status, answer, fault

    def _call(self, method: str, params: dict[str, Any]) -> tuple[int, dict | bytes, Fault | None]:
        if method == "getUpdates":
            updates = self._get_updates(params)
            if updates:
                fault = self._take_fault(method)
                if fault:
                    return self._faulted(Call(method, params, time.monotonic()), fault)
            return 200, {"ok": True, "result": updates}, None
        call = Call(method, params, time.monotonic())
        fault = self._take_fault(method)
        if fault:
            return self._faulted(call, fault)
        try:
            result = self._result(method, params)
        except _Refused as exc:
            call.status, call.description = 400, str(exc)
            self._record(call)
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}, None
        call.result = result
        self._record(call)
        return 200, {"ok": True, "result": result}, None

    def _record(self, call: Call) -> None:
        with self.cond:
            self.state.calls.append(call)
            self.cond.notify_all()

    def _get_updates(self, params: dict[str, Any]) -> list[dict]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        allowed = params.get("allowed_updates") or None  # as Telegram: other kinds are never delivered
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                self.state.updates = [
                    u for u in self.state.updates
                    if u["update_id"] >= offset and (allowed is None or any(kind in u for kind in allowed))
                ]
                if self.state.updates or self.closing:
                    return self.state.updates[:limit]
                left = deadline - time.monotonic()
                if left <= 0:
                    return []
                self.cond.wait(left)

    def _bot_user(self) -> dict:
        return {"id": BOT_ID, "is_bot": True, "first_name": "rawi", "username": BOT_USERNAME,
                "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}

    def _check_markup(self, params: dict[str, Any]) -> None:
        markup = params.get("reply_markup")
        if not markup:
            return
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise _Refused("BUTTON_TEXT_INVALID")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise _Refused("BUTTON_DATA_INVALID")

    def _check_text(self, params: dict[str, Any]) -> str:
        text = params.get("text", "")
        plain = text
        if params.get("parse_mode") == "HTML":
            try:
                plain, _ = parse_html(text)
            except BadHTML as exc:
                raise _Refused(f"can't parse entities: {exc}") from None
        elif params.get("parse_mode"):
            raise _Refused("only HTML is checked by this server")
        if not plain.strip():
            raise _Refused("message text is empty")
        if utf16_len(plain) > MAX_TEXT:
            raise _Refused("message is too long")
        return plain

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return self._bot_user()
        if method in ("deleteWebhook", "setMyCommands", "sendChatAction", "answerCallbackQuery", "close", "logOut"):
            if method == "answerCallbackQuery" and len(params.get("text", "")) > 200:
                raise _Refused("answer text is too long")
            return True
        if method == "getMyCommands":
            return []
        if method == "sendMessage":
            plain = self._check_text(params)
            self._check_markup(params)
            chat_id = int(params["chat_id"])
            message = {
                "message_id": self._new_message_id(), "date": int(time.time()),
                "chat": self.chat(chat_id, "group" if chat_id < 0 else "private"), "from": self._bot_user(), "text": plain,
            }
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            with self.cond:
                self.state.messages[(chat_id, message["message_id"])] = message
            return message
        if method in ("editMessageText", "editMessageReplyMarkup"):
            chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
            with self.cond:
                message = self.state.messages.get((chat_id, message_id))
            if message is None:
                raise _Refused("message to edit not found")
            if method == "editMessageText":
                message = dict(message, text=self._check_text(params))
            self._check_markup(params)
            message = dict(message)
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            else:
                message.pop("reply_markup", None)
            with self.cond:
                self.state.messages[(chat_id, message_id)] = message
            return message
        if method == "deleteMessage":
            key = (int(params["chat_id"]), int(params["message_id"]))
            with self.cond:
                if self.state.messages.pop(key, None) is None:
                    raise _Refused("message to delete not found")
            return True
        raise _Refused(f"method {method} is not supported by the test server")


class _Refused(Exception):
    pass


class BotThread:
    """The real Application (polling this server) on an event loop of its own thread."""

    def __init__(self, application: Any, api: FakeBotAPI, poll_timeout: int = 5) -> None:
        import asyncio

        self.application, self.api, self.poll_timeout = application, api, poll_timeout
        self.loop = asyncio.new_event_loop()
        self.stop_event: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, name="bot", daemon=True)

    def _main(self) -> None:
        import asyncio

        from bot.app import serve

        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            self.stop_event = asyncio.Event()
            await serve(self.application, self.stop_event, self.poll_timeout)

        try:
            self.loop.run_until_complete(main())
        except BaseException as exc:  # surfaced by stop()
            self.error = exc
        finally:
            self.loop.close()

    def __enter__(self) -> "BotThread":
        before = len(self.api.calls("deleteWebhook"))
        self.thread.start()
        # Polling begins right after the bot's deleteWebhook.
        self.api.wait_for(lambda calls: len([c for c in calls if c.method == "deleteWebhook"]) > before, timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.stop_event is not None and self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(timeout=30)
        if self.error:
            raise self.error
