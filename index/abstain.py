"""Does the index answer the question? A decision from several signals, calibrated on data.

e5 cosines crowd between 0.7 and 1.0 and shift with the question's language, so one absolute
threshold cannot separate "answered" from "not in the articles". The decision combines the
top passage's cosine, its margin over the question's own background (the mean cosine of the
dense candidates), lexical evidence, agreement of the two rankings and answer-type match, in
a logistic score whose weights live in config.toml (see ``rawi calibrate``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .settings import AnswerSettings


@dataclass(frozen=True)
class Evidence:
    dense: float
    margin: float
    lexical: float
    agree: bool
    type_match: bool

    def features(self) -> dict[str, float]:
        return {
            "dense": self.dense,
            "margin": self.margin,
            "lexical": math.log1p(max(self.lexical, 0.0)),
            "agree": float(self.agree),
            "type_match": float(self.type_match),
        }


def probability(evidence: Evidence, settings: AnswerSettings) -> float:
    z = settings.bias + sum(settings.weights.get(name, 0.0) * value for name, value in evidence.features().items())
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def decide(evidence: Evidence, settings: AnswerSettings) -> bool:
    return probability(evidence, settings) >= settings.threshold
