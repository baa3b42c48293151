"""Behaviour of the Arabic/English normalization and tokenization for lexical matching."""

from hypothesis import given
from hypothesis import strategies as st

from index.normalize import normalize, tokens


def test_hamza_forms_of_alef_are_unified() -> None:
    assert normalize("أحمد") == normalize("احمد")
    assert normalize("إسرائيل") == normalize("اسرائيل")
    assert normalize("آلاف") == normalize("الاف")


def test_diacritics_and_tatweel_are_removed() -> None:
    assert normalize("وَصَلَ") == "وصل"
    assert normalize("مـــدينة") == normalize("مدينة")
    assert normalize("مُحَمَّدٌ") == "محمد"


def test_letter_variants_are_folded() -> None:
    assert normalize("مدرسة") == "مدرسه"
    assert normalize("مستشفى") == "مستشفي"
    assert normalize("مسؤول") == "مسوول"
    assert normalize("رئيس") == "رييس"


def test_presentation_forms_fold_to_base_letters() -> None:
    assert normalize("\ufefb") == "لا"  # lam-alef ligature
    assert normalize("\ufe8d\ufedf\ufee4\ufe92\ufee8\ufef0") == normalize("المبنى")


def test_digits_become_ascii() -> None:
    assert normalize("٢٠ ألف") == "20 الف"
    assert normalize("۱۹۹۸") == "1998"


def test_invisible_marks_are_removed_and_case_folded() -> None:
    assert normalize("\u200fغزة\u200e \u202bUN\u202c\u200b") == "غزه un"


def test_diacritized_word_has_the_same_tokens() -> None:
    assert tokens("وَصَلَ") == tokens("وصل") == ["وصل"]


def test_article_and_conjunction_forms_share_a_stem() -> None:
    forms = ["ذخيرة", "الذخيرة", "والذخيرة", "بالذخيرة", "للذخيرة"]
    assert len({tuple(tokens(form)) for form in forms}) == 1
    assert tokens("حاوية") == tokens("حاويات") == tokens("الحاويات")


def test_root_letters_are_not_stripped_as_prefixes() -> None:
    assert tokens("الوزير") == tokens("وزير") == ["وزير"]
    assert tokens("البرلمان") == tokens("برلمان")


def test_stopwords_dropped_numbers_kept() -> None:
    assert tokens("كم عدد حاويات الذخيرة في الميناء") == tokens("عدد حاويات ذخيرة ميناء")
    assert "20" in tokens("وصلت 20 ألف حاوية")
    assert tokens("What is the number of containers?") == tokens("number containers")


def test_english_stemming() -> None:
    assert tokens("containers") == tokens("container") == ["contain"]
    assert tokens("Running") == tokens("runs")


def test_mixed_scripts_are_split() -> None:
    assert tokens("iPhoneالجديد") == tokens("iphone") + tokens("الجديد")


def test_empty_and_symbol_only_input() -> None:
    assert normalize("") == ""
    assert tokens("") == []
    assert tokens("  ؟!، 😀 \u200f ") == []
    assert tokens("\ud800abc") == ["abc"]


_ARABIC_HEAVY = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
        st.characters(min_codepoint=0xFB50, max_codepoint=0xFDFF),
        st.characters(min_codepoint=0xFE70, max_codepoint=0xFEFF),
        st.sampled_from("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200d"),
        st.characters(min_codepoint=0x0300, max_codepoint=0x036F),
        st.sampled_from("😀👍🏽 \n\ta1é\ud800\udfff"),
    )
)
_ANY_TEXT = st.one_of(st.text(), _ARABIC_HEAVY)


@given(_ANY_TEXT)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@given(_ANY_TEXT)
def test_normalized_text_is_encodable(text: str) -> None:
    normalize(text).encode("utf-8")


@given(_ANY_TEXT)
def test_tokens_are_nonempty_and_without_whitespace(text: str) -> None:
    for token in tokens(text):
        assert token
        assert not any(c.isspace() for c in token)
