"""What the tests of a build made in parts (batches, worker processes) share: a corpus whose
syndicated copies fall in different batches, an encoder that counts what it embeds, and an
index's whole contents to compare two builds by."""

from __future__ import annotations

import json
import shutil

import faiss
import numpy as np

from index.store import local as local_store
from tests.conftest import SEEDS

COPY = "Reuters copy: the port of Lattakia reopened on Monday after repairs.\n\nShips queued for days."


class Counting:
    """The stand-in encoder, counting every text it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner, self.texts = inner, []
        self.name, self.dimension, self.count_tokens = inner.name, inner.dimension, inner.count_tokens

    @property
    def model(self):
        return self

    def encode_queries(self, texts):
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts, progress=False):
        self.texts += list(texts)
        return self.inner.encode_passages(texts)


def corpus(folder):
    folder.mkdir()
    for path in sorted(SEEDS.glob("*.txt")):
        shutil.copy(path, folder / path.name)
    # Syndicated copies far apart in the corpus's order: the same passages in different batches.
    (folder / "a-copy.txt").write_text(COPY, encoding="utf-8")
    (folder / "z-copy.txt").write_text(COPY, encoding="utf-8")


def assert_same_index(a: dict, b: dict) -> None:
    """Two ``contents`` are the same index: rows, vectors, sentence vectors and language sums."""
    assert a["chunks"] == b["chunks"] and a["articles"] == b["articles"] and a["next"] == b["next"]
    assert np.array_equal(a["vectors"], b["vectors"])
    assert np.array_equal(a["sentence_ids"], b["sentence_ids"]) and np.array_equal(a["sentences"], b["sentences"])
    assert json.dumps(a["languages"]) == json.dumps(b["languages"])


def contents(settings, name):
    snap = local_store.open_snapshot(settings.index_dir, name)
    try:
        chunks = snap.rows.query("SELECT id, article_id, seq, start, end, text, text_sha FROM chunks ORDER BY id")
        articles = snap.rows.query("SELECT id, sha256, language, published_at, group_id FROM articles ORDER BY id")
        ids = np.array([row[0] for row in chunks], dtype=np.int64)
        sentence_ids = np.sort(faiss.vector_to_array(snap.sentences.id_map))
        return {
            "chunks": chunks, "articles": articles, "vectors": snap.passage_vectors(ids),
            "sentence_ids": sentence_ids, "sentences": snap.sentences.reconstruct_batch(sentence_ids),
            "languages": snap.manifest.languages, "next": snap.manifest.next_chunk_id,
        }
    finally:
        snap.close()
