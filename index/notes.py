"""Why a filtered question found nothing: a note that names the filter and what the index holds.

A filter that matches no article must not read as "the articles don't answer": the person
asked about a source the index has never read ("--source Reuters" on a corpus without
Reuters), or days it holds no article of. The note says which, and what there is instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from .filters import ArticleFilter, matching_sources
from .published import end_of, readable
from .store import Reader

SHOWN_SOURCES = 12  # a note names at most this many of the index's sources
OLDER = "older"  # nothing on the topic in the days asked ("this week"): older passages follow the note


@dataclass(frozen=True)
class FilterNote:
    kind: str  # "source": no article from that source; "dates": none published in those days;
    # OLDER: none on the topic in the days asked, and the passages shown are older
    value: str  # the filter as given ("Reuters", "since 2026-11-20, until 2026-11-25", "27 Nov 2026 to 3 Dec 2026")
    known: tuple[str, ...]  # the index's sources (most articles first), its first and last date, or (OLDER) the
    # newest shown passage's date

    @property
    def replaces_answer(self) -> bool:
        """A filter that matched nothing stands instead of the passages; OLDER stands above them."""
        return self.kind != OLDER

    def text(self) -> str:
        """The note in English, one line (the bot words it in the person's language)."""
        if self.kind == OLDER:
            newest = f"; the newest on it, from {self.known[0]}, comes first" if self.known else ""
            return f"Nothing on this was published {self.value}. Older articles answer it{newest}:"
        if self.kind == "source":
            return f"No article from source {self.value!r}. Sources in the index: {self.known_text()}."
        return f"No article published {self.value}. Dated articles in the index: {self.known_text()}."

    def known_text(self) -> str:
        if self.kind == "dates":
            return " to ".join(self.known) if self.known else "none"
        shown = ", ".join(self.known[:SHOWN_SOURCES]) or "none named"
        more = len(self.known) - SHOWN_SOURCES
        return f"{shown} and {more} more (`rawi sources`)" if more > 0 else shown

    def to_json(self) -> dict:
        return {"kind": self.kind, "filter": self.value, "known": list(self.known), "text": self.text()}


def unmatched(where: ArticleFilter, reader: Reader) -> FilterNote | None:
    """A note when one of the filters, on its own, matches no article of the index; else None."""
    if where.source and not matching_sources(where.source, reader.sources()):
        named = [s.source for s in reader.source_stats() if s.source]
        return FilterNote("source", where.source, tuple(named))
    if where.since or where.until:
        newest = reader.newest_published(end_of(where.until) if where.until else "")
        if not newest or (where.since and newest < where.since.isoformat()):
            stats = [s for s in reader.source_stats() if s.last]
            first, last = min((s.first for s in stats), default=""), max((s.last for s in stats), default="")
            span = ", ".join(p for p in (f"since {where.since}" if where.since else "",
                                         f"until {where.until}" if where.until else "") if p)
            return FilterNote("dates", span, (readable(first), readable(last)) if first else ())
    return None
