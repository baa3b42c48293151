"""articles -> chunks -> vectors -> store, incremental by content hash.

Only new or changed articles are chunked; each chunk is embedded whole and sentence by
sentence (see ``sentences.py``). A chunk whose exact text is already in the index (an
unchanged passage of an edited article, a syndicated copy) reuses its stored vectors, and
within one run each distinct text (a sentence shared by overlapping chunks) is embedded once,
so no text is embedded twice. A file that still exists but can no longer be read keeps its
previously indexed version: bad input never costs an article. Everything goes through the
store's ``Writer`` (``store/contract.py``) into a fresh generation, published atomically; one
writer at a time. The copy groups and the language sums are computed here, the same for
every backend. A write that fails (a full disk, a
file-size limit) removes the unfinished generation and is reported as a one-line BuildError:
the published index is untouched.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar
from collections.abc import Iterable

import numpy as np

from . import prepare, store
from .store.manifest import library_versions
from .store.pause import pause_point
from .articles import Article, CorpusError, CorpusScan, Skipped, scan
from .chunks import Chunk, Chunker
from .encoder import Encoder
from .languages import LanguageMeans, reference_direction
from .published import sortable
from .article_meta import stored_meta
from .prepare import text_sha as text_sha  # where the pipeline's other modules expect it
from .safe_text import safe
from .settings import IndexSettings

log = logging.getLogger(__name__)
T = TypeVar("T")


class BuildError(RuntimeError):
    """Indexing cannot proceed; the message is one line for the user."""


@dataclass(frozen=True)
class Undated:
    """An indexed article whose date could not be read: kept, but no date filter or "today" finds it."""

    article: str
    published: str  # as written


@dataclass
class BuildStats:
    articles: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks: int = 0
    chunks_embedded: int = 0
    groups: int = 0  # groups of syndicated copies (two or more articles: duplicates.py)
    skipped: list[Skipped] = field(default_factory=list)
    undated: list[Undated] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


@dataclass
class Plan:
    """What changed between the corpus on disk and the published index."""

    new: list[Article]  # added or updated: to chunk and embed
    added: int
    updated: int
    removed_ids: list[str]  # articles to delete (gone, or replaced by a new version)
    unchanged: int


def plan(articles: list[Article], previous: dict[str, str], skipped: list[Skipped]) -> Plan:
    """Compare article hashes with the previous index (id -> sha256).

    A skipped file, and everything below a skipped folder (``folder/``: it could not be
    listed), keeps its indexed version: bad input never costs an article.
    """
    current = {a.id: a for a in articles}
    unreadable = {s.path for s in skipped}
    folders = tuple(s.path for s in skipped if s.folder)
    new = [a for a in articles if previous.get(a.id) != a.sha256]
    gone = [i for i in previous if i not in current and not _kept(i, unreadable) and not i.startswith(folders)]
    updated = sum(1 for a in new if a.id in previous)
    return Plan(
        new=new,
        added=len(new) - updated,
        updated=updated,
        removed_ids=gone + [a.id for a in new if a.id in previous],
        unchanged=sum(1 for a in articles if previous.get(a.id) == a.sha256),
    )


def _kept(article_id: str, unreadable: set[str]) -> bool:
    """Is this article, absent from the scan, in a file that could not be read (whole or in part)?
    Records of a many-article file have the id ``<file>#<key>``: bad input never costs an article."""
    if article_id in unreadable:
        return True
    marks = [n for n, ch in enumerate(article_id) if ch == "#"]
    return any(article_id[:n] in unreadable for n in marks)


class Builder:
    """One indexing run. Use ``run()``; the lock is taken by the caller (``backend.lock()``)."""

    def __init__(
        self, settings: IndexSettings, encoder: Encoder, progress: bool = False, backend: store.Backend | None = None
    ) -> None:
        self.settings = settings
        self.encoder = encoder
        self.progress = progress
        self.backend = backend or store.open_backend(settings, encoder.name)
        self._chunker: Chunker | None = None

    def run(self, rebuild: bool = False) -> BuildStats:
        started = time.perf_counter()
        try:
            corpus = scan(self.settings.corpus_dir)
        except CorpusError as exc:
            raise BuildError(str(exc)) from None
        if not corpus.articles:
            raise BuildError(
                f"no articles in {self.settings.corpus_dir} "
                "(looked for readable .txt, .md, .html, .json, .jsonl and RSS/Atom files)"
                + _skipped_hint(corpus.skipped)
            )
        if rebuild:
            self.backend.recover()
        previous = None if rebuild else self._previous()
        try:
            stats = self._update(corpus, previous)
        finally:
            if previous is not None:
                previous.close()
        stats.seconds = time.perf_counter() - started
        return stats

    def _update(self, corpus: CorpusScan, previous: store.Reader | None) -> BuildStats:
        prev_hashes = previous.article_hashes() if previous else {}
        work = plan(corpus.articles, prev_hashes, corpus.skipped)
        stats = BuildStats(
            added=work.added, updated=work.updated, removed=len(work.removed_ids) - work.updated,
            unchanged=work.unchanged, skipped=corpus.skipped, undated=undated(previous, work),
        )
        if (
            previous is not None and not work.new and not work.removed_ids
            and previous.manifest.languages is not None and not _reference_missing(previous.manifest)
            and self.backend.up_to_date(previous)
        ):
            stats.articles, stats.chunks = previous.manifest.articles, previous.manifest.chunks
            stats.groups = previous.copy_groups()
        else:
            stats.articles, stats.chunks, stats.chunks_embedded, stats.groups = self._write(previous, work)
        return stats

    def _previous(self) -> store.Reader | None:
        try:
            return self.backend.open_reader()
        except store.NoIndex:
            return None
        except store.IndexProblem as exc:
            raise BuildError(str(exc)) from None

    def _write(self, previous: store.Reader | None, work: Plan) -> tuple[int, int, int, int]:
        self.backend.prune()  # what a killed writer left behind never gets in the way
        try:
            writer = self.backend.writer(previous, self.encoder.dimension)
            try:
                result = self._stage(writer, previous, work)
                writer.publish()
            except BaseException:
                writer.discard()
                raise
        except (OSError, store.IndexWriteFailed) as exc:  # the disk is full, a file-size or quota limit...
            raise BuildError(
                f"could not write the new index in {self.backend} ({_write_failure(exc)}); "
                "the index it holds is unchanged: free some space and run `rawi index` again"
            ) from None
        except store.IndexSettingsRejected as exc:  # e.g. [index] pq_m that does not divide the dimension
            raise BuildError(str(exc)) from None
        except store.IndexProblem as exc:
            raise BuildError(
                f"the new index failed the reader's checks ({exc}); nothing was published, the index is unchanged"
            ) from None
        self.backend.prune()
        return result

    def _stage(self, writer: store.Writer, previous: store.Reader | None, work: Plan) -> tuple[int, int, int, int]:
        """Chunk, embed and add the new articles, a batch of about BATCH_PASSAGES passages at a
        time, so memory holds one batch's vectors, not the run's. The index is the same as one
        batch of everything would make: chunk ids in order, each distinct text embedded once
        (a text that recurs in a later batch keeps its vectors until then), language sums
        added in the same order, copy groups regrouped once at the end."""
        # All split first: reused vectors are looked up before removing what they replace. Only
        # the spans are kept until an article's batch (a chunk's text is a slice of its article's).
        spans: list[list[tuple[int, int]]] = []
        shas: list[list[str]] = []
        splits: list[prepare.Split | None] = []  # their sentences too, until the article's batch
        with prepare.Workers(work.new, self._get_chunker()) as workers:
            for split, article in zip(progress_bar(workers.split(), self.progress, "splitting", "article", len(work.new)), work.new):
                _say_if_big(article, len(split.spans))
                spans.append(split.spans)
                shas.append(split.shas)
                splits.append(split)
            sentence_count = sum(len(s.sentence_spans) for s in splits if s is not None)
            reuse = writer.stored_vectors({sha for article in shas for sha in article})  # before removing what they replace
            later = _recurring(shas)
            removed = writer.remove_articles(work.removed_ids)
            writer.expect(sum(map(len, spans)), sentence_count)  # every new passage adds its vectors, reused or not
            means = _recorded_means(previous.manifest) if previous is not None else LanguageMeans()
            if means is not None and len(removed.ids):
                means.remove(removed.texts, removed.vectors)
            pause_point("embedding")
            embedded = 0
            batches = _batches(len(spans), [len(p) for p in spans])
            bar = _run_bar(sum(map(len, spans))) if self.progress and len(batches) > 1 else None
            ahead = workers.prepare(batches[0], [spans[n] for n in batches[0]]) if batches else None
            for number, batch in enumerate(batches):
                assert ahead is not None
                prepared = ahead()
                if number + 1 < len(batches):  # the next batch's text work goes on while this one is written
                    following = batches[number + 1]
                    ahead = workers.prepare(following, [spans[n] for n in following])
                articles = [work.new[n] for n in batch]
                chunks = [
                    Chunk(work.new[n].id, seq, work.new[n].text[b:e], b, e) for n in batch for seq, (b, e) in enumerate(spans[n])
                ]
                chunk_shas = [sha for n in batch for sha in shas[n]]
                pieces = [p for n in batch for p in _split_of(splits, n).sentences(work.new[n].text)]
                count, new = self._vectors(chunks, chunk_shas, pieces, reuse, later, progress=self.progress and bar is None)
                embedded += count
                ids = range(writer.next_chunk_id, writer.next_chunk_id + len(chunks))
                writer.add(
                    [_article_row(a) for a in articles],
                    [store.NewChunk(i, c.article_id, c.seq, c.start, c.end, c.text, sha) for i, c, sha in zip(ids, chunks, chunk_shas)],
                    new,
                    {a.id: p.signature for a, p in zip(articles, prepared)},
                )
                if means is not None and new:
                    languages = [language for article_work in prepared for language in article_work.languages]
                    means.add([c.text for c in chunks], np.stack([v for v, _ in new]), languages=languages)
                for n in batch:
                    spans[n], shas[n], splits[n] = [], [], None  # this batch is in the writer now
                if bar is not None:
                    bar.update(len(chunks))
        if bar is not None:
            bar.close()
        if means is None:  # an index from before language means were kept: count them all once
            means = LanguageMeans()
            for texts, vectors in writer.all_passages():
                means.add(texts, vectors)
        if means.both_languages and means.reference is None:  # measured once, when a second language arrives
            means.reference = reference_direction(self.encoder)
        groups = writer.regroup()
        manifest = writer.finish(store.Manifest(
            encoder=self.encoder.name, dimension=self.encoder.dimension, chunking=asdict(self.settings.chunks),
            versions=library_versions(), built_at=time.time(), articles=0, chunks=0,
            next_chunk_id=writer.next_chunk_id, languages=means.to_json(),
        ))
        return manifest.articles, manifest.chunks, embedded, groups

    def _get_chunker(self) -> Chunker:
        if self._chunker is None:
            self._chunker = Chunker(self.settings.chunks, self.encoder.count_tokens)
        return self._chunker

    def _vectors(
        self, chunks: list[Chunk], chunk_shas: list[str], pieces: list[list[str]], reuse: dict[str, store.Stored],
        later: set[str], progress: bool = False,
    ) -> tuple[int, list[store.Stored]]:
        """(chunk vector, sentence vectors) of each chunk; returns how many chunk texts were embedded.

        The chunk texts not already in the index and their sentences are embedded in one call,
        each distinct text once (a one-sentence chunk is its own sentence; ``pieces``: each chunk's
        sentences, from the workers). Those in ``later``
        (they recur in a later batch) stay in ``reuse`` for it.
        """
        pieces_of = {c.text: (sha, p) for c, sha, p in zip(chunks, chunk_shas, pieces) if sha not in reuse}
        todo = sorted(pieces_of)
        texts = sorted(set(todo).union(*(p for _, p in pieces_of.values())))
        vectors = dict(zip(texts, self.encoder.encode_passages(texts, progress=progress))) if texts else {}
        fresh = {sha: (vectors[text], np.stack([vectors[p] for p in piece])) for text, (sha, piece) in pieces_of.items()}
        found = [reuse.get(sha) or fresh[sha] for sha in chunk_shas]
        reuse.update((sha, stored) for sha, stored in fresh.items() if sha in later)
        return len(todo), found


BATCH_PASSAGES = 20_000  # passages embedded and written at a time: bounds the memory of a large run


def _batches(articles: int, passages: list[int]) -> list[list[int]]:
    """Consecutive article positions in groups of about BATCH_PASSAGES passages (an article whole)."""
    batches: list[list[int]] = [[]]
    count = 0
    for n in range(articles):
        if count >= BATCH_PASSAGES:
            batches.append([])
            count = 0
        batches[-1].append(n)
        count += passages[n]
    return [b for b in batches if b]


def _split_of(splits: list[prepare.Split | None], n: int) -> prepare.Split:
    split = splits[n]
    assert split is not None, "an article's split is dropped only once its batch is written"
    return split


def _run_bar(passages: int):
    """One bar for a run of many batches, with passages/s and the time left (each batch's
    encoder bar would start from zero)."""
    from tqdm import tqdm

    return tqdm(total=passages, desc="Indexing", unit="passage", unit_scale=True, smoothing=0.1)


def _recurring(shas: list[list[str]]) -> set[str]:
    """Text hashes met more than once in this run (syndicated copies, repeated boilerplate)."""
    seen: set[str] = set()
    twice: set[str] = set()
    for article in shas:
        for sha in article:
            (twice if sha in seen else seen).add(sha)
    return twice


def progress_bar(items: Iterable[T], shown: bool, what: str, unit: str, total: int | None = None) -> Iterable[T]:
    """``items``, with a tqdm bar on standard error when ``shown`` (a terminal), else as they are."""
    if not shown:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=what, unit=unit, total=total)


def undated(previous: store.Reader | None, work: Plan) -> list[Undated]:
    """The index's articles (after this run) with a date that cannot be read: those kept from
    the previous index, and the new ones (``sortable`` remembers what it read for their rows)."""
    gone = set(work.removed_ids)
    kept = [Undated(i, raw) for i, raw in previous.undated() if i not in gone] if previous is not None else []
    fresh = [Undated(a.id, a.published) for a in work.new if a.published.strip() and not sortable(a.published)]
    return sorted(kept + fresh, key=lambda u: u.article)


BIG_ARTICLE_CHARS = 1_000_000
SECONDS_PER_MB = 45  # embedding one MB of article text (~1,350 passages, ~3,700 texts), 2 cores: README


def _say_if_big(article: Article, passages: int) -> None:
    """Every step is linear in an article's size, but embedding a big one takes minutes: say so
    (the embedding bar shows the progress on a terminal), so a long build is never silent."""
    if len(article.text) > BIG_ARTICLE_CHARS:
        mb = len(article.text.encode("utf-8")) / 1e6
        log.warning(
            "%s holds %.1f MB of text (%d passages): embedding it takes about %d min or more",
            safe(article.id, lines=False), mb, passages, max(1, round(mb * SECONDS_PER_MB / 60)),
        )


def _article_row(article: Article) -> store.ArticleRow:
    language, published_at = stored_meta(article.language, article.text, article.published)
    return store.ArticleRow(
        article.id, article.title, article.url, article.published, article.source, article.sha256, article.text,
        time.time(), language, published_at,
    )


def _write_failure(exc: OSError | store.IndexWriteFailed) -> str:
    """Why the write failed: an OSError's reason and file, or the backend's own line (the contract's error)."""
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        return f"{reason}: {Path(exc.filename).name}" if exc.filename else reason
    return str(exc)


def _skipped_hint(skipped: list[Skipped]) -> str:
    return f"; {len(skipped)} file(s) skipped, e.g. {skipped[0].path}: {skipped[0].reason}" if skipped else ""


def _reference_missing(manifest: store.Manifest) -> bool:
    """Both languages, but no parallel-text direction: an index from when it was measured only
    from two passages of each language on (languages.py); the next run measures it."""
    means = _recorded_means(manifest)
    return means is not None and means.both_languages and means.reference is None


def _recorded_means(manifest: store.Manifest) -> LanguageMeans | None:
    if manifest.languages is None:
        return None
    return LanguageMeans.from_json(manifest.languages, manifest.dimension)  # checked when the snapshot opened
