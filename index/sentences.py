"""Sentence spans inside a passage, for both languages, and the ids of their vectors.

Lines are hard boundaries. A line that reads as a headline or a section heading (short, and
ending without sentence punctuation) is one span marked ``heading``: it gives context (its vector
helps ranking) but is never offered as the sentence that answers. Any other line ends a sentence
at ``. ! ? ؟ ۔ …`` followed by whitespace (closing quotes and brackets stay with the sentence),
except where the full stop belongs to the words, not to the sentence:

* two full stops (``..``), which Arabic headlines and prose use as a pause, not an end;
* an abbreviation (``Dr.``, ``Gen.``, ``Dec.``, ``No.``, ``د.``) or an initial (``J. K.``, ``م.``);
* a dotted acronym (``U.S.``, ``e.g.``, ``ق.م.``), unless a word that usually opens a sentence
  follows (``... in the U.S. The next day``);
* a list number at the start of a line (``1. ``), or a next word in lower case (``approx. five``).

Decimals (``3.5``) never end a sentence: no whitespace follows their point. The Arabic comma
``،`` never ends one. Spans are character offsets into the given text, trimmed of whitespace.

Libraries measured first (November 2026): pysbd splits Arabic at the comma ``،`` and at ``..``,
and took 11 s for 48 KB of English; blingfire joins a headline to the line after it, cuts at
``..`` and misses ``said. Dr. Smith``. The rules above handle both languages in one linear pass.

Every sentence of every passage is embedded when the passage is indexed (see ``build.py``):
a question usually asks about one sentence, and a long passage's own vector blurs it. Measured
on XQuAD dev (English questions, Arabic paragraphs), ranking by passage cosine plus 0.7 times
the best sentence cosine lifts R@1 from 0.77 to 0.81, and the sentence that answers is then
known without embedding anything at question time. A sentence's vector id is derived from
its passage's id (``sentence_ids``), so the spans need not be stored: they are recomputed
from the passage text, deterministically. Changing these rules changes what an index holds:
bump ``store.manifest.FORMAT_VERSION`` with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

MAX_SENTENCES = 64  # per passage; the rest of a longer passage counts as its last sentence
_ID_BITS = 6  # 2**6 == MAX_SENTENCES
HEADING_MAX_WORDS = 16  # a longer line without final punctuation is prose cut short, not a heading

_WINDOW = 40
_LINE = re.compile(r"[^\n]+")
_END = re.compile(r"([.!?؟۔…]+)([\"'”’»)\]]*)(?=\s)")
_FINAL = re.compile(r"[.!?؟۔…:;,،\"'”’»)\]]\s*$")
_WORD_BEFORE = re.compile(r"(\S+)$")
_WORD_AFTER = re.compile(r"\s+(\S+)")
_ACRONYM = re.compile(r"(?:\w\.)+\w", re.UNICODE)
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt ft gen col lt maj capt sgt cmdr adm gov sen rep pres rev hon
    inc ltd co corp bros dept univ assn est approx vs no nos vol pp fig ch art sec e.g i.e cf
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
    د م ص ج ت ه هـ أ ا""".split()
)
_OPENERS = frozenset(
    """the a an it its he she they we i you this that these those there his her their our my
    but and so yet however meanwhile in on at after before when while if as for since
    according officials""".split()
)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    heading: bool = False  # a headline or section heading: context, not an answer


def split(text: str) -> list[Span]:
    """The spans of ``text``, at most MAX_SENTENCES (the last takes the rest)."""
    spans: list[Span] = []
    for line in _LINE.finditer(text):
        start, end = _trim(text, line.start(), line.end())
        if start == end:
            continue
        if is_heading(text[start:end]):
            spans.append(Span(start, end, heading=True))
        else:
            spans.extend(_sentences(text, start, end))
    if len(spans) > MAX_SENTENCES:
        last = spans[MAX_SENTENCES - 1]
        spans = spans[: MAX_SENTENCES - 1] + [Span(last.start, spans[-1].end, last.heading)]
    return spans


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text`` (see ``split``)."""
    return [(s.start, s.end) for s in split(text)]


def is_heading(line: str) -> bool:
    """A short line that does not end like a sentence: a headline, a section heading, a byline."""
    line = line.strip()
    return bool(line) and not _FINAL.search(line) and len(line.split()) <= HEADING_MAX_WORDS


def _sentences(text: str, start: int, end: int) -> list[Span]:
    found = []
    for match in _END.finditer(text, start, end):
        if _ends_sentence(text, start, match, end):
            found.append(Span(*_trim(text, start, match.end())))
            start = match.end()
    found.append(Span(*_trim(text, start, end)))
    return [s for s in found if s.start < s.end]


def _ends_sentence(text: str, line_start: int, match: re.Match, line_end: int) -> bool:
    marks = match.group(1)
    if marks != ".":
        return marks != ".."
    # Bounded windows keep the pass linear on a line of many full stops; no abbreviation is longer.
    before = _WORD_BEFORE.search(text, max(line_start, match.start() - _WINDOW), match.start())
    after = _WORD_AFTER.match(text, match.end(), min(line_end, match.end() + _WINDOW))
    word = before.group(1).lstrip("\"'“‘«([").lower() if before else ""
    following = after.group(1).lstrip("\"'“‘«([") if after else ""
    if not word or not following:
        return True
    if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
        return False
    if _ACRONYM.fullmatch(word):
        return following[0].isupper() and following.lower() in _OPENERS
    if before is not None and word.isdigit() and before.start() == line_start:  # "1. " opening a list item
        return False
    return not ("a" <= following[0] <= "z")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    return start + lead, start + len(piece.rstrip())


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def sentence_ids(chunk_id: int, count: int) -> np.ndarray:
    """The vector ids of a passage's ``count`` sentences: unique, and derived from the passage id."""
    return (np.int64(chunk_id) << _ID_BITS) + np.arange(count, dtype=np.int64)


def all_sentence_ids(chunk_ids: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``sentence_ids`` of many passages at once, passage after passage (``counts[k]`` for passage k)."""
    firsts = np.cumsum(counts) - counts
    within = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(firsts, counts)
    return (np.repeat(np.asarray(chunk_ids, dtype=np.int64), counts) << _ID_BITS) + within


def sentences_per_chunk(ids: np.ndarray) -> np.ndarray:
    """From every stored sentence id, how many sentences each chunk id has (index = chunk id)."""
    return np.bincount(np.asarray(ids, dtype=np.int64) >> _ID_BITS).astype(np.uint8)
