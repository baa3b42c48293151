"""The question as rawi understands it: cleaned text, language, terms, expected kind of answer."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Question:
    text: str
    language: str  # "ar" or "en"
    terms: frozenset[str]
    kind: str | None
    expects: re.Pattern | None


def language_of(text: str) -> str:
    arabic = sum(1 for ch in text if "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    return "ar" if arabic > latin else "en"


_LANGUAGE_NAMES = {"arabic": "ar", "english": "en", "عربي": "ar", "العربية": "ar"}


def article_language(given: str, text: str) -> str:
    """An article's language: as its file gives it (``ar``, ``en-GB``, ``Arabic``), else detected."""
    given = given.strip().lower()
    if given:
        given = _LANGUAGE_NAMES.get(given, given.replace("_", "-").split("-")[0])
        return given
    return language_of(text[:4000])


def clean(text: str) -> str:
    """Collapse whitespace and drop control characters; keep the words as typed."""
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc" or ch in "\n\t")
    return " ".join(text.split())


def parse_question(text: str) -> Question:
    cleaned = clean(text)
    if not cleaned:
        raise QuestionError("the question is empty")
    if not any(ch.isalnum() for ch in cleaned):
        raise QuestionError("the question has no words")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is too long ({len(cleaned)} characters; at most {MAX_QUESTION_CHARS})")
    folded = normalize(cleaned)
    kind, expects = next(((name, pattern) for test, name, pattern in _KINDS if test.search(folded)), (None, None))
    return Question(cleaned, language_of(cleaned), frozenset(tokens(cleaned)), kind, expects)
