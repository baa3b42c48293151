"""Reading one published generation from Milvus (``contract.Reader``; see backend.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

import numpy as np

from ...languages import LanguageMeans
from ...normalize import tokens
from ...sentences import all_sentence_ids
from . import schema
from ..contract import REBUILD_HINT, ArticleRow, ChunkRow, IndexDamaged, IndexMismatch, SourceStats, tally_sources
from ..manifest import FORMAT_VERSION, Manifest, _checked
from .io import (
    ARTICLE_META, BATCH, PASSAGE_ROW, article_row, get_rows, in_list, iterate, milvus_call, vectors_of,
)

K = TypeVar("K")
V = TypeVar("V")


class Kept(Generic[K, V]):
    """A bounded memo shared by a reader's threads: full, it starts again (a new dict is bound,
    so a thread reading the old one is never disturbed)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._items: dict[K, V] = {}

    def known(self, keys: Iterable[K]) -> dict[K, V]:
        items = self._items
        return {key: value for key in keys if (value := items.get(key)) is not None}

    def keep(self, found: dict[K, V]) -> None:
        if len(self._items) + len(found) > self._limit:
            self._items = {}
        self._items.update(found)


if TYPE_CHECKING:
    from ...filters import ArticleFilter
    from .backend import MilvusBackend


class MilvusReader:
    """One generation's collections, opened and checked (see ``contract.Reader``)."""

    def __init__(
        self, backend: MilvusBackend, generation: str, manifest: Manifest | None = None, facts: schema.Facts | None = None
    ) -> None:
        self.backend = backend
        self.client = backend.client
        # What questions read, kept (a generation never changes): passage id -> sentence count and
        # vector, article id -> its row without text. Each call to Milvus costs milliseconds.
        self._counts: Kept[int, int] = Kept(100_000)
        self._vectors: Kept[int, np.ndarray] = Kept(20_000)  # 1.5 KB each
        self._articles: Kept[str, ArticleRow] = Kept(50_000)
        self._newest: Kept[str, str] = Kept(64)  # not_after -> the newest stamp up to it
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
        known = self._vectors.known(wanted)
        unknown = sorted(set(wanted) - set(known))
        if unknown:
            rows = get_rows(self.client, self._names[schema.PASSAGES], unknown, ["id", "vector", "sentences"])
            known.update(self._keep_vectors(rows))
        missing = [i for i in wanted if i not in known]
        if missing:
            raise self._damaged(f"passage {missing[0]} has no vector")
        return vectors_of((known[i] for i in wanted), self.manifest.dimension)

    def _keep_vectors(self, rows: list[dict]) -> dict[int, np.ndarray]:
        vectors = {int(r["id"]): np.asarray(r["vector"], dtype=np.float32) for r in rows}
        self._vectors.keep(vectors)
        self._counts.keep({int(r["id"]): int(r["sentences"]) for r in rows})
        return vectors

    @milvus_call
    def sentence_vectors(self, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        wanted = np.asarray([int(i) for i in ids], dtype=np.int64)
        known = self._counts.known({int(i) for i in wanted})
        unknown = sorted({int(i) for i in wanted} - set(known))
        if unknown:
            fetched = {int(r["id"]): int(r["sentences"])
                       for r in get_rows(self.client, self._names[schema.PASSAGES], unknown, ["id", "sentences"])}
            known.update(fetched)
            self._counts.keep(fetched)
        counts = np.array([known.get(int(i), 0) for i in wanted], dtype=np.int64)
        sentence = all_sentence_ids(wanted, counts)
        unique = sorted(set(sentence.tolist()))
        found = {int(r["id"]): r["vector"] for r in get_rows(self.client, self._names[schema.SENTENCES], unique, ["id", "vector"])}
        if len(found) != len(unique):
            raise self._damaged("sentence vectors do not match the passages")
        return counts, vectors_of((found[int(i)] for i in sentence), self.manifest.dimension)

    @milvus_call
    def chunks(self, ids: Sequence[int]) -> dict[int, ChunkRow]:
        """The passages' rows; their vectors and sentence counts come along and are kept: a question
        reads its candidates' rows, then their vectors and sentence vectors (two calls fewer)."""
        rows = get_rows(
            self.client, self._names[schema.PASSAGES], sorted({int(i) for i in ids}), [*PASSAGE_ROW, "sentences", "vector"],
        )
        self._keep_vectors(rows)
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
        return article_row(rows[0], "".join(rows[0]["text"] or [])) if rows else None

    @milvus_call
    def article_meta(self, article_ids: Sequence[str]) -> dict[str, ArticleRow]:
        known = self._articles.known(set(article_ids))
        unknown = sorted(set(article_ids) - set(known))
        if unknown:
            fetched = {r["id"]: article_row(r) for r in get_rows(self.client, self._names[schema.ARTICLES], unknown, ARTICLE_META)}
            known.update(fetched)
            self._articles.keep(fetched)
        return known

    @milvus_call
    def group_members(self, group_ids: Sequence[str]) -> dict[str, list[ArticleRow]]:
        wanted = sorted({g for g in group_ids if g})
        found: dict[str, list[ArticleRow]] = {}
        for start in range(0, len(wanted), BATCH):
            rows = self.client.query(
                self._names[schema.ARTICLES], filter=in_list("group_id", wanted[start : start + BATCH]), output_fields=ARTICLE_META,
            )
            for r in rows:
                found.setdefault(r["group_id"], []).append(article_row(r))
        for members in found.values():
            members.sort(key=lambda a: (a.published_at == "", a.published_at, a.id))
        return found

    @milvus_call
    def article_hashes(self) -> dict[str, str]:
        return {
            r["id"]: r["sha256"]
            for batch in iterate(self.client, self._names[schema.ARTICLES], ["id", "sha256"]) for r in batch
        }

    @milvus_call
    def newest_articles(self, limit: int) -> list[ArticleRow]:
        """Milvus has no ORDER BY: the ordering keys of every article are read and sorted here."""
        keys = [
            (r["published_at"], float(r["indexed_at"]), r["id"])
            for batch in iterate(self.client, self._names[schema.ARTICLES], ["id", "published_at", "indexed_at"])
            for r in batch
        ]
        # published_at DESC, indexed_at DESC, id ASC: the local backend's order
        keys.sort(key=lambda key: key[2])
        keys.sort(key=lambda key: (key[0], key[1]), reverse=True)
        chosen = [key[2] for key in keys[: max(0, limit)]]
        rows = {r["id"]: r for r in get_rows(self.client, self._names[schema.ARTICLES], chosen, [*ARTICLE_META, "text"])}
        return [article_row(rows[i], "".join(rows[i]["text"] or [])) for i in chosen if i in rows]

    @milvus_call
    def newest_published(self, not_after: str = "") -> str:
        """The generation's newest stamp (recorded at build time), or when that lies after
        ``not_after``, the newest up to it (read from the articles: a rare, future-dated case)."""
        newest = self.facts.newest_published
        if not not_after or newest <= not_after:
            return newest
        known = self._newest.known([not_after])
        if not known:
            rows = iterate(self.client, self._names[schema.ARTICLES], ["published_at"],
                           filter=f"published_at <= {schema.literal(not_after)}")
            known = {not_after: max((r["published_at"] for batch in rows for r in batch), default="")}
            self._newest.keep(known)
        return known[not_after]

    @milvus_call
    def source_stats(self) -> list[SourceStats]:
        rows = iterate(self.client, self._names[schema.ARTICLES], ["source", "published_at"])
        return tally_sources((r["source"], r["published_at"]) for batch in rows for r in batch)

    @milvus_call
    def undated(self) -> list[tuple[str, str]]:
        rows = iterate(self.client, self._names[schema.ARTICLES], ["id", "published"],
                       filter='published != "" and published_at == ""')
        return sorted((r["id"], r["published"]) for batch in rows for r in batch)

    def sources(self) -> list[str]:
        return list(self.facts.sources)

    def copy_groups(self) -> int:
        return self.facts.copy_groups

    def close(self) -> None:
        """The connection belongs to the backend (shared by its readers and writer)."""
