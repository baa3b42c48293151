"""A fresh generation's sentence vectors, streamed to their file (index/store/local/streamed.py),
make the very file FAISS writes for the same vectors held in memory."""

from __future__ import annotations

import faiss
import numpy as np

from index.store.local.streamed import StreamedSentences, empty_index


def test_the_streamed_file_is_faiss_own(tmp_path):
    rng = np.random.default_rng(3)
    batches = [rng.standard_normal((n, 16)).astype(np.float32) for n in (5, 0, 17, 1)]
    ids = [np.arange(n, dtype=np.int64) * 3 + 1000 * k for k, n in enumerate(len(b) for b in batches)]
    held = empty_index(16)
    streamed = StreamedSentences.open(tmp_path / "streamed.faiss", 16)
    assert streamed is not None
    for vectors, numbers in zip(batches, ids):
        if len(vectors):
            held.add_with_ids(vectors, numbers)
        streamed.add_with_ids(vectors, numbers)
    streamed.close()
    faiss.write_index(held, str(tmp_path / "held.faiss"))
    assert streamed.ntotal == held.ntotal == 23
    assert (tmp_path / "streamed.faiss").read_bytes() == (tmp_path / "held.faiss").read_bytes()
    back = faiss.read_index(str(tmp_path / "streamed.faiss"))
    assert np.array_equal(back.reconstruct_batch(ids[2]), held.reconstruct_batch(ids[2]))


def test_nothing_streamed_is_faiss_own_empty_index(tmp_path):
    streamed = StreamedSentences.open(tmp_path / "streamed.faiss", 8)
    assert streamed is not None
    streamed.close()
    faiss.write_index(empty_index(8), str(tmp_path / "held.faiss"))
    assert (tmp_path / "streamed.faiss").read_bytes() == (tmp_path / "held.faiss").read_bytes()
