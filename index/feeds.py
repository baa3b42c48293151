"""`rawi fetch`: news feeds -> article files in the corpus folder (which stays the one truth).

For each feed of ``[feeds] urls``: a conditional GET (ETag / Last-Modified from the last run,
so an unchanged feed costs a 304), feedparser reads it, and each entry whose article file does
not exist yet has its page fetched, its main text extracted (trafilatura, ``formats/html.py``)
and written as ``<corpus>/<folder>/<host>/<hash of the link>.md`` with front matter (title,
url, published, source, language). Indexing then works as for any article (``rawi index`` or
``rawi watch``). Every request has a timeout and a size cap, and requests to one host are
spaced by ``host_delay_seconds``. A feed or page that fails (unreachable, 404, broken XML, too
slow, too big, no text) is reported and never stops the others; a failed page is kept in the
state and tried again on the next run even if its feed has not changed. Nothing is ever
deleted. The state (validators, pages to retry) is ``<corpus>/.rawi-feeds/state.json``: hidden,
so neither indexing nor watching reads it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

STATE_DIR = ".rawi-feeds"
USER_AGENT = "rawi-fetch/0.1 (+news question answering)"


@dataclass(frozen=True)
class FeedSettings:
    """The [feeds] section of config.toml (documented there)."""

    urls: list = field(default_factory=list)
    folder: str = "feeds"
    interval_minutes: float = 15.0
    timeout_seconds: float = 10.0
    max_bytes: int = 5_000_000
    host_delay_seconds: float = 1.0
    max_entries: int = 50

    def __post_init__(self) -> None:
        if not isinstance(self.urls, list) or not all(isinstance(u, str) and u.strip() for u in self.urls):
            raise TypeError("urls must be a list of feed addresses")
        bad = [u for u in self.urls if urlsplit(u).scheme not in ("http", "https")]
        if bad:
            raise TypeError(f"urls must be http(s) addresses (got {bad[0]!r})")
        if not self.folder or Path(self.folder).is_absolute() or ".." in Path(self.folder).parts:
            raise TypeError("folder must be a folder name inside the corpus folder")
        if min(self.interval_minutes, self.timeout_seconds, self.max_bytes, self.max_entries) <= 0:
            raise TypeError("interval_minutes, timeout_seconds, max_bytes and max_entries must be positive")
        if self.host_delay_seconds < 0:
            raise TypeError("host_delay_seconds must be >= 0")


@dataclass
class FetchReport:
    feeds: int = 0
    unchanged: int = 0  # answered 304 Not Modified
    written: list[str] = field(default_factory=list)  # article files, relative to the corpus folder
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)

    def to_json(self) -> dict:
        return {"feeds": self.feeds, "unchanged": self.unchanged, "written": self.written,
                "failed": [{"url": u, "reason": r} for u, r in self.failed]}


class FetchError(Exception):
    """One feed or page could not be fetched; the message is the reason."""


class Fetcher:
    """One corpus folder's feeds. ``run()`` does one pass over every feed."""

    def __init__(self, settings: FeedSettings, corpus_dir: Path, report: Callable[[str], None] = log.info) -> None:
        self.settings = settings
        self.corpus = Path(corpus_dir)
        self.report = report
        self._last_request: dict[str, float] = {}  # host -> monotonic time of the last request

    def run(self) -> FetchReport:
        import httpx

        result = FetchReport()
        state = self._load_state()
        timeout = httpx.Timeout(self.settings.timeout_seconds)
        headers = {"User-Agent": USER_AGENT}
        with httpx.Client(follow_redirects=True, max_redirects=5, timeout=timeout, headers=headers) as client:
            for url in self.settings.urls:
                result.feeds += 1
                feed_state = state.setdefault(url, {})
                try:
                    self._one_feed(client, url, feed_state, result)
                except FetchError as exc:
                    self._failed(result, url, str(exc))
                self._save_state(state)  # after each feed: an interrupted run keeps what it learned
        return result

    # ---------------------------------------------------------------- one feed

    def _one_feed(self, client: httpx.Client, url: str, feed_state: dict, result: FetchReport) -> None:
        import feedparser

        conditional = {}
        if feed_state.get("etag"):
            conditional["If-None-Match"] = feed_state["etag"]
        if feed_state.get("last_modified"):
            conditional["If-Modified-Since"] = feed_state["last_modified"]
        pending = dict(feed_state.get("pending", {}))  # link -> entry fields, pages that failed before
        response = self._get(client, url, conditional)
        if response is None:
            result.unchanged += 1
        else:
            body, headers = response
            parsed = feedparser.parse(body)
            if not parsed.entries:
                reason = parsed.get("bozo_exception") or "no entries"
                raise FetchError(f"not a readable RSS/Atom feed ({reason})")
            if _broken_xml(parsed):  # feedparser read what it could: use it, but say so
                self._failed(result, url, f"broken XML ({parsed.bozo_exception}); read {len(parsed.entries)} entries anyway")
            source = (parsed.feed.get("title") or urlsplit(url).hostname or "").strip()
            language = (parsed.feed.get("language") or "").split("-")[0].lower()
            for entry in parsed.entries[: self.settings.max_entries]:
                fields = _entry_fields(entry, source, language)
                if fields["url"] and not self._article_path(fields["url"]).exists():
                    pending.setdefault(fields["url"], fields)
            feed_state["etag"] = headers.get("etag", "")
            feed_state["last_modified"] = headers.get("last-modified", "")
        still = {}
        for link, fields in pending.items():
            try:
                result.written.append(self._fetch_article(client, fields))
            except FetchError as exc:
                self._failed(result, link, str(exc))
                still[link] = fields
        feed_state["pending"] = still

    def _fetch_article(self, client: httpx.Client, fields: dict) -> str:
        from .formats.html import extract

        path = self._article_path(fields["url"])
        if path.exists():
            return path.relative_to(self.corpus).as_posix()
        got = self._get(client, fields["url"], {})
        if got is None:  # a 304 to a request that was not conditional
            raise FetchError("HTTP 304 Not Modified to an unconditional request")
        page = extract(_decoded(*got))
        if page is None:
            raise FetchError("the page has no main text")
        merged = {**page, **{k: v for k, v in fields.items() if v and k != "text"}}
        merged["text"] = page["text"]
        _write_atomically(path, _article_file(merged))
        relative = path.relative_to(self.corpus).as_posix()
        self.report(f"fetched {fields['url']} -> {relative}")
        return relative

    # ---------------------------------------------------------------- HTTP

    def _get(self, client: httpx.Client, url: str, headers: dict) -> tuple[bytes, dict] | None:
        """The body and headers of a 200, None for a 304; FetchError otherwise. Size-capped, paced."""
        import httpx

        self._pace(url)
        cap = self.settings.max_bytes
        deadline = time.monotonic() + 3 * self.settings.timeout_seconds  # a page trickled byte by byte
        try:
            with client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return None
                if response.status_code != 200:
                    raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
                if int(response.headers.get("content-length") or 0) > cap:
                    raise FetchError(f"larger than the {cap:,}-byte limit ([feeds] max_bytes)")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > cap:
                        raise FetchError(f"larger than the {cap:,}-byte limit ([feeds] max_bytes)")
                    if time.monotonic() > deadline:
                        raise FetchError("too slow (the whole answer took longer than 3 x [feeds] timeout_seconds)")
                    chunks.append(chunk)
                return b"".join(chunks), {k.lower(): v for k, v in response.headers.items()}
        except httpx.TimeoutException:
            raise FetchError(f"no answer within {self.settings.timeout_seconds:g} s ([feeds] timeout_seconds)") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}"[:200]) from None

    def _pace(self, url: str) -> None:
        host = urlsplit(url).netloc
        wait = self._last_request.get(host, -1e9) + self.settings.host_delay_seconds - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_request[host] = time.monotonic()

    # ---------------------------------------------------------------- files

    def _article_path(self, link: str) -> Path:
        host = (urlsplit(link).hostname or "unknown").replace(":", "_")
        name = hashlib.sha256(link.encode("utf-8")).hexdigest()[:20]
        return self.corpus / self.settings.folder / host / f"{name}.md"

    def _state_path(self) -> Path:
        return self.corpus / STATE_DIR / "state.json"

    def _load_state(self) -> dict:
        try:
            data = json.loads(self._state_path().read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            self.report(f"feed state unreadable ({exc}); starting afresh (no article is lost)")
            return {}
        return data if isinstance(data, dict) else {}

    def _save_state(self, state: dict) -> None:
        _write_atomically(self._state_path(), json.dumps(state, ensure_ascii=False, indent=1))

    def _failed(self, result: FetchReport, url: str, reason: str) -> None:
        result.failed.append((url, reason))
        self.report(f"could not fetch {url}: {reason} (tried again next time)")


def _broken_xml(parsed) -> bool:
    from xml.sax import SAXException

    return bool(parsed.get("bozo")) and isinstance(parsed.get("bozo_exception"), SAXException)


def _entry_fields(entry, source: str, language: str) -> dict[str, str]:
    from .formats.feed import entry_record

    record = entry_record(entry, source, language)
    return {key: record[key] for key in ("title", "url", "published", "source", "language")}


def _decoded(body: bytes, headers: dict) -> bytes | str:
    """Text when the server names a charset it can be decoded with; else the bytes, whose
    charset trafilatura reads from the page itself (or detects)."""
    content_type = headers.get("content-type", "")
    charset = next((p.split("=", 1)[1].strip(" \"'") for p in content_type.split(";") if "charset=" in p.lower()), "")
    if charset:
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    return body


def _article_file(fields: dict) -> str:
    meta = "".join(
        f"{key}: {' '.join(str(fields[key]).split())}\n"
        for key in ("title", "url", "published", "source", "language") if fields.get(key)
    )
    return f"---\n{meta}---\n{fields['text'].strip()}\n"


def _write_atomically(path: Path, text: str) -> None:
    """A hidden temporary file renamed into place: no reader (or watcher) sees half an article."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def fetch_every(fetcher: Fetcher, minutes: float, stop) -> None:
    """`rawi watch`'s feed loop: one pass now, then every ``minutes``, until ``stop`` is set.
    A pass that fails as a whole (a full disk) is reported and the loop goes on."""
    while not stop.is_set():
        try:
            found = fetcher.run()
            fetcher.report(f"feeds: {len(found.written)} new article(s), {len(found.failed)} failure(s)")
        except Exception as exc:  # noqa: BLE001 -- the loop must outlive any one pass
            fetcher.report(f"feeds not fetched: {exc}")
        stop.wait(minutes * 60)
