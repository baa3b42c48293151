"""Warm question latency and serving memory, torch fp32 encoder vs the chosen backend, same run.

    .venv/bin/python bench/bench_query.py                        # 10,000 chunks, torch vs onnx-int8
    .venv/bin/python bench/bench_query.py --chunks 100000        # the 1 GB serving target
    .venv/bin/python bench/bench_query.py --index-peak 300       # + peak memory of a real `rawi index`

A corpus of about ``--chunks`` passages (±10%) is made from XQuAD dev paragraphs (Arabic and English,
three per article, shuffled) and indexed by rawi's own Builder; the passage vectors are random
unit vectors (a flat FAISS search costs the same whatever the vectors hold), so building a
large index takes minutes, not hours. Questions are the XQuAD dev questions. For each encoder
backend a fresh process opens the index and reports, warm (model loaded, 5 questions asked first):

* p50 of encoding one question; of encoding + FAISS search; of a whole ``Answerer.ask``
  (encoding, dense and BM25 search, scoring with the stored sentence vectors, sentence choice);
* resident memory after the questions (psutil) and its peak (VmHWM).

The ratios torch / backend are printed side by side. ``--index-peak N`` also runs a real
``rawi index`` of N generated articles with each backend and reports its peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_encode import CACHE, xquad  # noqa: E402
from bench_serve import peak_mb  # noqa: E402

from index.settings import EncoderSettings, IndexSettings  # noqa: E402


def write_corpus(folder: Path, articles: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    paragraphs = xquad("en")[0] + xquad("ar")[0]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(articles):
        body = "\n\n".join(rng.sample(paragraphs, 3))
        (folder / f"{i:07d}.txt").write_text(f"Article {i}\n\n{body}\n\nReference {i}.\n", encoding="utf-8")


class RandomVectors:
    """Stands in for the encoder while building: real token counts, random unit vectors."""

    def __init__(self, encoder) -> None:
        self.real = encoder
        self.name = encoder.name
        self.dimension = 384
        self.rng = np.random.default_rng(0)

    def count_tokens(self, text: str) -> int:
        return self.real.count_tokens(text)

    def encode_passages(self, texts, progress: bool = False) -> np.ndarray:
        v = self.rng.standard_normal((len(texts), 384)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def settings_for(base: Path, backend: str) -> IndexSettings:
    return IndexSettings(
        corpus_dir=base / "corpus", index_dir=base / "index",
        encoder=EncoderSettings(cache_dir=CACHE, backend=backend),
    )


def build(base: Path, chunks: int, backend: str) -> int:
    from index.build import Builder
    from index.encoder import Encoder

    settings = settings_for(base, backend)
    if not (settings.index_dir / "CURRENT").exists():
        articles = max(1, chunks // 5)  # three paragraphs make about five chunks
        write_corpus(settings.corpus_dir, articles)
        started = time.perf_counter()
        stats = Builder(settings, RandomVectors(Encoder(settings.encoder))).run()
        print(f"built {stats.chunks} chunks of {stats.articles} articles in {time.perf_counter() - started:.0f}s "
              f"(random vectors) at {base}", flush=True)
    from index.store import local as local_store

    return local_store.open_snapshot(settings.index_dir).manifest.chunks


class Renamed:
    """The torch encoder under the index's encoder name, to serve the same index."""

    def __init__(self, encoder, name: str) -> None:
        self._encoder, self.name = encoder, name

    def __getattr__(self, attr):
        return getattr(self._encoder, attr)


def serve(base: Path, backend: str, index_backend: str, questions: int) -> dict:
    """Runs in its own process: open the index, ask warm questions, report latency and memory."""
    import psutil

    from index.encoder import Encoder
    from index.service import open_answerer

    settings = settings_for(base, index_backend)
    encoder = Encoder(EncoderSettings(cache_dir=CACHE, backend=backend))
    named = Renamed(encoder, Encoder(settings.encoder).name)
    answerer = open_answerer(settings, named)
    snapshot = answerer.index.snapshot()
    asked = [q for lang in ("en", "ar") for q, _ in xquad(lang)[1][: questions // 2]]
    for q in asked[-5:]:
        answerer.ask(q)
    encode, search, ask = [], [], []
    for q in asked:
        t0 = time.perf_counter()
        vector = encoder.encode_queries([q])
        t1 = time.perf_counter()
        snapshot.search_vectors(vector, 50)
        t2 = time.perf_counter()
        answerer.ask(q)
        t3 = time.perf_counter()
        encode.append(t1 - t0)
        search.append(t2 - t0)
        ask.append(t3 - t2)
    return {
        "backend": backend,
        "encode_p50": statistics.median(encode),
        "encode_search_p50": statistics.median(search),
        "ask_p50": statistics.median(ask),
        "rss_mb": psutil.Process().memory_info().rss / 2**20,
        "peak_mb": peak_mb(),
    }


def index_peak(base: Path, articles: int, backend: str) -> tuple[float, float]:
    """Peak resident memory (MB) and seconds of a real `rawi index` of ``articles`` articles."""
    work = Path(tempfile.mkdtemp(prefix=f"peak-{backend}-", dir=base))
    write_corpus(work / "corpus", articles, seed=1)
    config = work / "config.toml"
    config.write_text(
        f'[corpus]\ndir = "corpus"\n[index]\ndir = "index"\n'
        f'[encoder]\ncache_dir = "{CACHE}"\nbackend = "{backend}"\n', encoding="utf-8",
    )
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter();"
        f"subprocess.run([{str(ROOT / '.venv/bin/rawi')!r}, '--config', {str(config)!r}, 'index', '--json'], check=True,"
        " stdout=subprocess.DEVNULL);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--backend", default="onnx-int8", help="the backend compared with torch")
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "rawi-bench-query")
    parser.add_argument("--index-peak", type=int, default=0, help="articles for a real `rawi index` peak-memory run")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    base = args.work / f"{args.chunks}"
    if args.serve:
        print(json.dumps(serve(base, args.serve, args.backend, args.questions)))
        return
    n = build(base, args.chunks, args.backend)
    rows = {}
    for backend in ("torch", args.backend):
        cmd = [sys.executable, __file__, "--serve", backend, "--chunks", str(args.chunks), "--backend", args.backend,
               "--questions", str(args.questions), "--work", str(args.work)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rows[backend] = json.loads(out.strip().splitlines()[-1])
    t, b = rows["torch"], rows[args.backend]
    print(f"\n{n} chunks, {args.questions} questions (Arabic and English), warm, one process per backend")
    print(f"{'':24}{'torch fp32':>12}{args.backend:>12}{'ratio':>9}")
    for key, label in (("encode_p50", "encode p50 ms"), ("encode_search_p50", "encode+search p50 ms"),
                       ("ask_p50", "whole ask p50 ms")):
        print(f"{label:24}{t[key] * 1000:>12.1f}{b[key] * 1000:>12.1f}{t[key] / b[key]:>8.2f}x")
    for key, label in (("rss_mb", "resident MB"), ("peak_mb", "peak resident MB")):
        print(f"{label:24}{t[key]:>12.0f}{b[key]:>12.0f}{t[key] / b[key]:>8.2f}x")
    if args.index_peak:
        peaks = {backend: index_peak(args.work, args.index_peak, backend) for backend in ("torch", args.backend)}
        (tp, ts), (bp, bs) = peaks["torch"], peaks[args.backend]
        print(f"\n`rawi index` of {args.index_peak} articles (real embedding), peak resident MB: "
              f"torch {tp:.0f}, {args.backend} {bp:.0f} ({tp / bp:.2f}x); seconds ratio {ts / bs:.2f}x")


if __name__ == "__main__":
    main()
