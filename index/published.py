"""Publication dates as articles give them -> one sortable form (dates inside sentences: dates.py).

Articles carry dates in many shapes: ISO 8601 (``2025-06-04``, ``2025-06-04T10:30:00+03:00``),
RSS's RFC 822 (``Wed, 04 Jun 2025 10:30:00 GMT``), ``2025/06/04``. ``sortable`` turns each into
``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM:SS`` in the publisher's own wall time (the day the article
says it is), so plain string comparison orders them and a day filter is a string range.
Anything unreadable is "" (undated): never a guess.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime

_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


def sortable(value: str) -> str:
    """A publication date -> ``YYYY-MM-DD[THH:MM:SS]``, or "" when it cannot be read."""
    value = (value or "").strip()
    if not value:
        return ""
    for parse in (_iso, _rfc822, _ymd):
        found = parse(value)
        if found:
            return found
    return ""


def _iso(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if len(value) <= 10:
        return moment.date().isoformat()
    return moment.replace(tzinfo=None, microsecond=0).isoformat()


def _rfc822(value: str) -> str:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return ""
    return moment.replace(tzinfo=None, microsecond=0).isoformat() if moment else ""


def _ymd(value: str) -> str:
    match = _YMD.search(value)
    if not match:
        return ""
    try:
        return date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:
        return ""


def parse_day(value: str) -> date:
    """A ``--since`` / ``--until`` argument (``YYYY-MM-DD``) -> a date; ValueError with the reason."""
    found = _ymd(value.strip()) if _YMD.fullmatch(value.strip()) else ""
    if not found:
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)")
    return date.fromisoformat(found)


def day_of(stamp: str) -> date | None:
    """The day of a ``sortable`` stamp, or None for an undated article."""
    return date.fromisoformat(stamp[:10]) if stamp else None


def next_day(day: date) -> date:
    return day + timedelta(days=1)
