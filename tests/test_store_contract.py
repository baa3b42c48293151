"""Both store backends against the store contract: the same tests on the local store (FAISS,
SQLite and BM25 files in tmp_path) and on Milvus (a real Milvus Lite file in tmp_path).

A small driver (``write``, tests/store_helpers.py) plays the build step through the Writer only,
so these tests hold each backend to the contract itself: what a reader gets back, what a writer
re-embeds, what is pruned, what a missing or foreign index says. What only one backend has is
tested in test_store.py (local) and test_store_milvus.py."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from index.filters import ArticleFilter
from index.sentences import sentences
from index.store.contract import IndexMismatch, NoIndex
from tests.milvus_helpers import backend_for as milvus_backend_for
from tests.store_helpers import ARTICLES, generations_of, local_backend_for, reopened, with_articles, write

BACKENDS = ["local", "milvus"]


def backend_for(kind: str, tmp_path):
    return milvus_backend_for(tmp_path) if kind == "milvus" else local_backend_for(tmp_path)


@pytest.fixture(params=BACKENDS)
def built(request, tmp_path, stand_in_encoder):
    return with_articles(backend_for(request.param, tmp_path), stand_in_encoder)


@pytest.fixture(scope="module", params=BACKENDS)
def shared(request, tmp_path_factory, stand_in_encoder):
    """One store of ARTICLES per backend for the tests that only read it."""
    return with_articles(backend_for(request.param, tmp_path_factory.mktemp(request.param)), stand_in_encoder)


def by_text(reader, ids):
    rows = reader.chunks(ids)
    return [rows[i].text for i in ids]


def test_round_trip_rows_vectors_and_search(shared, stand_in_encoder):
    backend, _ = shared
    reader = backend.open_reader()
    assert reader.generation == backend.generation()
    assert (reader.manifest.articles, reader.manifest.chunks) == (4, 8)
    query = stand_in_encoder.encode_queries(["how many containers did the port of Nampo ship"])[0]
    ids = reader.search(query, 3)
    assert len(ids) == 3 and "20,000 containers" in by_text(reader, ids[:1])[0]
    rows = reader.chunks(ids)
    row = rows[ids[0]]
    assert (row.article_id, row.title, row.source, row.published) == ("reuters/port.txt", "Port news", "Reuters", "2025-06-02")
    article = reader.article("reuters/port.txt")
    assert article.text[row.start : row.end] == row.text and article.language == "en"
    vectors = reader.passage_vectors([ids[1], ids[0]])
    assert vectors.shape == (2, 384) and np.isclose(float(vectors[1] @ query), float(max(reader.passage_vectors(ids) @ query)))
    counts, sentence_vectors = reader.sentence_vectors([ids[0], ids[1]])
    assert counts.tolist() == [len(sentences(t)) for t in by_text(reader, [ids[0], ids[1]])]
    assert sentence_vectors.shape == (counts.sum(), 384)
    assert reader.article("nope") is None
    assert set(reader.article_hashes()) == set(ARTICLES)
    assert sorted(reader.sources()) == sorted(s for s, *_ in ARTICLES.values())  # in order: Milvus's (test_store_milvus.py)
    assert reader.newest_published() == "2025-07-10"
    assert [a.id for a in reader.newest_articles(2)] == ["odd/percent.txt", "reuters/port.txt"]
    assert reader.article_meta(["ap/storm.txt"])["ap/storm.txt"].text == ""


def test_lexical_search_uses_rawis_stemmed_terms(shared):
    backend, _ = shared
    reader = backend.open_reader()
    hits = reader.lexical_search("Which ports shipped containers?", 5)
    assert hits and by_text(reader, [hits[0][0]])[0].startswith("The port of Nampo")
    assert all(score > 0 for _, score in hits) and [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    arabic = reader.lexical_search("القمح", 5)  # stemmed and folded like the passage
    assert arabic and "القمح" in by_text(reader, [arabic[0][0]])[0]
    assert reader.lexical_search("the of and", 5) == []  # stopwords only: no terms


@pytest.mark.parametrize(("where", "articles"), [
    (ArticleFilter(since=date(2025, 6, 1)), {"reuters/port.txt", "odd/percent.txt"}),
    (ArticleFilter(until=date(2025, 6, 2)), {"reuters/port.txt", "ap/storm.txt"}),
    (ArticleFilter(since=date(2025, 6, 1), until=date(2025, 6, 30)), {"reuters/port.txt"}),
    (ArticleFilter(source="REUT"), {"reuters/port.txt"}),
    (ArticleFilter(source="%_n"), {"odd/percent.txt"}),  # % and _ are text, not wildcards
    (ArticleFilter(source="_"), {"odd/percent.txt"}),
    (ArticleFilter(source="nobody"), set()),
    (ArticleFilter(language="ar"), {"aljazeera/market.txt"}),
    (ArticleFilter(language="en", source="a"), {"ap/storm.txt"}),  # "al jazeera" is Arabic
])
def test_filters_run_inside_both_searches_and_k_come_back(shared, stand_in_encoder, where, articles):
    backend, _ = shared
    reader = backend.open_reader()
    query = stand_in_encoder.encode_queries(["storm containers wheat rain news"])[0]
    ids = reader.search(query, 8, where)
    found = {reader.chunks(ids)[i].article_id for i in ids}
    assert found == articles
    assert len(ids) == 2 * len(articles)  # every passage that passes: k come back when k pass
    assert len(reader.search(query, 1, where)) == min(1, len(articles))
    lexical = reader.lexical_search("news", 8, where)
    assert {reader.chunks([i])[i].article_id for i, _ in lexical} <= articles


def test_incremental_update_embeds_only_changed_articles_and_removes(built):
    backend, encoder = built
    first = backend.generation()
    encoder.embedded.clear()
    source, published, language, text = ARTICLES["ap/storm.txt"]
    changed = {"ap/storm.txt": (source, published, language, text + "\n\nSchools will close on Friday.")}
    write(backend, encoder, changed, remove=["odd/percent.txt"])
    assert encoder.embedded == ["Schools will close on Friday."]  # the unchanged paragraphs' vectors reused
    reader = backend.open_reader()
    assert reader.generation != first and reader.manifest.articles == 3 and reader.manifest.chunks == 7
    assert reader.article("odd/percent.txt") is None
    assert reader.article("ap/storm.txt").text.endswith("Schools will close on Friday.")
    assert "100%_News" not in reader.sources()
    assert {a for a in reader.article_hashes()} == {"reuters/port.txt", "ap/storm.txt", "aljazeera/market.txt"}
    ids = list(range(reader.manifest.next_chunk_id))
    assert sorted(r.article_id for r in reader.chunks(ids).values()).count("ap/storm.txt") == 3


def test_copy_groups_follow_the_one_rule(built):
    """The local store regroups in SQL, Milvus in memory (duplicates.group): the same groups."""
    backend, encoder = built
    source, published, language, text = ARTICLES["reuters/port.txt"]
    copy = {"copies/port.txt": ("Copy Times", "2025-06-05", language, text.replace("Officials", "Port officials"))}
    write(backend, encoder, copy)
    reader = backend.open_reader()
    assert reader.copy_groups() == 1
    members = reader.group_members(["reuters/port.txt"])["reuters/port.txt"]
    assert [m.id for m in members] == ["reuters/port.txt", "copies/port.txt"]  # earliest published first
    assert reader.article_meta(["copies/port.txt"])["copies/port.txt"].group_id == "reuters/port.txt"


def test_prune_keeps_the_current_and_the_one_before(built):
    backend, encoder = built
    first = backend.generation()
    for n in range(2):
        write(backend, encoder, {f"new/{n}.txt": ("X", "", "en", f"Headline {n}\n\nA new article number {n}.")})
    backend.prune()
    generations = generations_of(backend)
    assert first not in generations and backend.generation() in generations and len(generations) == 2


@pytest.mark.parametrize("kind", BACKENDS)
def test_missing_index_says_how_to_make_one(kind, tmp_path):
    with pytest.raises(NoIndex, match="run `rawi index`"):
        backend_for(kind, tmp_path).open_reader()


def test_index_of_another_encoder_is_refused(built):
    backend, _ = built
    with pytest.raises(IndexMismatch, match="built with encoder"):
        reopened(backend, "sentence-transformers/all-MiniLM-L6-v2").open_reader()
