#!/usr/bin/env python3
"""Fit rawi's abstention model from evidence written by `rawi eval --split --features FILE`.

The calibration set (issue 3): index the paragraphs of every other XQuAD article; questions on
those are answerable, questions on the others are not (they are about other Wikipedia
articles). Evidence is gathered for each language pair on both halves (`--split even` to fit,
`--split odd`, a different corpus and different questions, to measure), then fitted::

    make calibrate      # the eight `rawi eval ... --split {even,odd} --features ...` runs, then:
    python scripts/calibrate_abstention.py var/cal/even-*.jsonl --held-out var/cal/odd-*.jsonl

It fits an L2-regularised logistic regression (Newton's method, standardised features), picks
the threshold that keeps the target share of answerable questions answered, and prints the
[answer] block for config.toml with the figures that chose it: per file and overall, the
share answered, the share of unanswerable questions declined and the ROC area; the same under
2-fold cross-validation; and, with ``--held-out``, on the other half's evidence, which the fit
never saw: the honest estimate for questions and articles never seen.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.evaluation import roc_auc  # noqa: E402


def load(paths: list[Path]) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    rows, labels, groups = [], [], []
    for group, path in enumerate(paths):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            labels.append(bool(record.pop("answerable")))
            record.pop("id", None)
            record.pop("pair", None)
            rows.append(record)
            groups.append(group)
    names = sorted(rows[0])
    X = np.array([[row.get(name, 0.0) for name in names] for row in rows], dtype=np.float64)
    return names, X, np.array(labels), np.array(groups)


def fit(X: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """Logistic regression on standardised features; returns weights and bias on raw features."""
    mean, std = X.mean(axis=0), X.std(axis=0)
    std[std == 0] = 1.0
    Z = np.hstack([np.ones((len(X), 1)), (X - mean) / std])
    w = np.zeros(Z.shape[1])
    penalty = np.eye(Z.shape[1]) * l2
    penalty[0, 0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-Z @ w))
        gradient = Z.T @ (p - y) + penalty @ w
        hessian = (Z * (p * (1 - p))[:, None]).T @ Z + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = w[1:] / std
    return weights, float(w[0] - weights @ mean)


def probabilities(X: np.ndarray, weights: np.ndarray, bias: float) -> np.ndarray:
    return 1 / (1 + np.exp(-(X @ weights + bias)))


def threshold_for(p: np.ndarray, y: np.ndarray, keep: float) -> float:
    """The highest threshold that still answers `keep` of the answerable questions."""
    answerable = np.sort(p[y])
    return float(answerable[int(np.floor((1 - keep) * len(answerable)))])


def measure(p: np.ndarray, y: np.ndarray, threshold: float) -> dict:
    answered = p >= threshold
    return {
        "answered": round(float(answered[y].mean()), 3),
        "declined": round(float((~answered[~y]).mean()), 3) if (~y).any() else None,
        "roc_auc": round(roc_auc(p.tolist(), y.tolist()), 3),
        "n": int(len(y)),
    }


def cross_validate(X, y, l2: float, keep: float, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    fold = rng.permutation(len(y)) % 2
    p = np.zeros(len(y))
    thresholds = []
    for k in (0, 1):
        train, test = fold != k, fold == k
        weights, bias = fit(X[train], y[train], l2)
        thresholds.append(threshold_for(probabilities(X[train], weights, bias), y[train], keep))
        p[test] = probabilities(X[test], weights, bias) - thresholds[-1]
    return measure(p, y, 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("features", nargs="+", type=Path)
    parser.add_argument("--held-out", nargs="*", type=Path, default=[], help="evidence files to measure on, not fit")
    parser.add_argument("--keep", type=float, default=0.94, help="share of answerable questions to answer")
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--only", help="comma-separated feature names to use (default: all)")
    args = parser.parse_args()

    names, X, y, groups = load(args.features)
    if args.only:
        chosen = [names.index(n) for n in args.only.split(",")]
        names, X = [names[i] for i in chosen], X[:, chosen]
    weights, bias = fit(X, y, args.l2)
    p = probabilities(X, weights, bias)
    threshold = threshold_for(p, y, args.keep)
    print("# fitted on:", ", ".join(str(f) for f in args.features))
    for g, path in enumerate(args.features):
        print(f"#   {path.name}: {measure(p[groups == g], y[groups == g], threshold)}")
    print(f"#   all: {measure(p, y, threshold)}")
    print(f"#   2-fold cross-validated: {cross_validate(X, y, args.l2, args.keep)}")
    if args.held_out:
        held_names, HX, hy, hgroups = load(args.held_out)
        HX = HX[:, [held_names.index(n) for n in names]]
        hp = probabilities(HX, weights, bias)
        print("# held out (never fitted on):")
        for g, path in enumerate(args.held_out):
            print(f"#   {path.name}: {measure(hp[hgroups == g], hy[hgroups == g], threshold)}")
        print(f"#   all: {measure(hp, hy, threshold)}")
    for name in names:
        single = roc_auc(X[:, names.index(name)].tolist(), y.tolist())
        print(f"#   feature {name}: ROC area alone {single:.3f}")
    print("[answer]")
    print(f"bias = {bias:.4f}")
    print(f"threshold = {threshold:.4f}")
    print("[answer.weights]")
    for name, weight in zip(names, weights):
        print(f"{name} = {weight:.4f}")


if __name__ == "__main__":
    main()
