"""HTTP for `rawi fetch`: one GET of a feed or page, within every limit, or a FetchError.

Limits: a deadline for the whole request (``WHOLE_ANSWER`` x ``[feeds] timeout_seconds``,
connect, headers, body and redirects included; see netguard.py), ``timeout_seconds`` for any
one wait, ``max_bytes`` for the body both as sent and once decompressed (decompressed as it
arrives, never more than the cap: a 2 KB gzip reply can hold gigabytes of zeros), only the
encodings asked for (gzip, deflate; stacked ones such as ``gzip, gzip`` are refused), and the
address checks of netguard.py. Requests to one host are spaced by ``host_delay_seconds``.
"""

from __future__ import annotations

import re
import time
import unicodedata
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    import httpx

    from .settings import FeedSettings

USER_AGENT = "rawi-fetch/0.1 (+news question answering)"
ACCEPTED = "gzip, deflate"  # the Content-Encodings asked for, and the only ones read
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}  # deflate: zlib format
WHOLE_ANSWER = 3  # a whole answer may take this many times [feeds] timeout_seconds
_BIDI_CONTROLS = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?|[0-9a-f:.]+", re.IGNORECASE)


class FetchError(Exception):
    """One feed or page could not be fetched; the message is the reason."""


@dataclass(frozen=True)
class Reply:
    body: bytes  # decoded (Content-Encoding undone)
    headers: dict[str, str]  # names in lower case
    url: str  # after redirects: the base for the links it holds


def checked_link(raw: str, base: str) -> str:
    """An entry's link, made absolute against ``base`` (the feed's address); FetchError when it
    cannot be fetched: not http(s), malformed, or holding a control character."""
    link = raw.strip()
    if not link:
        raise FetchError("the entry has no link")
    if any(unicodedata.category(c) == "Cc" or unicodedata.bidirectional(c) in _BIDI_CONTROLS for c in link):
        raise FetchError("the link holds a control character")
    import httpx

    try:
        link = urljoin(base, link)
        _ = urlsplit(link).port  # a port out of range, a bracket left open
        url = httpx.URL(link)
    except (ValueError, httpx.InvalidURL) as exc:
        raise FetchError(f"not a valid link ({exc})"[:200]) from None
    if url.scheme not in ("http", "https"):
        raise FetchError(f"not an http(s) link ({url.scheme or 'no scheme'})"[:200])
    if not _HOST.fullmatch(url.host):
        raise FetchError(f"not a valid host name ({url.host})"[:200])
    return link


class Web:
    """The HTTP client of one pass: ``get`` a URL; ``trusted`` are the feeds the user configured."""

    def __init__(self, settings: FeedSettings, trusted: list[str]) -> None:
        import httpx

        from .netguard import GuardedBackend, guarded_transport, origin

        self.settings = settings
        self.backend = GuardedBackend([origin(u) for u in trusted], settings.allow_private_networks)
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPTED}
        self.client = httpx.Client(transport=guarded_transport(self.backend), follow_redirects=True, max_redirects=5,
                                   timeout=httpx.Timeout(settings.timeout_seconds), headers=headers)
        self._last_request: dict[str, float] = {}  # host -> monotonic time of the last request

    def __enter__(self) -> Web:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.client.close()

    def get(self, url: str, headers: dict) -> Reply | None:
        """The decoded body of a 200, None for a 304; FetchError otherwise."""
        import httpx

        from .netguard import AddressRefused, DeadlinePassed

        self._pace(url)
        whole = WHOLE_ANSWER * self.settings.timeout_seconds
        too_slow = FetchError(f"too slow (the whole answer took longer than {whole:g} s: "
                              f"{WHOLE_ANSWER} x [feeds] timeout_seconds)")
        self.backend.start(whole)
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                return self._reply(response)
        except DeadlinePassed:
            raise too_slow from None
        except AddressRefused as exc:
            raise FetchError(str(exc)) from None
        except httpx.TimeoutException:
            if self.backend.passed():
                raise too_slow from None
            raise FetchError(f"no answer within {self.settings.timeout_seconds:g} s ([feeds] timeout_seconds)") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}"[:200]) from None

    def _reply(self, response: httpx.Response) -> Reply | None:
        if response.status_code == 304:
            return None
        if response.status_code != 200:
            raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
        cap = self.settings.max_bytes
        if int(response.headers.get("content-length") or 0) > cap:
            raise FetchError(f"larger than the {cap:,}-byte limit ([feeds] max_bytes)")
        body = read_capped(response, cap)
        return Reply(body, {k.lower(): v for k, v in response.headers.items()}, str(response.url))

    def _pace(self, url: str) -> None:
        host = urlsplit(url).netloc
        wait = self._last_request.get(host, -1e9) + self.settings.host_delay_seconds - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_request[host] = time.monotonic()


def read_capped(response: httpx.Response, cap: int) -> bytes:
    """The body, decompressed as it arrives; FetchError as soon as it passes ``cap`` bytes, sent
    or decompressed (memory stays within the cap whatever the compression ratio)."""
    inflate = _decompressor(response.headers.get("content-encoding", ""))
    parts, size, sent = [], 0, 0
    for chunk in response.iter_raw():
        sent += len(chunk)
        try:
            part = inflate.decompress(chunk, cap - size + 1) if inflate else chunk  # at most one byte past the cap
        except zlib.error as exc:
            raise FetchError(f"a damaged compressed answer ({exc})") from None
        size += len(part)
        if max(size, sent) > cap:
            raise FetchError(f"larger than the {cap:,}-byte limit ([feeds] max_bytes)"
                             + (" once decompressed" if size > sent else ""))
        parts.append(part)
    return b"".join(parts)


def _decompressor(content_encoding: str):
    """A zlib decompressor for the one encoding of the answer, None for none; FetchError for an
    encoding not asked for (br, zstd...) or several stacked (``gzip, gzip``)."""
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip().lower() not in ("", "identity")]
    if not codings:
        return None
    named = content_encoding.strip()[:40]
    if len(codings) > 1:
        raise FetchError(f"refused: Content-Encoding {named} (stacked encodings)")
    if codings[0] not in _WBITS:
        raise FetchError(f"refused: Content-Encoding {named} (rawi asks for {ACCEPTED} only)")
    return zlib.decompressobj(_WBITS[codings[0]])
