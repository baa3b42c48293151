"""The base of the tests' loopback HTTP servers (the Bot API in botapi.py, the chat-completions
model in llmapi.py, the web sites of the feed tests): a ThreadingHTTPServer on 127.0.0.1, on a
port of its own, served by a daemon thread while inside ``with``; and a request handler that logs
nothing and can answer with a body, JSON, or a connection reset."""

from __future__ import annotations

import json
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def send_body(self, status: int, data: bytes, content_type: str) -> None:
        """A whole answer; a client that has gone (a long poll given up, a timeout) is no error."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def send_json(self, status: int, payload: Any) -> None:
        self.send_body(status, json.dumps(payload).encode(), "application/json")

    def reset(self, first: bytes = b"") -> None:
        """`first` (half an answer, say), then a TCP reset (SO_LINGER 0): the connection dies mid-answer."""
        try:
            if first:
                self.wfile.write(first)
                self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass


class LoopbackServer:
    """`handler` served on 127.0.0.1 while inside ``with``; ``base_url`` ends with `path`."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], name: str = "loopback", path: str = "") -> None:
        self.url_path = path
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name=name, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.url_path}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
