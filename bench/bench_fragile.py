"""How far the encoder's vectors move between arithmetics, and how far `make fragile` moves them.

    .venv/bin/python bench/bench_fragile.py                 # 60 XQuAD paragraphs a language
    .venv/bin/python bench/bench_fragile.py --size 0.08 --paragraphs 30

On the same texts (XQuAD dev chunks by rawi's chunker, and their questions, Arabic and English),
in one run, it prints side by side:

* the distance ||v - v'|| of each vector from the default onnx-int8 one, for fp32 ONNX (the gap
  between int8 kernels and exact arithmetic, a bound on the gap between two CPUs' int8 kernels)
  and for tests/perturb.py at SIZE with three seeds;
* what a test sees: the change of each question-passage cosine, and how often the order of a
  question's first two passages turns over.

`make fragile` uses a SIZE at least the p95 fp32 gap, so a test that holds there holds on any CPU.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_encode import chunked, xquad  # noqa: E402
from index.encoder import Encoder  # noqa: E402
from index.settings import EncoderSettings  # noqa: E402
from tests.perturb import perturbed  # noqa: E402

CACHE = ROOT / ".cache" / "models"


def encode(encoder: Encoder, questions: list[str], passages: list[str]) -> tuple[np.ndarray, np.ndarray]:
    return encoder.encode_queries(questions), encoder.encode_passages(passages)


def describe(name: str, base: tuple, other: tuple) -> None:
    (q0, p0), (q1, p1) = base, other
    gap = np.concatenate([np.linalg.norm(q1 - q0, axis=1), np.linalg.norm(p1 - p0, axis=1)])
    s0, s1 = q0 @ p0.T, q1 @ p1.T
    delta = np.abs(s1 - s0).ravel()
    top0, top1 = np.argsort(-s0, axis=1)[:, :2], np.argsort(-s1, axis=1)[:, :2]
    flips = np.mean(np.any(top0 != top1, axis=1))
    print(f"{name:<22} {gap.mean():8.4f} {np.percentile(gap, 95):8.4f} {gap.max():8.4f}   "
          f"{delta.mean():8.4f} {np.percentile(delta, 95):8.4f} {delta.max():8.4f}   {flips:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=float, default=0.08, help="the perturbation size to compare (default 0.08)")
    parser.add_argument("--paragraphs", type=int, default=60, help="XQuAD paragraphs per language (default 60)")
    args = parser.parse_args()
    int8 = Encoder(EncoderSettings(cache_dir=CACHE))
    fp32 = Encoder(EncoderSettings(cache_dir=CACHE, backend="onnx"))
    questions, passages = [], []
    for lang in ("en", "ar"):
        paragraphs, qas = xquad(lang)
        paragraphs = paragraphs[: args.paragraphs]
        passages += [text for text, _, _ in chunked(paragraphs, lang, int8.count_tokens)]
        questions += [q for q, i in qas if i < args.paragraphs]
    print(f"{len(questions)} questions x {len(passages)} passages (XQuAD dev, Arabic and English)\n")
    print(f"{'against onnx-int8':<22} {'|dv| mean':>8} {'p95':>8} {'max':>8}   "
          f"{'|dcos| mean':>8} {'p95':>8} {'max':>8}   top-2 order changed")
    base = encode(int8, questions, passages)
    describe("fp32 onnx", base, encode(fp32, questions, passages))
    for seed in (1, 2, 3):
        moved = (perturbed(base[0], questions, "query: ", seed, args.size),
                 perturbed(base[1], passages, "passage: ", seed, args.size))
        describe(f"perturb {seed}:{args.size}", base, moved)


if __name__ == "__main__":
    main()
