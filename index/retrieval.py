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

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache

import numpy as np

from .dates import date_names, without_date_names
from .encoder import Encoder
from .languages import balance
from .name_sounds import arabic_keys, latin_keys, spellings
from .normalize import normalize
from .question import language_of
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
class Translation:
    """The question in the other language, as it was searched with."""

    text: str
    vector: np.ndarray
    lexical: list[tuple[int, float]]  # its BM25 ranking: (passage id, score), best first


@dataclass(frozen=True)
class Ranking:
    """Everything retrieval learned about one question."""

    hits: list[Hit]
    query_vector: np.ndarray
    translation: Translation | None = None


class Retriever:
    def __init__(self, encoder: Encoder, settings: RetrievalSettings) -> None:
        self.encoder = encoder
        self.settings = settings

    def rank(
        self, snapshot: Reader, question: str, query_vector: np.ndarray | None = None,
        where: ArticleFilter | None = None, translation: str | None = None,
    ) -> Ranking:
        """``where``: only passages of these articles are searched (dates, source, language).
        ``translation``: the question in the other language (translate.py); a passage in that
        language is then scored with it (``Translated``), one in the question's with the question."""
        if query_vector is None:
            query_vector = self.encoder.encode_queries([question])[0]
        n = self.settings.candidates
        if translation:
            other = self.encoder.encode_queries([translation])[0]
            searched = [query_vector, other]
            lexical = [snapshot.lexical_search(without_date_names(text), n, where or None) for text in (question, translation)]
            scoring: Scoring = Translated.of(language_of(question), self.settings)
        else:
            searched = [balance(query_vector, snapshot.language_direction, self.settings.language_balance)]
            lexical = [snapshot.lexical_search(self._lexical_words(snapshot, question), n, where or None)]
            scoring = Scoring()
        dense = list(dict.fromkeys(i for vector in searched for i in snapshot.search(vector, n, where or None)))
        hits = self._fuse(snapshot, dense, lexical, query_vector, searched, scoring)
        hits = names_across_first(hits, question, translation)
        hits = named_dates_first(hits, question)
        return Ranking(hits, query_vector, Translation(translation, searched[1], lexical[1]) if translation else None)

    @staticmethod
    def _lexical_words(snapshot: Reader, question: str) -> str:
        """What BM25 is asked: in a corpus of two languages, the question less its weekdays and
        months, which ``named_dates_first`` matches in both; BM25 would count them a second time
        for the question's language alone ("Wednesday" led an unrelated English article over the
        Arabic one saying who arrived on الأربعاء)."""
        return question if snapshot.language_direction is None else without_date_names(question)

    def _fuse(
        self, snapshot: Reader, dense: list[int], lexical: list[list[tuple[int, float]]], query: np.ndarray,
        searched: list[np.ndarray], scoring: Scoring,
    ) -> list[Hit]:
        """Score the union of the rankings' candidates. Meaning is measured with the searched
        vectors (the balanced question, see languages.py; or the question and its translation,
        combined by ``scoring``); each hit keeps its plain cosines with the question too, and its
        BM25 score for the question."""
        own = dict(lexical[0])
        lexical_rank = {i: r for r, (i, _) in enumerate(lexical[0], 1)}
        candidates = list(dict.fromkeys(dense + [i for found in lexical for i, _ in found]))
        rows = snapshot.chunks(candidates)
        ids = [i for i in candidates if i in rows]
        if not ids:
            return []
        vectors = snapshot.passage_vectors(ids)
        cosine = dict(zip(ids, (vectors @ query).tolist()))
        found, found_searched = _sentence_cosines(snapshot, ids, query, searched)
        best = {i: max(found[i], default=cosine[i]) for i in ids}
        weight = self.settings.sentence_weight
        meanings = []
        for vector, sentences in zip(searched, found_searched):
            passage = cosine if vector is query else dict(zip(ids, (vectors @ vector).tolist()))
            meanings.append({i: (passage[i] + weight * max(sentences[i], default=passage[i])) / (1 + weight) for i in ids})
        shares = [_lexical_shares(found_lexical, self.settings.lexical_weight) for found_lexical in lexical]
        fused = {i: scoring.score(rows[i].text, [m[i] for m in meanings], [s.get(i, 0.0) for s in shares]) for i in ids}
        dense_rank = {i: r for r, i in enumerate(sorted(ids, key=lambda i: -scoring.meaning(rows[i].text, [m[i] for m in meanings])), 1)}
        hits = [
            Hit(
                chunk=rows[i],
                fused=fused[i],
                dense=cosine[i],
                sentence=best[i],
                sentence_cosines=found[i],
                dense_rank=dense_rank[i],
                lexical=own.get(i, 0.0),
                lexical_rank=lexical_rank.get(i),
            )
            for i in ids
        ]
        return sorted(hits, key=lambda h: (-h.fused, h.dense_rank))


class Scoring:
    """One question vector: meaning plus the lexical share."""

    def meaning(self, text: str, meanings: list[float]) -> float:
        return meanings[0]

    def score(self, text: str, meanings: list[float], shares: list[float]) -> float:
        return meanings[0] + shares[0]


@dataclass(frozen=True)
class Translated(Scoring):
    """The question and its translation, each passage read by both. A passage in the other language
    takes ``weight`` of its meaning from the translation (a same-language match) and the rest from
    the question; its lexical share is the translation's. A passage in the question's language
    takes ``own_weight`` from the translation (the same question asked across languages: a second
    view that lifts the passage both questions find) and the rest from the question, plus
    ``own_bonus``, which makes up for the lower cosines across languages and leaves a near-tie to
    the question as it was asked. Measured on XQuAD dev as a bilingual corpus with a perfect
    translator (config.toml; bench/bench_translation_merge.py)."""

    language: str  # the question's
    weight: float
    own_weight: float = 0.0
    own_bonus: float = 0.0

    @classmethod
    def of(cls, language: str, settings: RetrievalSettings) -> Translated:
        return cls(language, settings.translation_weight, settings.own_translation_weight, settings.own_language_bonus)

    def meaning(self, text: str, meanings: list[float]) -> float:
        question, translation = meanings
        if _passage_language(text) == self.language:
            return (1 - self.own_weight) * question + self.own_weight * translation + self.own_bonus
        return self.weight * translation + (1 - self.weight) * question

    def score(self, text: str, meanings: list[float], shares: list[float]) -> float:
        own = _passage_language(text) == self.language
        return self.meaning(text, meanings) + (shares[0] if own else shares[1])


def _lexical_shares(found: list[tuple[int, float]], weight: float) -> dict[int, float]:
    """Each passage's lexical bonus: ``weight`` times its BM25 score over the question's best."""
    top = max((score for _, score in found), default=0.0) or 1.0
    return {i: weight * score / top for i, score in found}


def cosines_with(snapshot: Reader, chunk_id: int, vector: np.ndarray) -> tuple[float, float]:
    """A passage's cosine with ``vector``, and its best sentence's."""
    passage = float(snapshot.passage_vectors([chunk_id])[0] @ vector)
    _, sentences = snapshot.sentence_vectors([chunk_id])
    return passage, float(max((sentences @ vector).tolist(), default=passage))


def _sentence_cosines(
    snapshot: Reader, ids: list[int], query: np.ndarray, searched: list[np.ndarray]
) -> tuple[dict[int, tuple[float, ...]], list[dict[int, tuple[float, ...]]]]:
    """Each passage's sentence cosines with the question, and with each searched vector, from
    the stored vectors, in one read."""
    counts, vectors = snapshot.sentence_vectors(ids)

    def split(cosines: np.ndarray) -> dict[int, tuple[float, ...]]:
        return dict(zip(ids, per_passage(counts, cosines)))

    plain = split(vectors @ query)
    return plain, [plain if vector is query else split(vectors @ vector) for vector in searched]


def per_passage(counts: np.ndarray, cosines: np.ndarray) -> list[tuple[float, ...]]:
    """Sentence cosines read for several passages at once (``Reader.sentence_vectors``), cut back
    into each passage's, ``counts`` sentences each."""
    values, ends = cosines.tolist(), np.cumsum(counts).tolist()
    return [tuple(values[end - n : end]) for n, end in zip(counts.tolist(), ends)]


# A question that names a weekday or a month ("Who arrived on Wednesday?", "من وصل يوم الأربعاء؟")
# is about the passage that names the same one, in either language: the cross-language lexical
# match BM25 cannot make ("Wednesday" / "الأربعاء"). Worth a strong BM25 match (lexical_weight
# 0.03 at the best score). A passage that names only other ones ("left on Friday") is about
# another day: DATE_OTHER_PENALTY (the seed's arrival passage over an English one on Shoigu
# leaving, for the Arabic question, once BM25 stopped counting الأربعاء: Retriever._lexical_words).
# Only the head of the ranking is read (each passage's text is folded for it), and only for
# questions that name one.
DATE_NAME_BONUS = 0.02
DATE_NAME_HEAD = 10
DATE_OTHER_PENALTY = 0.01


def named_dates_first(hits: list[Hit], question: str) -> list[Hit]:
    """``hits`` with DATE_NAME_BONUS added to those of the first DATE_NAME_HEAD that name a
    weekday or month the question names and DATE_OTHER_PENALTY taken from those that name only
    others of its kind, best first again."""
    asked = date_names(question)
    if not asked or not hits:
        return hits
    kinds = {name.split(":")[0] for name in asked}
    head = []
    for h in hits[:DATE_NAME_HEAD]:
        named = date_names(h.chunk.text, kinds)
        change = DATE_NAME_BONUS if asked & named else -DATE_OTHER_PENALTY if named else 0.0
        head.append(replace(h, fused=h.fused + change) if change else h)
    return sorted(head, key=lambda h: (-h.fused, h.dense_rank)) + hits[DATE_NAME_HEAD:]


# A question that names a person or a place ("Who arrived in Pyongyang?") is about the passages
# that name them, in the other script too: "Pyongyang" and "بيونج يانج" share a sound key
# (name_sounds.py), a match BM25 cannot make across scripts. Only the head is read. An English
# question's names are its capitalised words, looked for in the Arabic passages: on XQuAD dev as a
# bilingual corpus en->ar R@1 0.604 -> 0.651, the other pairs unchanged (0.02: 0.667, and en->en
# one question down). An Arabic question has no capitals, so any of its words may sound like an
# English name: over both languages that cost ar->ar 2.5 points for 5 of ar->en, so only its words
# that no Arabic passage of the head holds are looked for (a name the Arabic passages do not
# write), with a smaller bonus: bilingual ar->en R@1 0.636 -> 0.653, ar->ar unchanged; Arabic
# questions over the English paragraphs alone 0.717 -> 0.744, answered 0.894 -> 0.891.
NAME_BONUS = 0.015
ARABIC_NAME_BONUS = 0.01
NAME_HEAD = 10


@lru_cache(maxsize=4096)
def _passage_language(text: str) -> str:
    """language_of, kept for the passages read last: every question reads its head's."""
    return language_of(text)


def names_across_first(hits: list[Hit], question: str, translation: str | None = None) -> list[Hit]:
    """``hits`` with a bonus for those of the first NAME_HEAD, in the other script, that name one
    of the question's names; best first again. With a ``translation``, only an Arabic passage
    that spells a name otherwise than the translation does gains (BM25 matched the same spelling)."""
    head, asked = hits[:NAME_HEAD], language_of(question)
    languages = [_passage_language(h.chunk.text) for h in head]
    if all(language == asked for language in languages):
        return hits
    read: Callable[[str], frozenset[str]]
    if asked == "en":
        keys, bonus, read = latin_keys(question), NAME_BONUS, arabic_keys
    elif not translation:
        # Less the words an Arabic passage of the head holds: they name that passage as well.
        spelled_here = [arabic_keys(h.chunk.text) for h, language in zip(head, languages) if language == "ar"]
        keys, bonus, read = arabic_keys(question).difference(*spelled_here), ARABIC_NAME_BONUS, latin_keys
    else:
        return hits
    if not keys:
        return hits
    spelled = spellings(translation, keys) if translation else set()

    def named(text: str, language: str) -> bool:
        if language == asked or not keys & read(text):
            return False
        return not spelled or not any(s in normalize(text) for s in spelled)

    head = [replace(h, fused=h.fused + bonus) if named(h.chunk.text, language) else h for h, language in zip(head, languages)]
    return sorted(head, key=lambda h: (-h.fused, h.dense_rank)) + hits[NAME_HEAD:]
