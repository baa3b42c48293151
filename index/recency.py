"""Questions about time: "the latest", "today", "yesterday", "this week" (آخر، أحدث، اليوم، أمس،
هذا الأسبوع).

A corpus is read some time after its news was written, so a relative day is taken relative to
its newest article, not to the clock: "today" is the newest article's day, "yesterday" the day
before, "this week" its last seven days. The clock only bounds it: an article dated after
the real day (one day of slack for time zones) is a typo or a placeholder, never "today"
(``horizon``). Every day computed is held within the calendar (``published.shift``): an article
or a filter at 9999-12-31 cannot overflow.

A source the question names ("ماذا نشرت الشرق اليوم عن السيول؟", "What did USA Today say?") is
found among the index's sources first (``named_source``, on normalised names) and taken out of
the question before any time word is read: "اليوم" in an outlet's name is not "today". "Latest" ranks the passages that answer by date,
newest first. A question that is only about time ("What happened yesterday?", "ما آخر
الأخبار؟") has no topic to search for: it is answered with the newest articles of its window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

from .filters import ArticleFilter, FilterError, source_key
from .normalize import normalize, tokens
from .published import day_of, end_of, shift

SLACK_DAYS = 1  # a date up to a day after the clock's is today somewhere (time zones)

_END = r"(?=\s|$|[؟?!.,،])"
_PATTERNS = {  # on normalize()d text: alef and hamza forms folded, ة -> ه
    "today": re.compile(r"\btoday\b|\btonight\b|(?:^|\s)(?:و?اليوم|الليله)" + _END),
    "yesterday": re.compile(r"\byesterday\b|(?:^|\s)(?:و?امس|البارحه)" + _END),
    "week": re.compile(r"\bthis week\b|\bpast (?:7 days|week)\b|(?:^|\s)(?:هذا|خلال) الاسبوع" + _END),
    "latest": re.compile(
        r"\b(?:latest|newest|most recent|recent(?:ly)?)\b|(?:^|\s)(?:اخر|احدث)\s+(?:ال(?!ي" + _END + r")\S|ما" + _END + r")"
        r"|(?:^|\s)(?:الاحدث|الاخيره|الاخير)" + _END
    ),
}
# Words that only say "news, about time": a question made of nothing else has no topic.
_GENERIC = frozenset(tokens(
    "what whats what's is are was were the news new happened happening happen did any tell me about give "
    "headlines top stories story latest newest most recent recently today tonight yesterday this past week "
    "there been in of on a an and report reported say said "
    "ما ماذا هي هو الاخبار اخبار الخبر خبر اخر احدث حدث جرى يحدث يجري اليوم امس البارحه هذا الاسبوع خلال "
    "في عن من ال الجديد جديد اهم"
))


TIME_WORDS = _GENERIC  # the terms of a question that are about time and news, not its topic


@dataclass(frozen=True)
class TimeQuestion:
    kind: str | None  # "today", "yesterday", "week", "latest" or None
    topicless: bool  # nothing but time and "news": answer with the newest articles

    @property
    def by_date(self) -> bool:
        return self.kind is not None or self.topicless


def read_time(question: str, named_source: str = "") -> TimeQuestion:
    """``named_source``: a source the question names ("What did Reuters report?"), not a topic,
    and no time word ("USA Today", "المصري اليوم")."""
    folded = normalize(question)
    if named_source:
        folded = _naming(named_source).sub(" ", folded)
    kind = next((name for name, pattern in _PATTERNS.items() if pattern.search(folded)), None)
    topic = set(tokens(question)) - _GENERIC - set(tokens(named_source))
    return TimeQuestion(kind, not topic and (kind is not None or bool(named_source)))


@lru_cache(maxsize=4096)
def _naming(source: str) -> re.Pattern:
    """Where a normalised question names ``source``: its words as whole words, any punctuation
    or spaces between them ("al-masry al-youm", "reuters?")."""
    words = re.findall(r"[^\W_]+", source_key(source))
    return re.compile(r"(?<![^\W_])" + r"[\W_]+".join(map(re.escape, words)) + r"(?![^\W_])") if words else re.compile(r"(?!)")


def named_source(question: str, sources: list[str]) -> str:
    """The longest of the index's sources that the question names as whole words, or ""."""
    folded = normalize(question)
    found = [s for s in sources if len(source_key(s)) >= 3 and _naming(s).search(folded)]
    return max(found, key=lambda s: len(source_key(s)), default="")


def horizon(today: date) -> str:
    """The latest stamp a question asked ``today`` takes as real: to the end of the next day."""
    return end_of(shift(today, SLACK_DAYS))


def window(kind: str | None, newest: str) -> tuple[date | None, date | None]:
    """The days a relative question covers, given the newest (real) article's ``published_at``."""
    last = day_of(newest)
    if kind not in ("today", "yesterday", "week") or last is None:
        return None, None
    if kind == "today":
        return last, last
    if kind == "yesterday":
        return shift(last, -1), shift(last, -1)
    return shift(last, -6), last


def narrowed(where: ArticleFilter, since: date | None, until: date | None) -> ArticleFilter | None:
    """The filter with a relative window laid over it; None when the two leave no day at all."""
    since = max((d for d in (where.since, since) if d), default=None)
    until = min((d for d in (where.until, until) if d), default=None)
    try:
        return replace(where, since=since, until=until)
    except FilterError:
        return None
