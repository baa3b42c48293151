"""What a "how many" question counts, and whether a sentence writes a number in the form a
question asks for: shared by the choice of the answering sentence (``answer.sentence_score``)
and the short answer's rules (``extract``)."""

from __future__ import annotations

import re
from functools import lru_cache

from .normalize import tokens
from . import measures
from .numbers import Number, find_numbers, fold
from .question import Question, language_of


def is_year(number: Number, sentence: str) -> bool:
    """Four plain digits from 1000 to 2100: a year, in any century ("in 1466", "عام 1756")."""
    digits = sentence[number.start : number.end]
    return digits.isdigit() and len(digits) == 4 and 1000 <= number.value <= 2100


def stems(words: str) -> frozenset[str]:
    """Index terms, plus each Arabic one without its accusative alif ("قتيلا" -> "قتيل", "طنا" ->
    "طن"), which the stemmer keeps: a count's noun is accusative after most numbers."""
    found = set(tokens(words))
    found |= {t[:-1] for t in found if len(t) > 2 and t.endswith("ا") and "\u0600" <= t[0] <= "\u06ff"}
    return frozenset(found)


# What "how many X" counts: the one or two words after it (English), the word after كم / كم عدد /
# ما عدد (Arabic); "of the", "more" skipped. Matched on the question as typed (case kept).
COUNTED = [
    re.compile(r"\bhow\s+(?:many|much)\s+(?:more\s+)?(?:of\s+(?:the\s+)?)?([^\W\d_]+)(?:\s+([^\W\d_]+))?", re.I),
    re.compile(r"\bwhat\s+(?:number|amount|percentage|share|proportion)\s+of\s+(?:the\s+)?([^\W\d_]+)(?:\s+([^\W\d_]+))?", re.I),
    re.compile(r"(?:^|\s)(?:كم|بكم|ما)\s+(?:(?:كان|كانت|يبلغ|تبلغ|بلغ|بلغت|هو|هي)\s+)?(?:عدد\s+|نسبة\s+|نسبه\s+)?([^\W\d_]+)"),
]
WORD = re.compile(r"[^\W\d_]+")
HARAKAT = re.compile("[\u064b-\u0652\u0670\u0640]")


def counted_nouns(question: Question) -> frozenset[str]:
    """The stems of what the question counts ("how many people" -> {"peopl"}), or none."""
    text = HARAKAT.sub("", question.text)  # "بِكَم ميلاً" is "بكم ميلا"
    for pattern in COUNTED:
        m = pattern.search(text)
        if m:
            return stems(" ".join(g for g in m.groups() if g))
    return frozenset()


def counted_head(question: Question) -> frozenset[str]:
    """The stems of the first word of what the question counts ("how many physicians give" ->
    {"physician"}; "how many of the Scottish electorate" -> {"scottish"})."""
    text = HARAKAT.sub("", question.text)
    m = next((m for m in (p.search(text) for p in COUNTED) if m), None)
    return stems(m.group(1)) if m else frozenset()


FILLERS = {"more", "other", "additional", "extra", "further", "new", "different", "separate", "of", "the", "من"}


def noun_after(sentence: str, number: Number) -> frozenset[str]:
    """The stems of what the number counts: the first word after it that is not a filler, with
    the word after that ("30 different Examination Boards" -> {"examin", "board"}), or none when
    that first word is a stopword: "two more bodies" -> {"bodi"}, "19 on Tuesday" -> none."""
    words = [w for w in WORD.findall(sentence[number.end : number.end + 50])[:4] if w.lower() not in FILLERS]
    first = stems(words[0]) if words else frozenset()
    return first | stems(words[1]) if first and len(words) > 1 else first


# A question that asks a price, and money written beside a number (a currency word after it, a
# sign before it). Bare "how much" asks a quantity as often ("how much diesel"): not here.
_PRICE_ASKED = re.compile(r"\bcosts?\b|\bprices?\b|\bfares?\b|\bfees?\b|\bworth\b|\bpaid\b|\bpay\b|\bspen[dt]\b"
                          r"|بكم|تكلف|كلف|سعر|ثمن|رسوم", re.I)
# "8 Egyptian pounds", "500 Saudi riyals": in English the currency's country may stand between
# the number and the currency (folded text: lower case).
_CURRENCY_COUNTRY = re.compile(r"^\s*(egyptian|saudi|qatari|emirati|uae|kuwaiti|bahraini|omani|jordanian|lebanese|syrian"
                              r"|iraqi|yemeni|libyan|tunisian|algerian|moroccan|sudanese|us|u\.s\.|american|canadian"
                              r"|australian|hong\s+kong|turkish|israeli)\s+(?=[a-z])")
_CURRENCY = re.compile(r"^\s*(?:دولار|dollars?\b|usd\b|يورو|euros?\b|جنيه|pounds?\b|ريال|riyals?\b|درهم|دراهم|dirhams?\b"
                       r"|دينار|dinars?\b|لير[ةه]|lira\b)", re.I)


def past_country(folded: str) -> tuple[str, str]:
    """The currency's country written first ("egyptian pounds" -> ("egyptian", " pounds")), or
    ("", the text as it was)."""
    m = _CURRENCY_COUNTRY.match(folded)
    return (m.group(1), " " + folded[m.end() :]) if m else ("", folded)


@lru_cache(maxsize=256)
def _forms_asked(question: Question) -> tuple[frozenset[str], tuple[measures.Measure, ...], bool]:
    """What the question counts, the measures it asks for, and whether it asks a price: read once
    a question, not once a candidate sentence."""
    wanted = () if measures.asked_in_units(question.text) else tuple(measures.asked(question.text))
    return counted_nouns(question), wanted, bool(_PRICE_ASKED.search(question.text))


def holds_answer_form(sentence: str, question: Question) -> bool:
    """The sentence writes a number in the form the question asks for, in the question's
    language: a count of what it counts ("37 stations" for "how many stations"), a measure in its
    unit ("200 kilometres" for "how far"), or money for a price ("6 riyals", "$5")."""
    counted, wanted, price = _forms_asked(question)
    if not (counted or wanted or price) or language_of(sentence) != question.language:
        return False
    for n in find_numbers(sentence):
        if is_year(n, sentence):
            continue
        if counted and counts(sentence, n) & counted and not attributive(sentence, n, question):
            return True
        if wanted and measures.unit_after(sentence, n.end, list(wanted)):
            return True
        if price and (_CURRENCY.match(past_country(fold(sentence[n.end : n.end + 30])[0])[1])
                      or (n.start > 0 and sentence[n.start - 1] in "$€£")):
            return True
    return False


def counts(sentence: str, number: Number) -> frozenset[str]:
    """The stems of the word right after the number, past "more", "other", "new" and the like but
    not past "of" ("37 stations", "3 new stations", not "two of the Panthers three"), with what a
    measure is of ("2 million litres of diesel")."""
    words = WORD.findall(sentence[number.end : number.end + 40])[:3]
    while words and words[0].lower() in FILLERS - {"of", "the", "من"}:
        words.pop(0)
    if len(words) == 3 and words[1].lower() in ("of", "من"):  # "2 million litres of diesel"
        return stems(words[0]) | stems(words[2])
    return stems(words[0]) if words else frozenset()


_PLURAL_ASKED = re.compile(r"\bhow\s+many\s+(?:more\s+)?(?:of\s+(?:the\s+)?)?([a-z]+?)(es|s)\b", re.I)


def attributive(sentence: str, number: Number, question: Question) -> bool:
    """A number before the singular of the plural asked counts something the singular describes:
    "2 passenger trains" for "how many passengers" (a count above one takes the plural)."""
    m = _PLURAL_ASKED.search(question.text)
    if not m or number.value == 1:
        return False
    after = WORD.findall(sentence[number.end : number.end + 40])[:2]
    singulars = {m.group(1).lower(), (m.group(1) + m.group(2)[:-1]).lower()}
    return len(after) == 2 and after[0].lower() in singulars
