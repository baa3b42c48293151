"""Warm question time with language balance, against an earlier rawi on the same index, same run.

    git worktree add /tmp/rawi-before 9077edb          # the code to compare with (any checkout)
    .venv/bin/python bench/bench_balance.py --baseline /tmp/rawi-before

The index is bench_query.py's (about ``--chunks`` passages of Arabic and English XQuAD paragraphs,
random unit vectors, so it has a language direction to balance). Each tree serves it in its own
process, warm, rounds alternating (baseline, this tree, baseline, ...) so that a machine that
slows down or speeds up meanwhile weighs on both; the p50 of a whole ``Answerer.ask`` per tree
is the median over its rounds, and the ratio is printed.
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

SERVE = """
import json, statistics, sys, time
from pathlib import Path
sys.path.insert(0, {tree!r})
from index.encoder import Encoder
from index.service import open_answerer
from index.settings import EncoderSettings, IndexSettings
settings = IndexSettings(corpus_dir=Path({base!r}) / "corpus", index_dir=Path({base!r}) / "index",
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


def serve(tree: Path, base: Path, questions: list[str]) -> float:
    from bench_encode import CACHE

    code = SERVE.format(tree=str(tree), base=str(base), cache=str(CACHE), questions=json.dumps(questions))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
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
    from bench_query import build

    base = args.work / f"{args.chunks}"
    n = build(base, args.chunks, "onnx-int8")
    questions = [q for lang in ("en", "ar") for q, _ in xquad(lang)[1][: args.questions // 2]]
    trees = {"baseline": args.baseline.resolve(), "this tree": ROOT}
    p50s: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(args.rounds):
        for name, tree in trees.items():
            p50s[name].append(serve(tree, base, questions))
    before, after = (statistics.median(p50s[name]) for name in trees)
    print(f"\n{n} passages (Arabic and English), {len(questions)} questions, {args.rounds} alternating rounds")
    print(f"whole ask p50 ms: baseline {before * 1000:.1f}, this tree {after * 1000:.1f}, ratio {after / before:.3f}")
    print("rounds (ms):", {name: [round(v * 1000, 1) for v in values] for name, values in p50s.items()})


if __name__ == "__main__":
    main()
