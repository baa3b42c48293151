"""Where a fetched article goes and whose it is: a readable file name, and the site's name.

The name is ``<YYYY-MM-DD>-<slug of the title>.md``: the day the article was published (the
day it was fetched when it names none), then the title's words in lower case joined by hyphens.
Arabic (and any other script's) letters are kept, accented ones too; Arabic short vowels and
tatweel are dropped, and so is anything that is not a letter or a digit, so the name is safe on every
filesystem (no ``/ \\ : * ? " < > |``, no control characters, no leading dot, no trailing space
or dot) and NFC-normalized (the same bytes on macOS and Linux). A slug is at most
``MAX_SLUG_BYTES`` bytes of UTF-8 (cut between words when it can), well under the 255 bytes a
file name may take; a title with no letters at all gives the link's hash instead. A name
already taken gets ``-2``, ``-3``... (``unique``).

The source is the page's own site name (``og:site_name`` and the like, as trafilatura reads
it), else the feed's title without its section (``Beirut Observer - Latest`` -> ``Beirut
Observer``), else the host.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

from .published import sortable

MAX_SLUG_BYTES = 96
_HARAKAT = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")  # short vowels, Quranic marks, tatweel
_SECTION = re.compile(r"\s+(?:[-|–—:»·•]|::)\s+")


def slug(title: str) -> str:
    """The title's letters and digits, lower case, words joined by "-" ("" when it has none)."""
    kept = _HARAKAT.sub("", unicodedata.normalize("NFKC", title))
    words = re.findall(r"[^\W_]+", unicodedata.normalize("NFC", kept.casefold()))
    out = ""
    for word in words:
        longer = f"{out}-{word}" if out else word
        if len(longer.encode("utf-8")) > MAX_SLUG_BYTES:
            if not out:  # one very long word: cut it on a character boundary
                out = word.encode("utf-8")[:MAX_SLUG_BYTES].decode("utf-8", "ignore")
            break
        out = longer
    return out


def day_of(published: str, today: datetime | None = None) -> str:
    """``YYYY-MM-DD`` of the publication date, or of today (UTC) when it cannot be read."""
    stamp = sortable(published or "")
    if stamp:
        return stamp[:10]
    return (today or datetime.now(timezone.utc)).strftime("%Y-%m-%d")


def article_name(title: str, published: str, link: str) -> str:
    """``<day>-<slug>.md``; the link's hash stands in for a title without letters."""
    words = slug(title) or hashlib.sha256(link.encode("utf-8")).hexdigest()[:12]
    return f"{day_of(published)}-{words}.md"


def unique(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name`` with ``-2``, ``-3``... before ``.md`` when that file exists."""
    path = folder / name
    number = 2
    while path.exists():
        path = folder / f"{name.removesuffix('.md')}-{number}.md"
        number += 1
    return path


def site_name(page_source: str, feed_title: str, link: str) -> str:
    """The page's site name; else the feed's title without its section; else the link's host."""
    from urllib.parse import urlsplit

    host = (urlsplit(link).hostname or "").lower()
    page_source = " ".join((page_source or "").split())
    if page_source and _bare(page_source) != _bare(host):  # trafilatura falls back to the host name
        return page_source
    feed_title = " ".join((feed_title or "").split())
    if feed_title and _bare(feed_title) != _bare(host):
        return _SECTION.split(feed_title)[0].strip() or feed_title
    return host.removeprefix("www.")


def _bare(name: str) -> str:
    return name.lower().removeprefix("www.")
