"""What the Milvus backend's modules share: one-line errors for Milvus failures, paged reads."""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np

from . import schema
from ..contract import REBUILD_HINT, ArticleRow, IndexDamaged, IndexProblem

BATCH = 1000  # rows per insert, get or iterator page
TEXT_BATCH_BYTES = 8 << 20  # article text per insert (gRPC messages are capped at 64 MB)
TIMEOUT = 30.0  # seconds for one call to a Milvus server
ARTICLE_META = ["id", "title", "url", "published", "source", "sha256", "indexed_at", "language", "published_at", "group_id"]
PASSAGE_ROW = ["id", "article_id", "seq", "start", "end", "text"]


class IndexUnreachable(IndexProblem):
    """The Milvus server cannot be reached, or a call to it failed."""


class LiteUnreadable(IndexDamaged):
    """Milvus Lite cannot read its own files (aliases.json, a collection's schema or data damaged):
    no call on that file works; ``rawi index --rebuild`` moves it aside (``MilvusBackend.recover``)."""


F = TypeVar("F", bound=Callable[..., Any])


def milvus_call(method: F) -> F:
    """A Milvus failure inside ``method`` becomes one line (IndexUnreachable), not a traceback."""

    @functools.wraps(method)
    def inner(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except IndexProblem:
            raise
        except Exception as exc:  # noqa: BLE001 -- pymilvus's and grpc's errors share no base
            if not is_milvus_error(exc):
                raise
            raise failure(getattr(self, "backend", self), exc) from None  # a reader or writer, or the backend
    return inner  # type: ignore[return-value]


def failure(backend: Any, exc: BaseException) -> IndexProblem:
    """A Milvus error as one line that says what to do: a server out of reach (check it), a Milvus
    Lite file that cannot be read (rebuild), or a call the server refused (its reason)."""
    if unreachable(exc):
        return IndexUnreachable(f"Milvus at {backend.where} failed ({reason(exc)}); check that it is running and reachable")
    if backend.local:  # no network in between: nothing to reach, Milvus Lite failed on its file
        return LiteUnreadable(
            f"Milvus Lite failed on {backend.where} ({reason(exc)}); if the file is damaged, {REBUILD_HINT} "
            "(it moves the damaged file aside)"
        )
    return IndexUnreachable(f"Milvus at {backend.where} refused a call ({reason(exc)})")


def unreachable(exc: BaseException) -> bool:
    """A failure to reach the server (gRPC's own errors, pymilvus's connection errors), as opposed
    to an answer from it."""
    from pymilvus.client.types import Status
    from pymilvus.exceptions import ConnectionNotExistException, MilvusUnavailableException

    if (type(exc).__module__ or "").startswith("grpc"):
        return True
    return isinstance(exc, (MilvusUnavailableException, ConnectionNotExistException)) or (
        getattr(exc, "code", None) == Status.CONNECT_FAILED
    )


def is_milvus_error(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.startswith(("pymilvus", "grpc", "milvus_lite"))


def reason(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(message).split())[:200]


def quiet() -> None:
    """pymilvus (configuring its loggers when imported) and Milvus Lite's in-process gRPC server log
    failed calls with tracebacks; rawi reports a failure in one line, so they say nothing."""
    for name in ("pymilvus", "pymilvus.milvus_client", "pymilvus.bulk_writer", "milvus_lite", "grpc._server"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def new_generation_name() -> str:
    """Sorts in creation order: nanoseconds since the epoch, then the writer's pid."""
    return f"g{time.time_ns():019d}_{os.getpid()}"


def iterate(client: Any, collection: str, fields: list[str], filter: str = "") -> Iterator[list[dict]]:
    iterator = client.query_iterator(collection, batch_size=BATCH, filter=filter, output_fields=fields)
    try:
        while True:
            batch = iterator.next()
            if not batch:
                return
            yield batch
    finally:
        iterator.close()


def get_rows(client: Any, collection: str, ids: Sequence[Any], fields: list[str]) -> list[dict]:
    rows: list[dict] = []
    for start in range(0, len(ids), BATCH):
        rows += client.get(collection, ids=list(ids[start : start + BATCH]), output_fields=fields)
    return rows


def article_row(row: dict, text: str = "") -> ArticleRow:
    return ArticleRow(
        id=row["id"], title=row["title"], url=row["url"], published=row["published"], source=row["source"],
        sha256=row["sha256"], text=text, indexed_at=float(row["indexed_at"]), language=row["language"],
        published_at=row["published_at"], group_id=row["group_id"],
    )


def vectors_of(rows: Iterable[Any], dimension: int) -> np.ndarray:
    found = [np.asarray(r, dtype=np.float32) for r in rows]
    return np.stack(found) if found else np.zeros((0, dimension), dtype=np.float32)


def in_list(field: str, values: Sequence[Any]) -> str:
    return f"{field} in [{', '.join(schema.literal(v) if isinstance(v, str) else str(int(v)) for v in values)}]"


def batched(rows: Iterable[dict], size: int = BATCH) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
