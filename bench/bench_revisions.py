"""Warm question time of two revisions of rawi, side by side in one run.

    git worktree add /tmp/rawi-before <REV>
    .venv/bin/python bench/bench_revisions.py /tmp/rawi-before .        # before, after

Each revision runs in its own process (its folder first on PYTHONPATH), in turns, ``--rounds``
times: it indexes the XQuAD dev paragraphs of eval/xquad (English and Arabic, one article each)
into a temporary folder with the default encoder, asks ``--questions`` of their questions once to
warm up, then times each ``Answerer.ask`` plus the short answer the CLI shows (``extract``). The
p50 and p95 of every round are printed per revision, and the ratio of the p50s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKER = r"""
import json, sys, tempfile, time
from pathlib import Path
from index.build import Builder
from index.encoder import Encoder
from index.extract import extract
from index.service import open_answerer
from index.settings import EncoderSettings, IndexSettings
root, cache, count = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
corpus = Path(tempfile.mkdtemp()) / "corpus"; corpus.mkdir()
questions = []
for lang in ("en", "ar"):
    data = json.loads((root / "eval" / "xquad" / f"dev.{lang}.json").read_text(encoding="utf-8"))["data"]
    for i, article in enumerate(data):
        for j, p in enumerate(article["paragraphs"]):
            (corpus / f"{lang}-{i:03d}-{j:02d}.txt").write_text(p["context"], encoding="utf-8")
            questions += [q["question"] for q in p["qas"]]
questions = questions[:: max(1, len(questions) // count)][:count]
settings = IndexSettings(corpus_dir=corpus, index_dir=corpus.parent / "index", encoder=EncoderSettings(cache_dir=cache))
encoder = Encoder(settings.encoder)
Builder(settings, encoder).run()
answerer = open_answerer(settings, encoder)
for q in questions:
    extract(answerer.ask(q, k=3))
times = []
for q in questions:
    start = time.perf_counter(); extract(answerer.ask(q, k=3)); times.append((time.perf_counter() - start) * 1000)
print(json.dumps(times))
"""


def run(folder: Path, count: int) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(folder.resolve())}
    out = subprocess.run([sys.executable, "-c", WORKER, str(ROOT), str(ROOT / ".cache" / "models"), str(count)],
                         env=env, capture_output=True, text=True, check=True, cwd=folder)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    results: dict[str, list[float]] = {"before": [], "after": []}
    for round_ in range(args.rounds):
        for name, folder in (("before", args.before), ("after", args.after)):
            times = run(folder, args.questions)
            results[name] += times
            q = statistics.quantiles(times, n=20)
            print(f"round {round_ + 1} {name:<6} p50 {statistics.median(times):7.1f} ms  p95 {q[18]:7.1f} ms")
    before, after = statistics.median(results["before"]), statistics.median(results["after"])
    print(f"all rounds: before p50 {before:.1f} ms, after p50 {after:.1f} ms, after / before {after / before:.3f}")


if __name__ == "__main__":
    main()
