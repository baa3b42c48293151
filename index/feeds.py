"""`rawi fetch`: news feeds -> article files in the corpus folder (which stays the one truth).

For each feed of ``[feeds] urls``: a conditional GET (ETag / Last-Modified from the last run,
so an unchanged feed costs a 304), feedparser reads it, and each entry whose article file does
not exist yet has its page fetched, its main text extracted (trafilatura, ``formats/html.py``)
and written as ``<corpus>/<folder>/<host>/<YYYY-MM-DD>-<slug of the title>.md`` with front
matter (title, url, published, source: the site's own name; see feed_names.py). An entry is new
when no article file under the feeds folder names its link in its front matter (files named by
the link's hash, as earlier versions wrote them, count too), and when it was not retracted
(``rawi retract``, retraction.py: its link, or once fetched its page's address or text).
Indexing then works as for any article (``rawi index`` or ``rawi watch``). HTTP, with its limits (time, size, encodings, addresses), is
web.py's. An entry's link is made absolute against the feed's address; one that cannot be fetched (not
http(s), malformed) is skipped with its reason. A feed or page that fails (unreachable, 404,
broken XML, too slow, too big, no text) is reported and never stops the others; a failed page
is kept in the state and tried again on the next runs, even if its feed has not changed, up to
``max_tries`` times, then given up (and not taken up again while the feed lists it). A file the
disk refuses (full, a size limit) is reported and leaves nothing half-written; the pass goes on.
Nothing is ever deleted. The state (validators, pages to retry, pages given up) is
``<corpus>/.rawi-feeds/state.json``: hidden, so neither indexing nor watching reads it.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable
from urllib.parse import urlsplit

from .feed_names import article_name, site_name, unique
from .retraction import Retracted, retracted
from .settings import FeedSettings
from .web import FetchError, Reply, checked_link

if TYPE_CHECKING:
    from .web import Web

log = logging.getLogger(__name__)

STATE_DIR = ".rawi-feeds"
__all__ = ["FeedSettings", "FetchError", "FetchReport", "Fetcher", "fetch_every"]


@dataclass
class FetchReport:
    feeds: int = 0
    unchanged: int = 0  # answered 304 Not Modified
    written: list[str] = field(default_factory=list)  # article files, relative to the corpus folder
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, reason): tried again next time
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (url, reason): a bad link, or given up
    unwritten: list[tuple[str, str]] = field(default_factory=list)  # (file, reason): the disk refused a write

    def to_json(self) -> dict:
        pairs = lambda items, key: [{key: u, "reason": r} for u, r in items]  # noqa: E731
        return {"feeds": self.feeds, "unchanged": self.unchanged, "written": self.written,
                "failed": pairs(self.failed, "url"), "skipped": pairs(self.skipped, "url"),
                "unwritten": pairs(self.unwritten, "file")}


class NotWritten(Exception):
    """A file could not be written (a full disk, a file-size limit): nothing of it was left."""

    def __init__(self, reason: str, file: str) -> None:
        super().__init__(reason)
        self.reason, self.file = reason, file


class RetractedPage(Exception):
    """The page is an article retracted with `rawi retract`: never written again."""


class Fetcher:
    """One corpus folder's feeds. ``run()`` does one pass over every feed."""

    def __init__(self, settings: FeedSettings, corpus_dir: Path, report: Callable[[str], None] = log.info) -> None:
        self.settings = settings
        self.corpus = Path(corpus_dir)
        self.report = report
        self._known: dict[str, str] = {}  # link -> article file (relative): the articles fetched before
        self._retracted = Retracted([])  # what `rawi retract` took out: read again at each run

    def run(self) -> FetchReport:
        from .web import Web

        result = FetchReport()
        state = self._load_state()
        self._known = _fetched_links(self.corpus, self.settings.folder)
        self._retracted = retracted(self.corpus)
        with Web(self.settings, trusted=self.settings.urls) as web:
            for url in self.settings.urls:
                result.feeds += 1
                feed_state = state.setdefault(url, {})
                try:
                    self._one_feed(web, url, feed_state, result)
                except FetchError as exc:
                    self._failed(result, url, str(exc))
                self._save_state(state, result)  # after each feed: an interrupted run keeps what it learned
        return result

    # ---------------------------------------------------------------- one feed

    def _one_feed(self, web: Web, url: str, feed_state: dict, result: FetchReport) -> None:
        conditional = {}
        if feed_state.get("etag"):
            conditional["If-None-Match"] = feed_state["etag"]
        if feed_state.get("last_modified"):
            conditional["If-Modified-Since"] = feed_state["last_modified"]
        pending = _pending(feed_state)  # link -> entry fields and "tries": pages that failed before
        reply = web.get(url, conditional)
        if reply is None:
            result.unchanged += 1
        else:
            self._new_entries(reply, url, feed_state, pending, result)
            feed_state["etag"] = reply.headers.get("etag", "")
            feed_state["last_modified"] = reply.headers.get("last-modified", "")
        feed_state["pending"] = self._fetch_pending(web, pending, feed_state, result)

    def _new_entries(self, reply: Reply, url: str, feed_state: dict, pending: dict, result: FetchReport) -> None:
        """Adds the feed's entries not fetched yet to ``pending``; a link that cannot be fetched is skipped."""
        import feedparser

        parsed = feedparser.parse(reply.body)  # no base given: a malformed link stays as written, to be named below
        if not parsed.entries:
            reason = parsed.get("bozo_exception") or "no entries"
            raise FetchError(f"not a readable RSS/Atom feed ({reason})")
        if _broken_xml(parsed):  # feedparser read what it could: use it, but say so
            self._failed(result, url, f"broken XML ({parsed.bozo_exception}); read {len(parsed.entries)} entries anyway")
        source = (parsed.feed.get("title") or urlsplit(url).hostname or "").strip()
        language = (parsed.feed.get("language") or "").split("-")[0].lower()
        given_up = _given_up(feed_state)
        listed = set()
        for entry in parsed.entries[: self.settings.max_entries]:
            fields = _entry_fields(entry, source, language)
            if not fields["url"]:  # nothing to fetch (a text-only entry)
                continue
            try:
                fields["url"] = checked_link(fields["url"], reply.url)  # relative: against where the feed was found
            except FetchError as exc:
                self._skipped(result, fields["url"], str(exc))
                continue
            listed.add(fields["url"])
            if self._retracted.has_link(fields["url"]):
                pending.pop(fields["url"], None)
                self._skipped(result, fields["url"], "retracted (`rawi retract --undo` takes it back)")
            elif fields["url"] not in given_up and not self._fetched(fields["url"]):
                pending.setdefault(fields["url"], fields)
        feed_state["given_up"] = sorted(given_up & listed)  # remembered while the feed lists them

    def _fetch_pending(self, web: Web, pending: dict, feed_state: dict, result: FetchReport) -> dict:
        """Fetches each pending page; returns those to try again (a page is given up after
        ``max_tries`` failed tries, and a page the disk refused is kept without counting a try)."""
        still = {}
        for link, fields in pending.items():
            try:
                result.written.append(self._fetch_article(web, fields))
            except RetractedPage as exc:
                feed_state["given_up"] = sorted(_given_up(feed_state) | {link})  # not fetched again while listed
                self._skipped(result, link, str(exc))
            except NotWritten as exc:
                result.unwritten.append((exc.file, exc.reason))
                self.report(f"could not write the article of {link}: {exc}")
                still[link] = fields
            except FetchError as exc:
                tries = fields.get("tries", 0) + 1
                if tries < self.settings.max_tries:
                    self._failed(result, link, str(exc))
                    still[link] = {**fields, "tries": tries}
                else:
                    feed_state["given_up"] = sorted(_given_up(feed_state) | {link})
                    self._skipped(result, link, f"{exc}; given up after {tries} tries ([feeds] max_tries)")
        return still

    def _fetch_article(self, web: Web, fields: dict) -> str:
        from .formats.html import extract

        link = checked_link(fields["url"], fields["url"])  # a link kept in the state is checked again
        if self._fetched(link):
            return self._known.get(link) or self._relative(self._legacy_path(link))
        got = web.get(link, {})
        if got is None:  # a 304 to a request that was not conditional
            raise FetchError("HTTP 304 Not Modified to an unconditional request")
        page = extract(_decoded(got.body, got.headers))
        if page is None:
            raise FetchError("the page has no main text")
        if self._retracted.has_page(page.get("url", ""), page["text"]):
            raise RetractedPage("retracted (the same article as one retracted; `rawi retract --undo` takes it back)")
        merged = {**page, **{k: v for k, v in fields.items() if v and k not in ("text", "tries")}}
        merged["text"] = page["text"]
        merged["source"] = site_name(page.get("source", ""), fields.get("source", ""), link)
        folder = self.corpus / self.settings.folder / _host(link)
        path = unique(folder, article_name(merged.get("title", ""), merged.get("published", ""), link))
        try:
            _write_atomically(path, _article_file(merged))
        except OSError as exc:
            raise NotWritten(_os_reason(exc), self._relative(path)) from None
        self.report(f"fetched {link} -> {self._relative(path)}")
        self._known[link] = self._relative(path)
        return self._relative(path)

    # ---------------------------------------------------------------- files

    def _fetched(self, link: str) -> bool:
        """Is there an article file of this link already (named by its title, or by its hash)?"""
        return link in self._known or self._legacy_path(link).exists()

    def _legacy_path(self, link: str) -> Path:
        """Where earlier versions wrote the article of ``link``: named by the link's hash."""
        name = hashlib.sha256(link.encode("utf-8")).hexdigest()[:20]
        return self.corpus / self.settings.folder / _host(link) / f"{name}.md"

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.corpus).as_posix()

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

    def _save_state(self, state: dict, result: FetchReport) -> None:
        try:
            _write_atomically(self._state_path(), json.dumps(state, ensure_ascii=False, indent=1))
        except OSError as exc:
            reason = f"{_os_reason(exc)}; the previous state is kept whole"
            result.unwritten.append((self._relative(self._state_path()), reason))
            self.report(f"could not save the feed state: {reason}")

    def _failed(self, result: FetchReport, url: str, reason: str) -> None:
        result.failed.append((url, reason))
        self.report(f"could not fetch {url}: {reason} (tried again next time)")

    def _skipped(self, result: FetchReport, url: str, reason: str) -> None:
        result.skipped.append((url, reason))
        self.report(f"skipped {url}: {reason}")


def _host(link: str) -> str:
    return (urlsplit(link).hostname or "unknown").replace(":", "_")


def _fetched_links(corpus: Path, feeds_folder: str) -> dict[str, str]:
    """link -> file (relative to the corpus folder) of every article file under the feeds folder,
    as its front matter names it (the first lines only are read)."""
    known: dict[str, str] = {}
    folder = corpus / feeds_folder
    if not folder.is_dir():
        return known
    for path in sorted(folder.rglob("*.md")):
        try:
            with path.open("r", encoding="utf-8", errors="replace") as handle:
                head = handle.read(4096)
        except OSError:
            continue
        if not head.startswith("---\n"):
            continue
        for line in head.split("\n---", 1)[0].splitlines()[1:]:
            if line.startswith("url: "):
                known.setdefault(line[5:].strip(), path.relative_to(corpus).as_posix())
                break
    return known


def _broken_xml(parsed) -> bool:
    from xml.sax import SAXException

    return bool(parsed.get("bozo")) and isinstance(parsed.get("bozo_exception"), SAXException)


def _pending(feed_state: dict) -> dict[str, dict]:
    """The pages of a feed to try again, as the state holds them (anything malformed dropped)."""
    pending = feed_state.get("pending")
    if not isinstance(pending, dict):
        return {}
    return {link: {**fields, "tries": fields["tries"] if isinstance(fields.get("tries"), int) else 0}
            for link, fields in pending.items()
            if isinstance(fields, dict) and isinstance(fields.get("url"), str) and fields["url"]}


def _given_up(feed_state: dict) -> set[str]:
    """The links of a feed given up (after max_tries), as the state holds them."""
    links = feed_state.get("given_up")
    return {link for link in links if isinstance(link, str)} if isinstance(links, list) else set()


def _os_reason(exc: OSError) -> str:
    """An OSError in a few words: "File too large", "No space left on device"..."""
    return f"{exc.strerror or exc}: the disk is full or a file-size limit was reached" if exc.errno in (
        errno.ENOSPC, errno.EFBIG, errno.EDQUOT) else str(exc.strerror or exc)


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
            fetcher.report(f"feeds: {len(found.written)} new article(s), {len(found.failed)} failure(s), "
                           f"{len(found.skipped)} skipped, {len(found.unwritten)} not written")
        except Exception as exc:  # noqa: BLE001 -- the loop must outlive any one pass
            fetcher.report(f"feeds not fetched: {exc}")
        stop.wait(minutes * 60)
