"""Question -> ranked hits: dense (FAISS) and lexical (BM25) candidates, scored together.

Dense retrieval carries meaning across languages; BM25 over normalized, stemmed tokens
catches names and numbers the encoder blurs. Over the candidates of both, a passage's score is

    meaning = (cosine + sentence_weight * best sentence cosine) / (1 + sentence_weight)
    score   = meaning + lexical_weight * BM25 / (the question's best BM25)

so meaning decides and shared terms settle near-ties. (Reciprocal-rank fusion, tried first,
throws the cosine gaps away: it let a weak lexical match overtake a clear dense winner; the
figures are in config.toml.) In a corpus of two languages the cosines of meaning are taken
with the language-balanced question vector (``languages.py``), so a passage is not preferred
for sharing the question's language. Each hit keeps every signal for the answer step, with
plain cosines.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from .dates import date_names
from .encoder import Encoder
from .languages import balance
from .filters import ArticleFilter
from .sentences import split as split_sentences
from .settings import RetrievalSettings
from .store import ChunkRow, Reader


@dataclass(frozen=True)
class Sentence:
    start: int  # offsets into the passage text
    end: int
    cosine: float  # with the question
    heading: bool = False  # a headline or section heading: context, never the answering sentence


@dataclass(frozen=True)
class Hit:
    chunk: ChunkRow
    fused: float  # the score hits are ranked by (see above)
    dense: float  # cosine of question and passage
    sentence: float  # the best cosine of question and one of the passage's sentences
    sentence_cosines: tuple[float, ...]  # each sentence's, in passage order
    dense_rank: int  # 1-based rank by meaning (passage and sentence cosines) among the candidates
    lexical: float  # BM25 score, 0 when the passage shares no term with the question
    lexical_rank: int | None

    @cached_property
    def sentences(self) -> tuple[Sentence, ...]:
        """The passage's sentences with their cosines. Split only when asked for: a question
        scores about a hundred candidates but cites a few, and splitting is the costly part."""
        spans = split_sentences(self.chunk.text)
        return tuple(Sentence(s.start, s.end, c, s.heading) for s, c in zip(spans, self.sentence_cosines))


@dataclass(frozen=True)
class Ranking:
    """Everything retrieval learned about one question."""

    hits: list[Hit]
    query_vector: np.ndarray


class Retriever:
    def __init__(self, encoder: Encoder, settings: RetrievalSettings) -> None:
        self.encoder = encoder
        self.settings = settings

    def rank(
        self, snapshot: Reader, question: str, query_vector: np.ndarray | None = None,
        where: ArticleFilter | None = None,
    ) -> Ranking:
        """``where``: only passages of these articles are searched (dates, source, language)."""
        if query_vector is None:
            query_vector = self.encoder.encode_queries([question])[0]
        n = self.settings.candidates
        searched = balance(query_vector, snapshot.language_direction, self.settings.language_balance)
        dense = snapshot.search(searched, n, where or None)
        lexical = snapshot.lexical_search(question, n, where or None)
        hits = named_dates_first(self._fuse(snapshot, dense, lexical, query_vector, searched), question)
        return Ranking(hits, query_vector)

    def _fuse(
        self, snapshot: Reader, dense: list[int], lexical: list[tuple[int, float]], query: np.ndarray,
        searched: np.ndarray,
    ) -> list[Hit]:
        """Score the union of both rankings' candidates. Meaning is measured with the balanced
        question vector (``searched``, see languages.py); each hit keeps its plain cosines too."""
        lexical_score = dict(lexical)
        lexical_rank = {i: r for r, (i, _) in enumerate(lexical, 1)}
        seen = set(dense)
        candidates = dense + [i for i in lexical_score if i not in seen]
        rows = snapshot.chunks(candidates)
        ids = [i for i in candidates if i in rows]
        if not ids:
            return []
        vectors = snapshot.passage_vectors(ids)
        cosine, balanced = _cosines(vectors, query, searched, ids)
        found, found_balanced = _sentence_cosines(snapshot, ids, query, searched)
        best = {i: max(found[i], default=cosine[i]) for i in ids}
        weight = self.settings.sentence_weight
        meaning = {
            i: (balanced[i] + weight * max(found_balanced[i], default=balanced[i])) / (1 + weight) for i in ids
        }
        dense_rank = {i: r for r, i in enumerate(sorted(ids, key=lambda i: -meaning[i]), 1)}
        top_lexical = max(lexical_score.values(), default=0.0) or 1.0
        lexical_weight = self.settings.lexical_weight / top_lexical
        hits = [
            Hit(
                chunk=rows[i],
                fused=meaning[i] + lexical_weight * lexical_score.get(i, 0.0),
                dense=cosine[i],
                sentence=best[i],
                sentence_cosines=found[i],
                dense_rank=dense_rank[i],
                lexical=lexical_score.get(i, 0.0),
                lexical_rank=lexical_rank.get(i),
            )
            for i in ids
        ]
        return sorted(hits, key=lambda h: (-h.fused, h.dense_rank))


def _cosines(
    vectors: np.ndarray, query: np.ndarray, searched: np.ndarray, ids: list[int]
) -> tuple[dict[int, float], dict[int, float]]:
    """Each passage's cosine with the question, and its score with the balanced question."""
    plain = vectors @ query
    balanced = plain if searched is query else vectors @ searched
    return dict(zip(ids, plain.tolist())), dict(zip(ids, balanced.tolist()))


def _sentence_cosines(
    snapshot: Reader, ids: list[int], query: np.ndarray, searched: np.ndarray
) -> tuple[dict[int, tuple[float, ...]], dict[int, tuple[float, ...]]]:
    """Each passage's sentence cosines with the question (and the balanced question), from the
    stored vectors, in one read."""
    counts, vectors = snapshot.sentence_vectors(ids)
    ends = np.cumsum(counts).tolist()

    def split(cosines: list[float]) -> dict[int, tuple[float, ...]]:
        return {i: tuple(cosines[end - n : end]) for i, n, end in zip(ids, counts.tolist(), ends)}

    plain = split((vectors @ query).tolist())
    return plain, plain if searched is query else split((vectors @ searched).tolist())


# A question that names a weekday or a month ("Who arrived on Wednesday?", "من وصل يوم الأربعاء؟")
# is about the passage that names the same one, in either language: the cross-language lexical
# match BM25 cannot make ("Wednesday" / "الأربعاء"). Worth a strong BM25 match (lexical_weight
# 0.03 at the best score). Only the head of the ranking is read (each passage's text is folded
# for it), and only for questions that name one.
DATE_NAME_BONUS = 0.02
DATE_NAME_HEAD = 10


def named_dates_first(hits: list[Hit], question: str) -> list[Hit]:
    """``hits`` with DATE_NAME_BONUS added to those of the first DATE_NAME_HEAD that name a
    weekday or month the question names, best first again."""
    asked = date_names(question)
    if not asked or not hits:
        return hits
    kinds = {name.split(":")[0] for name in asked}
    head = [
        replace(h, fused=h.fused + DATE_NAME_BONUS) if asked & date_names(h.chunk.text, kinds) else h
        for h in hits[:DATE_NAME_HEAD]
    ]
    return sorted(head, key=lambda h: (-h.fused, h.dense_rank)) + hits[DATE_NAME_HEAD:]
