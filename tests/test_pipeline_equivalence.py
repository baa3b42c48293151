"""The indexing pipeline's faster paths give exactly what the plain ones gave (issue 27).

Each fast path is held to the definition it replaced, on generated text of both scripts.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import faiss
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from index import duplicates, normalize
from index.question import language_of
from index.sentences import sentence_ids
from index.store.local import Vectors, write_vectors

# Letters of both scripts, Arabic marks and digits the folding changes, Latin with accents, spaces.
ALPHABET = "abcXYZ éÉß ابتةىأإآؤئیکًٌَُّْـ٠١٢۳ \n.,!؟؛" + "\u200b\u200f\u2066"
TEXT = st.text(alphabet=ALPHABET, max_size=200)

def reference_language_of(text: str) -> str:
    arabic = sum(1 for ch in text if "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    return "ar" if arabic > latin else "en"

def reference_fold(text: str) -> str:
    text = normalize._SURROGATES.sub("", text).translate(normalize._TABLE)
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return text.translate(normalize._TABLE)

@given(st.text(max_size=200) | TEXT)
def test_language_of_counts_as_it_always_did(text):
    assert language_of(text) == reference_language_of(text)

@given(st.text(max_size=200) | TEXT)
def test_folding_skips_only_text_the_table_would_not_change(text):
    assert normalize._fold(text) == reference_fold(text)

@given(TEXT)
def test_a_remembered_stem_is_the_stem(word):
    for w in normalize._WORD.findall(normalize.normalize(word)):
        assert normalize._stem(w) == normalize._stem.__wrapped__(w)

@given(st.lists(st.sampled_from("the port reopened on Monday ميناء أعيد فتحه يوم الاثنين 2024 said".split()), max_size=40))
def test_the_minhash_is_datasketchs_own(words):
    from datasketch import MinHash

    text = " ".join(words)
    plain = MinHash(num_perm=duplicates.PERMUTATIONS, seed=duplicates.SEED)
    plain.update_batch(sorted(duplicates.shingles(text)))
    assert np.array_equal(duplicates.signature(text), plain.hashvalues.astype(np.uint64))

def test_adding_many_chunks_at_once_stores_what_adding_one_by_one_does():
    rng = np.random.default_rng(5)
    ids = [3, 4, 9, 10]
    stored = [(rng.standard_normal(8).astype(np.float32), rng.standard_normal((n, 8)).astype(np.float32)) for n in (1, 3, 2, 5)]
    one, many = Vectors.empty(8), Vectors.empty(8)
    for i, (vector, sentence_vectors) in zip(ids, stored):
        one.add(i, vector, sentence_vectors)
    many.add_many(ids, stored)
    many.add_many([], [])
    for index in ("chunks", "sentences"):
        a, b = getattr(one, index), getattr(many, index)
        assert a.ntotal == b.ntotal

        assert np.array_equal(faiss.vector_to_array(a.id_map), faiss.vector_to_array(b.id_map))
    for i, (vector, sentence_vectors) in zip(ids, stored):
        assert np.array_equal(many.chunks.reconstruct(i), vector)
        got = many.sentences.reconstruct_batch(sentence_ids(i, len(sentence_vectors)))
        assert np.array_equal(got, one.sentences.reconstruct_batch(sentence_ids(i, len(sentence_vectors))))


def test_vectors_are_streamed_to_the_file_faiss_would_write(tmp_path):
    vectors = Vectors.empty(8)
    rng = np.random.default_rng(7)
    vectors.add_many(list(range(300)), [(rng.standard_normal(8).astype(np.float32), rng.standard_normal((2, 8)).astype(np.float32))] * 300)
    for index, name in ((vectors.chunks, "chunks.faiss"), (vectors.sentences, "sentences.faiss")):
        write_vectors(index, tmp_path / name)
        assert (tmp_path / name).read_bytes() == faiss.serialize_index(index).tobytes()


def test_a_failed_vector_write_is_an_oserror_naming_the_file():
    vectors = Vectors.empty(8)
    vectors.add(0, np.ones(8, dtype=np.float32), np.ones((1, 8), dtype=np.float32))
    with pytest.raises(OSError) as error:
        write_vectors(vectors.chunks, Path("/dev/full"))
    assert error.value.errno == 28 and error.value.filename == "/dev/full"
