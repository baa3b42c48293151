"""The short answer without a model: the number or date of the answering sentence, by rules.

For "how many / how much / كم" questions, the number of the top passage's answering sentence,
with the words around it that qualify it ("تجاوزت" -> "more than") and its unit (%, dollars),
written for the asker: "تجاوزت 20 ألف حاوية" answers an English question "more than 20,000".
For "when / متى" questions, its date ("الأربعاء" -> "Wednesday"). Nothing else is attempted:
the sentence itself stays the answer, and this line only lifts its key figure out.
"""

from __future__ import annotations

import re

from .dates import find_date, format_date
from .normalize import tokens
from .numbers import Number, find_numbers, fold, format_number
from .question import Question, parse_question
from .short import EXTRACTED, ShortAnswer

# Qualifiers just before a number, matched on folded text: (English, Arabic) as written for the asker.
_QUALIFIERS = [
    (re.compile(r"(?:ما\s+)?لا\s+يقل\s+عن\s*$|\bat\s+least\s*$"), ("at least", "ما لا يقل عن")),
    (re.compile(r"(?:اكثر\s+من|(?:ما\s+)?[يت]?زيد\s+(?:عن|علي)|[يت]?تجاوز\w*|تجاوز\w*|[يت]?فوق|فاق\w*)\s*$"
                r"|\b(?:more\s+than|over|exceed\w*|above|upwards\s+of)\s*$"), ("more than", "أكثر من")),
    (re.compile(r"(?:اقل\s+من|دون)\s*$|\b(?:less\s+than|fewer\s+than|under|below)\s*$"), ("less than", "أقل من")),
    (re.compile(r"(?:نحو|حوالي|قرابه|زهاء|(?:ما\s+)?[يت]?قارب)\s*$"
                r"|\b(?:about|around|approximately|nearly|almost|roughly|some|an\s+estimated)\s*$"), ("about", "نحو")),
    (re.compile(r"(?:(?:ما\s+)?[يت]صل\s+الي|حتي)\s*$|\bup\s+to\s*$"), ("up to", "حتى")),
]
# Units just after a number (folded text): (English, Arabic).
_UNITS = [
    (re.compile(r"^\s*(?:%|٪|بالمئه|بالمائه|في\s+الم[ئا]+ه|per\s*cent|percent)"), ("%", "%")),
    (re.compile(r"^\s*(?:دولار\w*|dollars?|usd)"), (" dollars", " دولار")),
    (re.compile(r"^\s*(?:يورو|euros?)"), (" euros", " يورو")),
    (re.compile(r"^\s*(?:جنيه\w*|pounds?)"), (" pounds", " جنيه")),
    (re.compile(r"^\s*(?:ريال\w*|riyals?)"), (" riyals", " ريال")),
    (re.compile(r"^\s*(?:درهم|دراهم|dirhams?)"), (" dirhams", " درهم")),
    (re.compile(r"^\s*(?:دينار\w*|dinars?)"), (" dinars", " دينار")),
]
_CURRENCY_BEFORE = {"$": 1, "€": 2, "£": 3}


def _is_year(number: Number, sentence: str) -> bool:
    digits = sentence[number.start : number.end]
    return digits.isdigit() and len(digits) == 4 and 1800 <= number.value <= 2100


def _best_number(sentence: str, question: Question) -> Number | None:
    """The number most likely to be the count asked for: near the question's terms, not a year."""
    best, best_score = None, -1e9
    for number in find_numbers(sentence):
        after = set(tokens(sentence[number.end : number.end + 40]))
        score = 2.0 * bool(after & question.terms) + (number.value >= 1000) - 3.0 * _is_year(number, sentence)
        if score > best_score:
            best, best_score = number, score
    return best


def _qualifier(sentence: str, number: Number, lang: str) -> str:
    before = fold(sentence[max(0, number.start - 30) : number.start])[0].rstrip(" $€£")
    for pattern, (en, ar) in _QUALIFIERS:
        if pattern.search(before):
            return (ar if lang == "ar" else en) + " "
    return ""


def _unit(sentence: str, number: Number, lang: str) -> str:
    if number.start and sentence[number.start - 1] in _CURRENCY_BEFORE:
        return _UNITS[_CURRENCY_BEFORE[sentence[number.start - 1]]][1][lang == "ar"]
    after = fold(sentence[number.end : number.end + 20])[0]
    return next(((ar if lang == "ar" else en) for pattern, (en, ar) in _UNITS if pattern.search(after)), "")


def number_answer(sentence: str, question: Question) -> str | None:
    number = _best_number(sentence, question)
    if number is None or _is_year(number, sentence):
        return None
    lang = question.language
    return f"{_qualifier(sentence, number, lang)}{format_number(number.value, lang)}{_unit(sentence, number, lang)}"


def date_answer(sentence: str, question: Question) -> str | None:
    date = find_date(sentence)
    return format_date(date, question.language) if date else None


def extract(answer) -> ShortAnswer | None:
    """The extracted short answer for an answered how-many / how-much / when question, or None."""
    if not answer.answered or not answer.passages:
        return None
    question = parse_question(answer.question)
    find = {"number": number_answer, "date": date_answer}.get(question.kind or "")
    if find is None:
        return None
    text = find(answer.passages[0].sentence, question)
    return ShortAnswer(text, (1,), EXTRACTED) if text else None
