"""What only the Milvus backend has, on a real Milvus Lite file in tmp_path: its collections,
aliases and indexes, its damage, and a writer that never publishes (nothing for readers). The
contract's tests, run on both backends, are test_store_contract.py; ``write`` plays the build
step through the Writer only."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from index import duplicates
from index.settings import VectorIndexSettings
from index.store.contract import IndexDamaged, IndexMismatch
from index.store.manifest import Manifest
from index.store.milvus import schema as milvus_schema
from tests.milvus_helpers import ARTICLES, Counting, backend_for, write
from tests.store_helpers import with_articles


@pytest.fixture
def built(tmp_path, stand_in_encoder):
    return with_articles(backend_for(tmp_path), stand_in_encoder)


def by_text(reader, ids):
    rows = reader.chunks(ids)
    return [rows[i].text for i in ids]


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


def test_sources_come_sorted(built):
    backend, _ = built
    assert backend.open_reader().sources() == sorted(s for s, *_ in ARTICLES.values())


def test_a_missing_collection_is_refused(built, tmp_path):
    backend, _ = built
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
