"""The index in Milvus: Milvus Lite in a local file, or a Milvus server or cluster (``[store] uri``).

Each generation is four collections (``milvus_schema.py``); the alias ``<name>`` names the
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

The crash-test points of ``local.pause_point`` are honoured: ``embedding`` (in the build, before
anything is written), ``staged`` (every collection filled and checked, the manifest not yet
written) and ``publish`` (the generation complete, the alias not yet switched).

Milvus has no lock a writer could take: the one-writer lock is a local file lock (next to a
Milvus Lite file, or in ``[index] dir`` for a server). Writers on several hosts must not write
the same ``[store] name`` at once (README: Milvus).
"""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from .. import duplicates
from ..languages import LanguageMeans
from ..normalize import tokens
from ..sentences import all_sentence_ids, sentence_ids
from ..settings import IndexSettings
from . import milvus_schema as schema
from .contract import (
    REBUILD_HINT, ArticleRow, ChunkRow, IndexBusy, IndexDamaged, IndexError_, IndexMismatch, IndexUnwritable,
    NewChunk, NoIndex, Removed, Stored,
)
from .local import FORMAT_VERSION, Manifest, _checked, pause_point

if TYPE_CHECKING:
    from ..filters import ArticleFilter

log = logging.getLogger(__name__)

BATCH = 1000  # rows per insert, get or iterator page
TEXT_BATCH_BYTES = 8 << 20  # article text per insert (gRPC messages are capped at 64 MB)
TIMEOUT = 30.0  # seconds for one call to a Milvus server
ARTICLE_META = ["id", "title", "url", "published", "source", "sha256", "indexed_at", "language", "published_at", "group_id"]
PASSAGE_ROW = ["id", "article_id", "seq", "start", "end", "text"]


class IndexUnreachable(IndexError_):
    """The Milvus server cannot be reached, or a call to it failed."""


F = TypeVar("F", bound=Callable[..., Any])


def milvus_call(method: F) -> F:
    """A Milvus failure inside ``method`` becomes one line (IndexUnreachable), not a traceback."""

    @functools.wraps(method)
    def inner(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except IndexError_:
            raise
        except Exception as exc:  # noqa: BLE001 -- pymilvus's and grpc's errors share no base
            if not _is_milvus_error(exc):
                raise
            raise IndexUnreachable(
                f"Milvus at {self.backend.where} failed ({_reason(exc)}); check that it is running and reachable"
            ) from None
    return inner  # type: ignore[return-value]


def _is_milvus_error(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.startswith(("pymilvus", "grpc", "milvus_lite"))


def _reason(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(message).split())[:200]


def _quiet() -> None:
    """pymilvus (configuring its loggers when imported) and Milvus Lite's in-process gRPC server log
    failed calls with tracebacks; rawi reports a failure in one line, so they say nothing."""
    for name in ("pymilvus", "pymilvus.milvus_client", "pymilvus.bulk_writer", "milvus_lite", "grpc._server"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def new_generation_name() -> str:
    """Sorts in creation order: nanoseconds since the epoch, then the writer's pid."""
    return f"g{time.time_ns():019d}_{os.getpid()}"


# ---------------------------------------------------------------- the backend


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
        self._client: Any = None
        self._client_lock = threading.Lock()

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
        _quiet()
        uri = self.store.uri
        if self.local:
            path = Path(uri)
            try:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as exc:
                raise IndexUnwritable(f"cannot create the folder of the Milvus Lite file {uri} ({exc.strerror or exc})") from None
            self._check_lite_free(path)
            uri = str(path.resolve())
        try:
            return MilvusClient(uri=uri, token=self.store.token, timeout=TIMEOUT)
        except Exception as exc:  # noqa: BLE001
            if not _is_milvus_error(exc):
                raise
            raise IndexUnreachable(
                f"cannot connect to Milvus at {self.store.uri} ({_reason(exc)}): is it running, and is "
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

    def _current(self) -> str | None:
        """The published generation's name; None when the alias does not exist."""
        from pymilvus.exceptions import MilvusException

        try:
            target = self.client.describe_alias(self.name)["collection_name"]
        except MilvusException as exc:
            if "not exist" in str(exc) or "not found" in str(exc):
                return None
            raise
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

    def writer(self, previous: Any) -> MilvusWriter:
        return MilvusWriter(self, previous)

    def up_to_date(self, previous: Any) -> bool:
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


def _iterate(client: Any, collection: str, fields: list[str], filter: str = "") -> Iterator[list[dict]]:
    iterator = client.query_iterator(collection, batch_size=BATCH, filter=filter, output_fields=fields)
    try:
        while True:
            batch = iterator.next()
            if not batch:
                return
            yield batch
    finally:
        iterator.close()


def _get(client: Any, collection: str, ids: Sequence[Any], fields: list[str]) -> list[dict]:
    rows: list[dict] = []
    for start in range(0, len(ids), BATCH):
        rows += client.get(collection, ids=list(ids[start : start + BATCH]), output_fields=fields)
    return rows


def _article(row: dict, text: str = "") -> ArticleRow:
    return ArticleRow(
        id=row["id"], title=row["title"], url=row["url"], published=row["published"], source=row["source"],
        sha256=row["sha256"], text=text, indexed_at=float(row["indexed_at"]), language=row["language"],
        published_at=row["published_at"], group_id=row["group_id"],
    )


def _vectors(rows: Iterable[Any], dimension: int) -> np.ndarray:
    found = [np.asarray(r, dtype=np.float32) for r in rows]
    return np.stack(found) if found else np.zeros((0, dimension), dtype=np.float32)


def _in(field: str, values: Sequence[Any]) -> str:
    return f"{field} in [{', '.join(schema.literal(v) if isinstance(v, str) else str(int(v)) for v in values)}]"


# ---------------------------------------------------------------- reading


class MilvusReader:
    """One generation's collections, opened and checked (see ``contract.Reader``)."""

    def __init__(
        self, backend: MilvusBackend, generation: str, manifest: Manifest | None = None, facts: schema.Facts | None = None
    ) -> None:
        self.backend = backend
        self.client = backend.client
        self.generation = generation
        self._names = {kind: schema.collection(backend.name, generation, kind) for kind in schema.KINDS}
        self._check_collections()
        if manifest is None or facts is None:
            manifest, facts = self._read_meta()
        self.manifest = manifest
        self.facts = facts
        self._check_manifest()
        self.language_direction = (
            None if manifest.languages is None
            else LanguageMeans.from_json(manifest.languages, manifest.dimension).direction()
        )
        self._check_counts()

    def _damaged(self, why: str) -> IndexDamaged:
        return IndexDamaged(f"index in Milvus at {self.backend.where} is damaged ({why}): {REBUILD_HINT}")

    def _check_collections(self) -> None:
        for kind, name in self._names.items():
            if not self.client.has_collection(name):
                raise self._damaged(f"generation {self.generation} has no {kind} collection")
            self.client.load_collection(name)

    def _read_meta(self) -> tuple[Manifest, schema.Facts]:
        rows = self.client.query(self._names[schema.META], filter='id != ""', output_fields=["id", "value"])
        try:
            data = schema.meta_value(rows, "manifest")
            facts = schema.meta_value(rows, "facts")
            if not isinstance(data, dict) or not isinstance(facts, dict):
                raise ValueError("not an object")
            manifest = _checked(Manifest.from_json(data))
            return manifest, schema.Facts(**facts)
        except KeyError as exc:
            raise self._damaged(f"no {exc.args[0]}") from None
        except (ValueError, TypeError) as exc:
            raise self._damaged(f"manifest: {exc}") from None

    def _check_manifest(self) -> None:
        manifest = self.manifest
        where = f"index in Milvus at {self.backend.where}"
        encoder = self.backend.encoder
        if encoder is not None and manifest.encoder != encoder:
            raise IndexMismatch(
                f"{where} was built with encoder {manifest.encoder!r}, but config names {encoder!r}: {REBUILD_HINT}"
            )
        if manifest.format_version != FORMAT_VERSION:
            raise IndexMismatch(
                f"{where} has format {manifest.format_version}, this rawi reads {FORMAT_VERSION}: {REBUILD_HINT}"
            )
        if manifest.index.get("milvus") not in ("FLAT", "HNSW", "IVF_PQ", "IVF_SQ8"):
            raise IndexMismatch(f"{where} has vector index {manifest.index!r}, which this rawi cannot read: {REBUILD_HINT}")

    def _count(self, kind: str) -> int:
        rows = self.client.query(self._names[kind], filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def _check_counts(self) -> None:
        counts = {kind: self._count(kind) for kind in (schema.PASSAGES, schema.SENTENCES, schema.ARTICLES)}
        wanted = {schema.PASSAGES: self.manifest.chunks, schema.SENTENCES: self.manifest.sentences,
                  schema.ARTICLES: self.manifest.articles}
        if counts != wanted:
            found = ", ".join(f"{kind} {counts[kind]}" for kind in counts)
            raise self._damaged(f"{found}; the manifest says {', '.join(f'{k} {v}' for k, v in wanted.items())}")

    # ------------------------------------------------ searching

    @milvus_call
    def search(self, query: np.ndarray, k: int, where: ArticleFilter | None = None) -> list[int]:
        expr = schema.expression(where, self.facts.sources)
        if expr == "" or k <= 0:
            return []
        record = self.manifest.index
        settings = self.backend.settings.vectors
        wide = k * settings.pq_rescore if record.get("type") == "ivfpq" else k
        found = self.client.search(
            self._names[schema.PASSAGES], data=[np.asarray(query, dtype=np.float32).tolist()], anns_field="vector",
            limit=wide, filter=expr or "", output_fields=["id"], search_params=schema.search_params(record, settings, wide),
        )
        ids = [int(hit["id"]) for hit in found[0]]
        if wide > k and ids:  # approximate codes: the candidates re-scored with the exact vectors
            scores = self.passage_vectors(ids) @ np.asarray(query, dtype=np.float32)
            ids = [ids[i] for i in np.argsort(-scores, kind="stable")[:k]]
        return ids

    @milvus_call
    def lexical_search(self, question: str, k: int, where: ArticleFilter | None = None) -> list[tuple[int, float]]:
        terms = tokens(question)
        expr = schema.expression(where, self.facts.sources)
        if not terms or k <= 0 or expr == "" or self.manifest.chunks == 0:
            return []
        found = self.client.search(
            self._names[schema.PASSAGES], data=[" ".join(terms)], anns_field="sparse", limit=k, filter=expr or "",
            output_fields=["id"], search_params={"metric_type": "BM25", "params": {}},
        )
        # Milvus Lite reports BM25 as a distance (negated), a server as a score: the score is its size.
        hits = [(int(hit["id"]), abs(float(hit["distance"]))) for hit in found[0]]
        return sorted([hit for hit in hits if hit[1] > 0], key=lambda hit: -hit[1])

    # ------------------------------------------------ rows and vectors

    @milvus_call
    def passage_vectors(self, ids: Sequence[int]) -> np.ndarray:
        wanted = [int(i) for i in ids]
        rows = {int(r["id"]): r["vector"] for r in _get(self.client, self._names[schema.PASSAGES], sorted(set(wanted)), ["id", "vector"])}
        missing = [i for i in wanted if i not in rows]
        if missing:
            raise self._damaged(f"passage {missing[0]} has no vector")
        return _vectors((rows[i] for i in wanted), self.manifest.dimension)

    @milvus_call
    def sentence_vectors(self, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        wanted = np.asarray([int(i) for i in ids], dtype=np.int64)
        rows = {int(r["id"]): int(r["sentences"]) for r in _get(self.client, self._names[schema.PASSAGES], sorted(set(wanted.tolist())), ["id", "sentences"])}
        counts = np.array([rows.get(int(i), 0) for i in wanted], dtype=np.int64)
        sentence = all_sentence_ids(wanted, counts)
        unique = sorted(set(sentence.tolist()))
        found = {int(r["id"]): r["vector"] for r in _get(self.client, self._names[schema.SENTENCES], unique, ["id", "vector"])}
        if len(found) != len(unique):
            raise self._damaged("sentence vectors do not match the passages")
        return counts, _vectors((found[int(i)] for i in sentence), self.manifest.dimension)

    @milvus_call
    def chunks(self, ids: Sequence[int]) -> dict[int, ChunkRow]:
        rows = _get(self.client, self._names[schema.PASSAGES], sorted({int(i) for i in ids}), PASSAGE_ROW)
        meta = self.article_meta([r["article_id"] for r in rows])
        found = {}
        for r in rows:
            article = meta.get(r["article_id"])
            if article is None:
                continue
            found[int(r["id"])] = ChunkRow(
                id=int(r["id"]), article_id=r["article_id"], seq=int(r["seq"]), start=int(r["start"]), end=int(r["end"]),
                text=r["text"], title=article.title, url=article.url, published=article.published, source=article.source,
            )
        return found

    @milvus_call
    def article(self, article_id: str) -> ArticleRow | None:
        rows = self.client.get(self._names[schema.ARTICLES], ids=[article_id], output_fields=[*ARTICLE_META, "text"])
        return _article(rows[0], "".join(rows[0]["text"] or [])) if rows else None

    @milvus_call
    def article_meta(self, article_ids: Sequence[str]) -> dict[str, ArticleRow]:
        rows = _get(self.client, self._names[schema.ARTICLES], sorted(set(article_ids)), ARTICLE_META)
        return {r["id"]: _article(r) for r in rows}

    @milvus_call
    def group_members(self, group_ids: Sequence[str]) -> dict[str, list[ArticleRow]]:
        wanted = sorted({g for g in group_ids if g})
        found: dict[str, list[ArticleRow]] = {}
        for start in range(0, len(wanted), BATCH):
            rows = self.client.query(
                self._names[schema.ARTICLES], filter=_in("group_id", wanted[start : start + BATCH]), output_fields=ARTICLE_META,
            )
            for r in rows:
                found.setdefault(r["group_id"], []).append(_article(r))
        for members in found.values():
            members.sort(key=lambda a: (a.published_at == "", a.published_at, a.id))
        return found

    @milvus_call
    def article_hashes(self) -> dict[str, str]:
        return {
            r["id"]: r["sha256"]
            for batch in _iterate(self.client, self._names[schema.ARTICLES], ["id", "sha256"]) for r in batch
        }

    @milvus_call
    def newest_articles(self, limit: int) -> list[ArticleRow]:
        """Milvus has no ORDER BY: the ordering keys of every article are read and sorted here."""
        keys = [
            (r["published_at"], float(r["indexed_at"]), r["id"])
            for batch in _iterate(self.client, self._names[schema.ARTICLES], ["id", "published_at", "indexed_at"])
            for r in batch
        ]
        # published_at DESC, indexed_at DESC, id ASC: the local backend's order
        keys.sort(key=lambda key: key[2])
        keys.sort(key=lambda key: (key[0], key[1]), reverse=True)
        chosen = [key[2] for key in keys[: max(0, limit)]]
        rows = {r["id"]: r for r in _get(self.client, self._names[schema.ARTICLES], chosen, [*ARTICLE_META, "text"])}
        return [_article(rows[i], "".join(rows[i]["text"] or [])) for i in chosen if i in rows]

    def newest_published(self) -> str:
        return self.facts.newest_published

    def sources(self) -> list[str]:
        return list(self.facts.sources)

    def copy_groups(self) -> int:
        return self.facts.copy_groups

    def close(self) -> None:
        """The connection belongs to the backend (shared by its readers and writer)."""


# ---------------------------------------------------------------- writing


class MilvusWriter:
    """The next generation (see ``contract.Writer``): nothing reaches Milvus before ``finish``."""

    def __init__(self, backend: MilvusBackend, previous: MilvusReader | None) -> None:
        self.backend = backend
        self.client = backend.client
        self.previous = previous
        self.next_chunk_id = previous.manifest.next_chunk_id if previous is not None else 0
        self.generation = new_generation_name()
        self._removed: set[str] = set()
        self._articles: list[ArticleRow] = []
        self._chunks: list[NewChunk] = []
        self._vectors: list[Stored] = []
        self._signatures: dict[str, np.ndarray] = {}
        self._groups: dict[str, str] | None = None
        self._manifest: Manifest | None = None
        self._facts: schema.Facts | None = None
        self._created = False

    def _prev(self, kind: str) -> str:
        assert self.previous is not None
        return schema.collection(self.backend.name, self.previous.generation, kind)

    def _new(self, kind: str) -> str:
        return schema.collection(self.backend.name, self.generation, kind)

    @milvus_call
    def stored_vectors(self, text_shas: set[str]) -> dict[str, Stored]:
        if self.previous is None or not text_shas:
            return {}
        wanted = sorted(text_shas)
        first: dict[str, dict] = {}
        for start in range(0, len(wanted), BATCH):
            rows = self.client.query(
                self._prev(schema.PASSAGES), filter=_in("text_sha", wanted[start : start + BATCH]),
                output_fields=["id", "vector", "sentences", "text_sha"],
            )
            for r in sorted(rows, key=lambda r: int(r["id"])):
                first.setdefault(r["text_sha"], r)
        ids = [int(r["id"]) for r in first.values()]
        counts = np.array([int(r["sentences"]) for r in first.values()], dtype=np.int64)
        sentence = all_sentence_ids(np.asarray(ids, dtype=np.int64), counts)
        vectors = {int(r["id"]): r["vector"] for r in _get(self.client, self._prev(schema.SENTENCES), sentence.tolist(), ["id", "vector"])}
        dimension = self.previous.manifest.dimension
        found = {}
        for sha, r in first.items():
            own = sentence_ids(int(r["id"]), int(r["sentences"]))
            if all(int(i) in vectors for i in own):
                found[sha] = (np.asarray(r["vector"], dtype=np.float32), _vectors((vectors[int(i)] for i in own), dimension))
        return found

    @milvus_call
    def remove_articles(self, article_ids: Sequence[str]) -> Removed:
        wanted = sorted(set(article_ids) - self._removed)
        self._removed |= set(wanted)
        ids: list[int] = []
        texts: list[str] = []
        vectors: list[Any] = []
        if self.previous is not None:
            for start in range(0, len(wanted), BATCH):
                rows = self.client.query(
                    self._prev(schema.PASSAGES), filter=_in("article_id", wanted[start : start + BATCH]),
                    output_fields=["id", "text", "vector"],
                )
                for r in sorted(rows, key=lambda r: int(r["id"])):
                    ids.append(int(r["id"]))
                    texts.append(r["text"])
                    vectors.append(r["vector"])
        dimension = self.previous.manifest.dimension if self.previous is not None else 0
        return Removed(np.asarray(ids, dtype=np.int64), texts, _vectors(vectors, dimension))

    def add(
        self, articles: Sequence[ArticleRow], chunks: Sequence[NewChunk], vectors: Sequence[Stored],
        signatures: dict[str, np.ndarray],
    ) -> None:
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} passages but {len(vectors)} vectors")
        self._articles += articles
        self._chunks += chunks
        self._vectors += vectors
        self._signatures |= signatures
        if chunks:
            self.next_chunk_id = max(self.next_chunk_id, max(c.id for c in chunks) + 1)
        self._groups = None

    def _kept(self, article_id: str) -> bool:
        return article_id not in self._removed and article_id not in self._signatures_added

    @property
    def _signatures_added(self) -> set[str]:
        return {a.id for a in self._articles}

    @milvus_call
    def all_passages(self) -> Iterator[tuple[list[str], np.ndarray]]:
        replaced = self._removed | self._signatures_added
        if self.previous is not None:
            dimension = self.previous.manifest.dimension
            for batch in _iterate(self.client, self._prev(schema.PASSAGES), ["id", "text", "vector", "article_id"]):
                kept = [r for r in batch if r["article_id"] not in replaced]
                if kept:
                    yield [r["text"] for r in kept], _vectors((r["vector"] for r in kept), dimension)
        for start in range(0, len(self._chunks), BATCH):
            part = self._chunks[start : start + BATCH]
            yield [c.text for c in part], np.stack([v for v, _ in self._vectors[start : start + BATCH]])

    @milvus_call
    def regroup(self) -> int:
        replaced = self._removed | self._signatures_added
        signatures: dict[str, np.ndarray] = {}
        published: dict[str, str] = {}
        if self.previous is not None:
            for batch in _iterate(self.client, self._prev(schema.ARTICLES), ["id", "signature", "published_at"]):
                for r in batch:
                    if r["id"] not in replaced:
                        signatures[r["id"]] = np.asarray(r["signature"], dtype=np.int64).view(np.uint64)
                        published[r["id"]] = r["published_at"]
        for article in self._articles:
            signatures[article.id] = np.asarray(self._signatures[article.id], dtype=np.uint64)
            published[article.id] = article.published_at
        self._groups = duplicates.group(signatures, published)
        return len(set(self._groups.values()))

    # ------------------------------------------------ finishing

    def finish(self, manifest: Manifest) -> Manifest:
        """Fill the new collections, flush, index and load them, and check them as a reader would."""
        try:
            return self._finish(manifest)
        except IndexError_:
            raise
        except Exception as exc:  # noqa: BLE001
            if not _is_milvus_error(exc):
                raise
            raise IndexUnreachable(f"Milvus at {self.backend.where} failed while writing ({_reason(exc)})") from None

    def _finish(self, manifest: Manifest) -> Manifest:
        if self._groups is None:
            self.regroup()
        groups = self._groups or {}
        record = schema.index_record(self.backend.settings.vectors, self._passage_count(), server=not self.backend.local)
        schema.create(self.client, self.backend.name, self.generation, manifest.dimension)
        self._created = True
        sources: set[str] = set()
        newest = ""
        articles = passages = sentences = 0
        article_meta: dict[str, tuple[str, str, str]] = {}  # id -> language, published_at, lower-cased source
        batch: list[dict] = []
        size = 0
        for row in self._article_rows(groups):
            article_meta[row["id"]] = (row["language"], row["published_at"], row["source"].lower())
            if row["source"]:
                sources.add(row["source"])
            newest = max(newest, row["published_at"])
            batch.append(row)
            size += sum(len(p) for p in row["text"]) * 2
            articles += 1
            if len(batch) >= BATCH or size >= TEXT_BATCH_BYTES:
                self.client.insert(self._new(schema.ARTICLES), batch)
                batch, size = [], 0
        if batch:
            self.client.insert(self._new(schema.ARTICLES), batch)
        for rows in _batched(self._passage_rows(article_meta)):
            self.client.insert(self._new(schema.PASSAGES), rows)
            passages += len(rows)
        for rows in _batched(self._sentence_rows()):
            self.client.insert(self._new(schema.SENTENCES), rows)
            sentences += len(rows)
        for kind in (schema.ARTICLES, schema.PASSAGES, schema.SENTENCES):
            self.client.flush(self._new(kind))
        schema.index_and_load(self.client, self.backend.name, self.generation, record)
        manifest.articles, manifest.chunks, manifest.sentences = articles, passages, sentences
        manifest.next_chunk_id = max(manifest.next_chunk_id, self.next_chunk_id)
        manifest.index = record
        manifest.files = {}
        self._manifest = manifest
        self._facts = schema.Facts(sorted(sources), newest, len(set(groups.values())))
        try:
            self.backend.open_generation(self.generation, manifest, self._facts).close()
        except IndexError_ as exc:
            raise IndexDamaged(f"the new index failed the reader's checks ({exc}); nothing was published") from None
        return manifest

    def _passage_count(self) -> int:
        kept = self.previous.manifest.chunks if self.previous is not None else 0
        if self.previous is not None and (self._removed or self._articles):
            gone = self._removed | self._signatures_added
            kept = 0
            for batch in _iterate(self.client, self._prev(schema.PASSAGES), ["id", "article_id"]):
                kept += sum(1 for r in batch if r["article_id"] not in gone)
        return kept + len(self._chunks)

    def _article_rows(self, groups: dict[str, str]) -> Iterator[dict]:
        replaced = self._removed | self._signatures_added
        fields = [*ARTICLE_META, "text", "signature"]
        if self.previous is not None:
            for batch in _iterate(self.client, self._prev(schema.ARTICLES), fields):
                for r in batch:
                    if r["id"] in replaced:
                        continue
                    row = {field: r[field] for field in fields}
                    row["text"] = list(row["text"] or [])
                    row["signature"] = list(row["signature"])
                    row["group_id"] = groups.get(r["id"], "")
                    row["placeholder"] = schema.PLACEHOLDER
                    yield row
        for a in self._articles:
            yield {
                "id": a.id, "title": schema.clip(a.title), "url": schema.clip(a.url), "published": schema.clip(a.published),
                "source": schema.clip(a.source), "sha256": a.sha256, "indexed_at": float(a.indexed_at),
                "language": a.language, "published_at": a.published_at, "group_id": groups.get(a.id, ""),
                "text": schema.parts(a.text)[: schema.MAX_PARTS],
                "signature": np.asarray(self._signatures[a.id], dtype=np.uint64).view(np.int64).tolist(),
                "placeholder": schema.PLACEHOLDER,
            }

    def _passage_rows(self, meta: dict[str, tuple[str, str, str]]) -> Iterator[dict]:
        replaced = self._removed | self._signatures_added
        fields = ["id", "vector", "text", "lexical", "article_id", "seq", "start", "end", "sentences", "text_sha"]
        if self.previous is not None:
            for batch in _iterate(self.client, self._prev(schema.PASSAGES), fields):
                for r in batch:
                    if r["article_id"] in replaced or r["article_id"] not in meta:
                        continue
                    language, published_at, source = meta[r["article_id"]]
                    row = {field: r[field] for field in fields}
                    row["vector"] = list(row["vector"])
                    yield row | {"language": language, "published_at": published_at, "source": source}
        for chunk, (vector, sentence) in zip(self._chunks, self._vectors):
            language, published_at, source = meta[chunk.article_id]
            yield {
                "id": int(chunk.id), "vector": np.asarray(vector, dtype=np.float32).tolist(), "text": chunk.text,
                "lexical": schema.clip(" ".join(tokens(chunk.text))), "article_id": chunk.article_id,
                "seq": int(chunk.seq), "start": int(chunk.start), "end": int(chunk.end), "sentences": len(sentence),
                "text_sha": chunk.text_sha, "language": language, "published_at": published_at, "source": source,
            }

    def _sentence_rows(self) -> Iterator[dict]:
        replaced = self._removed | self._signatures_added
        if self.previous is not None:
            kept_chunks = set()
            for batch in _iterate(self.client, self._prev(schema.PASSAGES), ["id", "article_id"]):
                kept_chunks |= {int(r["id"]) for r in batch if r["article_id"] not in replaced}
            for batch in _iterate(self.client, self._prev(schema.SENTENCES), ["id", "chunk_id", "vector"]):
                for r in batch:
                    if int(r["chunk_id"]) in kept_chunks:
                        yield {"id": int(r["id"]), "chunk_id": int(r["chunk_id"]), "vector": list(r["vector"])}
        for chunk, (_, sentence) in zip(self._chunks, self._vectors):
            for sid, vector in zip(sentence_ids(int(chunk.id), len(sentence)).tolist(), sentence):
                yield {"id": int(sid), "chunk_id": int(chunk.id), "vector": np.asarray(vector, dtype=np.float32).tolist()}

    @milvus_call
    def publish(self) -> str:
        """Write the manifest (the generation is complete), then switch the alias: the one atomic step."""
        if self._manifest is None or self._facts is None:
            raise RuntimeError("publish() before finish()")
        pause_point("staged")
        meta = schema.meta_rows("manifest", asdict(self._manifest)) + schema.meta_rows("facts", asdict(self._facts))
        self.client.insert(self._new(schema.META), meta)
        self.client.flush(self._new(schema.META))
        pause_point("publish")
        target = self._new(schema.PASSAGES)
        if self.backend._current() is None:
            self.client.create_alias(target, self.backend.name)
        else:
            self.client.alter_alias(target, self.backend.name)
        return self.generation

    @milvus_call
    def discard(self) -> None:
        if not self._created:
            return
        for kind in schema.KINDS:
            name = self._new(kind)
            if self.client.has_collection(name):
                self.client.drop_collection(name)


def _batched(rows: Iterable[dict], size: int = BATCH) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
