"""FAISS index types at scale against exact (flat) search, on synthetic normalized 384-d vectors.

    .venv/bin/python bench/bench_scale.py                         # 1,000,000 vectors, all types
    .venv/bin/python bench/bench_scale.py --n 100000 --types hnsw

Vectors are unit vectors drawn around a few thousand random topic centres (plus noise), so
neighbourhoods look like those of real text embeddings more than uniform noise would; queries
are perturbed copies of held-out points. For each index type it prints, next to exact
``IndexFlatIP`` measured in the same run: build seconds, memory (FAISS's serialized size and
the process's resident growth), search p50 for one query (k = 50, as rawi asks) and its ratio
to flat, and recall@10 against the exact top 10.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time

import numpy as np

DIM = 384
_KEEP: list = []  # FAISS sub-indexes that must outlive the Python wrappers built around them


def synthetic(n: int, queries: int, args_noise: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(16, n // 300), DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    data = np.empty((n, DIM), dtype=np.float32)
    step = 100_000
    for start in range(0, n, step):
        m = min(step, n - start)
        picks = rng.integers(0, len(centres), m)
        block = centres[picks] + args_noise * rng.standard_normal((m, DIM)).astype(np.float32) / np.sqrt(DIM)
        data[start : start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    q = data[rng.integers(0, n, queries)] + args_noise / 2 * rng.standard_normal((queries, DIM)).astype(np.float32) / np.sqrt(DIM)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return data, q.astype(np.float32)


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def make(kind: str, n: int, args):
    import faiss

    if kind == "flat":
        return faiss.IndexFlatIP(DIM), None
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(DIM, args.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = args.ef_construction
        return index, lambda ef: setattr(index.hnsw, "efSearch", ef)
    if kind == "hnsw-sq8":
        index = faiss.IndexHNSWSQ(DIM, faiss.ScalarQuantizer.QT_8bit, args.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = args.ef_construction
        return index, lambda ef: setattr(index.hnsw, "efSearch", ef)
    nlist = args.nlist or int(4 * np.sqrt(n))
    quantizer = faiss.IndexFlatIP(DIM)
    if kind == "ivfpq":
        # 96-byte PQ codes, the best candidates re-ranked on 8-bit scalar-quantized vectors
        # (IndexRefine): 480 bytes a vector instead of 1536.
        base = faiss.IndexIVFPQ(quantizer, DIM, nlist, 96, 8, faiss.METRIC_INNER_PRODUCT)
        refine = faiss.IndexScalarQuantizer(DIM, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
        index = faiss.IndexRefine(base, refine)
        index.k_factor = 4
        _KEEP.extend((quantizer, base, refine))
        return index, lambda p: setattr(base, "nprobe", p)
    if kind == "ivfsq8":
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, DIM, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        _KEEP.append(quantizer)
        return index, lambda p: setattr(index, "nprobe", p)
    if kind == "ivfflat":
        index = faiss.IndexIVFFlat(quantizer, DIM, nlist, faiss.METRIC_INNER_PRODUCT)
        _KEEP.append(quantizer)
        return index, lambda p: setattr(index, "nprobe", p)
    raise SystemExit(f"unknown index type {kind}")


def serialized_mb(index) -> float:
    import faiss

    return faiss.serialize_index(index).nbytes / 2**20


def search_p50(index, queries: np.ndarray, k: int, threads: int) -> float:
    import faiss

    saved = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    for q in queries[:10]:
        index.search(q[None, :], k)
    times = []
    for q in queries:
        t = time.perf_counter()
        index.search(q[None, :], k)
        times.append(time.perf_counter() - t)
    faiss.omp_set_num_threads(saved)
    return statistics.median(times)


def recall(found: np.ndarray, exact: np.ndarray, k: int = 10) -> float:
    return float(np.mean([len(set(f[:k]) & set(e[:k])) / k for f, e in zip(found, exact)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--types", default="hnsw,hnsw-sq8,ivfflat,ivfsq8,ivfpq")
    parser.add_argument("--threads", type=int, default=0, help="FAISS threads for building (0: all cores)")
    parser.add_argument("--search-threads", type=int, default=1,
                        help="FAISS threads for one query (1: one question uses one core; 0: all)")
    parser.add_argument("--hnsw-m", type=int, default=32)
    parser.add_argument("--ef-construction", type=int, default=80)
    parser.add_argument("--ef", default="32,64,128", help="efSearch values tried for HNSW")
    parser.add_argument("--nlist", type=int, default=0, help="IVF lists (0: 4 sqrt(n))")
    parser.add_argument("--nprobe", default="8,16,32,64", help="nprobe values tried for IVF")
    parser.add_argument("--noise", type=float, default=1.0, help="spread of points around their topic (norm)")
    parser.add_argument("--train", type=int, default=100_000, help="training sample for IVF")
    args = parser.parse_args()
    import faiss

    if args.threads:
        faiss.omp_set_num_threads(args.threads)
    search_threads = args.search_threads or faiss.omp_get_max_threads()
    k = 50
    t = time.perf_counter()
    data, queries = synthetic(args.n, args.queries, args.noise)
    print(f"faiss {faiss.__version__}, {faiss.omp_get_max_threads()} threads; {args.n:,} vectors of {DIM} "
          f"({data.nbytes / 2**20:.0f} MB as float32) made in {time.perf_counter() - t:.0f}s; {args.queries} queries, k={k}; "
          f"one query searched with {search_threads} thread(s)")

    before = rss_mb()
    t = time.perf_counter()
    flat, _ = make("flat", args.n, args)
    flat.add(data)
    flat_build = time.perf_counter() - t
    _, exact = flat.search(queries, 10)
    flat_p50 = search_p50(flat, queries, k, search_threads)
    print(f"\n{'type':10}{'param':>10}{'build s':>9}{'index MB':>10}{'RSS +MB':>9}{'p50 ms':>8}{'vs flat':>9}{'R@10':>7}")
    print(f"{'flat':10}{'':>10}{flat_build:>9.1f}{serialized_mb(flat):>10.0f}{rss_mb() - before:>9.0f}"
          f"{flat_p50 * 1000:>8.2f}{1.0:>8.2f}x{1.0:>7.3f}")
    del flat

    for kind in args.types.split(","):
        before = rss_mb()
        index, knob = make(kind, args.n, args)
        t = time.perf_counter()
        if not index.is_trained:
            sample = data[np.random.default_rng(1).choice(args.n, min(args.train, args.n), replace=False)]
            index.train(sample)
        index.add(data)
        build = time.perf_counter() - t
        grown = rss_mb() - before
        size = serialized_mb(index)
        values = args.ef if kind.startswith("hnsw") else args.nprobe
        for value in [int(v) for v in values.split(",")]:
            knob(value)
            _, found = index.search(queries, 10)
            p50 = search_p50(index, queries, k, search_threads)
            print(f"{kind:10}{('ef=' if kind.startswith('hnsw') else 'nprobe=') + str(value):>10}{build:>9.1f}"
                  f"{size:>10.0f}{grown:>9.0f}{p50 * 1000:>8.2f}{flat_p50 / p50:>8.1f}x{recall(found, exact):>7.3f}",
                  flush=True)
        del index
    print(f"\npeak resident {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
          "(includes the vectors themselves)")


if __name__ == "__main__":
    sys.exit(main())
