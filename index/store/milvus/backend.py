"""The index in Milvus: Milvus Lite in a local file, or a Milvus server or cluster (``[store] uri``).

Each generation is four collections (``schema.py``); the alias ``<name>`` names the
published generation's passages collection, and a reader resolves it once per question
(``generation``, one small call) and opens the generation's sibling collections. Publishing
switches the alias in one call: a reader sees the old generation or the new one, and a writer
killed at any point before the switch leaves the alias where it was. What a killed writer left
(collections of a generation never published) and generations older than the one before the
current one (a reader may still be answering from that) are dropped by the next writer
(``prune``).

A writer is copy-on-write: it reads the previous generation (minus the removed articles) and
the new passages into new collections when it finishes, so nothing is visible, and nothing is
written to Milvus, before ``finish``; unchanged passages' vectors come from the previous
generation (``stored_vectors``), never re-embedded. The new collections are filled, flushed,
then indexed and loaded (Milvus's bulk pattern), checked as a reader would check them; the
manifest is written last, at ``publish``, so a generation without one was never finished.

The crash-test points of ``pause.pause_point`` are honoured: ``embedding`` (in the build, before
anything is written), ``staged`` (every collection filled and checked, the manifest not yet
written) and ``publish`` (the generation complete, the alias not yet switched).

Milvus has no lock a writer could take: the one-writer lock is a local file lock (next to a
Milvus Lite file, or in ``[index] dir`` for a server). Writers on several hosts must not write
the same ``[store] name`` at once (README: Milvus).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...settings import IndexSettings
from . import schema
from ..contract import (
    REBUILD_HINT, Backend, IndexBusy, IndexDamaged, IndexProblem, IndexMismatch, IndexUnwritable, NoIndex, Reader, Writer,
)
from ..manifest import Manifest
from .io import TIMEOUT, IndexUnreachable, LiteUnreadable, is_milvus_error, milvus_call, quiet, reason
from .reader import MilvusReader
from .writer import MilvusWriter

__all__ = ["IndexUnreachable", "MilvusBackend", "MilvusReader", "MilvusWriter"]

log = logging.getLogger(__name__)


class MilvusBackend:
    """Generations as collections in one Milvus (``[store] uri``), published through an alias."""

    def __init__(self, settings: IndexSettings, encoder: str | None = None) -> None:
        self.settings = settings
        self.store = settings.store
        self.encoder = encoder
        if not schema.NAME.fullmatch(self.store.name):
            raise IndexMismatch(
                f"[store] name {self.store.name!r} cannot name Milvus collections: use letters, digits and _"
            )
        self.name = self.store.name
        self.local = self.store.uri.endswith(".db") and "://" not in self.store.uri
        self.where = f"{self.store.uri} (store {self.name!r})"
        self._client: Any = None  # connected on first use: `rawi --help` and config checks never import pymilvus
        self._client_lock = threading.Lock()

    def __str__(self) -> str:
        return self.where

    # ------------------------------------------------ connection

    @property
    def client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> Any:
        try:
            from pymilvus import MilvusClient

            if self.local:
                import milvus_lite  # noqa: F401
        except ImportError:  # pragma: no cover -- a dependency of rawi
            raise IndexMismatch("[store] backend = \"milvus\" needs pymilvus and milvus-lite: pip install 'rawi[milvus]'") from None
        quiet()
        uri = self.store.uri
        if self.local:
            path = Path(uri)
            try:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as exc:
                raise IndexUnwritable(f"cannot create the folder of the Milvus Lite file {uri} ({exc.strerror or exc})") from None
            self._check_lite_free(path)
            uri = str(path.resolve())
        # pymilvus pings every 10 s; Milvus Lite's in-process server answers pings that frequent with
        # a GOAWAY, which gRPC's C core reports on stderr: no pings to a server in this process.
        options = {"grpc_options": {"grpc.keepalive_time_ms": 2**31 - 1, "grpc.keepalive_permit_without_calls": False}}
        try:
            return MilvusClient(uri=uri, token=self.store.token, timeout=TIMEOUT, **(options if self.local else {}))
        except Exception as exc:  # noqa: BLE001
            if not is_milvus_error(exc):
                raise
            raise IndexUnreachable(
                f"cannot connect to Milvus at {self.store.uri} ({reason(exc)}): is it running, and is "
                f"[store] token_env ({self.store.token_env}) set if it needs a token?"
            ) from None

    def _check_lite_free(self, path: Path) -> None:
        """Milvus Lite serves one process per file: say so in one line, not a traceback."""
        from milvus_lite.server_manager import server_manager_instance

        if str(path.resolve()) in server_manager_instance._servers:  # this process has it open already
            return
        lock = path / "LOCK"
        if not lock.exists():
            return
        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
        except BlockingIOError:
            raise IndexBusy(
                f"the Milvus Lite file {self.store.uri} is open in another process (Milvus Lite serves one process "
                f"at a time); to read while indexing, serve it with `milvus-lite server --data-dir {self.store.uri}` "
                "and set [store] uri to its address"
            ) from None
        finally:
            os.close(fd)

    # ------------------------------------------------ the protocol

    @milvus_call
    def generation(self) -> str:
        return self._current() or self._no_index()

    def alias_target(self) -> str | None:
        """The collection the alias ``<name>`` names; None when there is no such alias."""
        from pymilvus.exceptions import MilvusException

        try:
            return self.client.describe_alias(self.name)["collection_name"]
        except MilvusException as exc:
            if "not exist" in str(exc) or "not found" in str(exc):
                return None
            raise

    def _current(self) -> str | None:
        """The published generation's name; None when the alias does not exist."""
        target = self.alias_target()
        if target is None:
            return None
        parsed = schema.parse_collection(self.name, target)
        if parsed is None or parsed[1] != schema.PASSAGES:
            raise IndexDamaged(f"index in Milvus at {self.where} is damaged (its alias names {target!r}): {REBUILD_HINT}")
        return parsed[0]

    def _no_index(self) -> str:
        raise NoIndex(f"no index in Milvus at {self.where}: run `rawi index`")

    @milvus_call
    def open_reader(self) -> MilvusReader:
        return self.open_generation(self.generation())

    def open_generation(self, generation: str, manifest: Manifest | None = None, facts: schema.Facts | None = None) -> MilvusReader:
        return MilvusReader(self, generation, manifest, facts)

    def writer(self, previous: Reader | None, dimension: int) -> MilvusWriter:
        assert previous is None or isinstance(previous, MilvusReader)
        return MilvusWriter(self, previous)

    def up_to_date(self, previous: Reader) -> bool:
        manifest = previous.manifest
        record = schema.index_record(self.settings.vectors, manifest.chunks, server=not self.local)
        return manifest.languages is not None and manifest.index == record

    def lock(self, wait: bool = False) -> AbstractContextManager[object]:
        """A local file lock: next to a Milvus Lite file, or in ``[index] dir`` for a server."""
        from filelock import FileLock, Timeout

        if self.local:
            path = Path(self.store.uri).parent / f".{Path(self.store.uri).name}.lock"
        else:
            path = self.settings.index_dir / f"milvus-{self.name}.lock"
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock = FileLock(str(path), timeout=0)
            lock.acquire()
        except Timeout:
            if not wait:
                raise IndexBusy(f"another `rawi index` is updating {self.where}; wait for it or pass --wait") from None
            log.warning("another `rawi index` is updating %s; waiting for it", self.where)
            lock.acquire(timeout=-1)
        except OSError as exc:
            raise IndexUnwritable(
                f"cannot write the writer lock {path} ({exc.strerror or exc}): make its folder writable"
            ) from None
        return _Held(lock)

    def left_clean_if_unpublished(self) -> AbstractContextManager[object]:
        """Nothing to clean: a first run makes no folders before it publishes (the lock file's stays)."""
        return nullcontext()

    @milvus_call
    def prune(self) -> None:
        """Drop what a killed writer left and generations older than the one before the current one."""
        try:
            current = self._current() or ""
        except IndexDamaged:
            return  # leave a damaged index as it is for the user (`--rebuild` replaces the alias)
        found: dict[str, list[str]] = {}
        for name in self.client.list_collections():
            parsed = schema.parse_collection(self.name, name)
            if parsed is not None:
                found.setdefault(parsed[0], []).append(name)
        older = sorted((g for g in found if g < current), reverse=True)
        for generation in [g for g in found if g > current] + older[1:]:
            for name in found[generation]:
                self.client.drop_collection(name)

    def recover(self) -> None:
        """Before a rebuild: a Milvus Lite file that Milvus Lite cannot read is moved aside (kept for
        the user, named in a warning), so the rebuild writes a new one; what the local backend's
        rebuild repairs by publishing over a damaged generation. A server is its operator's to repair."""
        if not self.local:
            return
        try:
            self.prune()
            self.open_reader().close()
        except LiteUnreadable:
            self._move_aside()
        except IndexProblem:
            pass  # no index, or damage rawi sees itself: the rebuild publishes over it

    def _move_aside(self) -> None:
        from milvus_lite.server_manager import server_manager_instance

        self.close()
        server_manager_instance.release_server(str(Path(self.store.uri).resolve()))
        stamp = time.strftime("%Y%m%d-%H%M%S")
        names = (f"{self.store.uri}.damaged-{stamp}" + (f"-{n}" if n else "") for n in range(1000))
        aside = next(name for name in names if not os.path.lexists(name))
        os.rename(self.store.uri, aside)
        log.warning("Milvus Lite cannot read %s (damaged): moved it aside to %s; rebuilding from the corpus", self.store.uri, aside)

    def close(self) -> None:
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None


class _Held(AbstractContextManager):
    """The lock as a context manager, released on exit (and with ``release``, as the local lock is)."""

    def __init__(self, lock: Any) -> None:
        self._lock = lock

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> _Held:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


if TYPE_CHECKING:  # mypy holds the three classes to the contract's protocols
    def _each(b: MilvusBackend, r: MilvusReader, w: MilvusWriter) -> None:
        backend: Backend = b
        reader: Reader = r
        writer: Writer = w
        del backend, reader, writer
