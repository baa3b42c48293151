"""What a measure is written in, in both languages: so that "how far" is answered by "340 miles"
and "كم كانت سرعة الرياح" by "110 ميل في الساعة", never by a bare count in the same sentence.

Each measure pairs the words of a question that asks for it with the units a number of it is
written in. Matched on folded text (``index/numbers.fold``): no diacritics, ta marbuta as ha,
alef forms as one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .numbers import fold


@dataclass(frozen=True)
class Measure:
    name: str
    asked: re.Pattern[str]  # the question asks for it
    unit: re.Pattern[str]  # what follows a number of it


_MEASURES = [
    Measure("speed",
            re.compile(r"\bspeed|\bhow\s+fast\b|\bvelocity\b|سرع[هة]", re.I),
            re.compile(r"^\s*(?:mph\b|km\s*/\s*h\b|kph\b|knots?\b|(?:miles?|kilomet(?:re|er)s?|km)\s+(?:per|an|a)\s+hour\b"
                       r"|(?:ميل|كيلومتر|كم)\w*\s*(?:في\s+الساعه|/\s*(?:الساعه|ساعه|س)\b)|عقد[هة]\b)")),
    Measure("distance",
            re.compile(r"\bhow\s+far\b|\bdistance\b|\bhow\s+(?:long|high|deep|tall|wide)\b|مساف[هة]|[يت]بعد|ارتفاع|طول|عمق", re.I),
            re.compile(r"^\s*(?:miles?\b|mi\b|km\b|kilomet(?:re|er)s?\b|met(?:re|er)s?\b|m\b|feet\b|ft\b"
                       r"|ميل\w*|كم\b|كيلومتر\w*|متر\w*|قدم\b|اقدام\b)")),
    Measure("duration",
            re.compile(r"\bhow\s+long\b|\bfor\s+how\s+many\s+(?:hours|days|weeks|months|years)\b"
                       r"|(?:^|\s)(?:كم\s+(?:من\s+)?(?:ساع|يوم|اسبوع|أسبوع|شهر|سن|عام|دقيق)\w*|ما\s+مد[هة]|كم\s+استمر|كم\s+دام)", re.I),
            re.compile(r"^\s*(?:hours?\b|days?\b|weeks?\b|months?\b|years?\b|minutes?\b|ساع\w*|يوم\w*|ايام\b|اسبوع\w*|اسابيع\b"
                       r"|شهر\w*|اشهر\b|سنه\b|سنوات\b|سنين\b|عام\w*|اعوام\b|دقيق\w*|دقائق\b)")),
    Measure("temperature",
            re.compile(r"\btemperature|\bhow\s+(?:hot|cold|warm)\b|حرار[هة]", re.I),
            re.compile(r"^\s*(?:[°º]\s*[cf]?\b|[°º]|degrees?(?:\s+(?:celsius|fahrenheit|centigrade))?\b|درج[هة]\s+مئوي[هة]|درج[هة]|درجات)")),
    Measure("area",
            re.compile(r"\barea\b|\bhow\s+(?:large|big)\b|\bsquare\b|مساح[هة]|مربع", re.I),
            re.compile(r"^\s*(?:square\s+\w+|sq\s*\w+|km2|km²|hectares?\b|acres?\b|(?:ميل|كيلومتر|كم|متر)\w*\s+مربع\w*|هكتار\w*|فدان\w*)")),
]


def asked(question: str) -> list[Measure]:
    """The measures the question asks for ("how far" -> distance)."""
    return [m for m in _MEASURES if m.asked.search(question)]


_UNIT_COUNTED = re.compile(r"\bhow\s+many\s+(?:square\s+|cubic\s+)?(?:miles|kilomet|km|met(?:re|er)s|feet|foot|degrees|acres|hectares)"
                           r"|(?:^|\s)ب?كم\s+(?:ميل|كيلومتر|متر|قدم|درج|فدان|هكتار)", re.I)


def asked_in_units(question: str) -> bool:
    """The question names the unit it counts in ("how many square kilometres", "كم ميلا"): its
    counted noun then says which number answers, not the measure."""
    return bool(_UNIT_COUNTED.search(fold(question)[0]))


def unit_after(sentence: str, end: int, measures: list[Measure]) -> str:
    """The unit of one of ``measures`` written right after a number ending at ``end``, as the
    sentence writes it ("ميلاً", "miles per hour"), or "" when none follows."""
    tail = sentence[end : end + 40]
    folded, where = fold(tail)
    for measure in measures:
        m = measure.unit.match(folded)
        if m and m.end() > m.start():
            last = where[m.end() - 1] + 1
            while last < len(tail) and unicodedata.category(tail[last]) == "Mn":  # "ميلاً": the tanween too
                last += 1
            return tail[:last].strip()
    return ""
