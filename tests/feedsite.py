"""A loopback news site for the hostile-feed tests: routes of a test's own, each request recorded,
and `rawi fetch` run for real against it."""

from __future__ import annotations

import json
import socketserver
import subprocess
import threading
import time
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.launch import Launch
from tests.loopback import LoopbackServer, QuietHandler

from tests.reindex_helpers import RAWI, env
from tests.test_feeds import ARTICLE

Route = Callable[[BaseHTTPRequestHandler], None]


def page(title: str, body: str) -> bytes:
    return ARTICLE.format(title=title, body=body).encode()


def rss(links: list[str], title: str = "Loopback Wire") -> bytes:
    """An RSS feed whose entries link to ``links`` as given (absolute, relative or hostile)."""
    items = "".join(f"<item><title>Story {n}</title><link>{link}</link></item>" for n, link in enumerate(links, 1))
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>{items}</channel></rss>'.encode()


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers=(), length: bool = True) -> None:
    handler.send_response(status)
    for name, value in headers:
        handler.send_header(name, value)
    if length:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    try:
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client stopped reading (a cap, a refusal): what a real server sees too


def html(body: bytes) -> Route:
    return lambda h: send(h, 200, body, [("Content-Type", "text/html; charset=utf-8")])


def xml(body: bytes) -> Route:
    return lambda h: send(h, 200, body, [("Content-Type", "application/rss+xml")])


def redirect(location: str) -> Route:
    return lambda h: send(h, 302, b"", [("Location", location)])


def zeros_deflated(mebibytes: int, wbits: int) -> bytes:
    """A gzip (wbits 31) or zlib (15) stream of ``mebibytes`` MiB of zeros, about 1 KB a MiB: the
    compressed form of one MiB after a full flush is the same every time, so it is repeated. The
    trailer is left out (nothing that respects a size cap reaches it)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = b"\0" * (1 << 20)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first + again * (mebibytes - 1)


class Site(LoopbackServer):
    """A loopback server answering ``routes[path](handler)``; 404 elsewhere."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        site = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:  # noqa: N802 -- http.server's name
                site.requests.append(self.path)
                site.routes.get(self.path, lambda h: send(h, 404, b"no such page"))(self)

        super().__init__(Handler, name="feed-site")
        self.base = self.base_url


class Trickle(socketserver.ThreadingTCPServer):
    """Answers every request with a status line and headers sent one byte every ``pause`` seconds
    (a slowloris in reverse), until the client hangs up."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, pause: float = 1.0) -> None:
        pause_between = pause

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.rfile.readline()
                answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n" + b"X-Padding: slow\r\n" * 20
                for byte in answer:
                    try:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    except OSError:
                        return
                    time.sleep(pause_between)

        super().__init__(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> Trickle:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
        self.server_close()


def write_config(work: Path, urls: list[str], **feeds: object) -> Path:
    """work/config.toml: corpus work/corpus, the feeds ``urls``, timeouts short, no spacing."""
    values = {"timeout_seconds": 1.0, "max_bytes": 200_000, "host_delay_seconds": 0.0, **feeds}
    lines = [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    (work / "corpus").mkdir(exist_ok=True)
    config = work / "config.toml"
    config.write_text('[corpus]\ndir = "corpus"\n[feeds]\n' + f"urls = {json.dumps(urls)}\n" + "\n".join(lines) + "\n",
                      encoding="utf-8")
    return config


def rawi_fetch(work: Path, *args: str, launch: Launch = Launch(), timeout: float = 120) -> subprocess.CompletedProcess:
    command = launch.command([RAWI, "--config", work / "config.toml", "fetch", *args])
    return subprocess.run(command, capture_output=True, text=True, env=env(), timeout=timeout)


def articles(work: Path) -> dict[str, str]:
    """Every fetched article file under work/corpus/feeds: relative path -> text."""
    folder = work / "corpus" / "feeds"
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file()}


def leftovers(work: Path) -> list[str]:
    """Temporary files left anywhere in the corpus folder (a half-written article or state)."""
    return [p.name for p in (work / "corpus").rglob(".tmp-*")]
