"""`rawi fetch` against a real HTTP server on 127.0.0.1: feeds and pages, and every fault a
news site shows (broken XML, 404, redirects, a slow answer, a huge page, a non-UTF-8 page)."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import pytest

from index.articles import scan
from index.feeds import Fetcher
from index.settings import FeedSettings
from tests.loopback import LoopbackServer, QuietHandler
from tests.reindex_helpers import RAWI, reap

ARTICLE = """<html lang="en"><head><title>{title}</title></head><body><nav>Home | World | Sport</nav>
<article><h1>{title}</h1><p>{body}</p><p>The council will publish its full report next month, officials said.</p>
</article></body></html>"""
ARABIC_PAGE = """<html lang="ar"><head><title>خبر</title></head><body><article><h1>افتتاح الجسر</h1>
<p>افتتح الجسر الجديد فوق النهر صباح اليوم بعد ثلاث سنوات من العمل المتواصل.</p>
<p>وقال المهندسون إن الجسر يتحمل مرور ألفي سيارة في الساعة.</p></article></body></html>"""


def rss(base: str, links: list[str], title: str = "Loopback Wire") -> str:
    items = "".join(
        f"<item><title>Story {n}</title><link>{base}{link}</link><guid>{base}{link}</guid>"
        f"<pubDate>Mon, 0{n % 9 + 1} Jun 2025 09:00:00 GMT</pubDate></item>"
        for n, link in enumerate(links, 1)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>{items}</channel></rss>'


class Site:
    """What the server answers, changeable by a test; every request is recorded."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict]] = []
        self.missing_found = False  # /missing answers 404 until a test flips this


def make_handler(site: Site):
    class Handler(QuietHandler):
        protocol_version = "HTTP/1.0"

        def send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8", extra=()) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in extra:
                self.send_header(name, value)
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading (the size cap): what a real server sees too

        def do_GET(self) -> None:  # noqa: N802 -- http.server's name
            site.requests.append((self.path, dict(self.headers)))
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            page = lambda title, body: ARTICLE.format(title=title, body=body).encode()  # noqa: E731
            if self.path == "/feed.xml":
                if self.headers.get("If-None-Match") == '"v1"':
                    return self.send(304, b"")
                links = ["/a1", "/missing", "/moved", "/slow", "/huge", "/arabic", "/empty"]
                return self.send(200, rss(base, links).encode(), "application/rss+xml", [("ETag", '"v1"')])
            if self.path == "/broken.xml":
                return self.send(200, b"<rss><channel><item><title>cut off", "application/rss+xml")
            if self.path == "/garbage.xml":
                return self.send(200, b"\x00\x01 not xml at all", "application/rss+xml")
            if self.path == "/gone.xml":
                return self.send(404, b"not here")
            if self.path == "/a1":
                return self.send(200, page("Harbour reopens", "The harbour of Varna reopened on Monday after the storm damaged its piers."))
            if self.path == "/missing":
                if site.missing_found:
                    return self.send(200, page("Late story", "The museum received 312 paintings from a private collection."))
                return self.send(404, b"not found")
            if self.path == "/moved":
                self.send_response(301)
                self.send_header("Location", "/final")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if self.path == "/final":
                return self.send(200, page("Moved story", "The orchestra played its last concert in the old hall on Friday."))
            if self.path == "/slow":
                time.sleep(3)
                return self.send(200, page("Slow", "Too late to matter."))
            if self.path == "/huge":
                return self.send(200, b"<html><body><p>" + b"word " * 400_000 + b"</p></body></html>")
            if self.path == "/arabic":
                return self.send(200, ARABIC_PAGE.encode("cp1256"), "text/html; charset=windows-1256")
            if self.path == "/empty":
                return self.send(200, b"<html><head><title>x</title></head><body></body></html>")
            return self.send(404, b"no such page")

    return Handler


@pytest.fixture
def site():
    state = Site()
    with LoopbackServer(make_handler(state), name="feed-site") as server:
        state.base = server.base_url
        yield state


def fetcher(site, corpus: Path, feeds=("/feed.xml", "/broken.xml", "/garbage.xml", "/gone.xml")) -> Fetcher:
    settings = FeedSettings(urls=[site.base + f for f in feeds], timeout_seconds=1.0, max_bytes=200_000,
                            host_delay_seconds=0.0)
    return Fetcher(settings, corpus, report=lambda message: None)


def test_one_pass_writes_the_good_pages_and_reports_every_fault(site, tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "old.txt").parent.mkdir(parents=True)
    (corpus / "old.txt").write_text("An older article\n\nIt stays.", encoding="utf-8")
    report = fetcher(site, corpus).run()
    failed = {url.removeprefix(site.base): reason for url, reason in report.failed}
    assert "broken XML" in failed["/broken.xml"] and "HTTP 404" in failed["/gone.xml"]
    assert "HTTP 404" in failed["/missing"] and "no answer within 1 s" in failed["/slow"]
    assert "200,000-byte limit" in failed["/huge"] and "no main text" in failed["/empty"]
    assert "not a readable RSS/Atom feed" in failed["/garbage.xml"]
    assert len(report.written) == 3 and report.feeds == 4
    articles = {a.url: a for a in scan(corpus).articles}
    assert "The harbour of Varna reopened on Monday" in articles[site.base + "/a1"].text
    assert articles[site.base + "/a1"].source == "Loopback Wire" and articles[site.base + "/a1"].published
    assert "Home | World" not in articles[site.base + "/a1"].text
    assert "orchestra" in articles[site.base + "/moved"].text  # followed the redirect
    arabic = articles[site.base + "/arabic"]
    assert "ألفي سيارة" in arabic.text and arabic.language == "ar"  # decoded from windows-1256
    assert "old.txt" in {a.id for a in scan(corpus).articles}


def test_the_next_pass_is_conditional_and_retries_only_the_failed_pages(site, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    first = fetcher(site, corpus, feeds=("/feed.xml",)).run()
    written = {p: (corpus / p).read_bytes() for p in first.written}
    site.requests.clear()
    site.missing_found = True
    second = fetcher(site, corpus, feeds=("/feed.xml",)).run()
    feed_request = next(headers for path, headers in site.requests if path == "/feed.xml")
    assert feed_request.get("If-None-Match") == '"v1"' and second.unchanged == 1
    paths = [path for path, _ in site.requests]
    assert "/a1" not in paths and "/arabic" not in paths  # done before: not fetched again
    assert {"/missing", "/slow", "/huge", "/empty"} <= set(paths)  # failed before: tried again
    assert len(second.written) == 1 and "museum" in (corpus / second.written[0]).read_text(encoding="utf-8")
    assert all((corpus / p).read_bytes() == data for p, data in written.items())  # nothing lost or changed


def test_requests_to_one_host_are_spaced_by_the_delay(site, tmp_path, monkeypatch):
    """A clock of the test's own: every wait the fetcher asks for is seen, none is slept."""
    import index.web as web

    class Clock:
        now = 1000.0
        waits: list[float] = []

        def monotonic(self) -> float:
            return self.now

        def sleep(self, seconds: float) -> None:
            self.waits.append(round(seconds, 6))
            self.now += seconds

    clock = Clock()
    monkeypatch.setattr(web, "time", clock)
    settings = FeedSettings(urls=[site.base + "/feed.xml"], timeout_seconds=1.0, max_bytes=200_000,
                            host_delay_seconds=5.0, max_entries=3)
    Fetcher(settings, tmp_path / "corpus", report=lambda m: None).run()
    requests = [path for path, _ in site.requests]
    assert requests == ["/feed.xml", "/a1", "/missing", "/moved", "/final"]  # the feed, three pages (one redirected)
    assert clock.waits == [5.0, 5.0, 5.0]  # one full delay before each request after the first


def test_rawi_fetch_then_index_answers_from_the_fetched_page(site, tmp_path, encoder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    config = tmp_path / "config.toml"
    from tests.conftest import MODEL_CACHE

    config.write_text(
        f'[corpus]\ndir = "corpus"\n[index]\ndir = "index"\n[encoder]\ncache_dir = "{MODEL_CACHE}"\n'
        f'[feeds]\nurls = ["{site.base}/feed.xml", "{site.base}/gone.xml"]\ntimeout_seconds = 1.0\n'
        f"max_bytes = 200000\nhost_delay_seconds = 0.0\n",
        encoding="utf-8",
    )
    run = lambda *args: subprocess.run([str(RAWI), "--config", str(config), *args], capture_output=True, text=True, timeout=300)  # noqa: E731
    fetched = run("fetch", "--json")
    assert fetched.returncode == 0, fetched.stderr
    summary = json.loads(fetched.stdout)
    assert len(summary["written"]) == 3 and any(f["url"].endswith("/gone.xml") for f in summary["failed"])
    assert "could not fetch" in fetched.stderr
    assert run("index").returncode == 0
    answer = run("ask", "--json", "When did the harbour of Varna reopen?")
    passages = json.loads(answer.stdout)["passages"]
    assert "Monday" in passages[0]["sentence"]


def test_fetch_without_feeds_is_one_clear_error(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    result = subprocess.run([str(RAWI), "--config", str(config), "fetch"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "no feeds to fetch" in result.stderr


def test_the_watch_loop_fetches_at_once_then_waits_for_its_interval_and_stops(site, tmp_path):
    from index.feeds import fetch_every

    corpus = tmp_path / "corpus"
    said: list[str] = []
    settings = FeedSettings(urls=[site.base + "/feed.xml"], timeout_seconds=1.0, max_bytes=200_000, host_delay_seconds=0.0)
    stop = threading.Event()
    loop = threading.Thread(target=fetch_every, args=(Fetcher(settings, corpus, report=said.append), 60.0, stop))
    loop.start()
    deadline = time.monotonic() + 120
    while not any(m.startswith("feeds:") for m in said) and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    loop.join(timeout=30)
    assert not loop.is_alive() and any(m.startswith("feeds: 3 new article(s)") for m in said)
    assert sum(path == "/feed.xml" for path, _ in site.requests) == 1  # one pass: the next is an hour away


@pytest.mark.slow  # `rawi watch` and `rawi ask` load the real model
def test_rawi_watch_fetches_the_feeds_indexes_the_pages_and_answers_from_them(site, tmp_path):
    """The whole loop as a user runs it: `rawi watch` with [feeds] fetches, the watcher indexes
    what landed, `rawi ask` answers from the fetched page, Ctrl-C stops it cleanly."""
    import signal

    from tests.launch import Launch
    from tests.reindex_helpers import Lines, make_workdir, popen

    work = make_workdir(tmp_path, debounce=0.3)
    with (work / "config.toml").open("a", encoding="utf-8") as config:
        config.write(f'[feeds]\nurls = ["{site.base}/feed.xml"]\ntimeout_seconds = 1.0\nmax_bytes = 200000\n'
                     "host_delay_seconds = 0.0\ninterval_minutes = 60\n")
    proc = popen("-v", "watch", cwd=work, launch=Launch(sigint_default=True))
    said = Lines(proc.stderr)
    try:
        seen: set[str] = set()

        def fetched_and_indexed(line: str) -> bool:  # in either order: the watcher may index mid-fetch
            seen.update({"feeds"} if "feeds: 3 new article(s)" in line else set())
            seen.update({"indexed"} if "indexed:" in line and "(4 articles" in line else set())  # the seed + 3 pages
            return seen == {"feeds", "indexed"}

        said.until(fetched_and_indexed)
        answer = subprocess.run([str(RAWI), "ask", "--json", "When did the harbour of Varna reopen?"],
                                cwd=work, capture_output=True, text=True, timeout=300)
        assert answer.returncode == 0, answer.stderr
        first = json.loads(answer.stdout)["passages"][0]
        assert "Monday" in first["sentence"] and first["url"].endswith("/a1")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 0
    finally:
        reap(proc)
    assert "Traceback" not in "".join(said.lines)
    assert sum(path == "/feed.xml" for path, _ in site.requests) == 1  # the next pass is an hour away
