"""The local index on disk, built by the Builder: round trip, incremental updates, verification of
what is loaded (the contract's tests, on both backends: test_store_contract.py).

Only the round trip needs meaning (the real encoder); the rest build with the stand-in."""

import json
import shutil

import numpy as np
import pytest

from index import store
from index.store import local as local_store
from index.build import Builder, BuildError
from index.sentences import all_sentence_ids, sentence_ids, sentence_spans
from tests.conftest import SEEDS

EXTRA = "Forecasters warned that a storm will reach the eastern coast on Friday night.\n\nSchools will close."


@pytest.fixture
def built(corpus_settings, stand_in_encoder):
    shutil.copy(next(SEEDS.glob("*.txt")), corpus_settings.corpus_dir)
    stats = Builder(corpus_settings, stand_in_encoder).run()
    return corpus_settings, stats


def test_round_trip_rows_vectors_and_manifest(corpus_settings, encoder):
    """With the real encoder: the stored vectors answer a question across languages."""
    shutil.copy(next(SEEDS.glob("*.txt")), corpus_settings.corpus_dir)
    settings, stats = corpus_settings, Builder(corpus_settings, encoder).run()
    snap = local_store.open_snapshot(settings.index_dir, encoder.name)
    assert snap.manifest.encoder == encoder.name and snap.manifest.dimension == 384
    assert snap.manifest.chunking == {"max_tokens": 200, "overlap_tokens": 32}
    assert snap.manifest.versions["faiss-cpu"]
    assert snap.vectors.ntotal == stats.chunks == snap.manifest.chunks
    rows = snap.chunks(list(range(stats.chunks)))
    article = snap.article("000_7bfe1c75e114bc62.txt")
    for row in rows.values():
        assert article.text[row.start : row.end] == row.text
    query = encoder.encode_queries(["How many containers did the DPRK send?"])
    scores, ids = snap.search_vectors(query, 3)
    assert "20 ألف حاوية" in rows[int(ids[0][0])].text
    stored = snap.vectors.reconstruct(int(ids[0][0]))
    assert np.isclose(float(stored @ query[0]), float(scores[0][0]), atol=1e-5)


def test_sentence_counts_come_from_the_stored_ids_and_match_the_split_text(built, stand_in_encoder):
    settings, _ = built
    (settings.corpus_dir / "extra.txt").write_text(EXTRA, encoding="utf-8")
    Builder(settings, stand_in_encoder).run()
    snap = local_store.open_snapshot(settings.index_dir, stand_in_encoder.name)
    rows = snap.chunks(list(range(snap.manifest.next_chunk_id)))
    ids = np.array(sorted(rows), dtype=np.int64)
    counts = snap.sentence_counts(ids)
    assert counts.tolist() == [len(sentence_spans(rows[int(i)].text)) for i in ids]
    assert counts.sum() == snap.sentences.ntotal
    unknown = np.array([-1, snap.manifest.next_chunk_id, 10**9], dtype=np.int64)
    assert snap.sentence_counts(unknown).tolist() == [0, 0, 0]


def test_index_directory_is_private(built):
    settings, _ = built
    assert settings.index_dir.stat().st_mode & 0o077 == 0


def test_second_run_with_no_change_embeds_nothing_and_publishes_nothing(built, stand_in_encoder):
    settings, _ = built
    before = (settings.index_dir / local_store.CURRENT).read_text()
    stats = Builder(settings, stand_in_encoder).run()
    assert (stats.added, stats.updated, stats.removed, stats.unchanged, stats.chunks_embedded) == (0, 0, 0, 1, 0)
    assert (settings.index_dir / local_store.CURRENT).read_text() == before


def test_add_change_remove_embed_only_what_changed(built, stand_in_encoder):
    settings, first = built
    (settings.corpus_dir / "storm.txt").write_text("Storm warning\n\n" + EXTRA, encoding="utf-8")
    added = Builder(settings, stand_in_encoder).run()
    assert (added.added, added.unchanged, added.articles) == (1, 1, 2)
    assert 0 < added.chunks_embedded <= 2
    (settings.corpus_dir / "storm.txt").write_text("Storm warning\n\n" + EXTRA + "\n\nTrains will run late.", encoding="utf-8")
    updated = Builder(settings, stand_in_encoder).run()
    assert (updated.updated, updated.unchanged) == (1, 1)
    (settings.corpus_dir / "storm.txt").unlink()
    removed = Builder(settings, stand_in_encoder).run()
    assert (removed.removed, removed.articles, removed.chunks) == (1, 1, first.chunks)
    snap = local_store.open_snapshot(settings.index_dir, stand_in_encoder.name)
    assert snap.vectors.ntotal == first.chunks and snap.article("storm.txt") is None


def test_a_copy_of_an_article_reuses_its_vectors(built, stand_in_encoder):
    settings, first = built
    shutil.copy(next(SEEDS.glob("*.txt")), settings.corpus_dir / "syndicated-copy.txt")
    stats = Builder(settings, stand_in_encoder).run()
    assert stats.added == 1 and stats.chunks_embedded == 0 and stats.chunks == 2 * first.chunks


@pytest.mark.parametrize("damage", ["truncate", "flip", "drop-row-file", "manifest-count"])
def test_damaged_files_are_refused_with_the_way_out(built, stand_in_encoder, damage):
    settings, _ = built
    generation = local_store.current_generation(settings.index_dir)
    vectors = generation / local_store.VECTORS
    if damage == "truncate":
        vectors.write_bytes(vectors.read_bytes()[:-100])
    elif damage == "flip":
        data = bytearray(vectors.read_bytes())
        data[len(data) // 2] ^= 0xFF  # FAISS itself would load this without complaint
        vectors.write_bytes(bytes(data))
    elif damage == "drop-row-file":
        (generation / local_store.ROWS).unlink()
    else:
        manifest = json.loads((generation / local_store.MANIFEST).read_text())
        manifest["chunks"] += 1
        (generation / local_store.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(store.IndexDamaged, match="rawi index --rebuild"):
        local_store.open_snapshot(settings.index_dir, stand_in_encoder.name)
    with pytest.raises(BuildError, match="--rebuild"):
        Builder(settings, stand_in_encoder).run()
    assert Builder(settings, stand_in_encoder).run(rebuild=True).articles == 1
    local_store.open_snapshot(settings.index_dir, stand_in_encoder.name)


def test_empty_corpus_is_an_error_and_leaves_the_index_alone(built, stand_in_encoder):
    settings, _ = built
    before = (settings.index_dir / local_store.CURRENT).read_text()
    for path in settings.corpus_dir.iterdir():
        path.unlink()
    with pytest.raises(BuildError, match="no articles"):
        Builder(settings, stand_in_encoder).run()
    assert (settings.index_dir / local_store.CURRENT).read_text() == before


def test_old_generations_are_pruned(built, stand_in_encoder):
    settings, _ = built
    for n in range(3):
        (settings.corpus_dir / f"n{n}.txt").write_text(f"Note {n}\n\n" + EXTRA, encoding="utf-8")
        Builder(settings, stand_in_encoder).run()
    names = [p.name for p in (settings.index_dir / local_store.GENERATIONS).iterdir()]
    assert len(names) == 2 and local_store.current_generation(settings.index_dir).name in names


@pytest.mark.parametrize("counts", [[], [0], [3, 0, 2], [64, 1, 0, 64]])
def test_sentence_ids_of_many_passages_are_each_passages_ids_in_turn(counts):
    chunk_ids = np.arange(len(counts), dtype=np.int64) * 7 + 1
    counts = np.array(counts, dtype=np.int64)
    expected = [i for c, n in zip(chunk_ids, counts) for i in sentence_ids(int(c), int(n)).tolist()]
    assert all_sentence_ids(chunk_ids, counts).tolist() == expected
    assert len(set(expected)) == len(expected)
