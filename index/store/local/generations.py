"""Generation folders of the local store, and publishing one: the atomic switch of ``CURRENT``.

Layout of an index directory::

    CURRENT                      the name of the published generation (one line)
    generations/<name>/          one complete, immutable generation (see reader.py for its files)
    lock                         held by the one writer

A writer builds a new generation in a staging directory, fsyncs it, renames it into place and
then replaces CURRENT with one ``os.replace``: a reader sees the old index or the new one,
never a mix, and a crash at any point leaves the published index whole.

Generation names sort in publish order (UTC time to the nanosecond, then the pid). What a
``kill -9`` can leave behind is harmless and removed by the next writer (``prune``): a
``.staging-*`` folder, a ``.CURRENT.tmp`` file, or a generation renamed into place whose
CURRENT switch never happened (it sorts after CURRENT and was never read). The writer lock is
an OS file lock: the kernel releases it when its holder dies, so it is never stale.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..contract import REBUILD_HINT, IndexBusy, IndexDamaged, IndexUnwritable, NoIndex
from ..pause import pause_point

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
GENERATIONS = "generations"


def current_generation(index_dir: Path) -> Path:
    pointer = index_dir / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise NoIndex(f"no index at {index_dir}: run `rawi index`") from None
    except (OSError, UnicodeDecodeError):  # not text, a folder, unreadable
        name = ""
    if not name or "/" in name or "\\" in name or name.startswith(".") or not name.isprintable():
        raise IndexDamaged(f"index at {index_dir} is damaged (CURRENT is unreadable): {REBUILD_HINT}")
    return index_dir / GENERATIONS / name


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(directory: Path) -> None:
    for path in directory.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    for path in [directory, *[p for p in directory.rglob("*") if p.is_dir()]]:
        _fsync_dir(path)


def create_index_dir(index_dir: Path) -> None:
    """Index directories are private: they hold the articles' text."""
    index_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    (index_dir / GENERATIONS).mkdir(exist_ok=True, mode=0o700)


def new_staging(index_dir: Path) -> Path:
    create_index_dir(index_dir)
    return Path(tempfile.mkdtemp(prefix=".staging-", dir=index_dir / GENERATIONS))



def publish(index_dir: Path, staging: Path) -> str:
    """Make the staged generation the current one, atomically; returns its name."""
    pause_point("staged")
    _fsync_tree(staging)
    final = index_dir / GENERATIONS / _generation_name()
    while final.exists():  # same nanosecond: cannot happen under the writer lock, but be sure
        final = index_dir / GENERATIONS / _generation_name()
    name = final.name
    os.replace(staging, final)
    _fsync_dir(index_dir / GENERATIONS)
    pause_point("publish")
    pointer = index_dir / f".{CURRENT}.tmp"
    with pointer.open("w", encoding="utf-8") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pointer, index_dir / CURRENT)
    _fsync_dir(index_dir)
    return name


def _generation_name() -> str:
    now = time.time_ns()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 10**9))
    return f"{stamp}.{now % 10**9:09d}-{os.getpid()}"


def prune(index_dir: Path, keep: int = 2) -> None:
    """Remove what a crashed writer left and all but the newest ``keep`` generations.

    Only the writer (holding ``writer_lock``) calls this. Left by a crash: ``.staging-*``
    folders and generations that sort after CURRENT (renamed into place, never made current,
    so never read). The current generation always stays, and so does the one before it,
    which a reader may still be answering from.
    """
    generations = index_dir / GENERATIONS
    if not generations.is_dir():
        return
    try:
        current = current_generation(index_dir).name
    except NoIndex:
        current = ""  # nothing was ever published: every generation here is a leftover
    except IndexDamaged:
        return  # leave a damaged index as it is for the user (`--rebuild` replaces CURRENT)
    for stale in generations.glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
    (index_dir / f".{CURRENT}.tmp").unlink(missing_ok=True)
    published = sorted((p for p in generations.iterdir() if not p.name.startswith(".")), reverse=True)
    never_current = [p for p in published if p.name > current]
    older = [p for p in published if p.name < current]
    for old in never_current + older[keep - 1 :]:
        shutil.rmtree(old, ignore_errors=True)



@contextmanager
def left_clean_if_unpublished(index_dir: Path) -> Iterator[None]:
    """A first `rawi index` that fails (no corpus folder, no articles) leaves nothing behind: the
    folders it created for its lock are removed again while no generation was ever published."""
    created = [folder for folder in (index_dir, *index_dir.parents) if not folder.exists()]
    try:
        yield
    except IndexBusy:  # another first run holds the lock and builds in these folders: not ours
        raise
    except BaseException:
        if created and not (index_dir / CURRENT).exists():
            shutil.rmtree(index_dir, ignore_errors=True)
            for folder in created[1:]:  # the parents it created, deepest first, while empty
                try:
                    folder.rmdir()
                except OSError:
                    break
        raise


def writer_lock(index_dir: Path, wait: bool = False):
    """The one-writer lock: a second `rawi index` fails at once (or waits, if asked)."""
    from filelock import FileLock, Timeout

    try:
        create_index_dir(index_dir)
        lock = FileLock(str(index_dir / "lock"), timeout=0)
        lock.acquire()
    except Timeout:  # before OSError: filelock's Timeout is a TimeoutError, hence an OSError
        if not wait:
            raise IndexBusy(
                f"another `rawi index` is updating {index_dir}; wait for it or pass --wait"
            ) from None
        log.warning("another `rawi index` is updating %s; waiting for it", index_dir)
    except OSError as exc:  # a read-only mount, no permission, `dir` naming a file
        raise IndexUnwritable(
            f"cannot write in the index folder {index_dir} ({exc.strerror or exc}): "
            "make it writable, or point [index] dir / --index elsewhere"
        ) from None
    else:
        return lock
    lock.acquire(timeout=-1)
    return lock

