"""A decline that is not sure: the best passage in the other language comes close to answering.

In a corpus of both languages the encoder ranks a question's own language first (languages.py),
so a question can be declined while a passage in the other language, read on its own, comes
close to answering or would answer. A flat "the articles don't answer" would then be a confident
claim rawi cannot make. Instead the reply names what it found and in which language
(``NearMiss``): the passage leads the cited ones and the answer stays unanswered.

"Close" is the abstention model's probability (abstain.py) of that passage as if it came first:
at least ``NEAR_MISS_FLOOR``, and above the declined answer's own (a first passage that came
closer keeps its place: the seed article's borderline answer to "من وصل إلى بيونغ يانغ يوم
الأربعاء؟", 0.31, is not displaced by an English passage at 0.16). Questions the corpus has no
answer to score far lower: on the port fixtures of tests/test_near_miss.py, 0.00-0.02 against
0.86-0.99 for the passages that answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .abstain import Evidence, probability
from .question import Question, language_of
from .retrieval import Hit
from .settings import AnswerSettings

NEAR_MISS_FLOOR = 0.15  # the probability (the answer threshold is about 0.35) from which a passage is "close"
NEAR_MISS_HEAD = 20  # only the first hits of the ranking are looked at for one in the other language

LANGUAGE_NAMES = {"ar": "Arabic", "en": "English"}


@dataclass(frozen=True)
class NearMiss:
    """The other-language passage that came close: it is the first of the answer's passages."""

    language: str  # of the passage ("ar", "en")
    confidence: float  # the abstention model's probability for it, as if it came first

    def text(self) -> str:
        """The note in English, one line (the bot words it in the person's language)."""
        name = LANGUAGE_NAMES.get(self.language, self.language)
        return (f"Not answered with confidence, but a passage in {name} comes close "
                f"(confidence {self.confidence:.2f}) and may answer it; check it:")

    def to_json(self) -> dict:
        return {"language": self.language, "confidence": round(self.confidence, 4), "text": self.text()}


def other_language_near(
    hits: list[Hit], question: Question, read: Callable[[list[Hit]], Evidence], settings: AnswerSettings,
    declined: float,
) -> tuple[Hit, NearMiss] | None:
    """The first of the head's hits in a language other than the question's, with its note, when
    the abstention model gives it at least NEAR_MISS_FLOOR read as the first passage (``read``:
    the evidence of hits, answer.evidence for this question) and more than ``declined`` (the
    answer's own confidence); else None."""
    other = next((h for h in hits[:NEAR_MISS_HEAD] if language_of(h.chunk.text) != question.language), None)
    if other is None:
        return None
    confidence = probability(read([other]), settings)
    if confidence < NEAR_MISS_FLOOR or confidence <= declined:
        return None
    return other, NearMiss(language_of(other.chunk.text), confidence)

