"""The Milvus backend against the store contract, on a real Milvus Lite file in tmp_path.

A small driver (``write``) plays the build step through the Writer only, so these tests hold
the backend to the contract itself: what a reader gets back, what a writer re-embeds, what a
writer that never publishes leaves for readers (nothing)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from index import duplicates
from index.filters import ArticleFilter
from index.sentences import sentences
from index.settings import VectorIndexSettings
from index.store.contract import IndexDamaged, IndexMismatch, NoIndex
from index.store.manifest import Manifest
from index.store.milvus import MilvusBackend
from index.store.milvus import schema as milvus_schema
from tests.milvus_helpers import ARTICLES, Counting, backend_for, write


@pytest.fixture
def built(tmp_path, stand_in_encoder):
    backend = backend_for(tmp_path)
    encoder = Counting(stand_in_encoder)
    write(backend, encoder, ARTICLES)
    return backend, encoder


@pytest.fixture(scope="module")
def shared(tmp_path_factory, stand_in_encoder):
    """One store of ARTICLES for the tests that only read it."""
    backend = backend_for(tmp_path_factory.mktemp("milvus"))
    encoder = Counting(stand_in_encoder)
    write(backend, encoder, ARTICLES)
    return backend, encoder


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
    assert reader.sources() == sorted(s for s, *_ in ARTICLES.values())
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


def test_copy_groups_are_computed_in_memory_like_the_sql_rule(built):
    backend, encoder = built
    source, published, language, text = ARTICLES["reuters/port.txt"]
    copy = {"copies/port.txt": ("Copy Times", "2025-06-05", language, text.replace("Officials", "Port officials"))}
    write(backend, encoder, copy)
    reader = backend.open_reader()
    assert reader.copy_groups() == 1
    members = reader.group_members(["reuters/port.txt"])["reuters/port.txt"]
    assert [m.id for m in members] == ["reuters/port.txt", "copies/port.txt"]  # earliest published first
    assert reader.article_meta(["copies/port.txt"])["copies/port.txt"].group_id == "reuters/port.txt"


def test_group_rule_matches_duplicates_regroup():
    sigs = {"a": np.arange(128, dtype=np.uint64), "b": np.arange(128, dtype=np.uint64), "c": np.arange(128, 256, dtype=np.uint64)}
    sigs["d"] = sigs["a"].copy()
    sigs["d"][:64] += 1000  # half equal: similarity 0.5 >= THRESHOLD
    sigs["e"] = sigs["a"].copy()  # as similar, but it states another figure: not a copy
    texts = {"e": "About 12,000 containers were held up."}
    groups = duplicates.group(sigs, {"a": "2025-02-01", "b": "", "c": "2025-01-01", "d": "2025-01-15", "e": "2025-01-01"},
                              lambda i: texts.get(i, "About 1,200 containers were held up."))
    assert groups == {"a": "d", "b": "d", "d": "d"}


def test_a_writer_that_never_publishes_changes_nothing_and_prune_drops_it(built, stand_in_encoder):
    backend, encoder = built
    before = backend.generation()
    reader = backend.open_reader()
    writer = backend.writer(reader, 384)
    writer.add([], [], [], {})
    writer.finish(Manifest(encoder=encoder.name, dimension=384, chunking={}, versions={}, built_at=0.0,
                           articles=0, chunks=0, next_chunk_id=reader.manifest.next_chunk_id))
    assert backend.generation() == before
    names = backend.client.list_collections()
    assert any(writer.generation in n for n in names)
    backend.prune()
    assert not any(writer.generation in n for n in backend.client.list_collections())
    assert backend.open_reader().manifest.articles == 4


def test_prune_keeps_the_current_and_the_one_before(built):
    backend, encoder = built
    first = backend.generation()
    for n in range(2):
        write(backend, encoder, {f"new/{n}.txt": ("X", "", "en", f"Headline {n}\n\nA new article number {n}.")})
    backend.prune()
    generations = {milvus_schema.parse_collection("rawi", c)[0] for c in backend.client.list_collections()
                   if milvus_schema.parse_collection("rawi", c)}
    assert first not in generations and backend.generation() in generations and len(generations) == 2


def test_missing_index_says_how_to_make_one(tmp_path):
    with pytest.raises(NoIndex, match="run `rawi index`"):
        backend_for(tmp_path).open_reader()


def test_missing_collection_and_another_encoder_are_refused(built, tmp_path):
    backend, _ = built
    other = MilvusBackend(replace(backend.settings), "another-encoder")
    with pytest.raises(IndexMismatch, match="encoder"):
        other.open_reader()
    backend.client.drop_collection(milvus_schema.collection("rawi", backend.generation(), "sentences"))
    with pytest.raises(IndexDamaged, match="no sentences collection.*rebuild"):
        backend.open_reader()


def test_hnsw_and_ivf_settings_map_to_milvus_indexes(tmp_path, stand_in_encoder):
    backend = backend_for(tmp_path, vectors=VectorIndexSettings(type="hnsw", hnsw_m=16))
    write(backend, Counting(stand_in_encoder), ARTICLES)
    reader = backend.open_reader()
    assert reader.manifest.index == {"type": "hnsw", "milvus": "HNSW", "m": 16, "ef_construction": 80}
    query = stand_in_encoder.encode_queries(["storm warning"])[0]
    assert "storm" in by_text(reader, reader.search(query, 1))[0].lower()
    assert backend.up_to_date(reader)
    assert not backend_for(tmp_path).up_to_date(reader)  # flat configured now: a new generation is needed
    assert milvus_schema.index_record(VectorIndexSettings(type="ivfpq"), 100, server=True)["type"] == "flat"
    assert milvus_schema.index_record(VectorIndexSettings(type="ivfpq"), 50_000, server=True)["milvus"] == "IVF_PQ"
    assert milvus_schema.index_record(VectorIndexSettings(type="ivfpq"), 50_000, server=False)["milvus"] == "IVF_SQ8"


def test_long_texts_are_stored_in_parts():
    text = "ب" * 70_000 + "x"
    parts = milvus_schema.parts(text)
    assert "".join(parts) == text and all(len(p.encode()) <= milvus_schema.PART_BYTES for p in parts)


def test_a_bad_store_name_is_one_line(tmp_path):
    with pytest.raises(IndexMismatch, match="letters, digits"):
        backend_for(tmp_path, name="my-index")


def test_damage_is_refused_in_one_line_with_the_way_out(built):
    backend, encoder = built
    generation = backend.generation()
    client = backend.client
    client.delete(milvus_schema.collection("rawi", generation, "passages"), ids=[0])
    with pytest.raises(IndexDamaged, match=r"passages 7.*the manifest says passages 8.*rebuild it with `rawi index --rebuild`"):
        backend.open_reader()
    client.delete(milvus_schema.collection("rawi", generation, "meta"), filter='id like "manifest%"')
    with pytest.raises(IndexDamaged, match="no manifest"):
        backend.open_reader()
    client.alter_alias(milvus_schema.collection("rawi", generation, "articles"), "rawi")
    with pytest.raises(IndexDamaged, match="its alias names"):
        backend.generation()
    backend.prune()  # leaves a damaged index as it is for the user
    assert any(generation in c for c in client.list_collections())
    # a rebuild (no previous generation) publishes a whole one over it
    writer = backend.writer(None, 384)
    writer.add([], [], [], {})
    writer.finish(Manifest(encoder=encoder.name, dimension=384, chunking={}, versions={}, built_at=0.0,
                           articles=0, chunks=0, next_chunk_id=0))
    assert writer.publish() == backend.generation() and backend.open_reader().manifest.articles == 0


def test_ivf_lists_are_sized_for_a_milvus_lite_segment_not_the_whole_corpus():
    """Milvus trains IVF per segment; Lite's hold 100,000 rows: 4,000 lists for 1M passages
    would be trained on ~21 rows each."""
    from index.store.vector_kinds import auto_nlist

    ivf = VectorIndexSettings(type="ivfpq")
    lite = milvus_schema.index_record(ivf, 1_000_000, server=False)
    assert (lite["milvus"], lite["nlist"]) == ("IVF_SQ8", auto_nlist(milvus_schema.LITE_SEGMENT_ROWS))
    assert milvus_schema.index_record(ivf, 1_000_000, server=True)["nlist"] == auto_nlist(1_000_000)
    assert milvus_schema.index_record(replace(ivf, ivf_nlist=64), 1_000_000, server=False)["nlist"] == 64  # as asked


def test_an_index_created_by_a_retried_call_is_taken_as_created(tmp_path):
    """A long create_index can outlast the connection; pymilvus retries it and the server says the
    index exists. The collection is indexed and loaded all the same."""
    from pymilvus import DataType, MilvusClient

    client = MilvusClient(str(tmp_path / "retry.db"))
    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=4)
    client.create_collection("passages", schema=schema)
    client.insert("passages", [{"id": i, "vector": [float(i), 1.0, 0.0, 0.0]} for i in range(10)])
    client.flush("passages")
    flat = [("vector", "FLAT", "IP", {})]
    milvus_schema._index(client, "passages", flat)  # the first attempt, whose answer was lost
    milvus_schema._index(client, "passages", flat)  # the retry: "index already exists"
    found = client.search("passages", [[1.0, 1.0, 0.0, 0.0]], limit=2)
    assert [hit["id"] for hit in found[0]] == [9, 8]
    client.close()


def test_sources_undated_articles_and_the_newest_day_up_to_a_bound(tmp_path, stand_in_encoder):
    """`rawi sources`, `rawi index`'s undated list and "today" bounded by the clock, on Milvus,
    built by the real Builder from real files (tests/test_dates_sources.py's corpus)."""
    from index.build import Builder
    from tests.conftest import make_settings
    from tests.test_dates_sources import write_corpus

    write_corpus(tmp_path / "corpus")
    backend = backend_for(tmp_path)
    stats = Builder(make_settings(tmp_path / "corpus", tmp_path / "index"), stand_in_encoder, backend=backend).run()
    assert [u.article for u in stats.undated] == ["hugo.md", "vague.md", "zero.md"]
    reader = backend.open_reader()
    assert reader.undated() == [(u.article, u.published) for u in stats.undated]
    assert reader.newest_published() == "2031-01-05"
    assert reader.newest_published("2026-11-28T99") == "2026-11-26"  # read from the articles
    assert reader.newest_published("2000-01-01T99") == ""
    found = {s.source: s for s in reader.source_stats()}
    assert (found["USA Today"].articles, found["USA Today"].first, found["USA Today"].last) == (1, "2026-11-26", "2026-11-26")
    assert (found["Blog"].articles, found["Blog"].undated, found["Blog"].first) == (3, 3, "")
