"""A small, real OpenAI-compatible chat-completions server on 127.0.0.1, with scripted replies.

It speaks what llama-server, Ollama and vLLM speak: POST /v1/chat/completions with a JSON body,
answered as server-sent events when "stream" is true (``data: {chunk}`` lines, a last chunk with
finish_reason "stop", then ``data: [DONE]``), or as one JSON completion otherwise. Each request
takes the next scripted reply (the last one repeats); every request body is recorded.

    with FakeLLM() as llm:
        llm.script(Reply("More than 20,000 containers [1]."))
        ... point [generate] url at llm.base_url ...
        llm.requests  # the JSON bodies received

Faults: ``status`` 429 or 500 (with an OpenAI-style error body), ``delay`` seconds before the
answer starts (longer than the client's timeout: a slow server), ``broken`` (the connection is
dropped halfway through the stream), ``malformed`` (a data line that is not JSON). Stalls that
keep the connection busy without a reply, one piece every ``pause`` seconds until the client
leaves: ``stall`` "keep-alive" (SSE comments), "unending" (one data line that never ends),
"blank" (empty lines), "headers" (the status line and headers a byte at a time). ``repeat``
streams the text that many times (a flood); ``written`` counts the pieces each request got out
before the client left.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.loopback import LoopbackServer, QuietHandler


@dataclass(frozen=True)
class Reply:
    text: str = ""
    status: int = 200
    delay: float = 0.0  # seconds before the answer starts
    pause: float = 0.0  # seconds between streamed pieces
    pieces: int = 0  # how many pieces the text is streamed in (0: one per word)
    broken: bool = False  # drop the connection halfway through the stream
    malformed: bool = False  # send a data line that is not JSON
    finish: str = "stop"
    stall: str = ""  # "keep-alive", "unending", "blank" or "headers": no reply, only that, every `pause` s
    repeat: int = 1  # the text streamed this many times over


class FakeLLM(LoopbackServer):
    def __init__(self, model: str = "test-model") -> None:
        self.model = model
        self.replies: list[Reply] = [Reply("")]
        self.requests: list[dict[str, Any]] = []
        self.authorizations: list[str | None] = []  # the Authorization header of each request (None: not sent)
        self.written: list[int] = []  # pieces sent per streamed request before it ended or the client left
        self.lock = threading.Lock()
        super().__init__(self._handler(), name="fake-llm", path="/v1")

    def script(self, *replies: Reply) -> None:
        with self.lock:
            self.replies = list(replies)

    def _next(self, body: dict[str, Any]) -> Reply:
        with self.lock:
            self.requests.append(body)
            return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def _chunk(self, content: str | None, finish: str | None) -> bytes:
        delta = {"role": "assistant", "content": content} if content is not None else {}
        payload = {
            "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": int(time.time()), "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()

    def _pieces(self, reply: Reply) -> list[str]:
        words = reply.text.split(" ")
        if not reply.pieces:
            return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
        size = max(1, -(-len(reply.text) // reply.pieces))
        return [reply.text[i : i + size] for i in range(0, len(reply.text), size)]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        llm = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    return self.send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
                with llm.lock:
                    llm.authorizations.append(self.headers.get("Authorization"))
                reply = llm._next(body)
                time.sleep(reply.delay)
                if reply.status != 200:
                    return self.send_json(reply.status, {"error": {"message": f"scripted {reply.status}", "type": "server_error"}})
                if not body.get("stream"):
                    message = {"role": "assistant", "content": reply.text}
                    return self.send_json(200, {"id": "chatcmpl-test", "object": "chat.completion", "model": llm.model,
                                            "choices": [{"index": 0, "message": message, "finish_reason": reply.finish}]})
                sent = [0]
                try:
                    self._stall(reply, sent) if reply.stall else self._stream(reply, sent)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a test of its timeout, or of a malformed reply)
                with llm.lock:
                    llm.written.append(sent[0])

            def _write_chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _headers(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()

            def _stall(self, reply: Reply, sent: list[int]) -> None:
                """Bytes every `pause` seconds, never a reply: until the client leaves (or 120 s)."""
                head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                if reply.stall != "headers":
                    self.wfile.write(head)
                    self.wfile.flush()
                if reply.stall == "unending":
                    self.wfile.write(b"5000\r\n" + b'data: {"choices": [{"delta": {"content": "')
                piece = {"keep-alive": b": keep-alive\n\n", "blank": b"\n", "unending": b"x"}.get(reply.stall, b"")
                for i in range(int(120 / reply.pause)):
                    if reply.stall == "headers":
                        self.wfile.write(head[i : i + 1])
                    elif reply.stall == "unending":
                        self.wfile.write(piece)
                    else:
                        self._write_chunk(piece)
                    self.wfile.flush()
                    sent[0] += 1
                    time.sleep(reply.pause)

            def _stream(self, reply: Reply, sent: list[int]) -> None:
                self._headers()
                pieces = llm._pieces(reply) * reply.repeat
                for i, piece in enumerate(pieces):
                    if reply.broken and i >= len(pieces) // 2:
                        return self.reset()
                    if reply.malformed and i == len(pieces) // 2:
                        self._write_chunk(b'data: {"choices": [{"delta": {"content": "cut\n\n')
                    self._write_chunk(llm._chunk(piece, None))
                    sent[0] += 1
                    time.sleep(reply.pause)
                self._write_chunk(llm._chunk(None, reply.finish))
                self._write_chunk(b"data: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

        return Handler
