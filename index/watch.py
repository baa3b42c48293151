"""`rawi watch`: keep the index up to date while articles land, change or go.

A watchdog observer reports file events under the corpus folder: inotify on Linux, or a
polling observer where file events are unavailable (inotify limits reached, network file
systems; force it with ``[watch] polling = true``). Only events about article files (``articles.SUFFIXES``)
(and folders, which may carry them) outside hidden folders count. They are debounced: a build
starts once ``debounce_seconds`` have passed without a new one, so a burst of copies costs one
build, and events that arrive during a build cause one more build after it.

Each build is an ordinary incremental ``rawi index`` run (see ``build.py``): under the writer
lock (a running ``rawi index`` is waited for), embedding only what changed, published
atomically, so readers (``rawi ask -``, the bot) pick it up without a restart. The encoder is
loaded once, when the watcher starts. A build that fails (the corpus emptied, a damaged index)
is reported and watching goes on. One build runs at start, for changes made while nobody watched.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .articles import SUFFIXES, CorpusError
from .settings import WatchSettings

if TYPE_CHECKING:  # heavy imports stay out of `rawi --help`
    from .build import BuildStats
    from .encoder import Encoder
    from .settings import IndexSettings

log = logging.getLogger(__name__)

RELEVANT_EVENTS = {"created", "modified", "deleted", "moved", "closed", "attrib"}


class Watcher:
    """Watches one corpus folder and re-indexes it; ``run()`` blocks until ``stop`` is set."""

    def __init__(
        self,
        settings: IndexSettings,
        watch: WatchSettings,
        encoder: Encoder,
        report: Callable[[str], None] = log.info,
    ) -> None:
        self.settings = settings
        self.watch = watch
        self.encoder = encoder
        self.report = report
        self.corpus = Path(os.path.abspath(settings.corpus_dir))
        self._lock = threading.Lock()
        self._last_event: float | None = None  # monotonic time of the newest relevant event
        self._skipped: set[tuple[str, str]] = set()
        self._undated: set[tuple[str, str]] = set()  # reported once, like the skipped files
        self._observer = None
        self._watched: tuple[int, int] | None = None  # (device, inode) of the folder the observer watches

    # ---------------------------------------------------------------- events

    def is_article_path(self, path: str | bytes, directory: bool = False) -> bool:
        """Does an event about this path concern the corpus? (article files, visible folders)"""
        path = os.fsdecode(path)
        try:
            relative = Path(os.path.abspath(path)).relative_to(self.corpus)
        except ValueError:
            return False
        if any(part.startswith(".") for part in relative.parts):
            return False
        return directory or path.lower().endswith(SUFFIXES)

    def notice(self, event) -> None:
        """watchdog calls this (from its thread) for every event under the corpus."""
        if event.event_type not in RELEVANT_EVENTS:
            return
        if event.is_directory and event.event_type in ("modified", "closed", "attrib"):
            return  # a folder's own mtime changes with every file in it: the file events suffice
        paths = [event.src_path, getattr(event, "dest_path", "")]
        if any(self.is_article_path(p, event.is_directory) for p in paths if p):
            log.debug("event %s %s", event.event_type, paths)
            with self._lock:
                self._last_event = time.monotonic()

    def _wait_until_quiet(self, stop: threading.Event) -> bool:
        """Wait for a change, then for ``debounce_seconds`` without another; False once stopped."""
        while not stop.is_set():
            self._follow_corpus()
            with self._lock:
                last = self._last_event
                quiet = None if last is None else time.monotonic() - last
                if quiet is not None and quiet >= self.watch.debounce_seconds:
                    self._last_event = None  # events from now on mean another build
                    return True
            stop.wait(0.5 if quiet is None else min(0.5, self.watch.debounce_seconds - quiet))
        return False

    # ---------------------------------------------------------------- running

    def run(self, stop: threading.Event | None = None) -> None:
        """Watch and re-index until ``stop`` is set (or KeyboardInterrupt). Cleans up either way."""
        stop = stop or threading.Event()
        if not self.corpus.is_dir():
            raise CorpusError(f"corpus directory {self.corpus} does not exist (or is not a directory)")
        self.encoder.model  # loaded once, for the life of the watcher
        self._watched = _identity(self.corpus)
        self._observer = self._start_observer()
        try:
            self.build()
            while self._wait_until_quiet(stop):
                self.build()
        finally:
            self._stop_observer()

    def _stop_observer(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=10)
            self._observer = None

    def _deaf(self) -> bool:
        """Has the observer stopped listening? (watchdog stops it when the folder it watched is deleted;
        a folder made again in its place may get the same inode number.)"""
        emitters = list(getattr(self._observer, "emitters", ()))
        return not emitters or not all(emitter.is_alive() for emitter in emitters)

    def _follow_corpus(self) -> None:
        """The observer watches a folder, not a path: when the corpus folder is replaced (moved
        away and copied back, deleted and made again) it would go deaf. Watch the new one, and
        index it, as soon as it appears."""
        now = _identity(self.corpus)
        if now == self._watched and (now is None or not self._deaf()):
            return
        self._stop_observer()
        self._watched = now
        if now is None:
            self.report(f"corpus folder {self.corpus} is gone; waiting for it to come back")
            return
        self.report(f"corpus folder {self.corpus} was replaced; watching the new one")
        self._observer = self._start_observer()
        with self._lock:
            self._last_event = time.monotonic()  # what it holds now is indexed after the usual pause

    def _start_observer(self):
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:
                watcher.notice(event)

        if not self.watch.polling:
            observer = Observer()
            try:
                observer.schedule(Handler(), str(self.corpus), recursive=True)
                observer.start()
                self.report(f"watching {self.corpus} (file events)")
                return observer
            except OSError as exc:  # e.g. inotify watch or instance limits reached
                with contextlib.suppress(Exception):
                    observer.stop()
                self.report(f"file events unavailable ({exc}); polling every {self.watch.poll_seconds:g}s instead")
        observer = PollingObserver(timeout=self.watch.poll_seconds)
        observer.schedule(Handler(), str(self.corpus), recursive=True)
        observer.start()
        self.report(f"watching {self.corpus} (polling every {self.watch.poll_seconds:g}s)")
        return observer

    def build(self) -> BuildStats | None:
        """One incremental build under the writer lock; reports what it did, never raises a user error."""
        from . import store
        from .build import Builder
        from .errors import USER_ERRORS

        try:
            backend = store.open_backend(self.settings, self.encoder.name)
            with backend.lock(wait=True):  # says so when it waits
                stats = Builder(self.settings, self.encoder, backend=backend).run()
        except (*USER_ERRORS, OSError) as exc:  # OSError: a full disk, a folder gone; try again later
            self.report(f"index not updated: {exc}")
            return None
        except Exception as exc:  # a bug one file triggers must not end the watch: the next change retries
            log.exception("build failed")
            self.report(f"index not updated: unexpected {type(exc).__name__} ({exc}); still watching")
            return None
        self.report(describe(stats))
        skipped = {(s.path, s.reason) for s in stats.skipped}
        for path, reason in sorted(skipped - self._skipped):
            self.report(f"skipped {path}: {reason}")
        self._skipped = skipped
        undated = {(u.article, u.published) for u in stats.undated}
        for article, written in sorted(undated - self._undated):
            self.report(f"undated {article}: its date {written!r} cannot be read (no date filter or \"today\" finds it)")
        self._undated = undated
        return stats


def _identity(folder: Path) -> tuple[int, int] | None:
    try:
        found = os.stat(folder)
    except OSError:
        return None
    return (found.st_dev, found.st_ino) if stat.S_ISDIR(found.st_mode) else None


def describe(stats: BuildStats) -> str:
    changed = stats.added + stats.updated + stats.removed
    counts = f"{stats.articles} articles, {stats.chunks} passages"
    if not changed:
        return f"no change ({counts})"
    return (
        f"indexed: added {stats.added}, updated {stats.updated}, removed {stats.removed} "
        f"({counts}; embedded {stats.chunks_embedded} passages in {stats.seconds:.1f}s"
        + (f"; {len(stats.skipped)} file(s) skipped" if stats.skipped else "")
        + ")"
    )
