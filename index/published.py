"""Publication dates as outlets write them -> one sortable form (dates inside sentences: dates.py).

Articles carry dates in many shapes. ``sortable`` turns each into ``YYYY-MM-DD`` or
``YYYY-MM-DDTHH:MM:SS`` in the publisher's own wall time (the day the article says it is), so
plain string comparison orders them and a day filter is a string range. Fast paths first:
ISO 8601 (``2025-06-04``, ``2025-06-04T10:30:00+03:00``), RSS's RFC 822 (``Wed, 04 Jun 2025
10:30:00 GMT``), ``2025/06/04``, day-first numbers (``24/11/2026``, ``24-11-2026``, ``24.11.2026``:
Arab and British outlets put the day first), and a day, a month's name and a year in English
("November 26, 2026", "26 Nov 2026") or Arabic, in the Egyptian/Gulf (نوفمبر), Levantine (تشرين
الثاني, كانون الأول) or Maghrebi (نونبر, جوان) names, in any digits (٢٥ نوفمبر ٢٠٢٦). What they
miss goes to ``dateparser`` (slow to load: imported on first need), held strictly: Arabic and
English only, absolute dates with a day, a month and a year, numbers day first, nothing filled
in from today. Anything unreadable, or a year outside 1900-2100 (RFC 822's "0001", Hugo's date
for an undated item, is not 2001), is "" (undated): never a guess.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache, lru_cache
from typing import Any

from .normalize import normalize

EARLIEST_YEAR, LATEST_YEAR = 1900, 2100  # outside these, a year is a placeholder or a typo
MAX_CHARS = 200  # a "date" longer than this is not one (and dateparser's time grows with it)

_MONTH_NAMES = {  # as normalize() folds them (alef forms -> ا, ة -> ه, ى -> ي)
    1: "january, jan, يناير, جانفي, كانون الثاني",
    2: "february, feb, فبراير, فيفري, شباط",
    3: "march, mar, مارس, اذار",
    4: "april, apr, ابريل, افريل, نيسان",
    5: "may, مايو, ماي, ايار",
    6: "june, jun, يونيو, يونيه, جوان, حزيران",
    7: "july, jul, يوليو, يوليه, جويليه, يوليوز, تموز",
    8: "august, aug, اغسطس, اوت, غشت, اب",
    9: "september, sept, sep, سبتمبر, شتنبر, ايلول",
    10: "october, oct, اكتوبر, تشرين الاول",
    11: "november, nov, نوفمبر, نونبر, تشرين الثاني",
    12: "december, dec, ديسمبر, دجنبر, كانون الاول",
}
_MONTHS = {name.strip(): month for month, names in _MONTH_NAMES.items() for name in names.split(",")}
_MONTH = "(" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + ")"
# "3 كانون الأول/ديسمبر 2026", "26th November, 2026", "25 نوفمبر، 2026 م"
_DAY_MONTH_YEAR = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?(?:\s*[/(]\s*{_MONTH}\)?)?[\s,،]+(\d{{4}})(?!\d)"
)
_MONTH_DAY_YEAR = re.compile(rf"(?<![^\W\d_]){_MONTH}\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?[\s,،]+(\d{{4}})(?!\d)")
_YMD = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DMY = re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)")
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
# RFC 822 as feeds write it: [weekday,] day month year time [zone]; its year as written (not a
# zone like +0300)
_RFC822 = re.compile(r"(?:[A-Za-z]{3},?\s*)?\d{1,2}\s+[A-Za-z]{3}\s+(\d{2,4})\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s+\S+)?")


@lru_cache(maxsize=8192)
def sortable(value: str) -> str:
    """A publication date -> ``YYYY-MM-DD[THH:MM:SS]``, or "" when it cannot be read (kept:
    an indexing run asks again for the articles it reports undated)."""
    value = " ".join((value or "").split())
    if not value or len(value) > MAX_CHARS:
        return ""
    for parse in (_iso, _rfc822):
        found = parse(value)
        if found is not None:  # its shape: read, or decided undated (RFC 822's year 0001)
            return found
    folded = normalize(value)
    return _numbers(folded) or _named(folded) or _by_dateparser(value)


def _plausible(moment: date | datetime | None, with_time: bool = False) -> str:
    if moment is None or not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        return ""
    if with_time and isinstance(moment, datetime):
        return moment.replace(tzinfo=None, microsecond=0).isoformat()
    return (moment.date() if isinstance(moment, datetime) else moment).isoformat()


def _iso(value: str) -> str | None:
    """ISO 8601; None when the value is not in that shape."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return _plausible(moment, with_time=len(value) > 10)


def _rfc822(value: str) -> str | None:
    """RFC 822 as feeds write it; None when the value is not in that shape."""
    shape = _RFC822.fullmatch(value)
    if not shape:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return ""
    if len(shape.group(1)) == 4 and int(shape.group(1)) != moment.year:
        return ""  # "0001" is read as 2001: the year written is the year
    return _plausible(moment, with_time=True)


def _day(year: str | int, month: str | int, day: str | int) -> str:
    try:
        return _plausible(date(int(year), int(month), int(day)))
    except ValueError:
        return ""


def _numbers(folded: str) -> str:
    """``2025/06/04`` (year first), else ``24/11/2026`` or ``24-11-2026`` (day first)."""
    match = _YMD.search(folded)
    if match:
        return _day(*match.groups())
    match = _DMY.search(folded)
    return _day(match.group(3), match.group(2), match.group(1)) if match else ""


def _named(folded: str) -> str:
    """A day, a month's name and a year, either way round ("26 Nov 2026", "November 26, 2026")."""
    match = _DAY_MONTH_YEAR.search(folded)
    if match:
        day, month, _, year = match.groups()
        return _day(year, _MONTHS[month], day)
    match = _MONTH_DAY_YEAR.search(folded)
    if match:
        month, day, year = match.groups()
        return _day(year, _MONTHS[month], day)
    return ""


@cache
def _parser() -> Any:
    from dateparser.date import DateDataParser  # noqa: PLC0415 -- ~0.2 s to load: only for the odd shapes

    return DateDataParser(languages=["ar", "en"], settings={
        "STRICT_PARSING": True, "REQUIRE_PARTS": ["day", "month", "year"], "DATE_ORDER": "DMY",
        "PARSERS": ["custom-formats", "absolute-time"], "RETURN_AS_TIMEZONE_AWARE": False,
    })


def _by_dateparser(value: str) -> str:
    """The shapes the fast paths miss ("Sunday, November 26, 2026 5:04 PM", "الأحد، 25 نوفمبر 2026")."""
    if not any(ch.isdigit() for ch in value):
        return ""  # no day or year written: nothing to read
    try:
        moment = _parser().get_date_data(value).date_obj
    except Exception:  # noqa: BLE001 -- a library's failure on one odd value is that value undated
        return ""
    if moment is None or not any(int(y) == moment.year for y in _YEAR.findall(normalize(value))):
        return ""
    return _plausible(moment, with_time=bool(moment.hour or moment.minute or moment.second))


# ---------------------------------------------------------------- showing and computing days

_SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def readable(stamp: str) -> str:
    """A ``sortable`` stamp as people read it: "26 Nov 2026", "26 Nov 2026 10:30"; "" for ""."""
    if not stamp:
        return ""
    day = date.fromisoformat(stamp[:10])
    shown = f"{day.day} {_SHORT_MONTHS[day.month - 1]} {day.year}"
    clock = stamp[11:16]
    return f"{shown} {clock}" if clock and stamp[11:] != "00:00:00" else shown


def shown_date(stamp: str, written: str) -> str:
    """What a reader is shown of an article's date: the readable form, else (undated) as written."""
    return readable(stamp) or " ".join((written or "").split())


def parse_day(value: str) -> date:
    """A ``--since`` / ``--until`` argument (``YYYY-MM-DD``) -> a date; ValueError with the reason."""
    match = _YMD.fullmatch(value.strip())
    try:
        if match:
            return date(*(int(g) for g in match.groups()))
    except ValueError:
        pass
    raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)")


def day_of(stamp: str) -> date | None:
    """The day of a ``sortable`` stamp, or None for an undated article."""
    return date.fromisoformat(stamp[:10]) if stamp else None


def shift(day: date, days: int) -> date:
    """``day`` moved by ``days``, held within the calendar (date.min .. date.max): never an OverflowError."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def end_of(day: date) -> str:
    """A string above every stamp of ``day`` and below the next day's ("2026-11-26T99"):
    ``stamp <= end_of(day)`` holds for that whole day and no later one, date.max included
    (no next day to compute, so nothing to overflow)."""
    return f"{day.isoformat()}T99"
