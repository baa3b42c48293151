"""What the build and retrieval steps may ask of an index store, and nothing else.

A *backend* holds published generations of an index. A ``Reader`` answers from one published
generation and never sees a later one; a ``Writer`` builds the next generation beside the
published one (from it, plus the changed articles) and ``publish`` makes it current in one
atomic switch: a reader sees the old generation or the new one, never a mix, and a writer
killed at any point leaves the published generation whole and answering.

Implementations (chosen by ``[store] backend``):

* ``local/``: FAISS + SQLite + BM25 files in generation folders, published by replacing a
  ``CURRENT`` pointer file (``generations.py``).
* ``milvus/``: Milvus collections (Milvus Lite in a local file, or a Milvus server or
  cluster), published by switching an alias.

Errors: what crosses the contract is its own errors (``IndexProblem`` and its kinds below) or an
OSError; a backend's own (SQLite's, FAISS parameters', Milvus's) are translated inside its room.

Ids: a passage (chunk) has an int64 id, stable across generations while its article is
unchanged; its sentences' vectors are addressed through the passage id (``sentence_vectors``).
Vectors are L2-normalised float32 rows of the manifest's dimension; scores are inner products.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from ..filters import ArticleFilter
    from .manifest import Manifest

Stored = tuple[np.ndarray, np.ndarray]  # a passage's vector and its sentences' vectors (one row each)


class IndexProblem(RuntimeError):
    """Base for index problems shown to users as one line."""


class NoIndex(IndexProblem):
    pass


class IndexDamaged(IndexProblem):
    pass


class IndexMismatch(IndexProblem):
    pass


class IndexBusy(IndexProblem):
    pass


class IndexUnwritable(IndexProblem):
    pass


class IndexWriteFailed(IndexProblem):
    """A backend could not write the next generation (the disk is full, a quota...); the published
    one is unchanged. The message is the reason, with the file or part that failed."""


class IndexSettingsRejected(IndexProblem, ValueError):
    """The configured ``[index]`` parameters cannot be applied to this index (one line for the user)."""


REBUILD_HINT = "rebuild it with `rawi index --rebuild`"


def one_vector_pair_each(chunks: Sequence[object], vectors: Sequence[object], what: str) -> None:
    """A writer's check of what ``add`` is given: one (passage, sentences) vector pair per ``what``."""
    if len(chunks) != len(vectors):
        raise ValueError(f"{len(chunks)} {what} but {len(vectors)} vectors")


@dataclass(frozen=True)
class ChunkRow:
    """A stored passage with what a citation shows of its article."""

    id: int
    article_id: str
    seq: int
    start: int
    end: int
    text: str
    title: str
    url: str
    published: str = ""  # of its article, from front matter
    source: str = ""


@dataclass(frozen=True)
class ArticleRow:
    id: str
    title: str
    url: str
    published: str
    source: str
    sha256: str
    text: str  # "" where a reader asked for the metadata only
    indexed_at: float
    language: str = ""  # "ar" / "en": as given by the article, else detected
    published_at: str = ""  # dates.sortable(published): "" when undated
    group_id: str = ""  # the earliest copy of a syndicated article ("" alone; duplicates.py)


@dataclass(frozen=True)
class SourceStats:
    """One source of an index (`rawi sources`): how many articles, their first and last date."""

    source: str  # "" for the articles that name none
    articles: int
    first: str = ""  # the earliest published_at ("" when none of them is dated)
    last: str = ""
    undated: int = 0

    def to_json(self) -> dict:
        return {"source": self.source, "articles": self.articles, "first": self.first, "last": self.last,
                "undated": self.undated}


def tally_sources(rows: Iterable[tuple[str, str]]) -> list[SourceStats]:
    """(source, published_at) of every article -> each source's stats, most articles first."""
    found: dict[str, list] = {}
    for source, stamp in rows:
        entry = found.setdefault(source, [0, "", "", 0])
        entry[0] += 1
        if stamp:
            entry[1] = min(entry[1] or stamp, stamp)
            entry[2] = max(entry[2], stamp)
        else:
            entry[3] += 1
    return sorted((SourceStats(s, *v) for s, v in found.items()), key=lambda x: (-x.articles, x.source))


@dataclass(frozen=True)
class NewChunk:
    """A passage a writer adds: its id, its article's id, its place and text."""

    id: int
    article_id: str
    seq: int
    start: int
    end: int
    text: str
    text_sha: str


@dataclass(frozen=True)
class Removed:
    """What a writer dropped: the passages' ids, texts and vectors (for the language means)."""

    ids: np.ndarray
    texts: list[str]
    vectors: np.ndarray


class Reader(Protocol):
    """One published generation, opened read-only and verified. Safe to share across threads."""

    @property
    def generation(self) -> str:
        """Its name: a reader holding it answers every step of a question from it."""
        ...

    @property
    def manifest(self) -> Manifest:
        """Encoder, dimension, counts, chunking, language sums, vector index record."""
        ...

    @property
    def language_direction(self) -> np.ndarray | None:
        """What separates the corpus's languages (languages.py); None for one language."""
        ...

    def search(self, query: np.ndarray, k: int, where: ArticleFilter | None = None) -> list[int]:
        """The ids of the k passages nearest ``query`` (one vector), best first; ``where``
        (dates, source, language) is applied inside the search, so k come back when k pass it."""
        ...

    def lexical_search(self, question: str, k: int, where: ArticleFilter | None = None) -> list[tuple[int, float]]:
        """BM25 over the normalised, stemmed passage text: (passage id, score), best first."""
        ...

    def passage_vectors(self, ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of these passages, in this order (each id must exist)."""
        ...

    def sentence_vectors(self, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """(how many sentences each passage has, all their vectors in passage then sentence order)."""
        ...

    def chunks(self, ids: Sequence[int]) -> dict[int, ChunkRow]: ...

    def article(self, article_id: str) -> ArticleRow | None:
        """One article with its text (the bot's "full article")."""
        ...

    def article_meta(self, article_ids: Sequence[str]) -> dict[str, ArticleRow]:
        """These articles without their text (for ordering and showing cited passages)."""
        ...

    def group_members(self, group_ids: Sequence[str]) -> dict[str, list[ArticleRow]]:
        """Each copy group's articles (no text), earliest published first."""
        ...

    def article_hashes(self) -> dict[str, str]:
        """Every article's id and content hash: what a writer compares the corpus with."""
        ...

    def newest_articles(self, limit: int) -> list[ArticleRow]: ...

    def newest_published(self, not_after: str = "") -> str:
        """The latest ``published_at`` of any article, up to ``not_after`` when given ("" when
        none is dated): "today" for a question (``recency.horizon`` bounds it by the clock)."""
        ...

    def sources(self) -> list[str]:
        """The distinct sources of the articles."""
        ...

    def source_stats(self) -> list[SourceStats]:
        """Each source (and "" for none) with its article count and date range, most articles first."""
        ...

    def undated(self) -> list[tuple[str, str]]:
        """(article id, date as written) of each article whose date could not be read, by id."""
        ...

    def copy_groups(self) -> int:
        """How many groups of syndicated copies (two or more articles) the generation holds."""
        ...

    def close(self) -> None: ...


class Writer(Protocol):
    """The next generation, built from ``previous`` (or from nothing). Nothing a writer does is
    seen by readers before ``publish``; ``discard`` (or a crash) leaves no trace that matters."""

    @property
    def previous(self) -> Reader | None:
        """The generation this one is built from (None: from nothing)."""
        ...

    @property
    def next_chunk_id(self) -> int:
        """The first free passage id."""
        ...

    def expect(self, passages: int, sentences: int) -> None:
        """A hint before the first ``add``: about this many passages and sentence vectors will be
        added in all (a backend holding vectors in memory makes room for them once)."""
        ...

    def stored_vectors(self, text_shas: set[str]) -> dict[str, Stored]:
        """Vectors the previous generation holds for passages of these text hashes (never re-embed)."""
        ...

    def remove_articles(self, article_ids: Sequence[str]) -> Removed:
        """Leave these articles (and their passages and sketches) out of the new generation."""
        ...

    def add(
        self, articles: Sequence[ArticleRow], chunks: Sequence[NewChunk], vectors: Sequence[Stored],
        signatures: dict[str, np.ndarray],
    ) -> None:
        """Add new articles, their passages with vectors, and their MinHash signatures (duplicates.py)."""
        ...

    def all_passages(self) -> Iterator[tuple[list[str], np.ndarray]]:
        """Every passage of the new generation as (texts, vectors) batches (for recounting language sums)."""
        ...

    def regroup(self) -> int:
        """Recompute the copy groups of every article (duplicates.py); returns groups of two or more."""
        ...

    def finish(self, manifest: Manifest) -> Manifest:
        """Write everything, then check the new generation as a reader would (raise IndexProblem
        if it would refuse it). Returns the manifest as recorded (counts and files filled in)."""
        ...

    def publish(self) -> str:
        """Make the finished generation the published one, atomically; returns its name."""
        ...

    def discard(self) -> None:
        """Drop the unpublished generation (a failed or interrupted build)."""
        ...


class Backend(Protocol):
    """Where generations live, how they are opened, written and published."""

    def generation(self) -> str:
        """The published generation's name, cheaply (a long-running reader polls it)."""
        ...

    def open_reader(self) -> Reader:
        """The published generation, verified; raises NoIndex, IndexDamaged or IndexMismatch."""
        ...

    def writer(self, previous: Reader | None, dimension: int) -> Writer:
        """A writer of the next generation, from ``previous`` (None: from nothing, a rebuild)."""
        ...

    def up_to_date(self, previous: Reader) -> bool:
        """Whether an unchanged corpus can keep ``previous`` as it is (no layout or index-type change)."""
        ...

    def lock(self, wait: bool = False) -> AbstractContextManager[object]:
        """The one-writer lock: IndexBusy at once, or wait for it."""
        ...

    def left_clean_if_unpublished(self) -> AbstractContextManager[object]:
        """Around a whole `rawi index` run, outside the lock: a first run that fails leaves nothing
        behind (the local store removes the folders it made for its lock; Milvus makes none)."""
        ...

    def prune(self) -> None:
        """Remove what a killed writer left and generations no reader needs any more."""
        ...

    def recover(self) -> None:
        """Before a rebuild: make a store the backend cannot read at all writable again (a damaged
        Milvus Lite file is moved aside); damage a rebuild publishes over is left to it."""
        ...
