"""Dates in Arabic and English sentences, written for a reader of either language.

Read (best first): a full date ("5 مارس 2024", "March 5, 2024", "2024-03-05"), a month and year
("آذار 2023"), a weekday ("الأربعاء"), a year ("عام 2014", "in 2014"), a relative day ("أمس").
Month names: English, and Arabic in both the Egyptian (يناير) and Levantine (كانون الثاني) series.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from .numbers import fold, fold_text

MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]
MONTHS_AR = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"]
_LEVANTINE = ["كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول", "تشرين الأول",
              "تشرين الثاني", "كانون الأول"]
WEEKDAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WEEKDAYS_AR = ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"]
RELATIVE = {"امس": ("yesterday", "أمس"), "yesterday": ("yesterday", "أمس"),
            "الاسبوع الماضي": ("last week", "الأسبوع الماضي"), "last week": ("last week", "الأسبوع الماضي"),
            "الشهر الماضي": ("last month", "الشهر الماضي"), "last month": ("last month", "الشهر الماضي"),
            "العام الماضي": ("last year", "العام الماضي"), "last year": ("last year", "العام الماضي")}


def _month_table() -> dict[str, int]:
    table: dict[str, int] = {}
    for number, names in enumerate(zip(MONTHS_EN, MONTHS_AR, _LEVANTINE), 1):
        for name in names:
            table[fold(name)[0]] = number
        table[names[0][:3].lower()] = number
    table[fold("إبريل")[0]] = 4
    return table


_MONTHS = _month_table()
_MONTH_NAMES = "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True))
# A month named twice, as Levantine and Egyptian/Gulf writing pair them: "كانون الثاني/يناير",
# "يناير (كانون الثاني)": one month, not a day in one and a year in the other.
_MONTH = rf"(?P<month>{_MONTH_NAMES})\.?(?:\s*/\s*(?:{_MONTH_NAMES})|\s*\(\s*(?:{_MONTH_NAMES})\s*\))?"
_WEEKDAYS = {fold(name)[0]: i for i, name in enumerate(WEEKDAYS_AR)} | {n.lower(): i for i, n in enumerate(WEEKDAYS_EN)}
_B, _E = r"(?<![^\W\d_])", r"(?![^\W\d_])"  # word edges that work for Arabic script too
_PATTERNS = [
    re.compile(r"(?P<year>\d{4})-(?P<mnum>\d{2})-(?P<day>\d{2})"),
    re.compile(rf"{_B}(?<!\d)(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:من\s+)?(?:(?:of|شهر)\s+)?{_MONTH}{_E}(?:\s*,?\s*(?:عام\s+|سنه\s+)?(?P<year>\d{{4}}))?"),
    re.compile(rf"{_B}{_MONTH}\s+(?P<day>\d{{1,2}})(?!\d)(?:st|nd|rd|th)?{_E}(?:\s*,?\s*(?P<year>\d{{4}}))?"),
    re.compile(rf"{_B}{_MONTH}\s+(?:(?:من\s+)?(?:عام|سنه)\s+)?(?P<year>\d{{4}})"),
]
_WEEKDAY = re.compile(r"(?<![^\W_])(?:يوم\s+)?[وب]?(?P<weekday>" + "|".join(map(re.escape, _WEEKDAYS)) + r")(?![^\W_])")
_YEAR = re.compile(r"(?<!\d)(?P<year>1[89]\d\d|20\d\d)(?!\d)")
_RELATIVE = re.compile(r"(?<![^\W_])(?P<rel>" + "|".join(map(re.escape, RELATIVE)) + r")(?![^\W_])")


@dataclass(frozen=True)
class DateMention:
    day: int | None = None
    month: int | None = None
    year: int | None = None
    weekday: int | None = None
    relative: str | None = None
    start: int = 0  # span in the sentence
    end: int = 0


def find_date(sentence: str) -> DateMention | None:
    """The most precise date the sentence states, or None."""
    found = find_dates(sentence)
    return found[0] if found else None


def find_dates(sentence: str) -> list[DateMention]:
    """Every date the sentence states, most precise kind first (full dates, month and year,
    weekdays, years, relative days), none overlapping another: a sentence can name the day of
    the event and the day it was reported, and a number inside a date is no count."""
    folded, where = fold(sentence)
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def free(m: re.Match) -> bool:
        return all(m.end() <= a or m.start() >= b for a, b in taken)

    def span(m: re.Match) -> dict:
        return {"start": where[m.start()], "end": where[m.end() - 1] + 1}

    for pattern in _PATTERNS:
        for m in pattern.finditer(folded):
            groups = m.groupdict()
            month = int(groups["mnum"]) if groups.get("mnum") else _MONTHS[m["month"].rstrip(".")]
            day = int(groups["day"]) if groups.get("day") else None
            year = int(groups["year"]) if groups.get("year") else None
            if 1 <= month <= 12 and (day is None or 1 <= day <= 31) and free(m):
                found.append(DateMention(day, month, year, **span(m)))
                taken.append(m.span())
    for pattern, make in ((_WEEKDAY, lambda m: DateMention(weekday=_WEEKDAYS[m["weekday"]])),
                          (_YEAR, lambda m: DateMention(year=int(m["year"]))),
                          (_RELATIVE, lambda m: DateMention(relative=m["rel"]))):
        for m in pattern.finditer(folded):
            if free(m):
                found.append(DateMention(**{**make(m).__dict__, **span(m)}))
                taken.append(m.span())
    return found


# Month names that are not also common words ("march", "may") nor abbreviations ("mar", "آب" =
# father is three letters folded): these name a month wherever they stand; "March" and "May"
# when capitalised; the others only beside a day or a year.
_FREE_MONTHS = {name: number for name, number in _MONTHS.items() if len(name) > 3 and name != "march"}
_MONTH_WORD = re.compile(rf"{_B}[وب]?(?P<month>" + "|".join(sorted(map(re.escape, _FREE_MONTHS), key=len, reverse=True)) + rf"){_E}")
_CAPITALISED = re.compile(r"\b(?P<month>March|May)\b")  # the month, not "march on", "may go"


def date_names(text: str, kinds: Collection[str] = ("weekday", "month")) -> frozenset[str]:
    """The weekdays and months ``text`` names, in either language, as language-free terms
    ("Wednesday" and "الأربعاء" are both ``weekday:2``; "March 2024" and "آذار" ``month:3``):
    what an English question and an Arabic sentence can share word for word. ``kinds``: only
    these are looked for (each kind's patterns cost a few tenths of a millisecond a passage)."""
    folded = fold_text(text)
    found = set()
    if "weekday" in kinds:
        found |= {f"weekday:{_WEEKDAYS[m['weekday']]}" for m in _WEEKDAY.finditer(folded)}
    if "month" in kinds:
        found |= {f"month:{_FREE_MONTHS[m['month']]}" for m in _MONTH_WORD.finditer(folded)}
        found |= {f"month:{_MONTHS[m['month'].lower()]}" for m in _CAPITALISED.finditer(text)}
        for pattern in _PATTERNS[1:]:
            found |= {f"month:{_MONTHS[m['month'].rstrip('.')]}" for m in pattern.finditer(folded)}
    return frozenset(found)


def without_date_names(text: str) -> str:
    """``text`` less its words that name a weekday or a month ("Who arrived on Wednesday?" ->
    "Who arrived on"); ``text`` itself when it names none."""
    if not date_names(text):
        return text
    return " ".join(word for word in text.split() if not date_names(word))


def format_date(date: DateMention, lang: str) -> str:
    ar = lang == "ar"
    if date.relative:
        return RELATIVE[date.relative][1 if ar else 0]
    if date.weekday is not None:
        return (WEEKDAYS_AR if ar else WEEKDAYS_EN)[date.weekday]
    parts = [str(date.day)] if date.day else []
    if date.month:
        parts.append((MONTHS_AR if ar else MONTHS_EN)[date.month - 1])
    if date.year:
        parts.append(str(date.year))
    return " ".join(parts)


_NUMERIC_DATE = re.compile(
    r"(?<![\d.,/-])(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}[/.-]\d{1,2}[/.-]\d{1,2})(?![\d/-])"
)  # 4/6/2025, 04-06-2025, 4.6.25, 2025/06/04
_CLOCK = re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?::\d{2})?(?![\d:])")  # 10:30, 14:05:09
_YEAR_AFTER = re.compile(
    r"(?:\b(?:in|since|until|by|from|to|of|during|year)|(?<![^\W\d_])[وبل]?(?:عام|العام|سنه|السنه|منذ|في|حتي|خلال))"
    r"\s+(?P<year>1[89]\d\d|20\d\d)(?![\d,.]\d)"
)
_COMMON_WORDS = {"may", "march", "mar"}  # month names that are also words: a month only capitalised


def date_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` writes a date or a clock time (spans in ``text``): "2025-06-04", "4/6/2025",
    "June 4", "4 يونيو 2025", "in 2025", "عام 2014", "10:30". The digits inside are a date's,
    not quantities: "6 containers" is not grounded by a passage dated 2025-06-04."""
    folded, where = fold(text)
    spans = []
    for pattern in (*_PATTERNS, _NUMERIC_DATE, _CLOCK, _YEAR_AFTER):
        for m in pattern.finditer(folded):
            if "month" in m.re.groupindex and m["month"] and m["month"].rstrip(".") in _COMMON_WORDS:
                if not text[where[m.start("month")]].isupper():
                    continue
            spans.append((where[m.start()], where[m.end() - 1] + 1))
    return spans
