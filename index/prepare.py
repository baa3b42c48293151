"""The per-article text work of a build, spread over worker processes.

Splitting an article into passages (token counting included), the passages' text hashes and
sentences, their language, and the article's copy sketch are pure functions of its text: they
take more than half of a build's CPU time without an encoder, and nothing in them writes. So
``Workers`` runs them in forked processes, a range of articles per task, while the main process
keeps the order and everything that writes (SQLite, FAISS). The results are those of the same
functions run in place, in the same order: an index does not depend on the number of workers.

The workers are forked (``forked.py``): they inherit the articles and the chunker (whose token
counter, often a closure over a tokenizer, need not be picklable); only positions and spans
travel to them. Below ``MIN_ARTICLES`` new articles, with one CPU,
or where fork is not available, everything runs in this process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from . import duplicates, forked
from .articles import Article
from .chunks import Chunker
from .question import language_of
from .sentences import sentence_spans

Span = tuple[int, int]

MIN_ARTICLES = 2000  # fewer new articles than this: starting processes costs more than it saves
TASK_ARTICLES = 250  # articles per task: few enough messages, small enough to keep both workers busy


@dataclass(frozen=True)
class Split:
    """An article's passages: their (start, end) in its text, the sha256 of each passage's text,
    and each passage's sentences (``sentences.sentence_spans``), as (start, end) in the article's
    text, passage after passage (``counts[k]`` of passage k): a few bytes a sentence until the
    article's batch, and the writer makes room for the run's sentence vectors once."""

    spans: list[Span]
    shas: list[str]
    sentence_spans: np.ndarray  # int64, (sentences, 2)
    counts: list[int]

    def sentences(self, text: str) -> list[list[str]]:
        """Each passage's sentences (``text``: the article's): what ``sentences.sentences`` gives of its text."""
        bounds = self.sentence_spans.tolist()
        found, first = [], 0
        for count in self.counts:
            found.append([text[a:b] for a, b in bounds[first : first + count]])
            first += count
        return found


@dataclass(frozen=True)
class Prepared:
    """What a batch needs of an article besides its passages and their sentences: its copy
    sketch, and each passage's language (``question.language_of``)."""

    signature: np.ndarray
    languages: list[str]


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def split_article(chunker: Chunker, article: Article) -> Split:
    spans = [(c.start, c.end) for c in chunker.split(article)]
    shas, bounds, counts = [], [], []
    for start, end in spans:
        text = article.text[start:end]
        shas.append(text_sha(text))
        found = sentence_spans(text)
        bounds += [(start + a, start + b) for a, b in found]
        counts.append(len(found))
    return Split(spans, shas, np.array(bounds, dtype=np.int64).reshape(-1, 2), counts)


def prepare_article(article: Article, spans: Sequence[Span]) -> Prepared:
    return Prepared(duplicates.signature(article.text), [language_of(article.text[b:e]) for b, e in spans])


# What a forked worker inherits (set by _install in the worker).
_articles: Sequence[Article] = ()
_chunker: Chunker | None = None


def _install(articles: Sequence[Article], chunker: Chunker) -> None:
    global _articles, _chunker
    _articles, _chunker = articles, chunker


def _split_range(first: int, stop: int) -> list[Split]:
    assert _chunker is not None
    return [split_article(_chunker, _articles[n]) for n in range(first, stop)]


def _prepare_range(first: int, spans: list[list[Span]]) -> list[Prepared]:
    return [prepare_article(_articles[first + k], s) for k, s in enumerate(spans)]


def default_processes(articles: int) -> int:
    """Worker processes for a build of this many new articles: one per CPU this process may use, 0 for few."""
    cpus = forked.usable_cpus()
    return cpus if articles >= MIN_ARTICLES and cpus > 1 else 0


class Workers:
    """The text work on ``articles`` (positions into it), in worker processes or, with 0, in place.

    Use as a context manager: the workers end with the block."""

    def __init__(self, articles: Sequence[Article], chunker: Chunker, processes: int | None = None) -> None:
        self.articles = articles
        self.chunker = chunker
        count = default_processes(len(articles)) if processes is None else processes
        if count > 0:
            # The encoder loads its model (and tokenizer) on first use: here, once, in this
            # process, so that the workers inherit it rather than each loading its own.
            chunker.count_tokens("")
        self._pool = forked.pool(count, _install, articles, chunker) if count > 0 else None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def split(self) -> Iterator[Split]:
        """Every article's passages, in order."""
        if self._pool is None:
            yield from (split_article(self.chunker, a) for a in self.articles)
            return
        ranges = [(n, min(n + TASK_ARTICLES, len(self.articles))) for n in range(0, len(self.articles), TASK_ARTICLES)]
        for part in self._pool.map(_split_range, *zip(*ranges)) if ranges else ():
            yield from part

    def prepare(self, batch: Sequence[int], spans: Sequence[list[Span]]) -> Callable[[], list[Prepared]]:
        """Start the work of a batch of consecutive article positions (``spans``: their passages);
        the function returned waits for it. Started ahead, a batch is prepared while the one
        before is written."""
        if self._pool is None:
            return lambda: [prepare_article(self.articles[n], s) for n, s in zip(batch, spans)]
        futures: list[Future[list[Prepared]]] = [
            self._pool.submit(_prepare_range, batch[0] + k, list(spans[k : k + TASK_ARTICLES]))
            for k in range(0, len(batch), TASK_ARTICLES)
        ]
        return lambda: [p for future in futures for p in future.result()]
