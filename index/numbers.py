"""Numbers in Arabic and English text, as exact values: "20 ألف" == "20,000" == "٢٠٬٠٠٠" == 20000.

Used to check that a written answer invents no number (every number it states must be in a
passage it cites) and to write a number for the asker (``format_number``). Read here:

- digits of any script (Western, Arabic-Indic, Persian, fullwidth, and superscript or subscript
  ones: ``unicodedata.digit``), with thousands separators (``,`` ``٬``, or
  ``.`` in groups of three when there are at least two groups) and a decimal part (``.`` ``٫``);
- a scale word after them: thousand / million / billion / trillion (k, m, bn), ألف / آلاف /
  مليون / ملايين / مليار / مليارات / بليون / تريليون;
- number words: English (one ... ninety-nine, hundred, a thousand, two million) and Arabic
  (واحد ... عشرة in both genders, the tens, مئة / مائة / مئتان, ألف / ألفان / آلاف, مليون ...),
  with the prefixes و ب ل ف ك; the Arabic duals in every case and in construct (ألفي، ألفا
  جندي، مئتا، مئتي، مليوني، ملياري), "أحد عشر" / "اثنا عشر"; "a dozen", "two dozen", "a score of",
  "half a million" / "نصف مليون".

Plural scale words on their own ("thousands", "آلاف", "ملايين", "dozens") say "many", not a number, and
are not read. Ordinals ("first", "الأول") are not numbers either.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_DIACRITICS = {chr(c) for c in range(0x064B, 0x0653)} | {"\u0670", "\u0640"}
_FOLD = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي"}
_SEPARATORS = {"٬": ",", "٫": ".", "，": ",", "．": "."}


class _FoldTable(dict[int, str | None]):
    """code point -> its folded form, for ``str.translate``: filled as characters are met, since
    the digits alone are hundreds of code points (any script's decimal digits, and superscript,
    subscript, circled and fullwidth ones: a reply's "⁶" is the number 6, not a sign)."""

    def __missing__(self, code: int) -> str | None:
        ch = chr(code)
        digit = unicodedata.digit(ch, None) if code > 127 else None
        folded = None if ch in _DIACRITICS else _FOLD.get(ch) or _SEPARATORS.get(ch) or (
            str(digit) if digit is not None else ch.lower())
        self[code] = folded
        return folded


_TABLE = _FoldTable()


def fold(text: str) -> tuple[str, list[int]]:
    """Text for matching (diacritics dropped, alef/ta marbuta folded, digits Western, lower case)
    and, for each of its characters, the index of the character it came from."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        folded = _TABLE[ord(ch)]
        if folded is None:
            continue
        out.append(folded[:1])
        where.append(i)
    return "".join(out), where


def fold_text(text: str) -> str:
    """``fold(text)[0]`` without the positions, in one ``str.translate`` (several times faster
    than ``fold``'s loop over characters): for matching words when where they stand is not needed."""
    return text.translate(_TABLE)


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
    "اثنا": 2, "اثني": 2,  # "اثنا عشر"
    "ثلاث": 3, "ثلاثه": 3, "اربع": 4, "اربعه": 4, "خمس": 5, "خمسه": 5, "ست": 6, "سته": 6,
    "سبع": 7, "سبعه": 7, "ثمان": 8, "ثماني": 8, "ثمانيه": 8, "تسع": 9, "تسعه": 9, "عشر": 10, "عشره": 10,
    "عشرون": 20, "عشرين": 20, "ثلاثون": 30, "ثلاثين": 30, "اربعون": 40, "اربعين": 40,
    "خمسون": 50, "خمسين": 50, "ستون": 60, "ستين": 60, "سبعون": 70, "سبعين": 70,
    "ثمانون": 80, "ثمانين": 80, "تسعون": 90, "تسعين": 90,
}
_HUNDREDS = {"hundred": 100, "مئه": 100, "مائه": 100, "ماءه": 100}
# Arabic duals, in every case and in construct ("مئتا جندي", "بألفي حاوية"): a number by itself.
_AR_DUALS = {
    f"{stem}{ending}": value
    for stem, value in (("مئت", 200), ("مائت", 200), ("الف", 2000), ("مليون", 2 * 10**6), ("مليار", 2 * 10**9))
    for ending in ("ان", "ين", "ا", "ي")
}
# "ألفا", "مليونا", "مليارا" after a number are the singular ("عشرون ألفا" = 20,000); alone, the dual.
_DUAL_ALONE = {"الفا", "مليونا", "مليارا"}
# "a dozen", "two dozen", "a score of", "four score and seven": multipliers like "hundred".
_MULTIPLIERS = {"dozen": 12, "score": 20}
# "ثلاثمائة" .. "تسعمائة" in one word.
_HUNDREDS.update({f"{unit}{h}": value * 100 for unit, value in (("ثلاث", 3), ("اربع", 4), ("خمس", 5), ("ست", 6),
                  ("سبع", 7), ("ثمان", 8), ("تسع", 9)) for h in ("مئه", "مائه")})
# Alone, these say "many" ("آلاف المدنيين"), not a number; after a number they multiply.
_PLURAL_SCALES = {"الاف", "الوف", "ملايين", "مليارات", "تريليونات"}
# A lone "one" is mostly not a count ("one of the reports"): not checked.
_LONE_ONE = {"one", "واحد", "واحده"}

_HUNDRED = {"hundred", "مئه", "مائه", "ماءه"}
# "احد عشر", "إحدى عشرة": eleven; alone "أحد" is "one of" or Sunday, not read.
_TEEN_ONE = {"احد", "احدي"}
_TEN = {"عشر", "عشره"}
_HALF = {"half", "نصف"}  # "half a million", "نصف مليون": only before a scale word
_WORD_SCALES = {w: v for w, v in SCALES.items() if v and len(w) > 2}  # not "k", "m", "bn" among words
_NUMBER_WORDS = {**_EN_UNITS, **_AR_UNITS, **_HUNDREDS, **_WORD_SCALES, **_AR_DUALS, **_MULTIPLIERS, **dict.fromkeys(_TEEN_ONE, 1)}

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
        self.total = self.current = Decimal(0)
        self.half = False  # "half a million", "نصف مليون"
        self.words: list[str] = []

    def add(self, value: int, word: str, end: int) -> None:
        self.end = end
        if word in _DUAL_ALONE and self.words:  # "عشرون ألفا": the singular after a number
            value = SCALES[word] or 1
        self.words.append(word)
        if word in _HUNDRED or word in _MULTIPLIERS:  # "three hundred", "ثلاث مئة", "two dozen"
            self.current = max(self.current, Decimal(1)) * value
        elif word in _WORD_SCALES or (word in _DUAL_ALONE and len(self.words) > 1):  # "twenty thousand"
            self.total += (Decimal("0.5") if self.half and not self.current else max(self.current, Decimal(1))) * value
            self.current = Decimal(0)
            self.half = False
        elif word in _AR_DUALS:  # "ألفان", "مئتا"
            self.total += value
        else:  # units, tens, "ثلاثمائة"
            self.current += value

    def value(self) -> Decimal | None:
        """The run's value, or None when it says "many" or is a lone "one" (not worth checking)."""
        if self.half:
            return None  # "half" with no scale word after it: "half of the residents"
        if len(self.words) == 1 and (self.words[0] in _PLURAL_SCALES or self.words[0] in _LONE_ONE):
            return None
        return self.total + self.current


_SCORE_OF_DIGITS = re.compile(r"\s+of\s+\d")  # "a score of 2-1" is a result, not twenty


def _counts_here(word: str, folded: str, match: re.Match, run: _Run | None) -> bool:
    """Words that are numbers only in context: "score" after "a" or a number (not "the score",
    nor "a score of 2-1"), "أحد" only in "أحد عشر" (alone it is "one of", or Sunday)."""
    if word == "score":
        before = folded[: match.start()].split()[-1:]
        return (run is not None or before == ["a"]) and not _SCORE_OF_DIGITS.match(folded, match.end())
    if word in _TEEN_ONE:
        return folded[match.end() :].split(maxsplit=1)[:1] in [[w] for w in _TEN]
    return True


def _word_numbers(folded: str, taken: list[bool]) -> list[tuple[Decimal, int, int]]:
    """(value, start, end) of each run of number words in folded text, outside spans `taken`."""
    found: list[tuple[Decimal, int, int]] = []
    run: _Run | None = None

    def close() -> None:
        nonlocal run
        if run is not None and (value := run.value()) is not None:
            found.append((value, run.start, run.end))
        run = None

    for match in _WORD.finditer(folded):
        word = match.group()
        if any(taken[match.start() : match.end()]):
            value, bare = None, word
        elif word in _HALF or _AR_PREFIX.sub("", word) in _HALF:
            close()
            run = _Run(match.start())
            run.half, run.end = True, match.end()
            continue
        else:
            value, bare = _word_value(word)
            if value is not None and not _counts_here(bare, folded, match, run):
                value = None
        if value is None:
            if not ((word == "and" and run is not None) or (word == "a" and run is not None and run.half)):
                close()
            continue
        if run is not None and folded[run.end : match.start()].strip() not in ("", "and", "-", "a"):
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
    spans += _word_numbers(folded, taken)
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
