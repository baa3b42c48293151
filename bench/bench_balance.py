"""Warm question time with language balance, against an earlier rawi on the same index, same run.

    git worktree add /tmp/rawi-before 9077edb          # the code to compare with (any checkout)
    .venv/bin/python bench/bench_balance.py --baseline /tmp/rawi-before

The corpus is bench_query.py's (about ``--chunks`` passages of Arabic and English XQuAD paragraphs);
each tree indexes it with its own code (index formats differ between versions), with random unit
vectors of a fixed seed (a search costs the same whatever the vectors hold; in this tree they
give a language direction to balance, as the alignment check is skipped for the bench). Each
tree serves its index in its own process, warm, rounds alternating (baseline, this tree, ...)
so that a machine that slows down or speeds up meanwhile weighs on both; the p50 of a whole
``Answerer.ask`` per tree is the median over its rounds, and the ratio is printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

BUILD = """
import sys
from pathlib import Path
import numpy as np
sys.path.insert(0, {tree!r})
from index.build import Builder
from index.encoder import Encoder
from index.settings import EncoderSettings, IndexSettings
try:
    import index.languages as languages
    languages.ALIGNMENT = -1.0  # random vectors have no language: keep the direction, to time its cost
except ImportError:
    pass
class RandomVectors:
    def __init__(self, real):
        self.real, self.name, self.dimension = real, real.name, 384
        self.rng = np.random.default_rng(0)
    def count_tokens(self, text):
        return self.real.count_tokens(text)
    def encode_passages(self, texts, progress=False):
        v = self.rng.standard_normal((len(texts), 384)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)
settings = IndexSettings(corpus_dir=Path({corpus!r}), index_dir=Path({index!r}),
                         encoder=EncoderSettings(cache_dir=Path({cache!r})))
if not (settings.index_dir / "CURRENT").exists():
    Builder(settings, RandomVectors(Encoder(settings.encoder))).run()
"""

SERVE = """
import json, statistics, sys, time
from pathlib import Path
sys.path.insert(0, {tree!r})
from index.encoder import Encoder
from index.service import open_answerer
from index.settings import EncoderSettings, IndexSettings
try:
    import index.languages as languages
    languages.ALIGNMENT = -1.0
except ImportError:
    pass
settings = IndexSettings(corpus_dir=Path({corpus!r}), index_dir=Path({index!r}),
                         encoder=EncoderSettings(cache_dir=Path({cache!r})))
answerer = open_answerer(settings, Encoder(settings.encoder))
questions = json.loads({questions!r})
for q in questions[:5]:
    answerer.ask(q)
times = []
for q in questions:
    started = time.perf_counter()
    answerer.ask(q)
    times.append(time.perf_counter() - started)
print(json.dumps({{"p50": statistics.median(times)}}))
"""


def run(template: str, tree: Path, index: Path, corpus: Path, **extra: str) -> str:
    from bench_encode import CACHE

    code = template.format(tree=str(tree), corpus=str(corpus), index=str(index), cache=str(CACHE), **extra)
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout


def serve(tree: Path, index: Path, corpus: Path, questions: list[str]) -> float:
    out = run(SERVE, tree, index, corpus, questions=json.dumps(questions))
    return json.loads(out.strip().splitlines()[-1])["p50"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, required=True, help="a checkout of the rawi to compare with")
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "rawi-bench-query")
    args = parser.parse_args()
    from bench_encode import xquad
    from bench_query import write_corpus

    base = args.work / f"balance-{args.chunks}"
    corpus = base / "corpus"
    if not corpus.is_dir():
        write_corpus(corpus, max(1, args.chunks // 5))
    questions = [q for lang in ("en", "ar") for q, _ in xquad(lang)[1][: args.questions // 2]]
    trees = {"baseline": args.baseline.resolve(), "this tree": ROOT}
    for name, tree in trees.items():
        run(BUILD, tree, base / name.replace(" ", "-"), corpus)
    p50s: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(args.rounds):
        for name, tree in trees.items():
            p50s[name].append(serve(tree, base / name.replace(" ", "-"), corpus, questions))
    before, after = (statistics.median(p50s[name]) for name in trees)
    print(f"\n{args.chunks} passages or so (Arabic and English), {len(questions)} questions, {args.rounds} alternating rounds")
    print(f"whole ask p50 ms: baseline {before * 1000:.1f}, this tree {after * 1000:.1f}, ratio {after / before:.3f}")
    print("rounds (ms):", {name: [round(v * 1000, 1) for v in values] for name, values in p50s.items()})


if __name__ == "__main__":
    main()
