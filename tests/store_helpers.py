"""A store backend driven through the contract alone (``write`` plays the build step through the
Writer), for the contract tests of both backends (test_store_contract.py) and Milvus's own."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

from index import duplicates
from index.languages import LanguageMeans
from index.sentences import sentences
from index.store.contract import ArticleRow, Backend, NewChunk, NoIndex
from index.store.local import GENERATIONS, LocalBackend
from index.store.manifest import Manifest
from index.store.milvus import MilvusBackend
from index.store.milvus import schema as milvus_schema
from index.store.pause import pause_point

ENCODER = "test-stand-in-encoder"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Counting:
    """Wraps an encoder and counts the texts it embeds."""

    def __init__(self, encoder) -> None:
        self.encoder = encoder
        self.name = encoder.name
        self.embedded: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.embedded += texts
        return self.encoder.encode_passages(texts)


ARTICLES = {
    "reuters/port.txt": ("Reuters", "2025-06-02", "en",
                         "Port news\n\nThe port of Nampo shipped 20,000 containers in June. Officials confirmed the figure."),
    "ap/storm.txt": ("AP", "2025-05-01", "en",
                     "Storm warning\n\nForecasters warned that a storm will reach the eastern coast on Friday night."),
    "aljazeera/market.txt": ("Al Jazeera", "", "ar",
                             "أخبار السوق\n\nارتفعت أسعار القمح في الأسواق المحلية هذا الأسبوع بنسبة عشرة بالمئة."),
    "odd/percent.txt": ("100%_News", "2025-07-10", "en",
                        "Percent news\n\nA source whose name has a percent sign and an underscore reported rain."),
}


def write(backend: Backend, encoder: Counting, articles: dict, remove: list[str] = ()) -> str:
    """One build through the Writer: articles (id -> source, published_at, language, text) added
    or replaced, ``remove`` removed; paragraphs are passages."""
    try:
        previous = backend.open_reader()
    except NoIndex:
        previous = None
    writer = backend.writer(previous, 384)
    rows, chunks = [], []
    next_id = writer.next_chunk_id
    for article_id, (source, published_at, language, text) in articles.items():
        rows.append(ArticleRow(article_id, text.split("\n")[0], f"https://x/{article_id}", published_at, source,
                               sha(text), text, time.time(), language, published_at))
        start = 0
        for seq, paragraph in enumerate(text.split("\n\n")):
            start = text.index(paragraph, start)
            chunks.append(NewChunk(next_id, article_id, seq, start, start + len(paragraph), paragraph, sha(paragraph)))
            next_id += 1
            start += len(paragraph)
    reuse = writer.stored_vectors({c.text_sha for c in chunks})
    writer.remove_articles([*remove, *(a for a in articles if previous and a in previous.article_hashes())])
    pause_point("embedding")  # where the build step pauses
    todo = sorted({c.text for c in chunks if c.text_sha not in reuse})
    pieces = sorted({p for t in todo for p in [t, *sentences(t)]})
    vectors = dict(zip(pieces, encoder.encode(pieces))) if pieces else {}
    for text in todo:
        reuse[sha(text)] = (vectors[text], np.stack([vectors[p] for p in sentences(text)]))
    signatures = {a.id: duplicates.signature(a.text) for a in rows}
    writer.add(rows, chunks, [reuse[c.text_sha] for c in chunks], signatures)
    assert writer.next_chunk_id == next_id
    total = sum(len(texts) for texts, _ in writer.all_passages())
    writer.regroup()
    manifest = Manifest(encoder=encoder.name, dimension=384, chunking={}, versions={}, built_at=time.time(),
                        articles=0, chunks=0, next_chunk_id=next_id, languages=LanguageMeans().to_json())
    recorded = writer.finish(manifest)
    assert recorded.chunks == total
    return writer.publish()


def with_articles(backend: Backend, stand_in_encoder) -> tuple[Backend, Counting]:
    """The backend with ARTICLES written, and the counting encoder that embedded them."""
    encoder = Counting(stand_in_encoder)
    write(backend, encoder, ARTICLES)
    return backend, encoder


def local_backend_for(tmp_path: Path, encoder: str | None = ENCODER) -> LocalBackend:
    return LocalBackend(tmp_path / "index", encoder)


def reopened(backend: Backend, encoder: str) -> Backend:
    """The same store, opened for another encoder's name."""
    if isinstance(backend, LocalBackend):
        return LocalBackend(backend.index_dir, encoder, backend.vectors)
    assert isinstance(backend, MilvusBackend)
    return MilvusBackend(backend.settings, encoder)


def generations_of(backend: Backend) -> set[str]:
    """The names of the generations the store holds (published or not)."""
    if isinstance(backend, LocalBackend):
        return {p.name for p in (backend.index_dir / GENERATIONS).iterdir()}
    assert isinstance(backend, MilvusBackend)
    return {p[0] for c in backend.client.list_collections() if (p := milvus_schema.parse_collection("rawi", c))}
