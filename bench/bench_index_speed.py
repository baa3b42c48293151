"""Indexing speed per .txt article: this tree against another revision (default: main), side by side.

    .venv/bin/python bench/bench_index_speed.py [--against main] [--articles 200] [--rounds 2]

Both revisions index the same corpus of .txt articles made from eval/xquad/ paragraphs
(as bench_reindex.py makes them) into fresh index folders, each in a child process of its own
with the same interpreter and model cache; the other revision's code is taken with
``git archive`` into a temporary folder. Model loading is excluded. Builds alternate (before,
after, before, after, ...) so that the machine's load drifts over both alike; the median
seconds per article of each, and their ratio, are printed (goal: within 10%).
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_reindex import xquad_articles  # noqa: E402

CHILD = r"""
import json, sys, time
from pathlib import Path
from index.build import Builder
from index.encoder import Encoder
from index.settings import EncoderSettings, IndexSettings
corpus, index_dir, cache = map(Path, sys.argv[1:4])
settings = IndexSettings(corpus_dir=corpus, index_dir=index_dir, encoder=EncoderSettings(cache_dir=cache))
encoder = Encoder(settings.encoder)
encoder.encode_passages(["warm-up"])
started = time.perf_counter()
stats = Builder(settings, encoder).run()
print(json.dumps({"seconds": time.perf_counter() - started, "articles": stats.articles, "chunks": stats.chunks}))
"""


def checkout(revision: str, folder: Path) -> Path:
    data = subprocess.run(["git", "-C", str(ROOT), "archive", revision], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(folder, filter="data")
    return folder


def build(tree: Path, corpus: Path, index_dir: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(corpus), str(index_dir), str(ROOT / ".cache" / "models")],
        cwd=tree, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="main")
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="rawi-speed-"))
    try:
        corpus = base / "corpus"
        corpus.mkdir()
        source = xquad_articles()
        for _ in range(args.articles):
            name, text = next(source)
            (corpus / name).write_text(text, encoding="utf-8")
        trees = {"before": checkout(args.against, base / "before"), "after": ROOT}
        per_article: dict[str, list[float]] = {"before": [], "after": []}
        for round_no in range(args.rounds):
            for name, tree in trees.items():
                found = build(tree, corpus, base / f"index-{name}-{round_no}")
                per_article[name].append(found["seconds"] / found["articles"])
                print(f"round {round_no + 1} {name:6} ({args.against if name == 'before' else 'this tree'}): "
                      f"{found['articles']} articles, {found['chunks']} passages in {found['seconds']:.1f}s "
                      f"= {1000 * per_article[name][-1]:.1f} ms/article", flush=True)
        before, after = (statistics.median(per_article[n]) for n in ("before", "after"))
        print(f"\nmedian ms per .txt article: before {1000 * before:.1f} | after {1000 * after:.1f} | "
              f"after/before {after / before:.3f} ({'within' if after / before <= 1.10 else 'OVER'} the 10% goal)")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
