"""The question as rawi understands it: cleaned text, language, terms, expected kind of answer."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache

from .dates import date_names
from .normalize import normalize, tokens

MAX_QUESTION_CHARS = 1000

# Expected answer kinds, matched on normalized question text; each maps to a pattern that a
# sentence holding such an answer contains (also matched on normalized text).
_NUMBER = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion)\b|الف|مليون|مليار|عشر|ماي[هة]")
_DATE = re.compile(r"\d|\b(?:january|february|march|april|may|june|july|august|september|october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|year|century)\b|يناير|فبراير|مارس|ابريل|مايو|يونيو|يوليو|اغسطس|سبتمبر|اكتوبر|نوفمبر|ديسمبر|الاثنين|الثلاثاء|الاربعاء|الخميس|الجمعه|السبت|الاحد|عام|سنه|قرن")
_KINDS = [
    (re.compile(r"\bhow (?:many|much)\b|\bwhat (?:number|percentage|amount)\b|(?:^|\s)كم(?:\s|$)|(?:^|\s)بكم(?:\s|$)"), "number", _NUMBER),
    (re.compile(r"\bwhen\b|\bwhat year\b|(?:^|\s)متي(?:\s|$)|في اي عام|في اي سنه"), "date", _DATE),
]


class QuestionError(ValueError):
    """The question cannot be asked; the message is one polite line."""


class NoContent(QuestionError):
    """A greeting, a lone word, a word repeated: nothing to look up. The reply says what rawi does."""

    def __init__(self, greeting: bool) -> None:
        super().__init__(
            "that is not a question about the news: rawi answers questions about the articles it "
            'has read, in Arabic or English, e.g. "Who arrived in Pyongyang on Wednesday?"'
        )
        self.greeting = greeting


# Words that carry no request: greetings, thanks, small talk (matched as index terms).
_SMALL_TALK_RAW = """
    hi hello hey hiya yo greetings thanks thank thx ok okay bye goodbye please good morning
    evening afternoon night welcome test testing start help
    مرحبا مرحبًا أهلا اهلا أهلًا سلام السلام عليكم وعليكم شكرا شكرًا صباح مساء الخير النور هلا
    تحية مع السلامة
"""
_QUESTION_WORDS = re.compile(
    r"[?؟]|\b(?:who|whom|whose|what|when|where|why|how|which)\b"
    r"|(?:^|\s)(?:من|ما|ماذا|متي|اين|لماذا|كيف|كم|هل|اي|بكم|لم)(?:\s|$)"
)
_REPEATED_SHARE = 0.5  # one term making up more than half of a long question: not a question


@cache
def _small_talk() -> frozenset[str]:
    return frozenset(term for word in _SMALL_TALK_RAW.split() for term in tokens(word))


def is_small_talk(text: str) -> bool:
    """A greeting or thanks and nothing else ("hi", "مرحبا", "thanks!")."""
    terms = tokens(text)
    return bool(terms) and all(t in _small_talk() for t in terms)


def has_content(text: str) -> bool:
    """Does ``text`` ask for something? Two distinct content words, or one with a question
    word or mark ("Who is Shoigu?"); and not one word said over and over."""
    content = [t for t in tokens(text) if t not in _small_talk()]
    distinct = set(content)
    if not distinct or (len(distinct) == 1 and not _QUESTION_WORDS.search(normalize(text))):
        return False
    most = Counter(content).most_common(1)[0][1]
    return len(content) < 6 or most <= _REPEATED_SHARE * len(content)


@dataclass(frozen=True)
class Question:
    text: str
    language: str  # "ar" or "en"
    terms: frozenset[str]
    kind: str | None
    expects: re.Pattern | None
    date_names: frozenset[str] = frozenset()  # the weekdays and months it names (dates.date_names)


_ARABIC_CHARS = re.compile("[\u0600-\u06ff\u0750-\u077f]")
_ASCII_LETTERS = re.compile("[A-Za-z]")


def language_of(text: str) -> str:
    """"ar" when the text has more Arabic characters than ASCII letters, else "en"."""
    if _ARABIC_CHARS.search(text) is None:  # no Arabic at all (most English): nothing to count
        return "en"
    arabic = len(_ARABIC_CHARS.findall(text))
    latin = len(_ASCII_LETTERS.findall(text))
    return "ar" if arabic > latin else "en"


def clean(text: str) -> str:
    """Collapse whitespace and drop control characters; keep the words as typed."""
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc" or ch in "\n\t")
    return " ".join(text.split())


def parse_question(text: str) -> Question:
    cleaned = clean(text)
    if not cleaned:
        raise QuestionError("the question is empty")
    if any("\ud800" <= ch <= "\udfff" for ch in cleaned):  # bytes that were not UTF-8 (surrogateescape), or JSON's lone surrogates
        raise QuestionError("the question is not valid UTF-8 text")
    if not any(ch.isalnum() for ch in cleaned):
        raise QuestionError("the question has no words")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is too long ({len(cleaned)} characters; at most {MAX_QUESTION_CHARS})")
    if not has_content(cleaned):
        raise NoContent(greeting=is_small_talk(cleaned))
    folded = normalize(cleaned)
    kind, expects = next(((name, pattern) for test, name, pattern in _KINDS if test.search(folded)), (None, None))
    return Question(cleaned, language_of(cleaned), frozenset(tokens(cleaned)), kind, expects, date_names(cleaned))
