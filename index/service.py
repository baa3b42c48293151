"""The front door of index/ for readers (the CLI's `ask`, the bot).

``open_answerer`` wires the live index, the encoder and the retriever. ``check`` reads a question
as rawi will (its problems raised as ``QuestionError``, a lone word as ``NoContent``) before any
model is loaded. ``Desk`` is what a client asks of an open index: validate -> ask -> short answer,
and the article and source lookups; a client needs nothing from question.py, extract.py or
generate.py. The question's errors are here too (all of index/'s errors: ``errors.py``), settings
in ``settings.py``.

The CLI and the bot import nothing else from index/ (tests/test_import_graph.py checks it): the
work of the CLI's other commands is re-exported from ``operations.py``, and what a client shows
of an answer (dates, safe text, the short answer's kinds, the evaluation's legend) from the light
modules that define it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

# Light imports only: a client reads a question, its filters and their errors before any index,
# model or indexer is loaded (open_answerer imports those).
from .abstain import FEATURES
from .eval_legend import LEGEND, legend_help
from .filters import ArticleFilter, FilterError, make_filter
from .listing import admitted, all_articles, example_title, filters_json
from .operations import (
    build_index, evaluation_misses, evaluation_reports, feed_fetcher, fetch_in_background, indexed_articles, open_watcher,
    prepare_evaluation, restore_article, retract_article, retracted_articles, run_evaluation, source_stats,
)
from .greeting import Reply as Greeting
from .greeting import answered as greeting_reply
from .published import readable, shown_date
from .question import MAX_QUESTION_CHARS, NoContent, Question, QuestionError, clean, is_small_talk, language_of, parse_question
from .safe_text import BIDI_CONTROLS, INVISIBLE, UNSAFE, safe
from .short import ABSTAINED, ShortAnswer
from .translate import translator_for

if TYPE_CHECKING:
    from .answer import Answer, Answerer, Sources
    from .encoder import Encoder
    from .generate import Generator, Request
    from .settings import GenerateSettings, IndexSettings
    from .store import ArticleRow
    from .translate import Translator

__all__ = [
    "ABSTAINED", "BIDI_CONTROLS", "FEATURES", "INVISIBLE", "LEGEND", "MAX_QUESTION_CHARS", "UNSAFE", "ArticleFilter", "Desk",
    "FilterError", "NoContent", "QuestionError", "Reader", "ShortAnswer", "admitted", "all_articles", "build_index",
    "check", "clean", "evaluation_misses", "evaluation_reports", "example_title", "feed_fetcher", "fetch_in_background",
    "filters_json", "indexed_articles", "is_small_talk", "language_of", "legend_help", "make_filter", "model_for",
    "Greeting", "greeting_reply", "open_answerer", "open_watcher", "prepare_evaluation", "readable",
    "restore_article", "retract_article", "retracted_articles", "run_evaluation", "safe", "shown_date",
    "source_stats", "translator_for",
]


def open_answerer(
    settings: IndexSettings, encoder: Encoder | None = None, translator: Translator | None = None
) -> Answerer:
    """An Answerer over the live index; fails fast (before loading the model) if there is none."""
    from .answer import open_answerer as opened

    return opened(settings, encoder, translator)


def model_for(settings: GenerateSettings) -> Generator | None:
    """The [generate] client when enabled, else None (the openai library is not even imported)."""
    if not settings.enabled:
        return None
    from .generate import Generator

    return Generator(settings)


def check(question: str) -> Question:
    """The question as rawi reads it; QuestionError (NoContent: nothing to look up) if it cannot be asked."""
    return parse_question(question)


GREETING_TITLES = 50  # a greeting's example question is built on one of this many newest articles


class Reader(Protocol):
    """What a Desk asks of an index: an Answerer, or a stand-in of a test that wraps one."""

    def ask(self, question: str, k: int = 3, offset: int = 0, where: ArticleFilter = ...) -> Answer: ...

    def article(self, article_id: str) -> ArticleRow | None: ...

    def sources(self, newest: int = 5) -> Sources: ...


class Desk:
    """An open index and, when [generate] is enabled, the model that writes short answers."""

    def __init__(self, answerer: Reader, generator: Generator | None = None) -> None:
        self.answerer = answerer
        self.generator = generator

    def ask(self, question: str, k: int = 3, offset: int = 0, where: ArticleFilter | None = None) -> Answer:
        """Cited passages, best first; QuestionError (FilterError, NoContent) for what cannot be asked."""
        if where is None:  # the answerer's own default (a test's stand-in need not know filters)
            return self.answerer.ask(question, k, offset)
        return self.answerer.ask(question, k, offset, where)

    def extracted(self, answer: Answer) -> ShortAnswer | None:
        """The short answer by rules (a number, a date of the answering sentence), if any."""
        from .extract import extract

        return extract(answer)

    def writes(self, answer: Answer) -> bool:
        """Will the model be asked to write this answer's short answer?"""
        return self.generator is not None and answer.answered and bool(answer.passages)

    def request(self, answer: Answer) -> Request:
        """What the model is asked for `answer` (for a client that streams the reply itself)."""
        from .generate import request_for

        return request_for(answer, self.answerer)

    def short_answer(self, answer: Answer) -> ShortAnswer | None:
        """Written and checked when a model is configured and the question is answered, else (or
        when that fails) the one extracted by rules, if any."""
        from .generate import short_answer

        return short_answer(answer, self.answerer, self.generator)

    def article(self, article_id: str) -> ArticleRow | None:
        return self.answerer.article(article_id)

    def sources(self, newest: int = 5) -> Sources:
        return self.answerer.sources(newest)

    def greeting(self, question: str, greeting: bool, language: str = "") -> Greeting:
        """The reply to a greeting or a lone word (index/greeting.py, as `rawi ask` gives it), in
        ``language`` (else the question's), its example built on one of this index's newest
        ``GREETING_TITLES`` titles; without an index, the reply that says so."""
        from .greeting import answered
        from .store import IndexProblem

        try:
            sources = self.answerer.sources(GREETING_TITLES)
        except IndexProblem:
            return answered(question, greeting, None, language)
        return answered(question, greeting, list(sources.newest), language, sources.articles)
