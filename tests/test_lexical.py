"""Behaviour of the BM25 lexical index over Arabic and English passages."""

import time
from pathlib import Path

import pytest

from index.store.local.lexical import LexicalIndex

PASSAGES = {
    101: "أعلنت السلطات أن سفينة الشحن كانت تحمل 20 ألف حاوية ذخيرة عند وصولها إلى الميناء.",
    102: "وصلت إلى الميناء أمس سفينة محملة بالقمح والحاويات الغذائية.",
    103: "قال وزير الدفاع إن الجيش سيعزز قواته على الحدود الشمالية.",
    104: "ارتفع عدد السياح الذين زاروا المدينة هذا العام إلى مليون سائح.",
    205: "The ministry said the ship carried grain containers to the port.",
    206: "Officials counted the containers of ammunition seized on the vessel.",
    207: "Parliament approved the new budget after a long debate.",
}


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    return LexicalIndex.build(list(PASSAGES.values()), list(PASSAGES))


def test_arabic_question_finds_the_passage_with_the_number(index: LexicalIndex) -> None:
    results = index.search("كم عدد حاويات الذخيرة", k=3)
    assert results[0][0] == 101


def test_diacritized_query_matches_plain_text(index: LexicalIndex) -> None:
    assert index.search("وَزِيرُ الدِّفَاعِ", k=1)[0][0] == 103


def test_english_plural_matches_and_ids_are_chunk_ids(index: LexicalIndex) -> None:
    ids = [chunk_id for chunk_id, _ in index.search("ammunition container", k=10)]
    assert ids[0] == 206
    assert set(ids) <= set(PASSAGES)


def test_results_are_best_first_positive_and_capped(index: LexicalIndex) -> None:
    results = index.search("الميناء port containers", k=100)
    scores = [score for _, score in results]
    assert scores == sorted(scores, reverse=True)
    assert all(score > 0 for score in scores)
    assert {101, 102, 205, 206} <= {chunk_id for chunk_id, _ in results}
    assert 207 not in {chunk_id for chunk_id, _ in results}
    assert len(index.search("الميناء port containers", k=2)) == 2


def test_queries_without_known_terms_return_nothing(index: LexicalIndex) -> None:
    assert index.search("", k=5) == []
    assert index.search("ما هو؟ what is it?", k=5) == []
    assert index.search("zebra", k=5) == []
    assert index.search("الميناء", k=0) == []


def test_len(index: LexicalIndex) -> None:
    assert len(index) == len(PASSAGES)


def test_empty_corpus() -> None:
    empty = LexicalIndex.build([], [])
    assert len(empty) == 0
    assert empty.search("الميناء", k=5) == []


def test_corpus_without_terms(tmp_path: Path) -> None:
    blank = LexicalIndex.build(["", "؟!"], [7, 8])
    assert len(blank) == 2
    assert blank.search("anything", k=5) == []
    blank.save(tmp_path)
    assert len(LexicalIndex.load(tmp_path)) == 2


def test_mismatched_ids_are_rejected() -> None:
    with pytest.raises(ValueError):
        LexicalIndex.build(["a text"], [1, 2])


def test_save_load_round_trip(index: LexicalIndex, tmp_path: Path) -> None:
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    assert len(loaded) == len(index)
    for query in ["كم عدد حاويات الذخيرة", "containers port", "وزير الدفاع", "zebra"]:
        assert loaded.search(query, k=5) == index.search(query, k=5)


def test_build_and_search_time_for_10000_texts() -> None:
    words = "ميناء سفينة حاوية ذخيرة وزير جيش مدينة port ship minister army city budget".split()
    texts = [f"{words[i % 13]} {words[(i * 7) % 13]} {i} خبر رقم {i % 97}" for i in range(10_000)]
    start = time.perf_counter()
    index = LexicalIndex.build(texts, list(range(10_000)))
    built = time.perf_counter()
    results = [index.search(query, k=10) for query in ["حاويات الذخيرة", "minister of the army", "42"]]
    searched = time.perf_counter()
    print(f"\nbuild 10,000 texts: {built - start:.3f}s; 3 searches: {searched - built:.4f}s")
    assert all(len(found) == 10 for found in results[:2])


def test_an_index_built_from_arrays_scores_as_bm25s_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """bm25_arrays (term counts from forked workers, first-met numbering) gives every passage the
    score bm25s gives from the token lists themselves, bit for bit (issue 27)."""
    import bm25s
    import numpy as np

    from index.normalize import tokens
    from index.store.local import bm25_arrays

    words = "ميناء سفينة حاوية الذخيرة وزير جيش مدينة port ship minister army city budget containers".split()
    texts = [f"{words[i % 14]} {words[(i * 7) % 14]} {words[(i * 3) % 14]} {i % 31} خبر" for i in range(600)]
    monkeypatch.setattr(bm25_arrays, "MIN_FORKED_TEXTS", 0)
    monkeypatch.setattr(bm25_arrays, "TASK_TEXTS", 50)
    monkeypatch.setattr(bm25_arrays.forked, "usable_cpus", lambda: 2)
    ours = LexicalIndex.build(texts, list(range(len(texts))))
    theirs = bm25s.BM25()
    theirs.index([tokens(t) for t in texts], show_progress=False)
    for query in ["حاويات الذخيرة", "minister of the army", "ship 7", "budget port city"]:
        terms = tokens(query)
        expected = theirs.get_scores(terms)
        found = dict(ours.search(query, k=len(texts)))
        assert np.array_equal(np.array([found.get(i, 0.0) for i in range(len(texts))], dtype=np.float32), expected)


def test_an_index_built_from_a_rows_file_in_workers_is_the_one_built_from_the_texts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The writer's way (issue 27): forked workers each read their range of texts from the
    finished rows.sqlite (``ChunkTexts``), nobody holding them all; the index is the same."""
    import sqlite3

    from index.store.contract import ArticleRow, NewChunk
    from index.store.local import bm25_arrays
    from index.store.local.rows import ChunkTexts, empty_rows, insert

    words = "ميناء سفينة حاوية الذخيرة وزير جيش مدينة port ship minister army city budget containers".split()
    texts = [f"{words[i % 14]} {words[(i * 5) % 14]} {i % 17} خبر" for i in range(300)]
    ids = [3 * i + i % 2 for i in range(len(texts))]  # ascending, with gaps
    path = tmp_path / "rows.sqlite"
    db = empty_rows(path)
    insert(db, [ArticleRow("a", "A", "", "", "", "", "", 0.0)], [
        NewChunk(i, "a", seq, 0, 0, text, "") for seq, (i, text) in enumerate(zip(ids, texts))
    ])
    db.commit()
    db.close()
    monkeypatch.setattr(bm25_arrays, "MIN_FORKED_TEXTS", 0)
    monkeypatch.setattr(bm25_arrays, "TASK_TEXTS", 40)
    monkeypatch.setattr(bm25_arrays.forked, "usable_cpus", lambda: 2)
    read = LexicalIndex.build_from(ids, ChunkTexts(path, ids))
    given = LexicalIndex.build(texts, ids)
    for query in ["حاويات الذخيرة", "minister of the army", "ship 7", "budget port city"]:
        assert read.search(query, k=len(texts)) == given.search(query, k=len(texts))
    with pytest.raises(sqlite3.DatabaseError, match="299 chunk texts for 300 chunk ids"):
        ChunkTexts(path, ids[:-1] + [ids[-1] - 1])(0, len(ids))  # one row short of the ids
