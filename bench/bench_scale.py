"""rawi's vector index types at scale against exact (flat) search, on synthetic 384-d vectors.

    .venv/bin/python bench/bench_scale.py                              # 1,000,000 vectors, hnsw + ivfpq
    .venv/bin/python bench/bench_scale.py --n 100000 --ef 64,128 --nprobe 16,32
    .venv/bin/python bench/bench_scale.py --n 0 --rows 10000,1000000   # chunk-row lookups only

The ANN indexes are built and searched by rawi's own code (``index/store/local/ann.py``: the same
``derive`` the builder calls, the same ``search`` with the exact re-scoring a reader does),
from an exact ``IndexIDMap2(IndexFlatIP)`` store as in a real index. Vectors are unit vectors
drawn around topic centres (plus noise), so neighbourhoods look like those of text embeddings
more than uniform noise would; queries are perturbed copies of indexed points.

For each type, next to exact flat search measured in the same run: build seconds (from the
exact store), memory (FAISS's serialized size and the process's resident growth while
building), search p50 for one query (k = 50, as rawi asks; one thread: one question, one
core) and its ratio to flat, and recall@10 of the returned top 10 against the exact top 10.

``--rows`` times ``store.local.Rows.chunks`` (50 random chunk ids, as one question fetches) on
synthetic rows.sqlite files of the given sizes made with rawi's schema: p50 and the ratio to
the smallest size.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.store import local as local_store  # noqa: E402
from index.store.local import ann  # noqa: E402
from index.settings import VectorIndexSettings  # noqa: E402

DIM = 384
K = 50


def synthetic(n: int, queries: int, noise: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(16, n // 300), DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    data = np.empty((n, DIM), dtype=np.float32)
    step = 100_000
    for start in range(0, n, step):
        m = min(step, n - start)
        picks = rng.integers(0, len(centres), m)
        block = centres[picks] + noise * rng.standard_normal((m, DIM)).astype(np.float32) / np.sqrt(DIM)
        data[start : start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    q = data[rng.integers(0, n, queries)] + noise / 2 * rng.standard_normal((queries, DIM)).astype(np.float32) / np.sqrt(DIM)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return data, q.astype(np.float32)


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def serialized_mb(index) -> float:
    import faiss

    return faiss.serialize_index(index).nbytes / 2**20


def timed(search, queries: np.ndarray, threads: int) -> tuple[float, np.ndarray]:
    """p50 seconds of one query at a time, and the ids found for every query."""
    import faiss

    saved = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    for q in queries[:10]:
        search(q[None, :])
    times, found = [], []
    for q in queries:
        t = time.perf_counter()
        _, ids = search(q[None, :])
        times.append(time.perf_counter() - t)
        found.append(ids[0])
    faiss.omp_set_num_threads(saved)
    return statistics.median(times), np.stack(found)


def recall(found: np.ndarray, exact: np.ndarray, k: int = 10) -> float:
    return float(np.mean([len(set(f[:k]) & set(e[:k])) / k for f, e in zip(found, exact)]))


def settings_for(kind: str, args) -> VectorIndexSettings:
    return VectorIndexSettings(
        type=kind, hnsw_m=args.hnsw_m, hnsw_ef_construction=args.ef_construction, ivf_nlist=args.nlist,
        pq_m=args.pq_m, pq_rescore=args.rescore,
    )


def vectors(args) -> None:
    import faiss

    if args.threads:
        faiss.omp_set_num_threads(args.threads)
    t = time.perf_counter()
    data, queries = synthetic(args.n, args.queries, args.noise)
    print(f"faiss {faiss.__version__}, {faiss.omp_get_max_threads()} build thread(s); {args.n:,} vectors of {DIM} "
          f"({data.nbytes / 2**20:.0f} MB as float32) made in {time.perf_counter() - t:.0f}s; {args.queries} queries, "
          f"k={K}, one query at a time on {args.search_threads} thread(s)", flush=True)

    before = rss_mb()
    t = time.perf_counter()
    exact = faiss.IndexIDMap2(faiss.IndexFlatIP(DIM))
    exact.add_with_ids(data, np.arange(args.n, dtype=np.int64))
    flat_build = time.perf_counter() - t
    flat_grown = rss_mb() - before
    del data
    flat_p50, truth = timed(lambda q: exact.search(q, K), queries, args.search_threads)
    print(f"\n{'type':8}{'param':>12}{'build s':>9}{'index MB':>10}{'RSS +MB':>9}{'p50 ms':>8}{'vs flat':>9}{'R@10':>7}")
    print(f"{'flat':8}{'':>12}{flat_build:>9.1f}{serialized_mb(exact):>10.0f}{flat_grown:>9.0f}"
          f"{flat_p50 * 1000:>8.2f}{1.0:>8.2f}x{1.0:>7.3f}", flush=True)

    none = np.zeros(0, dtype=np.int64)
    for kind in [t for t in args.types.split(",") if t]:
        settings = settings_for(kind, args)
        before = rss_mb()
        t = time.perf_counter()
        index, record = ann.derive(settings, exact, (None, dict(ann.FLAT)), none, none, np.zeros((0, DIM), np.float32))
        build = time.perf_counter() - t
        grown = rss_mb() - before
        if index is None:
            print(f"{kind:8} stays flat at {args.n:,} vectors (fewer than it needs to train)")
            continue
        size = serialized_mb(index)
        label, knob, values = (
            ("ef", "hnsw_ef_search", args.ef) if kind == "hnsw" else ("nprobe", "ivf_nprobe", args.nprobe)
        )
        for value in [int(v) for v in values.split(",")]:
            at = replace(settings, **{knob: value})
            p50, found = timed(lambda q: ann.search(index, record, exact, q, K, at), queries, args.search_threads)
            print(f"{kind:8}{f'{label}={value}':>12}{build:>9.1f}{size:>10.0f}{grown:>9.0f}{p50 * 1000:>8.2f}"
                  f"{flat_p50 / p50:>8.1f}x{recall(found, truth):>7.3f}", flush=True)
        print(f"{'':8}{'':>12} built with {record}", flush=True)
        index = None  # freed before the next type is built
    print(f"\npeak resident {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
          "(includes the float32 vectors the bench made; rawi memory-maps the exact store)")


def make_rows(path: Path, n: int, seed: int = 0) -> None:
    """rows.sqlite of n chunks (10 per article, ~300 characters each) with rawi's schema."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(5000)]
    db = local_store.empty_rows(path)
    with db:
        for start in range(0, n, 100_000):
            stop = min(n, start + 100_000)
            db.executemany(
                "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(f"a{a}.txt", f"Title {a}", "", "2025-01-01", "", "0" * 64, "", 0.0)
                 for a in range(start // 10, (stop + 9) // 10)],
            )
            db.executemany(
                "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(i, f"a{i // 10}.txt", i % 10, 0, 300, " ".join(rng.choices(words, k=50))[:300], f"{i:064x}")
                 for i in range(start, stop)],
            )
    db.close()


def rows(sizes: list[int], lookups: int) -> None:
    results = []
    with tempfile.TemporaryDirectory(prefix="rawi-bench-rows-") as tmp:
        for n in sizes:
            path = Path(tmp) / f"rows-{n}.sqlite"
            t = time.perf_counter()
            make_rows(path, n)
            made = time.perf_counter() - t
            reader = local_store.Rows(path)
            rng = random.Random(1)
            for _ in range(20):
                reader.chunks(rng.sample(range(n), 50))
            times = []
            for _ in range(lookups):
                ids = rng.sample(range(n), 50)
                t = time.perf_counter()
                found = reader.chunks(ids)
                times.append(time.perf_counter() - t)
                assert len(found) == 50
            reader.close()
            results.append((n, statistics.median(times), path.stat().st_size / 2**20, made))
    base = results[0][1]
    print(f"\nchunk-row lookups: store.local.Rows.chunks of 50 random ids, {lookups} lookups, warm")
    print(f"{'chunks':>10}{'rows MB':>9}{'made s':>8}{'p50 ms':>8}{'vs smallest':>13}")
    for n, p50, mb, made in results:
        print(f"{n:>10,}{mb:>9.0f}{made:>8.0f}{p50 * 1000:>8.3f}{p50 / base:>12.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="vectors (0: skip the vector part)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--types", default="hnsw,ivfpq")
    parser.add_argument("--threads", type=int, default=0, help="FAISS threads for building (0: all cores)")
    parser.add_argument("--search-threads", type=int, default=1, help="FAISS threads for one query")
    parser.add_argument("--hnsw-m", type=int, default=VectorIndexSettings.hnsw_m)
    parser.add_argument("--ef-construction", type=int, default=VectorIndexSettings.hnsw_ef_construction)
    parser.add_argument("--ef", default="64,128,256", help="hnsw_ef_search values tried")
    parser.add_argument("--nlist", type=int, default=VectorIndexSettings.ivf_nlist, help="0: 4 sqrt(n)")
    parser.add_argument("--nprobe", default="16,32,64", help="ivf_nprobe values tried")
    parser.add_argument("--pq-m", type=int, default=VectorIndexSettings.pq_m)
    parser.add_argument("--rescore", type=int, default=VectorIndexSettings.pq_rescore)
    parser.add_argument("--noise", type=float, default=1.0, help="spread of points around their topic (norm)")
    parser.add_argument("--rows", default="", help="chunk counts for the row-lookup bench, e.g. 10000,1000000")
    parser.add_argument("--lookups", type=int, default=500)
    args = parser.parse_args()
    if args.n:
        vectors(args)
    if args.rows:
        rows([int(n) for n in args.rows.split(",")], args.lookups)


if __name__ == "__main__":
    main()
