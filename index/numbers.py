"""Numbers in Arabic and English text, as exact values: "20 ألف" == "20,000" == "٢٠٬٠٠٠" == 20000.

Used to check that a written answer invents no number (every number it states must be in a
passage it cites) and to write a number for the asker (``format_number``). Read here:

- digits, Western or Arabic-Indic (and Persian), with thousands separators (``,`` ``٬``, or
  ``.`` in groups of three when there are at least two groups) and a decimal part (``.`` ``٫``);
- a scale word after them: thousand / million / billion / trillion (k, m, bn), ألف / آلاف /
  مليون / ملايين / مليار / مليارات / بليون / تريليون;
- number words: English (one ... ninety-nine, hundred, a thousand, two million) and Arabic
  (واحد ... عشرة in both genders, the tens, مئة / مائة / مئتان, ألف / ألفان / آلاف, مليون ...),
  with the prefixes و ب ل ف ك.

Plural scale words on their own ("thousands", "آلاف", "ملايين") say "many", not a number, and
are not read. Ordinals ("first", "الأول") are not numbers either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_DIACRITICS = {chr(c) for c in range(0x064B, 0x0653)} | {"\u0670", "\u0640"}
_FOLD = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي"}
_DIGITS = {chr(zero + d): str(d) for zero in (0x0660, 0x06F0) for d in range(10)}
_SEPARATORS = {"٬": ",", "٫": "."}


def fold(text: str) -> tuple[str, list[int]]:
    """Text for matching (diacritics dropped, alef/ta marbuta folded, digits Western, lower case)
    and, for each of its characters, the index of the character it came from."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch in _DIACRITICS:
            continue
        ch = _FOLD.get(ch) or _DIGITS.get(ch) or _SEPARATORS.get(ch) or ch.lower()
        out.append(ch[:1])
        where.append(i)
    return "".join(out), where


_TABLE = str.maketrans({**{ch: None for ch in _DIACRITICS}, **_FOLD, **_DIGITS, **_SEPARATORS})


def fold_text(text: str) -> str:
    """``fold(text)[0]`` without the positions, in one ``str.translate`` (several times faster
    than ``fold``'s loop over characters): for matching words when where they stand is not needed."""
    return text.translate(_TABLE).lower()


SCALES = {
    "thousand": 10**3, "thousands": None, "k": 10**3,
    "million": 10**6, "millions": None, "m": 10**6, "mn": 10**6,
    "billion": 10**9, "billions": None, "bn": 10**9,
    "trillion": 10**12, "trillions": None,
    "الف": 10**3, "الاف": 10**3, "الفا": 10**3, "الوف": 10**3,
    "مليون": 10**6, "ملايين": 10**6, "مليونا": 10**6,
    "مليار": 10**9, "مليارات": 10**9, "مليارا": 10**9, "بليون": 10**9,
    "تريليون": 10**12, "تريليونات": 10**12,
}
# After digits every Arabic form is a multiplier ("3 آلاف" = 3000); the English plurals are not.
_SCALE_AFTER_DIGITS = sorted((w for w, v in SCALES.items() if v), key=len, reverse=True)

_EN_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_AR_UNITS = {
    "واحد": 1, "واحده": 1, "اثنان": 2, "اثنين": 2, "اثنتان": 2, "اثنتين": 2,
    "ثلاث": 3, "ثلاثه": 3, "اربع": 4, "اربعه": 4, "خمس": 5, "خمسه": 5, "ست": 6, "سته": 6,
    "سبع": 7, "سبعه": 7, "ثمان": 8, "ثماني": 8, "ثمانيه": 8, "تسع": 9, "تسعه": 9, "عشر": 10, "عشره": 10,
    "عشرون": 20, "عشرين": 20, "ثلاثون": 30, "ثلاثين": 30, "اربعون": 40, "اربعين": 40,
    "خمسون": 50, "خمسين": 50, "ستون": 60, "ستين": 60, "سبعون": 70, "سبعين": 70,
    "ثمانون": 80, "ثمانين": 80, "تسعون": 90, "تسعين": 90,
}
_HUNDREDS = {"hundred": 100, "مئه": 100, "مائه": 100, "ماءه": 100, "مئتان": 200, "مئتين": 200, "مائتان": 200, "مائتين": 200}
# Arabic duals: a scale word that is a number by itself.
_AR_DUALS = {"الفان": 2000, "الفين": 2000, "مليونان": 2 * 10**6, "مليونين": 2 * 10**6, "ملياران": 2 * 10**9, "مليارين": 2 * 10**9}
# "ثلاثمائة" .. "تسعمائة" in one word.
_HUNDREDS.update({f"{unit}{h}": value * 100 for unit, value in (("ثلاث", 3), ("اربع", 4), ("خمس", 5), ("ست", 6),
                  ("سبع", 7), ("ثمان", 8), ("تسع", 9)) for h in ("مئه", "مائه")})
# Alone, these say "many" ("آلاف المدنيين"), not a number; after a number they multiply.
_PLURAL_SCALES = {"الاف", "الوف", "ملايين", "مليارات", "تريليونات"}
# A lone "one" is mostly not a count ("one of the reports"): not checked.
_LONE_ONE = {"one", "واحد", "واحده"}

_HUNDRED = {"hundred", "مئه", "مائه", "ماءه"}
_WORD_SCALES = {w: v for w, v in SCALES.items() if v and len(w) > 2}  # not "k", "m", "bn" among words
_NUMBER_WORDS = {**_EN_UNITS, **_AR_UNITS, **_HUNDREDS, **_AR_DUALS, **_WORD_SCALES}

_DIGIT_RUN = re.compile(
    r"(?<![\d.,A-Za-z_])(?P<int>\d{1,3}(?:,\d{3})+|\d{1,3}(?:\.\d{3}){2,}|\d+)(?:\.(?P<frac>\d+))?(?![\d])"
    r"(?:[ \u00a0]?(?P<scale>" + "|".join(map(re.escape, _SCALE_AFTER_DIGITS)) + r")(?![^\W\d_]))?"
)
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)?")
_AR_PREFIX = re.compile(r"^(?:و|ف)?(?:ب|ل|ك)?")


@dataclass(frozen=True)
class Number:
    value: Decimal
    start: int  # span in the original text
    end: int


def _digits_value(match: re.Match) -> Decimal | None:
    whole = match["int"].replace(",", "").replace(".", "")
    try:
        value = Decimal(f"{whole}.{match['frac']}" if match["frac"] else whole)
    except InvalidOperation:
        return None
    scale = match["scale"]
    return value * (SCALES[scale] or 1) if scale else value


def _word_value(word: str) -> tuple[int | None, str]:
    """(value, the word without its Arabic prefix) of one number word; (None, word) for other words."""
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word], word
    if "-" in word:  # twenty-one
        a, _, b = word.partition("-")
        if a in _EN_UNITS and b in _EN_UNITS and _EN_UNITS[a] >= 20 and _EN_UNITS[b] < 10:
            return _EN_UNITS[a] + _EN_UNITS[b], word
        return None, word
    stripped = _AR_PREFIX.sub("", word)
    return _NUMBER_WORDS.get(stripped), stripped


class _Run:
    """One run of number words being read: "two hundred and five thousand", "خمسة وعشرون ألفا"."""

    def __init__(self, start: int) -> None:
        self.start = self.end = start
        self.total = self.current = 0
        self.words: list[str] = []

    def add(self, value: int, word: str, end: int) -> None:
        self.end = end
        self.words.append(word)
        if word in _HUNDRED:  # "three hundred", "ثلاث مئة"
            self.current = max(self.current, 1) * 100
        elif word in _WORD_SCALES:  # "twenty thousand", "عشرون ألفا"
            self.total += max(self.current, 1) * value
            self.current = 0
        elif word in _AR_DUALS:  # "ألفان"
            self.total += value
        else:  # units, tens, "مئتان", "ثلاثمائة"
            self.current += value

    def value(self) -> int | None:
        """The run's value, or None when it says "many" or is a lone "one" (not worth checking)."""
        if len(self.words) == 1 and (self.words[0] in _PLURAL_SCALES or self.words[0] in _LONE_ONE):
            return None
        return self.total + self.current


def _word_numbers(folded: str, taken: list[bool]) -> list[tuple[int, int, int]]:
    """(value, start, end) of each run of number words in folded text, outside spans `taken`."""
    found: list[tuple[int, int, int]] = []
    run: _Run | None = None

    def close() -> None:
        nonlocal run
        if run is not None and (value := run.value()) is not None:
            found.append((value, run.start, run.end))
        run = None

    for match in _WORD.finditer(folded):
        word = match.group()
        value, bare = (None, word) if any(taken[match.start() : match.end()]) else _word_value(word)
        if value is None:
            if not (word == "and" and run is not None):
                close()
            continue
        if run is not None and folded[run.end : match.start()].strip() not in ("", "and", "-"):
            close()
        if run is None:
            run = _Run(match.start())
        run.add(value, bare, match.end())
    close()
    return found


def find_numbers(text: str) -> list[Number]:
    """Every number stated in `text`, in order, with its value and its span in `text`."""
    folded, where = fold(text)
    taken = [False] * len(folded)
    spans: list[tuple[Decimal, int, int]] = []
    for match in _DIGIT_RUN.finditer(folded):
        value = _digits_value(match)
        if value is not None:
            spans.append((value, match.start(), match.end()))
            taken[match.start() : match.end()] = [True] * (match.end() - match.start())
    spans += [(Decimal(v), s, e) for v, s, e in _word_numbers(folded, taken)]
    spans.sort(key=lambda item: item[1])
    return [Number(v.normalize(), where[s], _past_marks(text, where[e - 1] + 1)) for v, s, e in spans]


def _past_marks(text: str, end: int) -> int:
    """`end` moved past the diacritics that follow it (they belong to the last letter)."""
    while end < len(text) and text[end] in _DIACRITICS:
        end += 1
    return end


def values(text: str) -> set[Decimal]:
    return {n.value for n in find_numbers(text)}


_EN_NAMES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"))
_AR_NAMES = ((10**12, "تريليون"), (10**9, "مليار"), (10**6, "مليون"), (10**3, "ألف"))


def _plain(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,f}"


def format_number(value: Decimal, lang: str) -> str:
    """A value as a reader of `lang` writes it: 20000 -> "20,000" (en) or "20 ألف" (ar);
    1500000 -> "1.5 million" / "1.5 مليون". Western digits either way, as the articles use."""
    for scale, name in _AR_NAMES if lang == "ar" else _EN_NAMES:
        if value >= scale:
            scaled = value / scale
            exact = Decimal(1) if scale == 10**3 else Decimal("0.01")  # "20 ألف", never "20.5 ألف"
            if scaled == scaled.quantize(exact):
                return f"{_plain(scaled)} {name}"
    return _plain(value)
