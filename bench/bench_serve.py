"""Index-side resident memory of a process serving N chunks, per index type, flat as the baseline.

    .venv/bin/python bench/bench_serve.py                    # 100,000 chunks: flat, hnsw, ivfpq
    .venv/bin/python bench/bench_serve.py --chunks 20000 --types flat,hnsw

A synthetic corpus (10 passages of 150 words from a 50,000-word vocabulary per article, one
chunk each) is indexed by rawi's own Builder with random unit vectors standing in for the
encoder (memory does not depend on what the vectors hold); the flat index is then converted
to each other type by a second Builder run under that ``[index] type``, as a user would (no
passage is embedded again). For each type a fresh process imports rawi's index package, opens
a ``LiveIndex`` and serves ``--questions`` questions (dense search with the type's search
parameters, BM25, chunk rows) and reports resident memory: after imports, after opening,
after the questions, and the peak. The encoder is not loaded: its memory is the encoder
benchmark's (bench_query.py, bench_encode.py); add it to these figures for the whole bot.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.settings import ChunkSettings, IndexSettings, VectorIndexSettings  # noqa: E402

NAME = "bench-random-vectors"
PER_ARTICLE = 10
WORDS = 150


class RandomVectors:
    """Stands in for the encoder: word-count tokens, random unit vectors."""

    name = NAME

    def __init__(self) -> None:
        self.rng = np.random.default_rng(0)

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def encode_passages(self, texts, progress: bool = False) -> np.ndarray:
        v = self.rng.standard_normal((len(texts), 384)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def settings_for(base: Path, kind: str) -> IndexSettings:
    return IndexSettings(
        corpus_dir=base / "corpus", index_dir=base / f"index-{kind}", vectors=VectorIndexSettings(type=kind),
        chunks=ChunkSettings(max_tokens=200, overlap_tokens=0),
    )


def write_corpus(folder: Path, chunks: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    vocabulary = [f"term{i}" for i in range(50_000)]
    folder.mkdir(parents=True)
    for a in range(chunks // PER_ARTICLE):
        body = "\n\n".join(" ".join(rng.choices(vocabulary, k=WORDS)) for _ in range(PER_ARTICLE))
        (folder / f"{a:07d}.txt").write_text(f"Article {a}\n\n{body}\n", encoding="utf-8")


def build(base: Path, chunks: int, kinds: list[str]) -> None:
    from index.build import Builder

    flat = settings_for(base, "flat")
    if not (flat.index_dir / "CURRENT").exists():
        write_corpus(flat.corpus_dir, chunks)
        t = time.perf_counter()
        stats = Builder(flat, RandomVectors()).run()
        print(f"built flat: {stats.chunks:,} chunks of {stats.articles:,} articles in {time.perf_counter() - t:.0f}s", flush=True)
    for kind in kinds:
        settings = settings_for(base, kind)
        if kind == "flat" or (settings.index_dir / "CURRENT").exists():
            continue
        shutil.copytree(flat.index_dir, settings.index_dir)
        t = time.perf_counter()
        stats = Builder(settings, RandomVectors()).run()
        print(f"converted to {kind} in {time.perf_counter() - t:.0f}s (embedded {stats.chunks_embedded})", flush=True)


def peak_mb() -> float:
    """VmHWM: unlike getrusage's ru_maxrss, which Linux carries over exec from the parent process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def serve(base: Path, kind: str, questions: int) -> dict:
    """In a fresh process: open the index, ask questions, report resident memory (MB)."""
    import psutil
    from index.store import local as local_store
    from index.store.live import LiveIndex

    process = psutil.Process()
    settings = settings_for(base, kind)
    imported = process.memory_info().rss / 2**20
    live = LiveIndex(local_store.LocalBackend(settings.index_dir, NAME, settings.vectors))
    snapshot = live.snapshot()
    opened = process.memory_info().rss / 2**20
    rng = np.random.default_rng(1)
    vocabulary = [f"term{i}" for i in range(50_000)]
    for _ in range(questions):
        q = rng.standard_normal((1, 384)).astype(np.float32)
        q /= np.linalg.norm(q)
        snapshot = live.snapshot()
        _, ids = snapshot.search_vectors(q, 50, settings.vectors)
        lexical = snapshot.lexical.search(" ".join(rng.choice(vocabulary, 8)), 50)
        found = snapshot.chunks([int(i) for i in ids[0] if i >= 0] + [i for i, _ in lexical])
        snapshot.vectors.reconstruct_batch(np.array([i for i, _ in lexical[:10]], dtype=np.int64))
        assert found
    return {
        "type": snapshot.manifest.index["type"], "chunks": snapshot.manifest.chunks, "imported": imported,
        "opened": opened, "served": process.memory_info().rss / 2**20,
        "peak": peak_mb(),
        "files": {p: round(v["bytes"] / 2**20) for p, v in snapshot.manifest.files.items() if "/" not in p},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--types", default="flat,hnsw,ivfpq")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "rawi-bench-serve")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    base = args.work / str(args.chunks)
    kinds = args.types.split(",")
    if args.serve:
        print(json.dumps(serve(base, args.serve, args.questions)))
        return
    build(base, args.chunks, kinds)
    rows = {}
    for kind in ["flat"] + [k for k in kinds if k != "flat"]:
        cmd = [sys.executable, __file__, "--serve", kind, "--chunks", str(args.chunks), "--questions",
               str(args.questions), "--work", str(args.work)]
        rows[kind] = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
    flat = rows["flat"]
    print(f"\n{flat['chunks']:,} chunks, {args.questions} questions, one fresh process per type; resident MB "
          "(index side only: no encoder)")
    print(f"{'type':8}{'stored':>8}{'imports':>9}{'opened':>8}{'served':>8}{'peak':>7}{'index +MB':>11}{'vs flat':>9}  files MB")
    for kind, r in rows.items():
        grown = r["served"] - r["imported"]
        ratio = grown / (flat["served"] - flat["imported"])
        print(f"{kind:8}{r['type']:>8}{r['imported']:>9.0f}{r['opened']:>8.0f}{r['served']:>8.0f}{r['peak']:>7.0f}"
              f"{grown:>11.0f}{ratio:>8.2f}x  {r['files']}")


if __name__ == "__main__":
    main()
