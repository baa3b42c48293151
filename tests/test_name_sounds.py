"""Names across scripts (name_sounds.py): an English name and its Arabic spelling share a sound key,
whichever way Arabic writes the foreign g (ج in Egypt, غ in the Levant) and whether or not the
article or a clinging letter comes first."""

from __future__ import annotations

import pytest

from index.name_sounds import MIN_CONSONANTS, arabic_keys, latin_key, latin_keys, spellings


@pytest.mark.parametrize(("english", "arabic"), [
    ("Pyongyang", "وصل الوفد إلى بيونج يانج أمس"),  # one word in English, two in Arabic
    ("Pyongyang", "قدمت لبيونغ يانغ دعما"),  # the Levantine spelling, with a clinging preposition
    ("Kursk", "تحرير منطقة كورسك الروسية"),
    ("Novosti", "وذكرت ريا نوفوستي أن"),
    ("Kremlin", "وقال الكرملين إن"),  # the article
    ("Moscow", "وبموسكو"),  # conjunction and preposition
    ("Mishustin", "رئيس الوزراء ميخائيل ميشوستين"),
])
def test_an_english_name_is_found_in_its_arabic_spelling(english, arabic):
    assert latin_key(english) in arabic_keys(arabic)


def test_two_names_side_by_side_read_as_one():
    assert "srksk" in latin_keys("The visit of Sergei Shoigu was short.")
    assert latin_keys("The visit of Sergei Shoigu was short.") & arabic_keys("وصل سيرجي شويغو")


@pytest.mark.parametrize(("english", "arabic"), [
    ("Pyongyang", "وصل الوفد إلى بيروت"),
    ("Kursk", "قرب مدينة خاركيف"),
    ("Moscow", "المسكن"),  # the same consonants less one: keys must be equal, not close
])
def test_a_different_name_does_not_match(english, arabic):
    assert latin_key(english) not in arabic_keys(arabic)


def test_short_names_and_acronyms_are_not_keys():
    """Two consonants ("Kim", "كيم") match too much; Arabic spells acronyms letter by letter."""
    assert all(len(key) >= MIN_CONSONANTS for key in arabic_keys("التقى كيم جونغ أون") | latin_keys("He met Kim in Seoul"))
    assert latin_keys("He told NATO and the IAEA") == set()
    assert latin_keys("who arrived on wednesday?") == set()  # no capitals, no names


def test_the_spelling_of_a_name_in_arabic_text_is_found_by_its_sound():
    keys = latin_keys("Who arrived in Pyongyang on Wednesday?")
    assert spellings("من وصل إلى بيونغ يانغ يوم الأربعاء؟", keys) == {"بيونغ يانغ"}
    assert spellings("وصل شويغو إلى بيونج يانج", keys) == {"بيونج يانج"}
    assert spellings("وصل شويغو إلى موسكو", keys) == set()


def test_an_unwritten_g_after_n_is_read_both_ways():
    """Arabic writes "ng" as ن alone as often as with its g: "Washington" / "واشنطن", "Beijing" /
    "بكين", but "Pyongyang" / "بيونغ يانغ"."""
    assert latin_keys("Talks in Washington went on.") & arabic_keys("في واشنطن")
    assert latin_keys("He flew to Beijing today.") & arabic_keys("إلى بكين")
    assert latin_keys("He flew to Pyongyang today.") & arabic_keys("إلى بيونغ يانغ")


@pytest.mark.parametrize("text", ["", "؟؟؟", "123 456", "🙂 emoji only", "x" * 5000, "ـــــ", "\u200bبيونج\u200b يانج"])
def test_odd_text_gives_keys_or_none_without_error(text):
    assert isinstance(latin_keys(text), frozenset) and isinstance(arabic_keys(text), frozenset)
    assert latin_keys("") == arabic_keys("") == frozenset()


def test_invisible_marks_and_tatweel_do_not_hide_a_name():
    assert latin_key("Pyongyang") in arabic_keys("وصل إلى بيو\u200bنج يـانـج")
