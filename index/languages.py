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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .question import language_of

MIN_PASSAGES = 2  # per language, before its mean is trusted to give a direction


@dataclass
class LanguageMeans:
    """Running sums of passage vectors per language (float64, so adding and removing stays exact enough)."""

    sums: dict[str, np.ndarray] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, texts: list[str], vectors: np.ndarray, sign: int = 1) -> None:
        for text, vector in zip(texts, vectors):
            language = language_of(text)
            total = self.sums.setdefault(language, np.zeros(len(vector), dtype=np.float64))
            total += sign * np.asarray(vector, dtype=np.float64)
            self.counts[language] = self.counts.get(language, 0) + sign
            if self.counts[language] <= 0:
                del self.sums[language], self.counts[language]

    def remove(self, texts: list[str], vectors: np.ndarray) -> None:
        self.add(texts, vectors, sign=-1)

    def direction(self) -> np.ndarray | None:
        """The unit vector from the English mean to the Arabic mean, or None with too few of either."""
        if min(self.counts.get("ar", 0), self.counts.get("en", 0)) < MIN_PASSAGES:
            return None
        difference = self.sums["ar"] / self.counts["ar"] - self.sums["en"] / self.counts["en"]
        norm = float(np.linalg.norm(difference))
        return (difference / norm).astype(np.float32) if norm > 0 else None

    def to_json(self) -> dict:
        return {lang: {"passages": self.counts[lang], "sum": self.sums[lang].tolist()} for lang in sorted(self.counts)}

    @classmethod
    def from_json(cls, data: object, dimension: int) -> "LanguageMeans":
        """Read the manifest's record; ValueError when it is not one (a damaged manifest)."""
        if not isinstance(data, dict):
            raise ValueError("its language means are not an object")
        means = cls()
        for language, record in data.items():
            if not (
                isinstance(record, dict) and type(record.get("passages")) is int and record["passages"] > 0
                and isinstance(record.get("sum"), list) and len(record["sum"]) == dimension
                and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in record["sum"])
            ):
                raise ValueError(f"its language means for {language!r} are not a count and a {dimension}-number sum")
            means.sums[language] = np.asarray(record["sum"], dtype=np.float64)
            means.counts[language] = record["passages"]
        return means


def balance(query: np.ndarray, direction: np.ndarray | None, strength: float) -> np.ndarray:
    """The question vector to search with: its component along the language direction scaled down."""
    if direction is None or strength == 0:
        return query
    return (query - strength * float(query @ direction) * direction).astype(np.float32)
