"""The work of the CLI's other commands (index, sources, articles, eval, watch, fetch), for the
front door (service.py): a client names none of build.py, the store, evaluation.py, watch.py or
feeds.py.

Light to import: each function imports what it needs when called (the model, FAISS, the
indexer), as ``rawi --help`` and a question's checks must not load them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .build import BuildStats
    from .evaluation import EvalRun, QuestionResult, Report
    from .feeds import Fetcher
    from .retraction import Article as RetractedArticle
    from .retraction import Retraction
    from .settings import FeedSettings, IndexSettings, WatchSettings
    from .store import ArticleRow, SourceStats
    from .translate import Translator
    from .watch import Watcher

Say = Callable[[str], None]  # where a long-running command reports what it did


def build_index(settings: IndexSettings, rebuild: bool = False, wait: bool = False, progress: bool = False) -> BuildStats:
    """One `rawi index` run under the writer lock (``wait``: for another writer, else IndexBusy)."""
    from .build import Builder
    from .encoder import Encoder
    from .store import open_backend

    encoder = Encoder(settings.encoder)
    backend = open_backend(settings, encoder.name)
    with backend.left_clean_if_unpublished(), backend.lock(wait=wait):
        return Builder(settings, encoder, progress=progress, backend=backend).run(rebuild)


def source_stats(settings: IndexSettings) -> list[SourceStats]:
    """Each source of the published index with its article count and date range (NoIndex if none)."""
    from .store import open_backend

    reader = open_backend(settings).open_reader()
    try:
        return reader.source_stats()
    finally:
        reader.close()


def indexed_articles(settings: IndexSettings) -> list[ArticleRow]:
    """Every article of the published index, text left out, newest first (NoIndex if none)."""
    from .listing import indexed_articles as of_backend
    from .store import open_backend

    return of_backend(open_backend(settings))


def prepare_evaluation(
    settings: IndexSettings, file: Path, paragraphs: Path | None, split: str | None, bilingual: Path | None
) -> EvalRun:
    """The corpus, index folder and questions of one `rawi eval` (ValueError: files that do not fit)."""
    from . import evaluation

    return evaluation.prepare(settings, file, paragraphs, split, bilingual)


def run_evaluation(run: EvalRun, progress: bool = False, translator: Translator | None = None) -> list[QuestionResult]:
    """Index the evaluation's corpus (incrementally), then ask every question."""
    from . import evaluation

    return evaluation.run(run, progress=progress, translator=translator)


def evaluation_reports(results: list[QuestionResult]) -> dict[str, Report]:
    """The figures of all questions ("all"), then of each language pair."""
    from . import evaluation

    return {"all": evaluation.report(results)} | evaluation.report_by_pair(results)


def evaluation_misses(results: list[QuestionResult]) -> list[QuestionResult]:
    """The questions missed at R@1."""
    from . import evaluation

    return evaluation.misses(results)


def open_watcher(settings: IndexSettings, watch: WatchSettings, report: Say) -> Watcher:
    """A watcher of the corpus folder that re-indexes it (the model loaded once, now)."""
    from .encoder import Encoder
    from .watch import Watcher

    return Watcher(settings, watch, Encoder(settings.encoder), report=report)


def feed_fetcher(feeds: FeedSettings, corpus_dir: Path, report: Say) -> Fetcher:
    """The fetcher of the [feeds] urls into the corpus folder."""
    from .feeds import Fetcher

    return Fetcher(feeds, corpus_dir, report=report)


def fetch_in_background(fetcher: Fetcher, interval_minutes: float, stop: threading.Event) -> None:
    """Fetch every ``interval_minutes`` on a daemon thread until ``stop`` is set."""
    from .feeds import fetch_every

    threading.Thread(target=fetch_every, args=(fetcher, interval_minutes, stop), name="feeds", daemon=True).start()


__all__ = [
    "build_index", "evaluation_misses", "evaluation_reports", "feed_fetcher", "fetch_in_background", "indexed_articles",
    "open_watcher", "prepare_evaluation", "run_evaluation", "source_stats",
]


def retract_article(settings: IndexSettings, indexed: list[ArticleRow] | None, name: str, cwd: Path) -> tuple[str, Retraction]:
    """Take the article ``name`` (an id, its file, the end of an id) out of the corpus folder for
    good (retraction.py): the file it is in, and what was recorded. The index is updated after."""
    from .retraction import retract, target

    corpus = Path(settings.corpus_dir)
    file, ids = target(corpus, [row.id for row in indexed or []], name, cwd)
    return file, retract(corpus, file, _articles_of(settings, file, ids))


def _articles_of(settings: IndexSettings, file: str, ids: list[str]) -> list[RetractedArticle]:
    """The articles of ``file``, read from it (from the index when the file is gone or unreadable)."""
    from .articles import read_file
    from .retraction import Article
    from .store import open_backend

    try:
        found = read_file(Path(settings.corpus_dir) / file, file).articles
        if found:
            return [Article(a.id, a.title, a.url, a.text) for a in found]
    except Exception:  # noqa: BLE001 -- gone or unreadable: the index's copy says what it was
        pass
    reader = open_backend(settings).open_reader()
    try:
        rows = [reader.article(i) for i in ids]
    finally:
        reader.close()
    return [Article(r.id, r.title, r.url, r.text) for r in rows if r is not None]


def restore_article(corpus: Path, name: str) -> Retraction:
    """Put a retracted article's file back in the corpus folder (retraction.py); index it after."""
    from .retraction import restore

    return restore(corpus, name)


def retracted_articles(corpus: Path) -> list[Retraction]:
    """The corpus folder's retractions, oldest first."""
    from .retraction import records

    return records(corpus)
