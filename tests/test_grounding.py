"""The checks a written answer passes before anyone sees it (index/grounding.py)."""

from __future__ import annotations

import pytest

from index.grounding import Source, check, cited, sentences, shown_prefix

SOURCES = [
    Source(1, "لتعزيز الشراكة العسكرية", "2025-06-04", "تجاوزت 20 ألف حاوية ذخيرة، فضلاً عن إرسال جنود."),
    Source(2, "Shoigu in Pyongyang", "", "Shoigu arrived on Wednesday with 12 officials."),
]


@pytest.mark.parametrize(
    ("reply", "lang", "reason"),
    [
        ("More than 20,000 containers of ammunition [1].", "en", ""),
        ("More than twenty thousand containers [1]. He came with 12 officials [2].", "en", ""),
        ("أكثر من ٢٠ ألف حاوية ذخيرة [١].", "ar", ""),
        ("More than 20,000 containers [1], reported in 2025 [1].", "en", ""),  # the date is the passage's
        ("<think>The passage says 20 ألف.</think>More than 20,000 containers [1].", "en", ""),
        ("More than 25,000 containers [1].", "en", "the number 25000 is in no passage it cites"),
        ("More than 20,000 containers [2].", "en", "the number 20000 is in no passage it cites"),  # wrong passage
        ("He came with 12 officials [1, 2]. More than 20,000 containers [3].", "en", "citation [3] names no cited passage"),
        ("More than 20,000 containers.", "en", "cites no passage"),
        ("أكثر من 20 ألف حاوية [1].", "en", "not in the question's language (en)"),
        ("", "en", "empty reply"),
        ("More than 20,000 [1]. " * 5, "en", "too long"),
    ],
)
def test_a_reply_is_shown_only_when_every_check_passes(reply, lang, reason):
    verdict = check(reply, SOURCES, lang)
    assert verdict.ok == (reason == "") and not verdict.abstained
    assert reason in verdict.reason
    if verdict.ok:
        assert "<think>" not in verdict.text and verdict.citations


@pytest.mark.parametrize(
    "reply",
    ["NO_ANSWER", "no answer", "The passages do not say how many containers were sent.",
     "I cannot answer this from the passages.", "لا تذكر المقاطع عدد الحاويات.", "المقالات لا تجيب عن هذا السؤال [1]."],
)
def test_a_reply_saying_the_passages_do_not_answer_is_an_abstention(reply):
    assert check(reply, SOURCES, "ar" if reply[0] > "z" else "en").abstained


def test_markers_after_the_full_stop_belong_to_the_sentence():
    assert sentences("More than 20,000. [1] He came with 12 officials. [2]") == [
        "More than 20,000. [1]", "He came with 12 officials. [2]"]
    assert cited("[1][2] [1, 2] [٢]") == [1, 2, 1, 2, 2]


def test_while_streaming_only_complete_checked_sentences_show():
    first = "More than 20,000 containers [1]."
    assert shown_prefix(first, SOURCES, "en") == ""  # may still get markers
    assert shown_prefix(first + " He", SOURCES, "en") == first
    assert shown_prefix(first + " He came with 13 officials [2]. And", SOURCES, "en") == first  # 13 is invented
    assert shown_prefix("More than 25,000 containers [1]. He", SOURCES, "en") == ""
    assert shown_prefix("More than 20,000 containers. [1", SOURCES, "en") == ""  # the marker is not whole yet
    assert shown_prefix("<think>20,000 [1]. so", SOURCES, "en") == ""


def test_a_hedge_beside_a_cited_figure_is_an_answer_not_an_abstention():
    reply = "The articles do not mention China, but North Korea sent more than 20,000 containers [1]."
    verdict = check(reply, SOURCES, "en")
    assert verdict.ok and not verdict.abstained
