"""Writing the next generation into Milvus (``contract.Writer``; see backend.py): copy-on-write,
and nothing written to Milvus before ``finish``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np

from ... import duplicates
from ...normalize import tokens
from ...sentences import all_sentence_ids, sentence_ids
from . import schema
from ..contract import ArticleRow, Reader, IndexProblem, NewChunk, Removed, Stored, one_vector_pair_each
from ..manifest import Manifest
from ..pause import pause_point
from .io import (
    ARTICLE_META, BATCH, TEXT_BATCH_BYTES, IndexUnreachable, batched, get_rows, in_list, is_milvus_error, iterate,
    milvus_call, new_generation_name, reason, vectors_of,
)

if TYPE_CHECKING:
    from .backend import MilvusBackend
    from .reader import MilvusReader


class MilvusWriter:
    """The next generation (see ``contract.Writer``): nothing reaches Milvus before ``finish``."""

    def __init__(self, backend: MilvusBackend, previous: MilvusReader | None) -> None:
        self.backend = backend
        self.client = backend.client
        self.previous: Reader | None = previous
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
        self._kept_ids: set[int] | None = None

    def _prev(self, kind: str) -> str:
        assert self.previous is not None
        return schema.collection(self.backend.name, self.previous.generation, kind)

    def _new(self, kind: str) -> str:
        return schema.collection(self.backend.name, self.generation, kind)

    @milvus_call
    def expect(self, passages: int, sentences: int) -> None:
        """Nothing to prepare: the server holds the vectors."""

    def stored_vectors(self, text_shas: set[str]) -> dict[str, Stored]:
        if self.previous is None or not text_shas:
            return {}
        wanted = sorted(text_shas)
        first: dict[str, dict] = {}
        for start in range(0, len(wanted), BATCH):
            rows = self.client.query(
                self._prev(schema.PASSAGES), filter=in_list("text_sha", wanted[start : start + BATCH]),
                output_fields=["id", "vector", "sentences", "text_sha"],
            )
            for r in sorted(rows, key=lambda r: int(r["id"])):
                first.setdefault(r["text_sha"], r)
        ids = [int(r["id"]) for r in first.values()]
        counts = np.array([int(r["sentences"]) for r in first.values()], dtype=np.int64)
        sentence = all_sentence_ids(np.asarray(ids, dtype=np.int64), counts)
        vectors = {int(r["id"]): r["vector"] for r in get_rows(self.client, self._prev(schema.SENTENCES), sentence.tolist(), ["id", "vector"])}
        dimension = self.previous.manifest.dimension
        found = {}
        for sha, r in first.items():
            own = sentence_ids(int(r["id"]), int(r["sentences"]))
            if all(int(i) in vectors for i in own):
                found[sha] = (np.asarray(r["vector"], dtype=np.float32), vectors_of((vectors[int(i)] for i in own), dimension))
        return found

    @milvus_call
    def remove_articles(self, article_ids: Sequence[str]) -> Removed:
        wanted = sorted(set(article_ids) - self._removed)
        self._removed |= set(wanted)
        self._kept_ids = None
        ids: list[int] = []
        texts: list[str] = []
        vectors: list[Any] = []
        if self.previous is not None:
            for start in range(0, len(wanted), BATCH):
                rows = self.client.query(
                    self._prev(schema.PASSAGES), filter=in_list("article_id", wanted[start : start + BATCH]),
                    output_fields=["id", "text", "vector"],
                )
                for r in sorted(rows, key=lambda r: int(r["id"])):
                    ids.append(int(r["id"]))
                    texts.append(r["text"])
                    vectors.append(r["vector"])
        dimension = self.previous.manifest.dimension if self.previous is not None else 0
        return Removed(np.asarray(ids, dtype=np.int64), texts, vectors_of(vectors, dimension))

    def add(
        self, articles: Sequence[ArticleRow], chunks: Sequence[NewChunk], vectors: Sequence[Stored],
        signatures: dict[str, np.ndarray],
    ) -> None:
        one_vector_pair_each(chunks, vectors, "passages")
        self._articles += articles
        self._chunks += chunks
        self._vectors += vectors
        self._signatures |= signatures
        self._kept_ids = None
        if chunks:
            self.next_chunk_id = max(self.next_chunk_id, max(c.id for c in chunks) + 1)
        self._groups = None

    @property
    def _signatures_added(self) -> set[str]:
        return {a.id for a in self._articles}

    @milvus_call
    def all_passages(self) -> Iterator[tuple[list[str], np.ndarray]]:
        replaced = self._removed | self._signatures_added
        if self.previous is not None:
            dimension = self.previous.manifest.dimension
            for batch in iterate(self.client, self._prev(schema.PASSAGES), ["id", "text", "vector", "article_id"]):
                kept = [r for r in batch if r["article_id"] not in replaced]
                if kept:
                    yield [r["text"] for r in kept], vectors_of((r["vector"] for r in kept), dimension)
        for start in range(0, len(self._chunks), BATCH):
            part = self._chunks[start : start + BATCH]
            yield [c.text for c in part], np.stack([v for v, _ in self._vectors[start : start + BATCH]])

    @milvus_call
    def regroup(self) -> int:
        replaced = self._removed | self._signatures_added
        signatures: dict[str, np.ndarray] = {}
        published: dict[str, str] = {}
        if self.previous is not None:
            for batch in iterate(self.client, self._prev(schema.ARTICLES), ["id", "signature", "published_at"]):
                for r in batch:
                    if r["id"] not in replaced:
                        signatures[r["id"]] = np.asarray(r["signature"], dtype=np.int64).view(np.uint64)
                        published[r["id"]] = r["published_at"]
        for article in self._articles:
            signatures[article.id] = np.asarray(self._signatures[article.id], dtype=np.uint64)
            published[article.id] = article.published_at
        texts = {a.id: a.text for a in self._articles}
        self._groups = duplicates.group(signatures, published, lambda i: texts[i] if i in texts else self._old_text(i))
        return len(set(self._groups.values()))

    def _old_text(self, article_id: str) -> str:
        """The previous generation's text of an article (for the facts of a candidate copy)."""
        row = self.previous.article(article_id) if self.previous is not None else None
        return row.text if row is not None else ""

    # ------------------------------------------------ finishing

    def finish(self, manifest: Manifest) -> Manifest:
        """Fill the new collections, flush, index and load them, and check them as a reader would."""
        try:
            return self._finish(manifest)
        except IndexProblem:
            raise
        except Exception as exc:  # noqa: BLE001
            if not is_milvus_error(exc):
                raise
            raise IndexUnreachable(f"Milvus at {self.backend.where} failed while writing ({reason(exc)})") from None

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
        for rows in batched(self._passage_rows(article_meta)):
            self.client.insert(self._new(schema.PASSAGES), rows)
            passages += len(rows)
        for rows in batched(self._sentence_rows()):
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
        self.backend.open_generation(self.generation, manifest, self._facts).close()  # as a reader would
        return manifest

    def _passage_count(self) -> int:
        return len(self._kept_chunks()) + len(self._chunks)

    def _kept_chunks(self) -> set[int]:
        """The previous generation's passages the new one keeps (read once)."""
        if self._kept_ids is None:
            self._kept_ids = set()
            if self.previous is not None:
                gone = self._removed | self._signatures_added
                for batch in iterate(self.client, self._prev(schema.PASSAGES), ["id", "article_id"]):
                    self._kept_ids |= {int(r["id"]) for r in batch if r["article_id"] not in gone}
        return self._kept_ids

    def _article_rows(self, groups: dict[str, str]) -> Iterator[dict]:
        replaced = self._removed | self._signatures_added
        fields = [*ARTICLE_META, "text", "signature"]
        if self.previous is not None:
            for batch in iterate(self.client, self._prev(schema.ARTICLES), fields):
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
            for batch in iterate(self.client, self._prev(schema.PASSAGES), fields):
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
        if self.previous is not None:
            kept_chunks = self._kept_chunks()
            for batch in iterate(self.client, self._prev(schema.SENTENCES), ["id", "chunk_id", "vector"]):
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
        if self.backend.alias_target() is None:  # the first publish (a damaged alias is moved all the same)
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
