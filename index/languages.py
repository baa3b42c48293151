"""Language balance: ranking an Arabic and an English passage on what they say, not their language.

A multilingual encoder's vectors carry the language of their text: in multilingual-e5 the
difference of the Arabic and English mean vectors is one direction that holds 94% of the
variance of the first principal component of a bilingual corpus. A question scores higher against
*any* passage in its own language, so in a corpus holding both languages, same-language passages
on the same story (or on no story at all) outrank the other-language passage that answers.
Measured on XQuAD dev as a bilingual corpus (``rawi eval --bilingual``), the best same-language
passage that does not answer beats the other-language one that does by 0.03 on average, while
within one language the answering passage leads by 0.10.

The index keeps, per language, the sum and count of its passage vectors (``LanguageMeans``, in
the manifest, updated as articles come and go). Their difference is the language direction
``u``; a question's vector ``q`` is searched as ``q - strength * (q . u) u``, which lowers each
passage's score by ``strength * (q . u)(p . u)``: the share that comes from the two sharing a
language. One search over the whole index, no per-language lists; a corpus of one language has
no direction and is ranked exactly as before. ``strength`` is ``[retrieval] language_balance``,
chosen on data (figures in config.toml).

The corpus's means differ by subject as well as by language: one Arabic article on Korea beside
English ones on oil and bread gives a "direction" that is mostly Korea, and scaling it down
would take the subject out of the question. So the direction is used only when it points the way
a language difference does: within ``ALIGNMENT`` (cosine) of the ``reference``, the same
difference measured on parallel text (``language_pairs.py``: the same news items in both
languages, whose subjects cancel). Measured: 0.83 on XQuAD dev as a bilingual corpus, 0.64 for
the seed article beside three English articles on its story, 0.51 for it beside four English
articles on other subjects. The reference alone, as the direction, did worse on XQuAD (its
short items are not passages): English -> Arabic R@1 0.46 against 0.59.

Where the corpus gives no direction of its own (fewer than MIN_PASSAGES of a language, or a
difference of subjects) but holds both languages, the reference stands in: a small desk, one
Arabic article beside one or two English ones on neighbouring stories, is then not ranked by
plain cosines. On tests/data/korea_desk beside the seed, the answering passage came first for 5
of 8 questions with one English article and 7 of 10 with two (plain cosines: 3 and 4); XQuAD's
corpus has its own direction and is ranked as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .language_pairs import PAIRS
from .question import language_of

if TYPE_CHECKING:
    from .encoder import Encoder

MIN_PASSAGES = 2  # per language, before its mean is trusted to give a direction
ALIGNMENT = 0.6  # least cosine between the corpus's direction and the reference (see above)


@dataclass
class LanguageMeans:
    """Running sums of passage vectors per language (float64, so adding and removing stays exact enough)."""

    sums: dict[str, np.ndarray] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    reference: np.ndarray | None = None  # the language direction of parallel text (reference_direction)

    @property
    def bilingual(self) -> bool:
        """Enough passages of each language for the corpus's own direction."""
        return min(self.counts.get("ar", 0), self.counts.get("en", 0)) >= MIN_PASSAGES

    @property
    def both_languages(self) -> bool:
        """A passage of each language at least: the parallel-text direction applies."""
        return min(self.counts.get("ar", 0), self.counts.get("en", 0)) >= 1

    def add(self, texts: list[str], vectors: np.ndarray, sign: int = 1, languages: list[str] | None = None) -> None:
        """Count these passages in (``languages``: each text's ``language_of``, where already known)."""
        if languages is None:
            languages = [language_of(text) for text in texts]
        for language, vector in zip(languages, vectors):
            total = self.sums.setdefault(language, np.zeros(len(vector), dtype=np.float64))
            total += sign * np.asarray(vector, dtype=np.float64)
            self.counts[language] = self.counts.get(language, 0) + sign
            if self.counts[language] <= 0:
                del self.sums[language], self.counts[language]

    def remove(self, texts: list[str], vectors: np.ndarray) -> None:
        self.add(texts, vectors, sign=-1)

    def direction(self) -> np.ndarray | None:
        """The unit vector from the English mean to the Arabic mean; the reference (parallel
        text) instead with too few passages of either language, or when the corpus's points
        elsewhere (a difference of subjects); None for a corpus of one language."""
        if not self.both_languages or self.reference is None:
            return None
        if self.bilingual:
            difference = self.sums["ar"] / self.counts["ar"] - self.sums["en"] / self.counts["en"]
            norm = float(np.linalg.norm(difference))
            if norm > 0 and float(difference @ self.reference) / norm >= ALIGNMENT:
                return (difference / norm).astype(np.float32)
        return (self.reference / np.linalg.norm(self.reference)).astype(np.float32)

    def to_json(self) -> dict:
        return {
            "passages": {lang: {"passages": self.counts[lang], "sum": self.sums[lang].tolist()} for lang in sorted(self.counts)},
            "reference": None if self.reference is None else self.reference.tolist(),
        }

    @classmethod
    def from_json(cls, data: object, dimension: int) -> "LanguageMeans":
        """Read the manifest's record; ValueError when it is not one (a damaged manifest)."""
        if not (isinstance(data, dict) and set(data) == {"passages", "reference"} and isinstance(data["passages"], dict)):
            raise ValueError("its language means are not an object of passages and reference")
        means = cls()
        reference = data["reference"]
        if reference is not None:
            if not _numbers(reference, dimension):
                raise ValueError(f"its language reference is not {dimension} numbers")
            means.reference = np.asarray(reference, dtype=np.float32)
        for language, record in data["passages"].items():
            if not (
                isinstance(record, dict) and type(record.get("passages")) is int and record["passages"] > 0
                and _numbers(record.get("sum"), dimension)
            ):
                raise ValueError(f"its language means for {language!r} are not a count and a {dimension}-number sum")
            means.sums[language] = np.asarray(record["sum"], dtype=np.float64)
            means.counts[language] = record["passages"]
        return means


def _numbers(values: object, dimension: int) -> bool:
    return (
        isinstance(values, list) and len(values) == dimension
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in values)
    )


def reference_direction(encoder: Encoder) -> np.ndarray:
    """The language direction of parallel text: Arabic items minus the same items in English,
    three to a passage (passage-length texts, as the index holds)."""
    groups = [PAIRS[i : i + 3] for i in range(0, len(PAIRS), 3)]
    arabic = encoder.encode_passages([" ".join(ar for ar, _ in group) for group in groups])
    english = encoder.encode_passages([" ".join(en for _, en in group) for group in groups])
    difference = arabic.mean(axis=0) - english.mean(axis=0)
    return (difference / np.linalg.norm(difference)).astype(np.float32)


def balance(query: np.ndarray, direction: np.ndarray | None, strength: float) -> np.ndarray:
    """The question vector to search with: its component along the language direction scaled down."""
    if direction is None or strength == 0:
        return query
    return (query - strength * float(query @ direction) * direction).astype(np.float32)
