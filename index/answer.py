"""Hits -> an Answer: cited passages with the sentence that answers, or an honest abstention.

For each passage the answering sentence is the one closest in meaning to the question (its
vector was stored when the passage was indexed), helped by shared terms (the passage's rarer
ones count more) and by the kind of answer the question asks for (a number for "how many", a
date for "when"). Identical passages (syndicated copies) are cited once. Whether the
articles answer at all is decided by ``abstain.py`` from several signals, not one cosine.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property

import numpy as np

from .abstain import NO_EVIDENCE, Evidence, probability
from .counted import holds_answer_form
from .dates import date_names
from .encoder import Encoder
from .filters import ArticleFilter, parse_inline
from .normalize import normalize, tokens
from .published import readable
from .near_miss import NearMiss, other_language_near
from .notes import OLDER, FilterNote, unmatched
from .question import Question, language_of, parse_question
from .recency import TIME_WORDS, horizon, named_source, narrowed, read_time, window
from .retrieval import Hit, Retriever, Translation, cosines_with, per_passage
from .settings import AnswerSettings, IndexSettings
from .store import ArticleRow, Reader, SourceStats, open_backend
from .store.live import LiveIndex
from .translate import Translator


EVIDENCE_HITS = 3  # the evidence reads the best lexical score among the top passages
# A passage scoring this far below the first is not another answer, only the next closest text,
# shown to fill up to k: it is marked weak. On the seed corpus the passages of the article that
# answers lie within 0.02 of each other, and an article on another subject 0.1-0.2 below.
FILLER_MARGIN = 0.05


@dataclass(frozen=True)
class Passage:
    article_id: str
    title: str
    url: str
    text: str  # the cited passage: whole sentences of the article
    sentence: str  # the sentence in it that answers best
    sentence_start: int  # offsets of `sentence` inside `text`
    sentence_end: int
    score: float  # the score the passages are ranked by (retrieval.py): passages come in its order
    chunk_id: int
    cosine: float = 0.0  # of question and passage alone
    weak: bool = False  # filler: far below the first passage, or another article that would not answer alone
    published: str = ""  # of its article (front matter), as written there
    source: str = ""
    also_in: tuple[tuple[str, str, str], ...] = ()  # other copies: (source, published_at, url)
    published_at: str = ""  # the same read (published.sortable): ISO 8601, "" when undated

    def shown(self) -> Passage:
        """The passage as a reader is shown it under its title: without a first line that only
        repeats the title (an article's first passage starts with its headline), the answering
        sentence's offsets moved to match; unchanged when that line is the answer or all there is."""
        first, newline, rest = self.text.partition("\n")
        cut = len(first) + len(newline)
        if not rest.strip() or " ".join(first.split()) != " ".join(self.title.split()) or self.sentence_start < cut:
            return self
        lead = len(rest) - len(rest.lstrip())
        cut += lead
        return replace(self, text=rest[lead:], sentence_start=self.sentence_start - cut, sentence_end=self.sentence_end - cut)


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    passages: list[Passage]  # best first; when not answered, the closest ones (for inspection)
    generation: str = ""  # the index generation that answered (never a mix of two)
    has_more: bool = False
    confidence: float = 0.0  # the abstention model's probability that the articles answer
    evidence: Evidence | None = None
    where: ArticleFilter = ArticleFilter()  # the filters applied (given, written in, or a source named)
    note: FilterNote | None = None  # a filter that matched no article: why nothing was found
    near: NearMiss | None = None  # not answered, but the first passage, in the other language, came close
    translation: str | None = None  # the question in the other language, as searched (translate.py)


@dataclass(frozen=True)
class Sources:
    articles: int
    passages: int
    newest: list[ArticleRow]
    by_source: list[SourceStats] = field(default_factory=list)  # each source's count and date range


class Answerer:
    """Answers questions from the live index; safe to call from several threads."""

    def __init__(
        self, index: LiveIndex, encoder: Encoder, retriever: Retriever, settings: AnswerSettings,
        clock: Callable[[], date] = date.today, translator: Translator | None = None,
    ) -> None:
        self.index = index
        self.encoder = encoder
        self.retriever = retriever
        self.settings = settings
        self.clock = clock  # the real day: no article dated after it (and a day's slack) is "today"
        self.translator = translator  # the question in the other language, from the user's server

    def ask(self, question: str, k: int = 3, offset: int = 0, where: ArticleFilter = ArticleFilter(),
            *, within_window: bool = True) -> Answer:
        """``where`` (dates, source, language) and the same written into the question
        (``since:2025-06-01 lang:ar ...``, see ``filters.py``) restrict the search itself.
        ``within_window=False``: "this week", "today" and "yesterday" set no days (they still
        order by date)."""
        snapshot = self.index.snapshot()
        text, where = parse_inline(question, where)
        parsed = parse_question(text)
        named = named_source(parsed.text, snapshot.sources())  # before any time word: "USA Today"
        timing = read_time(parsed.text, named)
        where = replace(where, source=where.source or named)
        note = unmatched(where, snapshot)
        real = horizon(self.clock())
        days = window(timing.kind, snapshot.newest_published(real)) if within_window else (None, None)
        narrowed_to = narrowed(where, *days)
        if narrowed_to is None or note is not None:  # e.g. --until before "this week": no day left
            return Answer(question, False, [], snapshot.generation, where=where, note=note)
        translation = self._translation(parsed, snapshot, where)
        ranking = self.retriever.rank(snapshot, parsed.text, where=narrowed_to or None, translation=translation)
        # Enough distinct passages for this page, one more to know whether there is a next
        # page, and the top 3 that the evidence reads (more when dates reorder them).
        wanted = max(offset + k + 1, EVIDENCE_HITS)
        meta = snapshot.article_meta([h.chunk.article_id for h in ranking.hits])
        copies = original_copies(ranking.hits, meta)
        hits = distinct(copies, 3 * wanted if timing.by_date else wanted)
        null = float(ranking.query_vector @ self._empty_passage)
        found = evidence(hits, parsed, null)
        if ranking.translation is not None and hits and language_of(hits[0].chunk.text) != parsed.language:
            found = translated_evidence(snapshot, hits, ranking.translation, float(ranking.translation.vector @ self._empty_passage))
        confidence = probability(found, self.settings)
        answered = confidence >= self.settings.threshold
        older = self._older(question, k, offset, where, days) if (
            not answered and days[0] is not None and not timing.topicless) else None
        if older is not None:
            return older
        # A near miss stands in for a translation: with one, each language was already searched
        # with the question in it, and moving the other language's best up again only loses.
        near = None if answered or timing.topicless or ranking.translation is not None else other_language_near(
            copies, parsed, lambda read: evidence(read, parsed, null), self.settings, confidence)
        dated = as_of(meta, real)
        if timing.topicless:  # "what happened yesterday?": the newest articles of the window
            hits, answered = newest_first(one_per_article(hits), dated, margin=None), bool(hits)
        else:
            margin = self.settings.recency_margin if timing.by_date else self.settings.date_tie
            on_topic = about_the_topic(parsed, meta) if timing.by_date else None
            hits = newest_first(hits, dated, margin, undated_last=timing.by_date, on_topic=on_topic)
        if near is not None:  # the passage that came close leads the closest ones
            hits = [near[0]] + [h for h in hits if h.chunk.id != near[0].chunk.id]
        page = range(offset, min(offset + k, len(hits)))
        readings = {n: (hits[n], parsed) for n in page}
        if ranking.translation is not None:  # a passage in the other language is read by the translation
            other = [n for n in page if _language(hits[n], meta) != parsed.language]
            readings.update(zip(other, read_by_translation(snapshot, [hits[n] for n in other], ranking.translation)))
        cited = (meta.get(hits[n].chunk.article_id) for n in page)
        groups = snapshot.group_members([m.group_id for m in cited if m is not None and m.group_id])
        passages = [
            _passage(*readings[n], not timing.topicless and not (near and n == 0)
                     and self._weak(hits, n, parsed, null, confidence), meta, groups)
            for n in page
        ]
        return Answer(
            question, answered, passages, snapshot.generation,
            has_more=len(hits) > offset + k, confidence=confidence, evidence=found, where=where,
            near=near[1] if near is not None else None,
            translation=ranking.translation.text if ranking.translation is not None else None,
        )

    def _translation(self, question: Question, snapshot: Reader, where: ArticleFilter) -> str | None:
        """The question in the other language when a translator is set and the corpus holds a
        language other than the question's (searched within the question's own language only, it
        needs none): an English question over Arabic articles is then searched, and its answering
        sentence and short answer read, in Arabic."""
        if self.translator is None or where.language == question.language:
            return None
        if not corpus_languages(snapshot) - {question.language}:
            return None
        return self.translator.translate(question.text, "en" if question.language == "ar" else "ar")

    def _older(self, question: str, k: int, offset: int, where: ArticleFilter,
               days: tuple[date | None, date | None]) -> Answer | None:
        """Nothing on the topic in "this week" / "today": what the articles hold on it from before,
        newest first, with a note that says so; None when they hold nothing on it either."""
        shown = list(dict.fromkeys(readable(d.isoformat()) for d in days if d))
        span = f"on {shown[0]}" if len(shown) == 1 else f"between {shown[0]} and {shown[-1]}"
        older = self.ask(question, k, offset, where, within_window=False)
        if not older.answered or not older.passages:
            return None
        newest = older.passages[0].published_at  # the newest on the topic leads (newest_first, on_topic)
        return replace(older, note=FilterNote(OLDER, span, (readable(newest),) if newest else ()))

    def _weak(self, hits: list[Hit], n: int, question: Question, null: float, confidence: float) -> bool:
        """Is passage n only filling up to k? When nothing answers, all are; otherwise one that
        scores far below the first, or one from another article that the abstention model,
        reading it as if it came first, would decline."""
        hit, top = hits[n], hits[0]
        if confidence < self.settings.threshold or hit.fused < top.fused - FILLER_MARGIN:
            return True
        if hit.chunk.article_id == top.chunk.article_id:
            return False  # context of the answer
        return probability(evidence(hits[n:], question, null), self.settings) < self.settings.threshold

    @cached_property
    def _empty_passage(self) -> np.ndarray:
        """The vector of an empty passage (the passage prompt alone): each question's baseline."""
        return self.encoder.encode_passages([""])[0]

    def article(self, article_id: str) -> ArticleRow | None:
        """The full text of an indexed article (by id, never by path: nothing outside the index)."""
        return self.index.snapshot().article(article_id)

    def sources(self, newest: int = 5) -> Sources:
        snapshot = self.index.snapshot()
        return Sources(
            snapshot.manifest.articles, snapshot.manifest.chunks, snapshot.newest_articles(newest),
            snapshot.source_stats(),
        )


def corpus_languages(snapshot: Reader) -> frozenset[str]:
    """The languages the index holds passages of (its manifest's language record; empty when an
    older index has none)."""
    record = snapshot.manifest.languages or {}
    return frozenset(lang for lang, kept in record.get("passages", {}).items() if kept.get("passages", 0) > 0)


def read_by_translation(snapshot: Reader, hits: list[Hit], translation: Translation) -> list[tuple[Hit, Question]]:
    """Passages in the other language as the question's translation reads them: their sentences
    scored with the translation (one read of their vectors), so each answering sentence is chosen
    (and the short answer's rules read it, extract.py) as for a question asked in the passage's
    language."""
    if not hits:
        return []
    counts, vectors = snapshot.sentence_vectors([h.chunk.id for h in hits])
    question = parse_question(translation.text)
    return [(replace(h, sentence_cosines=cosines), question)
            for h, cosines in zip(hits, per_passage(counts, vectors @ translation.vector))]


def _passage(
    hit: Hit, question: Question, weak: bool, meta: dict[str, ArticleRow], groups: dict[str, list[ArticleRow]]
) -> Passage:
    chunk = hit.chunk
    start, end = answering_sentence(hit, question)
    article = meta.get(chunk.article_id)
    copies = groups.get(article.group_id, []) if article is not None and article.group_id else []
    return Passage(
        article_id=chunk.article_id, title=chunk.title, url=chunk.url, text=chunk.text,
        sentence=chunk.text[start:end], sentence_start=start, sentence_end=end,
        score=round(hit.fused, 4), chunk_id=chunk.id, cosine=round(hit.dense, 4), weak=weak,
        published=chunk.published, source=chunk.source, published_at=article.published_at if article else "",
        also_in=tuple((c.source or c.id, c.published_at, c.url) for c in copies if c.id != chunk.article_id),
    )


def original_copies(hits: list[Hit], meta: dict[str, ArticleRow]) -> list[Hit]:
    """Of each group of syndicated copies, only one article's hits: the earliest published copy
    when any of its passages was found (the group is named after it), else the best-ranked copy.
    The others are listed with the cited passage ("also in") instead of filling the answer."""
    chosen: dict[str, str] = {}
    for hit in hits:
        row = meta.get(hit.chunk.article_id)
        if row is None or not row.group_id:
            continue
        if row.id == row.group_id:
            chosen[row.group_id] = row.id  # the original, wherever it ranks
        else:
            chosen.setdefault(row.group_id, row.id)
    return [
        h for h in hits
        if not (row := meta.get(h.chunk.article_id)) or not row.group_id or chosen[row.group_id] == row.id
    ]


def as_of(meta: dict[str, ArticleRow], horizon: str) -> dict[str, ArticleRow]:
    """The articles as dates order them: one dated after ``horizon`` (recency.horizon: the real
    day and a day's slack) is a typo or a placeholder, and is never "the latest": undated."""
    return {i: replace(row, published_at="") if row.published_at > horizon else row for i, row in meta.items()}


def one_per_article(hits: list[Hit]) -> list[Hit]:
    """The best hit of each article (a question about time asks which articles, not passages)."""
    seen: set[str] = set()
    kept = []
    for hit in hits:
        if hit.chunk.article_id not in seen:
            seen.add(hit.chunk.article_id)
            kept.append(hit)
    return kept


def about_the_topic(question: Question, meta: dict[str, ArticleRow]):
    """For "the latest ..." questions: does a hit share a word of the question's topic (its terms
    less the words about time and news)? A newer article that does not is no answer to "the latest
    death toll in Jeddah", however close its score (e5's cosines crowd). Passages in the other
    language cannot share words: they are judged by score alone (True)."""
    topic = question.terms - TIME_WORDS

    def judge(hit: Hit) -> bool:
        if not topic or _language(hit, meta) != question.language:
            return True
        return bool(topic & frozenset(tokens(f"{hit.chunk.title}\n{hit.chunk.text}")))

    return judge


def _language(hit: Hit, meta: dict[str, ArticleRow]) -> str:
    """The hit's language: its article's, as given or detected when indexed, else its text's."""
    row = meta.get(hit.chunk.article_id)
    return (row.language if row is not None else "") or language_of(hit.chunk.text)


def newest_first(hits: list[Hit], meta: dict[str, ArticleRow], margin: float | None, undated_last: bool = True,
                 on_topic=None) -> list[Hit]:
    """Hits whose score is within ``margin`` of the best (all of them for None) ordered newest
    first; the rest stay in score order after them. When articles of different dates answer
    alike, the newest comes first. ``undated_last``: a question about time puts undated
    articles after the dated; otherwise they keep their places and only the dated ones of one
    language swap.
    ``on_topic`` (a test of a hit): only hits on the question's topic are moved up by date; the
    others keep their score order behind them, so an unrelated newer article never leads."""
    if not hits:
        return hits
    top = hits[0].fused
    near = [h for h in hits if (margin is None or h.fused >= top - margin) and (on_topic is None or on_topic(h))]
    rest = [h for h in hits if h not in near]

    def stamp(hit: Hit) -> str:
        row = meta.get(hit.chunk.article_id)
        return row.published_at if row is not None else ""

    if undated_last:
        dated = sorted((h for h in near if stamp(h)), key=stamp, reverse=True)  # stable within a date
        return dated + [h for h in near if not stamp(h)] + rest
    return _newest_in_place(near, stamp, meta) + rest


def _newest_in_place(near: list[Hit], stamp: Callable[[Hit], str], meta: dict[str, ArticleRow]) -> list[Hit]:
    """A near-tie of any question, newest first, each hit moved only among the places held by
    dated hits of its own language: a cosine tie across languages says little (e5 scores each
    language on its own scale), and an unrelated Arabic article two days newer led an English
    passage that answered, 0.784 against 0.789, on a desk of our own."""
    def group(hit: Hit) -> tuple[str, bool]:
        return _language(hit, meta), bool(stamp(hit))

    places: dict[tuple[str, bool], list[Hit]] = {}
    for hit in near:
        places.setdefault(group(hit), []).append(hit)
    ordered = {key: iter(sorted(hits, key=stamp, reverse=True) if key[1] else hits) for key, hits in places.items()}
    return [next(ordered[group(hit)]) for hit in near]


def answering_sentence(hit: Hit, question: Question) -> tuple[int, int]:
    """The span of the passage's sentence that answers best. Headlines and section headings
    (and a line that repeats the article's title) are context, never the answer, unless the
    passage holds nothing else."""
    text = hit.chunk.text
    title = " ".join(hit.chunk.title.split())
    prose = [s for s in hit.sentences if not s.heading and " ".join(text[s.start : s.end].split()) != title]
    candidates = prose or list(hit.sentences)
    if not candidates:
        return 0, len(text)
    terms = [frozenset(tokens(text[s.start : s.end])) for s in candidates]
    rare = rare_terms(terms, [language_of(text[s.start : s.end]) for s in candidates], question)
    scored = [
        (sentence_score(s.cosine, text[s.start : s.end], question, found) + RARE_TERMS_WEIGHT * share, s.start, s.end)
        for s, found, share in zip(candidates, terms, rare)
    ]
    _, start, end = max(scored)
    return start, end


# Within a passage, the sentence that shares the question's *rare* terms (a word few of the
# passage's sentences use) is more often the answer than the one that only shares its topic:
# "In which county does Jacksonville reside?" over a passage where every sentence names
# Jacksonville and one names a county. Measured on XQuAD dev (bench/bench_sentence.py; weight
# fitted on the even-numbered articles' questions, measured on the odd ones'): sentence_at_1
# Arabic -> Arabic 0.728 -> 0.749, English -> English 0.808 -> 0.812, bilingual Arabic -> Arabic
# 0.587 -> 0.644 (all questions: 0.756 -> 0.774, 0.808 -> 0.821, 0.702 -> 0.729). Across
# languages the terms a question and a sentence share are a few names and numbers, and the same
# weight lowered the figure (0.704 -> 0.700 English -> Arabic): it applies only to sentences in
# the question's language.
RARE_TERMS_WEIGHT = 0.06


def rare_terms(terms: list[frozenset[str]], languages: list[str], question: Question) -> list[float]:
    """For each sentence (its index terms), the share of the question's terms found in the
    passage that it holds, each term weighted by its rarity among the passage's sentences
    (log((n + 1) / (sentences holding it + 0.5))); 0 for a sentence in another language."""
    n = len(terms)
    held = Counter(t for found in terms for t in found & question.terms)
    weight = {t: math.log((n + 1) / (count + 0.5)) for t, count in held.items()}
    total = sum(weight.values())
    if not total:
        return [0.0] * n
    return [
        sum(weight[t] for t in found & question.terms) / total if language == question.language else 0.0
        for found, language in zip(terms, languages)
    ]


# A question that names a weekday or a month ("Who arrived in Pyongyang on Wednesday?") is
# answered by the sentence that names the same one, in either language ("... الأربعاء ...").
# Measured with bench/bench_sentence.py's questions on XQuAD dev: 13 of 3,033 share a date name
# with a sentence, and sentence_at_1 is unchanged at weights 0.02-0.05 in every pair; on the seed
# article the answering sentence led its neighbour by 0.001 in cosine, which the float noise
# of another CPU could turn over.
DATE_NAME_WEIGHT = 0.03


# A sentence that writes a number in the form the question asks for ("37 stations" for "How many
# stations does the network have?", "6 riyals" for a price, "200 kilometres" for "how far")
# answers it more often than a news lead that only shares its topic: the lead ("DOHA, Dec 1 -
# Doha Metro will run 110 trains ...") carries the story's names and led on cosine by 0.04-0.09
# on news articles of our own. On the desks of eval/desks (10 articles in both languages, 44
# questions; bench/bench_desk.py): right short answers 21 -> 29, none wrong. On XQuAD dev
# (Wikipedia, no leads; bench/bench_sentence.py), sentence_at_1 Arabic -> Arabic 0.774 -> 0.768,
# English -> English 0.821 -> 0.819 (0.770 / 0.821 at 0.07, which gained 4 of the 8 on the
# desks only); short-answer precision stays at 0.95 or more in every route.
FORM_WEIGHT = 0.1


def sentence_score(cosine: float, sentence: str, question: Question, terms: frozenset[str] | None = None) -> float:
    """Meaning first; shared terms, date names and the expected kind of answer break near-ties."""
    shared = len((frozenset(tokens(sentence)) if terms is None else terms) & question.terms)
    bonus = 0.02 * min(shared, 3)
    if question.date_names and question.date_names & date_names(sentence, {n.split(":")[0] for n in question.date_names}):
        bonus += DATE_NAME_WEIGHT
    if question.expects and question.expects.search(normalize(sentence)):
        bonus += 0.03
    if holds_answer_form(sentence, question):
        bonus += FORM_WEIGHT
    return cosine + bonus


def distinct(hits: list[Hit], limit: int) -> list[Hit]:
    """The first ``limit`` hits whose text was not already cited (syndicated copies of one
    article are cited once). Stops there: normalizing a passage's text is the costly part."""
    seen: set[str] = set()
    kept: list[Hit] = []
    for hit in hits:
        if len(kept) >= limit:
            break
        key = hashlib.sha1(" ".join(normalize(hit.chunk.text).split()).encode()).hexdigest()
        if key not in seen:
            seen.add(key)
            kept.append(hit)
    return kept


def evidence(hits: list[Hit], question: Question, null: float) -> Evidence:
    """What the abstention model reads; ``null`` is the question's cosine with an empty passage."""
    if not hits:
        return NO_EVIDENCE
    top = hits[0]
    passage_terms = set(tokens(top.chunk.text))
    return Evidence(
        dense=top.dense,
        sentence=top.sentence,
        null=null,
        lexical=max((h.lexical for h in hits[:EVIDENCE_HITS]), default=0.0),
        coverage=len(question.terms & passage_terms) / max(len(question.terms), 1),
        agree=top.dense_rank == 1 and top.lexical_rank == 1,
        type_match=bool(question.expects and question.expects.search(normalize(top.chunk.text))),
        question_arabic=question.language == "ar",
        cross_lingual=question.language != language_of(top.chunk.text),
    )


def translated_evidence(snapshot: Reader, hits: list[Hit], translation: Translation, null: float) -> Evidence:
    """The evidence of a first passage in the other language, read as the question's translation
    reads it: a same-language match (retrieval.Translated ranked it with the translation)."""
    top = hits[0]
    question = parse_question(translation.text)
    dense, sentence = cosines_with(snapshot, top.chunk.id, translation.vector)
    lexical = dict(translation.lexical)
    return Evidence(
        dense=dense,
        sentence=sentence,
        null=null,
        lexical=max((lexical.get(h.chunk.id, 0.0) for h in hits[:EVIDENCE_HITS]), default=0.0),
        coverage=len(question.terms & set(tokens(top.chunk.text))) / max(len(question.terms), 1),
        agree=top.dense_rank == 1 and bool(translation.lexical) and translation.lexical[0][0] == top.chunk.id,
        type_match=bool(question.expects and question.expects.search(normalize(top.chunk.text))),
        question_arabic=question.language == "ar",
        cross_lingual=False,
    )


def open_answerer(
    settings: IndexSettings, encoder: Encoder | None = None, translator: Translator | None = None
) -> Answerer:
    """An Answerer over the live index; fails fast (before loading the model) if there is none."""
    encoder = encoder or Encoder(settings.encoder)
    live = LiveIndex(open_backend(settings, encoder.name))
    live.snapshot()  # raises NoIndex / IndexDamaged / IndexMismatch now, with the way out
    return Answerer(live, encoder, Retriever(encoder, settings.retrieval), settings.answer, translator=translator)
