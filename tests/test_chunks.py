"""Chunks: whole sentences, sized in encoder tokens, spans that map back to the text exactly."""

from hypothesis import HealthCheck, given, settings, strategies as st

from index.articles import Article
from index.chunks import Chunker
from index.settings import ChunkSettings
from tests.conftest import SEEDS


def article(text: str) -> Article:
    return Article(id="a.txt", title="t", text=text, sha256="0")


def word_count(text: str) -> int:
    return len(text.split())


def test_seed_chunks_map_back_and_respect_the_token_budget(encoder):
    text = next(SEEDS.glob("*.txt")).read_text(encoding="utf-8")
    chunker = Chunker(ChunkSettings(max_tokens=120, overlap_tokens=20), encoder.count_tokens)
    chunks = chunker.split(article(text))
    assert len(chunks) > 3
    for seq, chunk in enumerate(chunks):
        assert chunk.seq == seq
        assert text[chunk.start : chunk.end] == chunk.text
        assert encoder.count_tokens(chunk.text) <= 120
    covered = set().union(*(range(c.start, c.end) for c in chunks))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_never_splits_at_the_arabic_comma_and_ends_on_sentences():
    sentence = "قال الوزير، في مؤتمر صحفي، إن الاتفاق سيوقع غدا. "
    text = sentence * 30
    chunks = Chunker(ChunkSettings(max_tokens=40, overlap_tokens=0), word_count).split(article(text))
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.text.startswith("قال") and chunk.text.endswith("غدا.")


def test_arabic_question_mark_ends_a_sentence():
    text = "هل وصل الوزير؟ نعم وصل صباحا. " * 20
    chunks = Chunker(ChunkSettings(max_tokens=10, overlap_tokens=0), word_count).split(article(text))
    assert all(c.text.endswith(("؟", ".")) for c in chunks)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=600))
def test_spans_always_map_back_for_any_text(text):
    chunks = Chunker(ChunkSettings(max_tokens=12, overlap_tokens=3), word_count).split(article(text))
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["ﻻ", "\u200f", "\u202b", "😀", "كوريا", "Korea", "،", "؟", ".", " ", "\n", "ﷺ", "٣"]), max_size=300))
def test_spans_map_back_for_arabic_presentation_forms_marks_and_emoji(parts):
    text = "".join(parts)
    for chunk in Chunker(ChunkSettings(max_tokens=8, overlap_tokens=2), word_count).split(article(text)):
        assert text[chunk.start : chunk.end] == chunk.text
