"""Hits -> an Answer: cited passages with the sentence that answers, or an honest abstention.

For each passage the answering sentence is the one closest in meaning to the question (its
vector was stored when the passage was indexed), helped by shared terms and by the kind of answer the question asks for (a number for "how many",
a date for "when"). Identical passages (syndicated copies) are cited once. Whether the
articles answer at all is decided by ``abstain.py`` from several signals, not one cosine.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .abstain import NO_EVIDENCE, Evidence, probability
from .encoder import Encoder
from .normalize import normalize, tokens
from .question import Question, language_of, parse_question
from .retrieval import Hit, Retriever
from .settings import AnswerSettings
from .store import ArticleRow, LiveIndex


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


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    passages: list[Passage]  # best first; when not answered, the closest ones (for inspection)
    generation: str = ""  # the index generation that answered (never a mix of two)
    has_more: bool = False
    confidence: float = 0.0  # the abstention model's probability that the articles answer
    evidence: Evidence | None = None


@dataclass(frozen=True)
class Sources:
    articles: int
    passages: int
    newest: list[ArticleRow]


class Answerer:
    """Answers questions from the live index; safe to call from several threads."""

    def __init__(self, index: LiveIndex, encoder: Encoder, retriever: Retriever, settings: AnswerSettings) -> None:
        self.index = index
        self.encoder = encoder
        self.retriever = retriever
        self.settings = settings

    def ask(self, question: str, k: int = 3, offset: int = 0) -> Answer:
        snapshot = self.index.snapshot()
        parsed = parse_question(question)
        ranking = self.retriever.rank(snapshot, parsed.text)
        # Enough distinct passages for this page, one more to know whether there is a next
        # page, and the top 3 that the evidence reads.
        hits = distinct(ranking.hits, max(offset + k + 1, EVIDENCE_HITS))
        null = float(ranking.query_vector @ self._empty_passage)
        found = evidence(hits, parsed, null)
        confidence = probability(found, self.settings)
        page = range(offset, min(offset + k, len(hits)))
        passages = [_passage(hits[n], parsed, self._weak(hits, n, parsed, null, confidence)) for n in page]
        return Answer(
            question, confidence >= self.settings.threshold, passages, snapshot.generation,
            has_more=len(hits) > offset + k, confidence=confidence, evidence=found,
        )

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
        return Sources(snapshot.manifest.articles, snapshot.manifest.chunks, snapshot.newest_articles(newest))


def _passage(hit: Hit, question: Question, weak: bool) -> Passage:
    chunk = hit.chunk
    start, end = answering_sentence(hit, question)
    return Passage(
        article_id=chunk.article_id, title=chunk.title, url=chunk.url, text=chunk.text,
        sentence=chunk.text[start:end], sentence_start=start, sentence_end=end,
        score=round(hit.fused, 4), chunk_id=chunk.id, cosine=round(hit.dense, 4), weak=weak,
        published=chunk.published, source=chunk.source,
    )


def answering_sentence(hit: Hit, question: Question) -> tuple[int, int]:
    """The span of the passage's sentence that answers best. Headlines and section headings
    (and a line that repeats the article's title) are context, never the answer, unless the
    passage holds nothing else."""
    text = hit.chunk.text
    title = " ".join(hit.chunk.title.split())
    prose = [s for s in hit.sentences if not s.heading and " ".join(text[s.start : s.end].split()) != title]
    scored = [(sentence_score(s.cosine, text[s.start : s.end], question), s.start, s.end) for s in prose or hit.sentences]
    _, start, end = max(scored) if scored else (0.0, 0, len(text))
    return start, end


def sentence_score(cosine: float, sentence: str, question: Question) -> float:
    """Meaning first; shared terms and the expected kind of answer break near-ties."""
    shared = len(set(tokens(sentence)) & question.terms)
    bonus = 0.02 * min(shared, 3)
    if question.expects and question.expects.search(normalize(sentence)):
        bonus += 0.03
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
