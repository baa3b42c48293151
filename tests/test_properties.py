"""Properties of everything that takes outside text, for any text hypothesis can think of.

Outside text: corpus files (the article loader), articles (the chunker, the normalizer), what
people type (the question parser, the conversation context) and what reaches Telegram (the
renderer). The strategies lean on what news text really holds and breaks naive code: Arabic
letters, diacritics and presentation forms, bidi and zero-width marks, emoji (outside the BMP,
with skin tones and ZWJ sequences), combining marks, odd line ends, HTML and Markdown
characters. The hypothesis profile (tests/conftest.py) sets the example counts and no deadline.
"""

from __future__ import annotations

import codecs
import hashlib
import unicodedata
from collections import Counter

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot import render
from bot.context import Conversations, is_follow_up, with_topic
from bot.handlers import question_problem
from index.answer import Answer, Passage, Sources
from index.articles import NotText, decode, parse
from index.chunks import Chunker
from index.articles import Article
from index.normalize import normalize, tokens
from index.safe_text import safe
from index.question import MAX_QUESTION_CHARS, NoContent, QuestionError, clean, parse_question
from index.settings import ChunkSettings
from index.store import ArticleRow
from tests.botapi import parse_html, utf16_len

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

# ------------------------------------------------------------------------------ strategies

BIDI_AND_INVISIBLE = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u2060\ufeff\u061c"
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧", "🇸🇦", "❤️", "🚀", "𝔸", "🕋"]
NEWS = st.sampled_from([
    "كوريا الشمالية", "أرسلت 20 ألف حاوية.", "وصل شويغو إلى بيونغ يانغ؟", "٢٠٢٥", "مُحَمَّد", "الـــــذخيرة",
    "Korea", "sent 20,000 containers.", "Who arrived?", "e.g. Dr. Kim", "U.S.", "…", "،", "؛", "؟", "!", ".",
    "<b>", "</blockquote>", "&amp;", "&", "<", ">", "*bold*", "_x_", "`code`", "[link](http://x)",
])
ODD_SPACE = st.sampled_from([" ", "  ", "\n", "\n\n", "\t", "\r\n", "\r", "\u00a0", "\u2028", "\u2029", "\u3000", "\x0b", "\x0c", "\x85"])
PIECE = st.one_of(
    NEWS, ODD_SPACE, st.sampled_from(EMOJI), st.sampled_from(BIDI_AND_INVISIBLE),
    st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),  # Arabic
    st.characters(min_codepoint=0xFB50, max_codepoint=0xFDFF),  # Arabic presentation forms A
    st.characters(min_codepoint=0xFE70, max_codepoint=0xFEFF),  # Arabic presentation forms B
    st.characters(min_codepoint=0x0300, max_codepoint=0x036F),  # combining marks
    st.characters(codec="utf-8"),  # anything encodable
)
NEWS_TEXT = st.lists(PIECE, max_size=120).map("".join)
ANY_TEXT = st.one_of(NEWS_TEXT, st.text(max_size=300))


def article(text: str) -> Article:
    return Article(id="a.txt", title="t", text=text, sha256="0")


def words(text: str) -> int:
    return len(text.split())


# ------------------------------------------------------------------------------ the article loader


@given(st.binary(max_size=400))
def test_any_bytes_are_an_article_or_a_reason(raw):
    try:
        result = parse("x.txt", decode(raw), hashlib.sha256(raw).hexdigest())
    except NotText as exc:
        assert str(exc)  # the reason shown under "skipped"
        return
    assert result.text.strip() and result.title and "\n" not in result.title
    assert "\r" not in result.text and "\x00" not in result.text


@given(NEWS_TEXT, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"]))
def test_text_in_any_unicode_encoding_loads_as_the_same_article(text, encoding):
    assume("\x00" not in text and text.strip() and not text.startswith("\ufeff"))
    raw = text.encode(encoding)  # utf-16/32 write a byte-order mark
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        loaded = parse("x.txt", decode(raw), hashlib.sha256(raw).hexdigest())
    except NotText:
        assert expected.startswith("---")  # front matter and nothing after it
        return
    assert expected.endswith(loaded.text)  # front matter, if the text happens to open with it, is cut
    if not expected.startswith("---"):
        assert loaded.text == expected
        assert loaded.title == next(line.strip() for line in expected.splitlines() if line.strip())
    assert loaded.sha256 == hashlib.sha256(raw).hexdigest()


@given(title=NEWS_TEXT, url=st.text(max_size=60), body=NEWS_TEXT)
def test_front_matter_with_any_values_never_breaks_the_loader(title, url, body):
    text = f"---\ntitle: {title}\nurl: {url}\n---\n{body}".replace("\x00", "")
    try:
        loaded = parse("x.md", decode(text.encode("utf-8")), "0")
    except NotText:
        return
    assert loaded.text.strip() and loaded.title and "\n" not in loaded.title


def test_a_bom_with_invalid_text_after_it_is_a_reason():
    with pytest.raises(NotText, match="byte-order mark"):
        decode(codecs.BOM_UTF16_LE + b"\x00\xd8")  # a lone surrogate


# ------------------------------------------------------------------------------ the chunker


def check_chunks(text: str, chunks, max_tokens: int, count) -> None:
    previous_start = -1
    for seq, chunk in enumerate(chunks):
        assert chunk.seq == seq
        assert text[chunk.start : chunk.end] == chunk.text  # the span maps back exactly
        assert chunk.text and chunk.text == chunk.text.strip()
        assert chunk.start > previous_start  # in text order
        previous_start = chunk.start
        assert count(chunk.text) <= max_tokens
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    lost = [ch for i, ch in enumerate(text) if not ch.isspace() and i not in covered]
    assert not lost  # nothing but whitespace falls between passages


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(NEWS_TEXT, st.integers(2, 40), st.integers(0, 8))
def test_chunk_spans_map_back_for_any_news_text(text, max_tokens, overlap):
    overlap = min(overlap, max_tokens - 1)
    chunks = Chunker(ChunkSettings(max_tokens=max_tokens, overlap_tokens=overlap), words).split(article(text))
    check_chunks(text, chunks, max_tokens, words)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=600), st.integers(4, 30))
def test_chunk_spans_map_back_for_any_unicode_with_a_character_budget(text, max_chars):
    chunks = Chunker(ChunkSettings(max_tokens=max_chars, overlap_tokens=max_chars // 4), len).split(article(text))
    check_chunks(text, chunks, max_chars, len)


@pytest.mark.parametrize("text, max_tokens, overlap", [
    ("كوريا الشماليةكوريا الشمالية", 2, 0),  # the second piece also occurs inside the first
    ("كوريا الشماليةكوريا الشماليةكوريا الشمالية", 2, 0),
    ("الـــــذخيرة", 2, 1),  # a run of tatweel, cut into identical two-character pieces
])
def test_a_repeated_phrase_gets_the_span_of_its_own_place(text, max_tokens, overlap):
    """Found by the properties above: a piece was placed at an earlier occurrence of its text."""
    chunks = Chunker(ChunkSettings(max_tokens=max_tokens, overlap_tokens=overlap), words).split(article(text))
    check_chunks(text, chunks, max_tokens, words)
    assert chunks[-1].end == len(text)


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(NEWS_TEXT)
def test_chunk_spans_map_back_with_the_real_tokenizer(encoder, text):
    chunks = Chunker(ChunkSettings(max_tokens=24, overlap_tokens=4), encoder.count_tokens).split(article(text))
    check_chunks(text, chunks, 24, encoder.count_tokens)


# ------------------------------------------------------------------------------ the normalizer

FOLDED_AWAY = set(BIDI_AND_INVISIBLE) | {"\u0640"} | {chr(c) for c in range(0x064B, 0x0653)} | {
    chr(c) for c in range(0x0660, 0x066A)} | {chr(c) for c in range(0x06F0, 0x06FA)} | set("أإآٱةىؤئیک")


@given(ANY_TEXT)
def test_normalized_text_holds_no_variant_the_normalizer_folds(text):
    folded = normalize(text)
    assert not set(folded) & FOLDED_AWAY
    # presentation forms: every one that has a compatibility mapping (nearly all) is mapped
    forms = [ch for ch in folded if 0xFB50 <= ord(ch) <= 0xFDFF or 0xFE70 <= ord(ch) <= 0xFEFC]
    assert all(not unicodedata.decomposition(ch).startswith("<") for ch in forms), forms
    assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in folded)  # lone surrogates


@given(ANY_TEXT)
def test_tokens_do_not_change_under_normalization_or_presentation_forms(text):
    assert tokens(normalize(text)) == tokens(text)
    assert tokens(unicodedata.normalize("NFKC", text)) == tokens(text)


@given(st.lists(st.sampled_from(BIDI_AND_INVISIBLE), max_size=3), st.sampled_from(["كوريا", "الحاويات", "Korea", "٢٠"]))
def test_invisible_marks_inside_a_word_do_not_change_its_tokens(marks, word):
    marked = word[0] + "".join(marks) + word[1:]
    assert tokens(marked) == tokens(word)


# ------------------------------------------------------------------------------ the question parser and context


@given(ANY_TEXT)
def test_every_message_is_a_question_or_a_polite_refusal_and_bot_and_index_agree(text):
    problem = question_problem(text)
    try:
        question = parse_question(text)
    except NoContent as exc:  # the bot asks first: joined to the chat's topic, a follow-up has content
        assert str(exc)
        return
    except QuestionError as exc:
        assert str(exc) and problem is not None  # the bot would have said so before asking
        return
    assert problem is None
    assert question.text == clean(text) and 0 < len(question.text) <= MAX_QUESTION_CHARS
    assert question.language in ("ar", "en")
    assert question.text == question.text.strip() and "\n" not in question.text
    assert all(token and not any(ch.isspace() for ch in token) for token in question.terms)


@given(ANY_TEXT)
def test_clean_is_idempotent_and_drops_controls(text):
    once = clean(text)
    assert clean(once) == once
    assert not any(unicodedata.category(ch) == "Cc" for ch in once)


@given(st.text(min_size=MAX_QUESTION_CHARS - 50, max_size=MAX_QUESTION_CHARS * 2), st.text(max_size=300))
def test_a_long_topic_never_makes_an_askable_follow_up_too_long(topic, text):
    assume(question_problem(text) is None)
    is_follow_up(text)
    joined = with_topic(clean(topic)[:MAX_QUESTION_CHARS], text)
    conversations = Conversations()
    conversations.question(1, topic[:MAX_QUESTION_CHARS])
    for asked in (joined, conversations.question(1, text)):
        try:
            parse_question(asked)  # never "too long", never empty
        except NoContent:  # a topic of one word repeated: the bot says what it does, a fair reply
            pass


# ------------------------------------------------------------------------------ the Telegram renderer

URLS = st.one_of(
    st.sampled_from(["", "https://example.com/a?b=1&c=<2>", "http://x/\"><b>", "javascript:alert(1)", "https://",
                     "https://example.com/\u202eevil", "ftp://x", "https://exa mple.com", "https://[::1", "tg://x"]),
    st.text(max_size=40),
)


def check_messages(messages: list[str], limit: int = render.MAX_MESSAGE) -> str:
    """Every message is HTML Telegram accepts (its tags, balanced), non-empty and under the limit."""
    assert messages
    plains = []
    for message in messages:
        plain, tags = parse_html(message)
        assert plain.strip() or tags
        assert utf16_len(message) <= limit and utf16_len(plain) <= limit
        for tag, attrs in tags:
            if tag == "a":
                assert attrs["href"].startswith(("http://", "https://"))
        plains.append(plain)
    return "".join(plains)


def squash(text: str) -> str:
    return "".join(text.split())


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(body=NEWS_TEXT, a=st.integers(0, 400), b=st.integers(0, 400), title=NEWS_TEXT, url=URLS,
       repeat=st.sampled_from([1, 1, 40]), number=st.integers(1, 10_000))
def test_any_passage_renders_to_valid_html_under_the_limit(body, a, b, title, url, repeat, number):
    body = body * repeat  # up to tens of thousands of characters: several messages
    start, end = sorted((min(a, len(body)), min(b, len(body))))
    passages = [Passage("a.txt", title, url, body, body[start:end], start, end, 0.9, 1)]
    plain = check_messages(render.render_answer(Answer("q", True, passages), "ar", first_number=number))
    assert not Counter(squash(safe(body))) - Counter(squash(plain))  # every character of the passage is shown (made safe)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(text=NEWS_TEXT, title=NEWS_TEXT, url=URLS, source=NEWS_TEXT, published=st.text(max_size=30),
       repeat=st.sampled_from([1, 60]))
def test_any_article_renders_in_valid_parts_keeping_its_text(text, title, url, source, published, repeat):
    text = text * repeat
    row = ArticleRow("a.txt", title, url, published, source, "0", text, 0.0)
    plain = check_messages(render.render_article(row, "en"))
    assert not Counter(squash(safe(text))) - Counter(squash(plain))  # every character of the article is shown (made safe)


@given(st.lists(st.tuples(NEWS_TEXT, URLS, st.text(max_size=20)), max_size=8))
def test_any_sources_list_renders_to_one_valid_message(rows):
    newest = [ArticleRow(f"{i}.txt", t, u, p, "", "0", "", 0.0) for i, (t, u, p) in enumerate(rows)]
    check_messages([render.render_sources(Sources(len(rows), 3 * len(rows), newest), "ar")])
