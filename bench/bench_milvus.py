"""Milvus Lite against rawi's FAISS IVF-PQ on synthetic passages: build, disk, search p50 and recall@10 side by side.

    .venv/bin/python bench/bench_milvus.py                          # 1,000,000 passages, both stores
    .venv/bin/python bench/bench_milvus.py --passages 100000 --queries 200
    .venv/bin/python bench/bench_milvus.py --only faiss             # rawi's side alone
    .venv/bin/python bench/bench_milvus.py --only milvus --milvus-index HNSW

Part of issue 16 (Milvus as a second store backend). Vectors are bench_scale's synthetic 384-d
unit vectors (topic centres plus noise, from ``--seed``); each passage also gets a language
(40% "ar", 60% "en") and a ``published_at`` (``YYYY-MM-DDTHH:MM:SS``, uniform over 2024-2025),
drawn independently of its vector. Queries are perturbed copies of indexed passages. Truth is
exact brute force (FAISS ``IndexFlatIP``, in batches): the top 10 for plain search, the top 10
among the passages passing ``FILTER`` for filtered search.

FAISS side, rawi's own code: the exact store ``IndexIDMap2(IndexFlatIP)`` (``vectors.faiss``)
and ``ann.derive`` / ``ann.search`` with the ``[index]`` defaults (IVF-PQ, nlist 4 sqrt(n),
pq_m 48, nprobe 32, the top ``pq_rescore`` x k re-scored with exact vectors), both written
with ``faiss.write_index`` as an index build does; filtered search is ``restrict.search`` (an
``IDSelectorBitmap`` of the allowed ids inside FAISS, as ``rawi ask`` with since:/lang:; the
``IDSelectorBatch`` it used before is timed beside it, row ``...,IDSelectorBatch``) with
the allowed ids given (rawi reads them from rows.sqlite: not timed here). Flat search is shown
as the exact reference.

Milvus side: ``MilvusClient`` on a Milvus Lite file (``milvus.db`` in a temporary folder; this
milvus-lite is the pure-Python one: parquet segments of ~83,000 rows of this shape, one FAISS
index per segment, every segment searched and merged per query). The collection holds the
passage fields the search touches: ``id`` INT64 primary key, ``vector`` FLOAT_VECTOR(384),
``published_at`` and ``language`` VARCHAR, metric IP (unit vectors, as rawi's); the backend's
passages also hold text, a BM25 sparse field and more scalars, left out here. Rows are inserted
in batches of ``--batch`` and flushed; then each index type is created (``sync=False``) and the
collection loaded, which builds the per-segment indexes; measured; released and dropped. The
index and search parameters mirror the milvus backend on branch ``milvus`` (commit f9ece84,
``index/store/milvus/schema.py`` ``index_record`` / ``index_params`` / ``search_params`` and
``milvus_reader.py`` ``search``; not merged, so mirrored in ``MilvusIndex`` rather than
imported): rawi's ``hnsw`` is HNSW M=32, efConstruction=80, ef=max(128, k); ``ivfpq`` is
IVF_SQ8 on Milvus Lite (it has no product quantization) with nlist = 4 sqrt(passages) of the
whole corpus, nprobe = 32, asking ``pq_rescore`` x k hits and re-scoring them with their exact
vectors read back with ``client.get``; the filter is the expression the backend writes for
``since:2025-07-01 lang:ar``.

Printed for each: build seconds (insert + flush, then index; FAISS: exact store + ANN +
writing both files), bytes on disk (du of the Milvus folder; FAISS: vectors.faiss + ann.faiss;
neither counts rawi's rows.sqlite or passage text), search p50 / p95 for one query at a time
(k hits asked, ``--k``: 10, and 50 as rawi's retrieval asks; after 10 warm-up queries; FAISS
on one thread in both stores: one question, one core), recall@10 of the top 10 returned, the
same for the filtered search, and the ratios Milvus / FAISS IVF-PQ.

Results (2-core AMD EPYC VM shared with other sessions, nice -n 10; absolute times wander by
20-30% with the load, the ratios are taken in the same run):

    .venv/bin/python bench/bench_milvus.py --passages 100000 --queries 200 --k 10,50

    100,000 passages, 200 queries, one query at a time (FAISS on 1 thread); filter: published_at >= "2025-07-01" and language == "ar"
      k store                 build s  disk MB   p50 ms   p95 ms   R@10  filt p50  filt p95 filt R@10  parameters
     10 faiss flat                0.1      147     8.51     9.02  1.000      5.44      6.24     1.000  exact
     10 faiss ivfpq              36.4      155     0.18     0.24  0.796      1.92      2.03     1.000  nlist=1264,pq48,nprobe=32,rescore=4
     10 milvus-lite HNSW        113.1      310    43.29    52.89  1.000     46.84     50.26     0.999  M=32,efConstruction=80,ef=128 (insert 22s + index 91s)
     10 milvus-lite IVF_SQ8      23.8      188    52.31    70.66  1.000     54.90     86.70     1.000  nlist=1264,nprobe=32,rescore=4 (insert 22s + index 2s)
     50 faiss flat                0.1      147     8.78     9.46  1.000      5.70      6.15     1.000  exact
     50 faiss ivfpq              36.4      155     0.29     0.34  0.998      2.04      2.13     1.000  nlist=1264,pq48,nprobe=32,rescore=4
     50 milvus-lite HNSW        113.1      310    45.98    50.06  1.000     50.41     53.84     0.999  M=32,efConstruction=80,ef=128 (insert 22s + index 91s)
     50 milvus-lite IVF_SQ8      23.8      188    75.60   154.16  1.000     79.72    149.87     1.000  nlist=1264,nprobe=32,rescore=4 (insert 22s + index 2s)

    Milvus Lite / FAISS IVF-PQ (same run; recall as a difference)
      k store                   build     disk      p50      p95 R@10 +/-  filt p50 filt R@10 +/-
     10 milvus-lite HNSW         3.1x     2.0x     236x     225x   +0.204       24x        -0.001
     10 milvus-lite IVF_SQ8      0.7x     1.2x     285x     300x   +0.204       29x        +0.000
     50 milvus-lite HNSW         3.1x     2.0x     160x     147x   +0.002       25x        -0.001
     50 milvus-lite IVF_SQ8      0.7x     1.2x     262x     454x   +0.002       39x        +0.000

    Milvus Lite: insert + flush 21.7s (4,606 rows/s), 2 segment(s), 150 MB before any index
    peak resident 2316 MB; 265s in all

    .venv/bin/python bench/bench_milvus.py --passages 300000 --queries 100 --k 10,50

    300,000 passages, 100 queries, one query at a time (FAISS on 1 thread); filter: published_at >= "2025-07-01" and language == "ar"
      k store                 build s  disk MB   p50 ms   p95 ms   R@10  filt p50  filt p95 filt R@10  parameters
     10 faiss flat                0.9      442    32.00    32.95  1.000     19.91     20.69     1.000  exact
     10 faiss ivfpq              23.0      461     0.28     0.34  0.801      6.60      6.91     1.000  nlist=2190,pq48,nprobe=32,rescore=4
     10 milvus-lite HNSW        338.3      929   122.12   140.94  1.000    131.50    159.89     1.000  M=32,efConstruction=80,ef=128 (insert 56s + index 282s)
     10 milvus-lite IVF_SQ8      58.7      562   133.33   171.73  0.996    140.27    193.50     0.991  nlist=2190,nprobe=32,rescore=4 (insert 56s + index 2s)
     50 faiss flat                0.9      442    32.35    33.00  1.000     19.74     20.23     1.000  exact
     50 faiss ivfpq              23.0      461     0.40     0.46  1.000      6.58      6.81     1.000  nlist=2190,pq48,nprobe=32,rescore=4
     50 milvus-lite HNSW        338.3      929   126.12   156.57  1.000    134.48    162.73     1.000  M=32,efConstruction=80,ef=128 (insert 56s + index 282s)
     50 milvus-lite IVF_SQ8      58.7      562   167.03   259.89  0.996    170.12    243.50     0.991  nlist=2190,nprobe=32,rescore=4 (insert 56s + index 2s)

    Milvus Lite / FAISS IVF-PQ (same run; recall as a difference)
      k store                   build     disk      p50      p95 R@10 +/-  filt p50 filt R@10 +/-
     10 milvus-lite HNSW        14.7x     2.0x     434x     409x   +0.199       20x        +0.000
     10 milvus-lite IVF_SQ8      2.6x     1.2x     473x     498x   +0.195       21x        -0.009
     50 milvus-lite HNSW        14.7x     2.0x     317x     342x   +0.000       20x        +0.000
     50 milvus-lite IVF_SQ8      2.6x     1.2x     420x     567x   -0.004       26x        -0.009

    Milvus Lite: insert + flush 56.3s (5,326 rows/s), 4 segment(s), 449 MB before any index
    peak resident 2973 MB; 515s in all

    .venv/bin/python bench/bench_milvus.py --passages 1000000 --queries 100 --k 10,50 --milvus-index IVF_SQ8,HNSW

    1,000,000 passages, 100 queries, one query at a time (FAISS on 1 thread); filter: published_at >= "2025-07-01" and language == "ar"
      k store                 build s  disk MB   p50 ms   p95 ms   R@10  filt p50  filt p95 filt R@10  parameters
     10 faiss flat                6.9     1472    70.14    73.98  1.000     76.95     99.68     1.000  exact
     10 faiss ivfpq              97.1     1532     0.46     0.56  0.786     28.52     32.45     1.000  nlist=4000,pq48,nprobe=32,rescore=4
     10 milvus-lite IVF_SQ8     214.0     1871   456.26   570.25  0.955    464.87    544.21     0.937  nlist=4000,nprobe=32,rescore=4 (insert 200s + index 14s)
     10 milvus-lite HNSW       1022.1     3097   453.49   503.76  1.000    467.79    516.66     0.999  M=32,efConstruction=80,ef=128 (insert 200s + index 822s)
     50 faiss flat                6.9     1472    68.03    71.68  1.000     74.73     87.06     1.000  exact
     50 faiss ivfpq              97.1     1532     0.62     0.85  0.999     28.83     36.90     1.000  nlist=4000,pq48,nprobe=32,rescore=4
     50 milvus-lite IVF_SQ8     214.0     1871   483.26   527.20  0.955    505.69    534.43     0.937  nlist=4000,nprobe=32,rescore=4 (insert 200s + index 14s)
     50 milvus-lite HNSW       1022.1     3097   448.33   542.46  1.000    480.21    593.80     0.999  M=32,efConstruction=80,ef=128 (insert 200s + index 822s)

    Milvus Lite / FAISS IVF-PQ (same run; recall as a difference)
      k store                   build     disk      p50      p95 R@10 +/-  filt p50 filt R@10 +/-
     10 milvus-lite IVF_SQ8      2.2x     1.2x     992x    1015x   +0.169       16x        -0.063
     10 milvus-lite HNSW        10.5x     2.0x     986x     897x   +0.214       16x        -0.001
     50 milvus-lite IVF_SQ8      2.2x     1.2x     783x     617x   -0.044       18x        -0.063
     50 milvus-lite HNSW        10.5x     2.0x     727x     635x   +0.001       17x        -0.001

    Milvus Lite: insert + flush 200.1s (4,997 rows/s), 12 segment(s), 1495 MB before any index
    peak resident 6012 MB; 1619s in all

At 300,000 and 1,000,000 the HNSW ``create_index`` ran 282 s and 822 s in one call; pymilvus's
channel got GOAWAY (too_many_pings) meanwhile and retried the call, which answered "index already
exists" (code 35) once the first had built it: the bench logs and absorbs that (the build time is
the whole wait). An earlier 1M attempt without that catch died there after 1,511 s (heavier load).

After the merge, with the backend's own parameters (IVF lists sized for a Milvus Lite segment:
nlist 1,264 instead of 4,000), ``--passages 1000000 --queries 100 --k 10,50 --only milvus
--milvus-index IVF_SQ8``, beside a full test run::

  k store                 build s  disk MB   p50 ms   p95 ms   R@10  filt p50  filt p95 filt R@10  parameters
 10 milvus-lite IVF_SQ8     223.4     1871   505.41  1285.43  0.955    468.35    703.45     0.937  nlist=1264,nprobe=32,rescore=4 (insert 208s + index 15s)
 50 milvus-lite IVF_SQ8     223.4     1871   480.38   519.69  0.955    511.90    554.04     0.937  nlist=1264,nprobe=32,rescore=4 (insert 208s + index 15s)

The same recall as with 4,000 lists: the list size is not what costs IVF_SQ8 its 4.5 points at
1M (not found; HNSW holds 1.000).

Findings. Milvus Lite 3.2.2 answers one query in 43-52 ms at 100,000 passages, 122-167 ms at
300,000 and 448-483 ms at 1,000,000, where rawi's IVF-PQ takes 0.2-0.6 ms (730-990x at 1M) and
exact flat search 70 ms. Its time grows with the corpus whatever the index: every query walks
every row of every segment in Python (the dedup and tombstone masks of
``milvus_lite/search/executor_indexed.py``: 98% of a profiled query, FAISS's own search 1%).
Recall@10 is not the problem: HNSW 1.000; IVF_SQ8 with nlist = 4 sqrt(corpus) 1.000 at 100,000
but 0.955 at 1,000,000 (with 4,000 lists or 1,264: not the list size); rawi's IVF-PQ 0.998-1.000 at k=50, as rawi asks (0.79-0.80 at
k=10, where only 40 PQ candidates are re-scored). Building 1,000,000: inserting 200 s (5,000
rows/s), then HNSW 822 s or IVF_SQ8 14 s, against 97 s for rawi's exact store + IVF-PQ; on disk
3.1 GB (HNSW) or 1.9 GB (IVF_SQ8) against 1.5 GB. A filter (since: + lang:, 10% of the passages)
costs Milvus what an unfiltered query does; rawi's IDSelector path costs 2 ms at 100,000 and
29 ms at 1,000,000 (48 ms in a busier run; it hashes the 100,000 allowed ids on every query). Milvus Lite suits a
development corpus of up to ~100,000 passages; a million belongs on a Milvus server (C++
segments, IVF_PQ), which this bench does not measure.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_scale import DIM, recall, synthetic  # noqa: E402

from index.store.local import ann, restrict  # noqa: E402
from index.settings import VectorIndexSettings  # noqa: E402

TOP = 10  # recall@10: the top 10 returned against the exact top 10
WARM = 10
COLLECTION = "rawi_passages"
SINCE = "2025-07-01"
FILTER = f'published_at >= "{SINCE}" and language == "ar"'  # as milvus_schema.expression writes since: and lang:
MILVUS_INDEXES = ("HNSW", "IVF_SQ8")  # rawi's hnsw and ivfpq on Milvus Lite (no product quantization there)


@dataclass(frozen=True)
class MilvusIndex:
    """How the milvus backend indexes and searches the passages for one rawi ``[index]`` type:
    ``index/store/milvus/schema.py``'s ``index_record`` / ``index_params``, and the search
    parameters of ``milvus_reader.py``."""

    kind: str
    build: dict
    rescore: int  # hits asked per wanted hit, then re-scored with the exact vectors (1: none)
    nlist: int = 0

    @classmethod
    def of(cls, kind: str, passages: int, settings: VectorIndexSettings = VectorIndexSettings()) -> MilvusIndex:
        from index.store.milvus import schema as milvus_schema

        wanted = replace(settings, type="hnsw" if kind == "HNSW" else "ivfpq")
        record = milvus_schema.index_record(wanted, passages, server=False)
        name, build = milvus_schema.index_params(record)
        return cls(name, build, 1 if name == "HNSW" else settings.pq_rescore, record.get("nlist", 0))

    def search_params(self, wide: int, settings: VectorIndexSettings = VectorIndexSettings()) -> dict:
        if self.kind == "HNSW":
            return {"metric_type": "IP", "params": {"ef": max(settings.hnsw_ef_search, wide)}}
        return {"metric_type": "IP", "params": {"nprobe": min(settings.ivf_nprobe, self.nlist)}}

    def label(self, settings: VectorIndexSettings = VectorIndexSettings()) -> str:
        build = ",".join(f"{name}={value}" for name, value in self.build.items())
        if self.kind == "HNSW":
            return f"{build},ef={settings.hnsw_ef_search}"
        return f"{build},nprobe={min(settings.ivf_nprobe, self.nlist)},rescore={self.rescore}"


@dataclass
class Row:
    k: int
    store: str
    index: str
    build: float
    disk: int
    p50: float
    p95: float
    recall: float
    f_p50: float = float("nan")
    f_p95: float = float("nan")
    f_recall: float = float("nan")
    note: str = ""


def measured(r: Row) -> None:
    log(f"{r.store} k={r.k}: p50 {r.p50 * 1000:.2f} ms, p95 {r.p95 * 1000:.2f} ms, R@10 {r.recall:.3f}; filtered p50 "
        f"{r.f_p50 * 1000:.2f} ms, R@10 {r.f_recall:.3f}; build {r.build:.1f}s, disk {r.disk / 2**20:.0f} MB")


def log(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", flush=True)


def metadata(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(language, published_at) per passage: 40% "ar", dates uniform over 2024-2025."""
    rng = np.random.default_rng(seed + 1)
    language = np.where(rng.random(n) < 0.4, "ar", "en")
    start = np.datetime64("2024-01-01T00:00:00")
    seconds = rng.integers(0, 731 * 86400, n)
    published = (start + seconds.astype("timedelta64[s]")).astype(str)
    return language, published


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(search, queries: np.ndarray) -> tuple[float, float, np.ndarray]:
    """p50 and p95 seconds of one query at a time (after WARM warm-up queries), and the top 10 ids found."""
    for q in queries[:WARM]:
        search(q)
    times, found = [], []
    for q in queries:
        t = time.perf_counter()
        ids = search(q)
        times.append(time.perf_counter() - t)
        found.append(np.pad(np.asarray(ids, dtype=np.int64)[:TOP], (0, max(0, TOP - len(ids))), constant_values=-1))
    return statistics.median(times), float(np.percentile(times, 95)), np.stack(found)


def truth(data: np.ndarray, queries: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-10 ids per query, over all passages and over the allowed ones (FAISS flat, batches)."""
    import faiss

    flat = faiss.IndexFlatIP(DIM)
    step = 100_000
    for start in range(0, len(data), step):
        flat.add(data[start : start + step])
    _, plain = flat.search(queries, TOP)
    params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
    _, filtered = flat.search(queries, TOP, params=params)
    return plain, filtered


def run_faiss(data: np.ndarray, queries: np.ndarray, allowed: np.ndarray, exact_ids, ks: list[int], tmp: Path) -> list[Row]:
    import faiss

    folder = tmp / "faiss"
    folder.mkdir()
    settings = VectorIndexSettings(type="ivfpq")
    log(f"faiss: exact store (IndexIDMap2(IndexFlatIP)) of {len(data):,} vectors")
    t = time.perf_counter()
    exact = faiss.IndexIDMap2(faiss.IndexFlatIP(DIM))
    step = 100_000
    for start in range(0, len(data), step):
        exact.add_with_ids(data[start : start + step], np.arange(start, min(start + step, len(data)), dtype=np.int64))
    faiss.write_index(exact, str(folder / "vectors.faiss"))
    flat_build = time.perf_counter() - t
    log(f"faiss: exact store built and written in {flat_build:.1f}s; deriving IVF-PQ with rawi's ann.derive")
    t = time.perf_counter()
    none = np.zeros(0, dtype=np.int64)
    index, record = ann.derive(settings, exact, (None, dict(ann.FLAT)), none, none, np.zeros((0, DIM), np.float32))
    if index is None:
        raise SystemExit(f"IVF-PQ stays flat at {len(data):,} passages (fewer than it trains on); use more --passages")
    faiss.write_index(index, str(folder / "ann.faiss"))
    ivf_build = time.perf_counter() - t
    log(f"faiss: IVF-PQ {record} built and written in {ivf_build:.1f}s")
    flat_disk = (folder / "vectors.faiss").stat().st_size
    ann_disk = (folder / "ann.faiss").stat().st_size

    saved = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    plain, filtered = exact_ids
    rows = []
    flat_shim = SimpleNamespace(vectors=exact, ann=None, manifest=SimpleNamespace(index=dict(ann.FLAT)))
    ivf_shim = SimpleNamespace(vectors=exact, ann=index, manifest=SimpleNamespace(index=record))
    sides = [
        ("flat", "exact", flat_build, flat_disk, lambda q, k: exact.search(q[None, :], k)[1][0], flat_shim),
        (
            "ivfpq",
            f"nlist={record['nlist']},pq{record['pq_m']},nprobe={settings.ivf_nprobe},rescore={settings.pq_rescore}",
            flat_build + ivf_build,
            flat_disk + ann_disk,
            lambda q, k: ann.search(index, record, exact, q[None, :], k, settings)[1][0],
            ivf_shim,
        ),
    ]
    for k in ks:
        for kind, label, build, disk, search, shim in sides:
            log(f"faiss {kind}, k={k}: {len(queries)} queries, then {len(queries)} filtered ({FILTER})")
            p50, p95, found = timed(lambda q: search(q, k), queries)
            f_p50, f_p95, f_found = timed(lambda q: restrict.search(shim, q[None, :], k, settings, allowed)[1][0], queries)
            rows.append(Row(
                k, f"faiss {kind}", label, build, disk, p50, p95, recall(found, plain), f_p50, f_p95, recall(f_found, filtered),
            ))
            measured(rows[-1])
            if kind == "ivfpq":  # the selector restrict.py used before its bitmap, in the same run
                b_p50, b_p95, b_found = timed(lambda q: batch_selector_search(shim, q[None, :], k, settings, allowed), queries)
                rows.append(Row(
                    k, "faiss ivfpq", label + ",IDSelectorBatch", build, disk, p50, p95, recall(found, plain),
                    b_p50, b_p95, recall(b_found, filtered),
                ))
                measured(rows[-1])
    faiss.omp_set_num_threads(saved)
    log(f"faiss: resident {rss_mb():.0f} MB")
    return rows


def batch_selector_search(shim, queries: np.ndarray, k: int, settings, allowed: np.ndarray) -> np.ndarray:
    """Filtered IVF-PQ search as restrict.py did it before its bitmap (commit eb230bd): the
    allowed ids sorted (np.unique) into an IDSelectorBatch, for every question."""
    import faiss

    selector = faiss.IDSelectorBatch(np.ascontiguousarray(np.unique(allowed)))
    wide = min(k * settings.pq_rescore, shim.ann.ntotal)
    params = faiss.SearchParametersIVF(sel=selector, nprobe=settings.ivf_nprobe)
    _, candidates = shim.ann.search(queries, wide, params=params)
    return ann.rescore(shim.vectors, queries, candidates, k)[1][0]


def run_milvus(
    data: np.ndarray, language: np.ndarray, published: np.ndarray, queries: np.ndarray, exact_ids, ks: list[int],
    kinds: list[str], batch: int, tmp: Path,
) -> tuple[list[Row], dict]:
    import faiss
    from pymilvus import DataType, MilvusClient, MilvusException

    path = tmp / "milvus.db"
    client = MilvusClient(str(path))
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIM)
    schema.add_field("published_at", DataType.VARCHAR, max_length=32)
    schema.add_field("language", DataType.VARCHAR, max_length=8)
    client.create_collection(COLLECTION, schema=schema, consistency_level="Strong")

    n = len(data)
    log(f"milvus: inserting {n:,} rows in batches of {batch:,}")
    t = time.perf_counter()
    last = t
    for start in range(0, n, batch):
        stop = min(start + batch, n)
        client.insert(COLLECTION, [
            {"id": i, "vector": data[i], "published_at": str(published[i]), "language": str(language[i])}
            for i in range(start, stop)
        ])
        if time.perf_counter() - last > 30:
            last = time.perf_counter()
            log(f"milvus: {stop:,} rows inserted ({stop / (last - t):,.0f} rows/s)")
    client.flush(COLLECTION)
    insert = time.perf_counter() - t
    segments = len(list(path.rglob("data_*.parquet")))
    info = {"insert": insert, "segments": segments, "data_disk": du(path)}
    log(f"milvus: inserted and flushed in {insert:.1f}s ({n / insert:,.0f} rows/s), {segments} segment(s), {du(path) / 2**20:.0f} MB")

    plain, filtered = exact_ids
    rows = []
    for kind in kinds:
        spec = MilvusIndex.of(kind, n)
        index_params = client.prepare_index_params()
        index_params.add_index(field_name="vector", index_type=kind, metric_type="IP", params=spec.build)
        log(f"milvus {kind}: create_index {spec.build} + load_collection (builds one index per segment)")
        client.release_collection(COLLECTION)
        t = time.perf_counter()
        try:
            client.create_index(COLLECTION, index_params, sync=False)  # as the backend: load_collection waits
        except MilvusException as error:
            # Milvus Lite builds every segment's index inside this one call when the collection had no
            # index; on a long build pymilvus's channel gets GOAWAY (too_many_pings) and retries the call,
            # which then finds the index it has just built.
            if "already exists" not in str(error):
                raise
            log(f"milvus {kind}: create_index was retried by pymilvus after {time.perf_counter() - t:.0f}s ({error})")
        client.load_collection(COLLECTION)
        built = time.perf_counter() - t
        disk = du(path)
        log(f"milvus {kind}: index built in {built:.1f}s; folder {disk / 2**20:.0f} MB; resident {rss_mb():.0f} MB")

        def search(q, k, expr=""):
            wide = k * spec.rescore
            hits = client.search(
                COLLECTION, data=[q.tolist()], anns_field="vector", limit=wide, filter=expr, output_fields=["id"],
                search_params=spec.search_params(wide),
            )
            ids = [int(h["id"]) for h in hits[0]]
            if wide > k and ids:  # SQ8 codes: the candidates re-scored with the exact vectors read back from Milvus
                got = {int(r["id"]): r["vector"] for r in client.get(COLLECTION, ids=ids, output_fields=["id", "vector"])}
                scores = np.stack([np.asarray(got[i], dtype=np.float32) for i in ids]) @ q
                ids = [ids[i] for i in np.argsort(-scores, kind="stable")[:k]]
            return ids

        saved = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        label = spec.label()
        for k in ks:
            log(f"milvus {kind}, k={k}: {len(queries)} queries, then {len(queries)} filtered")
            p50, p95, found = timed(lambda q: search(q, k), queries)
            f_p50, f_p95, f_found = timed(lambda q: search(q, k, FILTER), queries)
            rows.append(Row(
                k, f"milvus-lite {kind}", label, insert + built, disk, p50, p95, recall(found, plain), f_p50, f_p95,
                recall(f_found, filtered), note=f"insert {insert:.0f}s + index {built:.0f}s",
            ))
            measured(rows[-1])
        faiss.omp_set_num_threads(saved)
        client.release_collection(COLLECTION)
        client.drop_index(COLLECTION, "vector")
    client.close()
    return rows, info


def table(rows: list[Row], n: int, queries: int) -> None:
    print(f"\n{n:,} passages, {queries} queries, one query at a time (FAISS on 1 thread); filter: {FILTER}")
    print(f"{'k':>3} {'store':20}{'build s':>9}{'disk MB':>9}{'p50 ms':>9}{'p95 ms':>9}{'R@10':>7}"
          f"{'filt p50':>10}{'filt p95':>10}{'filt R@10':>10}  parameters")
    for r in sorted(rows, key=lambda r: r.k):
        print(f"{r.k:>3} {r.store:20}{r.build:>9.1f}{r.disk / 2**20:>9.0f}{r.p50 * 1000:>9.2f}{r.p95 * 1000:>9.2f}{r.recall:>7.3f}"
              f"{r.f_p50 * 1000:>10.2f}{r.f_p95 * 1000:>10.2f}{r.f_recall:>10.3f}  {r.index}"
              + (f" ({r.note})" if r.note else ""))
    ks = sorted({r.k for r in rows})
    if not any(r.store == "faiss ivfpq" for r in rows) or not any(r.store.startswith("milvus") for r in rows):
        return
    print("\nMilvus Lite / FAISS IVF-PQ (same run; recall as a difference)")
    print(f"{'k':>3} {'store':20}{'build':>9}{'disk':>9}{'p50':>9}{'p95':>9}{'R@10 +/-':>9}{'filt p50':>10}{'filt R@10 +/-':>14}")
    for k in ks:
        base = next(r for r in rows if r.store == "faiss ivfpq" and r.k == k)
        for r in [r for r in rows if r.store.startswith("milvus") and r.k == k]:
            print(f"{k:>3} {r.store:20}{r.build / base.build:>8.1f}x{r.disk / base.disk:>8.1f}x{r.p50 / base.p50:>8.0f}x"
                  f"{r.p95 / base.p95:>8.0f}x{r.recall - base.recall:>+9.3f}{r.f_p50 / base.f_p50:>9.0f}x"
                  f"{r.f_recall - base.f_recall:>+14.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--k", default="10", help="hits asked of each store, comma-separated (rawi's retrieval asks 50); "
                        "recall is of the top 10 returned")
    parser.add_argument("--noise", type=float, default=1.0, help="spread of passages around their topic (as bench_scale)")
    parser.add_argument("--only", choices=["faiss", "milvus"], help="one side only (no ratios)")
    parser.add_argument("--milvus-index", default="HNSW,IVF_SQ8", help="Milvus index types: HNSW (rawi's hnsw), IVF_SQ8 (ivfpq)")
    parser.add_argument("--batch", type=int, default=5000, help="rows per Milvus insert")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it (default: a temporary folder)")
    args = parser.parse_args()
    kinds = [k for k in args.milvus_index.split(",") if k]
    ks = [int(k) for k in args.k.split(",") if k]
    if not ks or min(ks) < 10:
        parser.error("--k values must be at least 10 (recall@10)")
    unknown = set(kinds) - set(MILVUS_INDEXES)
    if unknown:
        parser.error(f"unknown --milvus-index {sorted(unknown)}; known: {sorted(MILVUS_INDEXES)}")

    import faiss
    import milvus_lite
    import pymilvus

    started = time.perf_counter()
    print(f"faiss {faiss.__version__}, milvus-lite {milvus_lite.__version__}, pymilvus {pymilvus.__version__}; "
          f"{os.cpu_count()} cores, {faiss.omp_get_max_threads()} FAISS build thread(s)", flush=True)
    log(f"making {args.passages:,} synthetic passages of {DIM} (seed {args.seed}) and {args.queries} queries")
    data, queries = synthetic(args.passages, args.queries, args.noise, args.seed)
    language, published = metadata(args.passages, args.seed)
    allowed = np.flatnonzero((language == "ar") & (published >= SINCE)).astype(np.int64)
    log(f"filter {FILTER}: {len(allowed):,} passages ({len(allowed) / args.passages:.1%})")
    log("exact top-10 (FAISS flat, all queries in one batch)")
    exact_ids = truth(data, queries, allowed)

    tmp = args.keep or Path(tempfile.mkdtemp(prefix="rawi-bench-milvus-"))
    tmp.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    info: dict = {}
    try:
        if args.only != "milvus":
            rows += run_faiss(data, queries, allowed, exact_ids, ks, tmp)
        if args.only != "faiss":
            milvus_rows, info = run_milvus(data, language, published, queries, exact_ids, ks, kinds, args.batch, tmp)
            rows += milvus_rows
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    table(rows, args.passages, args.queries)
    if info:
        print(f"\nMilvus Lite: insert + flush {info['insert']:.1f}s ({args.passages / info['insert']:,.0f} rows/s), "
              f"{info['segments']} segment(s), {info['data_disk'] / 2**20:.0f} MB before any index")
    print(f"peak resident {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; "
          f"{time.perf_counter() - started:.0f}s in all")


if __name__ == "__main__":
    main()
