"""Which files under the corpus folder are articles, and how each one is read safely.

The one place that walks the corpus and opens its files; loaders of article formats
(``articles.py``) build on ``walk`` and ``read_capped`` and never touch the file system
themselves. The rules, each a fault found by trying to break ``rawi index``:

* Only regular files are articles. A FIFO, socket or device with an article's name is skipped
  with the reason: opening a FIFO would block forever (with the writer lock held) and a
  character device (``/dev/zero``) never ends. Files are opened non-blocking and checked with
  ``fstat`` on the open descriptor, so a file swapped for a FIFO after the listing is refused too.
* The size cap holds while reading (at most ``MAX_BYTES + 1`` bytes are ever read), not only
  from ``st_size``, which a device reports as 0 and a growing file outruns.
* A folder that cannot be listed (permissions, I/O error, gone mid-walk) is listed under
  ``skipped`` as ``folder/`` with the reason; the build keeps the indexed version of everything
  below it (``build.plan``). ``os.walk`` would swallow the error and every article below would
  count as removed.
* A link to a folder is not followed (no loops, nothing outside the corpus) and is listed under
  ``skipped`` with the reason; a link to a file is a candidate (``articles.scan`` checks that it
  stays inside the corpus).
* A name that is not UTF-8 (``b"caf\\xe9.txt"``) cannot be an article id (ids are stored as
  UTF-8 and printed): that one file or folder is skipped with the reason, shown with the
  undecodable bytes escaped, and the others are indexed.
* Hidden entries (a leading ``.``) are ignored.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

TEXT_SUFFIXES = (".txt", ".md")
# Every suffix rawi reads: plain text in articles.py, the others in formats/ (HTML, JSON, JSON lines,
# feeds). A regular file with another suffix is a candidate too: formats/ lists it as skipped.
SUFFIXES = TEXT_SUFFIXES + (".html", ".htm", ".json", ".jsonl", ".xml", ".rss", ".atom")
MAX_BYTES = 20 * 1024 * 1024
_READ_BLOCK = 1 << 20


@dataclass(frozen=True)
class Skipped:
    """A file (or, with a trailing ``/``, a folder) left out of this run, and why."""

    path: str
    reason: str
    line: int | None = None  # for one bad record of a file that holds many (JSON lines, a list, a feed)

    @property
    def folder(self) -> bool:
        return self.path.endswith("/")


class NotText(ValueError):
    """The bytes are not a text article; the message is the reason reported to the user."""


class CorpusError(ValueError):
    """The corpus directory itself is unusable."""


def printable_name(name: str) -> str:
    """A file name as a person can read it: bytes that are not UTF-8 shown as ``\\xe9``."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _kind(mode: int) -> str:
    for test, kind in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return kind
    return "not a regular file"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def walk(corpus_dir: Path) -> tuple[list[tuple[Path, str]], list[Skipped]]:
    """(path, article id) of every candidate file, sorted by id, and what was skipped on the way."""
    if not corpus_dir.exists():
        raise CorpusError(f"corpus directory {corpus_dir} does not exist")
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus path {corpus_dir} is not a directory")
    found: list[tuple[Path, str]] = []
    skipped: list[Skipped] = []
    pending = [(corpus_dir, "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            if not prefix:
                raise CorpusError(f"cannot list the corpus directory {corpus_dir}: {_reason(exc)}") from None
            skipped.append(Skipped(printable_name(prefix), f"cannot list this folder ({_reason(exc)}); "
                                   "the articles below it keep their indexed version"))
            continue
        for entry in entries:
            _sort(entry, prefix, found, skipped, pending)
    found.sort(key=lambda item: item[1])
    skipped.sort(key=lambda item: item.path)
    return found, skipped


def _sort(entry: os.DirEntry, prefix: str, found: list, skipped: list, pending: list) -> None:
    """Put one directory entry where it belongs: a candidate, a folder to walk, or skipped."""
    name = entry.name
    if name.startswith("."):
        return
    relative = prefix + name
    try:
        if entry.is_symlink():
            if entry.is_dir():  # follows the link
                skipped.append(Skipped(printable_name(relative) + "/", "a link to a folder (not followed)"))
            else:
                _candidate(entry, relative, found, skipped)
            return
        if entry.is_dir(follow_symlinks=False):
            if not _is_utf8(name):
                skipped.append(Skipped(printable_name(relative) + "/", "folder name is not valid UTF-8 (rename it)"))
            else:
                pending.append((Path(entry.path), relative + "/"))
            return
        if not entry.is_file(follow_symlinks=False):
            kind = _kind(entry.stat(follow_symlinks=False).st_mode)
            skipped.append(Skipped(printable_name(relative), f"{kind}, not a regular file (not read)"))
            return
    except OSError as exc:  # the entry went away or cannot be examined
        skipped.append(Skipped(printable_name(relative), f"cannot read: {_reason(exc)}"))
        return
    _candidate(entry, relative, found, skipped)


def _candidate(entry: os.DirEntry, relative: str, found: list, skipped: list) -> None:
    if not _is_utf8(relative):
        skipped.append(Skipped(printable_name(relative), "file name is not valid UTF-8 (rename it)"))
    else:
        found.append((Path(entry.path), relative))


def read_capped(path: Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; NotText or OSError with the reason.

    Opened non-blocking (a FIFO would otherwise wait for a writer forever) and checked on the
    open descriptor; never reads more than ``limit + 1`` bytes, whatever ``st_size`` says.
    """
    limit = MAX_BYTES if limit is None else limit
    too_big = NotText(f"larger than the {limit // (1024 * 1024)} MB limit for one article")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd)
        if not stat.S_ISREG(mode.st_mode):
            raise NotText(f"{_kind(mode.st_mode)}, not a regular file (not read)")
        if mode.st_size > limit:
            raise too_big
        blocks, total = [], 0
        while block := _read(fd, min(_READ_BLOCK, limit + 1 - total)):
            blocks.append(block)
            total += len(block)
            if total > limit:
                raise too_big
        return b"".join(blocks)
    finally:
        os.close(fd)


def _read(fd: int, size: int) -> bytes:
    try:
        return os.read(fd, size)
    except BlockingIOError:  # cannot happen for a regular file; never wait for one that says so
        raise OSError(errno.EAGAIN, "the file would block (not a regular file)") from None
