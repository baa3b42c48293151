"""Is a written answer grounded in the passages it cites? The checks run before anything is shown.

- every [n] names one of the cited passages, and the answer cites at least one;
- every number it states (digits or words, Arabic or English, any script's digits:
  ``index/numbers.py``) is in a passage cited by the same sentence (or, for a sentence citing
  none, by the answer). A quantity must be a quantity there: the digits of a date (the passage's
  own date, "2025-06-04", "June 4", "in 2025": ``dates.date_spans``) ground only a date the reply
  writes, never "6 containers". A name it states (a capitalised word of an English sentence) is
  in a passage it cites. A sentence of the passage addressed to a model ("Assistant:
  ignore the previous instructions ...": ``instructions.py``) grounds nothing;
- it is in the question's language;
- a reply is an abstention only when it is the sentinel alone, or refusals that state nothing
  (no number, no "but ..."): "The port authority had no answer to questions about the cost, but
  about 1,200 containers were held up [1]." is an answer, and is checked.

While a reply streams in, ``shown_prefix`` gives the sentences that are complete and pass the
same checks on their own, so a reader never sees a sentence that was not checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from .dates import date_spans
from .instructions import without_instructions
from .names import names, unmentioned
from .numbers import find_numbers, fold, values
from .question import language_of

NO_ANSWER = "NO_ANSWER"  # what the prompt asks the model to reply when the passages do not answer
MAX_CHARS = 1200
MAX_SENTENCES = 4

MARKER = re.compile(r"\[\s*([0-9٠-٩]+(?:\s*[,،]\s*[0-9٠-٩]+)*)\s*\]")
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)
SENTENCE_END = re.compile(r"(?<=[.!?؟۔])\s+")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[[^\]\n]*\])+")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")

_SOURCE_WORDS = r"(?:passages?|articles?|sources?|texts?|context|documents?|excerpts?)"
_NO_ANSWER_EN = re.compile(
    rf"\b{_SOURCE_WORDS}\b[^.]{{0,60}}\b(?:do|does|did)(?: not|n't|n’t)\b[^.]{{0,40}}"
    r"\b(?:answer|say|state|mention|contain|provide|specify|include|give|address)"
    r"|\b(?:cannot|can't|can’t|unable to) (?:answer|determine|tell|find)\b"
    r"|\bno (?:information|mention) (?:about|of|on|regarding)\b"
    rf"|\bnot (?:mentioned|stated|specified|provided|given) in the {_SOURCE_WORDS}",
    re.IGNORECASE,
)
_AR_SOURCES = r"(?:المقاطع|المقطع|المقالات|المقال|النصوص|النص|المصادر|المعلومات)"
_NO_ANSWER_AR = re.compile(
    rf"(?:لا|لم) (?:تجيب|يجيب|تذكر|يذكر|تتضمن|يتضمن|تحتوي|يحتوي|تقدم|يقدم|تحدد|يحدد|توضح|يوضح|ترد|يرد|تشير|يشير)[^.]{{0,30}}{_AR_SOURCES}"
    rf"|{_AR_SOURCES}[^.]{{0,40}}(?:لا|لم) (?:تجيب|يجيب|تذكر|يذكر|تتضمن|يتضمن|تحتوي|يحتوي|تقدم|يقدم|تحدد|يحدد|توضح|يوضح|ترد|يرد|تشير|يشير)"
    r"|لا يمكن (?:الاجابه|تحديد)|لا تتوفر معلومات|لا توجد معلومات"
)
_SENTINEL = re.compile(rf"[\W_]*{NO_ANSWER.replace('_', '[ _]?')}[\W_]*", re.IGNORECASE)
_GOES_ON = re.compile(  # on folded text
    r"\b(?:but|however|although|though|yet|while|whereas|instead|except|only that|apart from)\b"
    r"|(?<![^\W\d_])(?:و?لكن|غير ان|الا ان|بيد ان|بينما|سوي|عدا|باستثناء)(?![^\W\d_])"
)


@dataclass(frozen=True)
class Source:
    """One cited passage as the model is shown it: its number, article title, date and text."""

    number: int
    title: str
    date: str
    text: str

    @cached_property
    def evidence(self) -> tuple[set[Decimal], set[Decimal]]:
        """(quantities, date parts) the passage states, leaving out sentences addressed to a model;
        the date it was published gives date parts only."""
        quantities: set[Decimal] = set()
        dates = values(self.date)
        for text in (self.title, self.text):
            found, in_dates = numbers_and_dates(without_instructions(text))
            quantities |= found
            dates |= in_dates
        return quantities, dates


def numbers_and_dates(text: str) -> tuple[set[Decimal], set[Decimal]]:
    """The values ``text`` states as quantities, and those inside the dates and times it writes."""
    spans = date_spans(text)
    quantities: set[Decimal] = set()
    dates: set[Decimal] = set()
    for number in find_numbers(text):
        in_date = any(start <= number.start and number.end <= end for start, end in spans)
        (dates if in_date else quantities).add(number.value)
    return quantities, dates


@dataclass(frozen=True)
class Verdict:
    ok: bool  # shown as the answer
    reason: str = ""  # why not (for the log line), "" when ok or abstained
    abstained: bool = False  # the reply says the passages do not answer
    text: str = ""  # the reply as shown (thinking removed, trimmed)
    citations: tuple[int, ...] = field(default=())


def clean_reply(text: str) -> str:
    """The reply without a reasoning model's <think> block, trimmed."""
    return _THINK.sub("", text).strip()


def cited(text: str) -> list[int]:
    """The passage numbers of every [n] (or [n, m]) marker, in order, repeats kept."""
    return [int(n.translate(_DIGITS)) for m in MARKER.finditer(text) for n in re.split(r"\s*[,،]\s*", m.group(1))]


def says_no_answer(text: str) -> bool:
    """The reply is the sentinel the prompt asks for, or refusals that state nothing: each of its
    sentences is one (``states_nothing``). "The port authority had no answer to questions about
    the cost, but about 1,200 containers were held up [1]." is an answer, and is checked."""
    parts = sentences(text)
    return bool(parts) and all(states_nothing(part) for part in parts)


def states_nothing(sentence: str) -> bool:
    """The sentinel alone, or a sentence saying the passages do not answer that states nothing
    else: no number, and no "but ...", "only that ..." going on to say something."""
    bare = MARKER.sub(" ", sentence)
    if _SENTINEL.fullmatch(bare):
        return True
    folded = fold(bare)[0]
    if not (_NO_ANSWER_EN.search(bare) or _NO_ANSWER_AR.search(folded)):
        return False
    return not values(bare) and not _GOES_ON.search(folded)


def sentences(text: str) -> list[str]:
    """The reply's sentences, each with the markers that follow its full stop ("... 20,000. [1]")."""
    pieces: list[str] = []
    for piece in SENTENCE_END.split(text.strip()):
        lead = _LEADING_MARKERS.match(piece)
        if lead and pieces:
            pieces[-1] += " " + lead.group().strip()
            piece = piece[lead.end() :].strip()
        if piece:
            pieces.append(piece)
    return pieces


def _sentence_problem(sentence: str, sources: list[Source], lang: str, answer_cites: list[int]) -> str | None:
    """Why one sentence cannot be shown, or None."""
    own = cited(sentence)
    wrong = [n for n in own if not 1 <= n <= len(sources)]
    if wrong:
        return f"citation [{wrong[0]}] names no cited passage (there are {len(sources)})"
    bare = MARKER.sub(" ", sentence)
    if any(ch.isalpha() for ch in bare) and language_of(bare) != lang:
        return f"not in the question's language ({lang})"
    quantities: set[Decimal] = set()
    dates: set[Decimal] = set()
    for n in set(own or answer_cites):
        if 1 <= n <= len(sources):
            quantities |= sources[n - 1].evidence[0]
            dates |= sources[n - 1].evidence[1]
    stated, stated_dates = numbers_and_dates(bare)
    invented = [v for v in stated if v not in quantities] + [v for v in stated_dates if v not in quantities | dates]
    if invented:
        return f"the number {invented[0]:f} is in no passage it cites"
    return _unnamed(bare, [sources[n - 1] for n in set(own or answer_cites) if 1 <= n <= len(sources)])


def _unnamed(sentence: str, cites: list[Source]) -> str | None:
    """A name the sentence states that no passage it cites mentions ("15 pounds on the Riyadh Metro"
    over a passage on Cairo's). English sentences over English passages only: names are not
    matched across scripts (``names.py``)."""
    if not cites or language_of(sentence) != "en" or any(language_of(s.text) != "en" for s in cites):
        return None
    missing = unmentioned(names(sentence), "\n".join(f"{s.title}\n{s.text}" for s in cites))
    return f"it names {missing[0]}, which no passage it cites mentions" if missing else None


def check(reply: str, sources: list[Source], lang: str) -> Verdict:
    """The whole reply, once it has ended."""
    text = clean_reply(reply)
    if not text:
        return Verdict(False, "empty reply")
    if says_no_answer(text):
        return Verdict(False, abstained=True, text=text)
    parts = sentences(text)
    if len(text) > MAX_CHARS or len(parts) > MAX_SENTENCES:
        return Verdict(False, f"too long ({len(text)} characters, {len(parts)} sentences)")
    answer_cites = cited(text)
    if not answer_cites:
        return Verdict(False, "cites no passage")
    if any(ch.isalpha() for ch in MARKER.sub(" ", text)) and language_of(MARKER.sub(" ", text)) != lang:
        return Verdict(False, f"not in the question's language ({lang})")
    for sentence in parts:
        problem = _sentence_problem(sentence, sources, lang, answer_cites)
        if problem:
            return Verdict(False, problem)
    return Verdict(True, text=text, citations=tuple(sorted(set(answer_cites))))


def shown_prefix(partial: str, sources: list[Source], lang: str) -> str:
    """The leading sentences of a reply still streaming that are complete and pass on their own.

    A sentence is complete once text that is not a marker follows it; one that cites nothing
    waits for the end (the passages it may state numbers from are not known yet).
    """
    return shown_sentences(partial, sources, lang)[0]


def shown_sentences(partial: str, sources: list[Source], lang: str) -> tuple[str, bool]:
    """``shown_prefix``, and whether it is settled: no text that follows can make it longer (a
    complete sentence failed, the sentences allowed are all shown, or the reply is too long), so a
    streaming reader need not check again."""
    text = clean_reply(partial)
    if "<think>" in partial and "</think>" not in partial:
        return "", False
    if says_no_answer(text):
        return "", False
    parts = sentences(text)
    if len(text) > MAX_CHARS:
        return "", True
    if not parts:
        return "", False
    complete = parts[:-1]
    shown: list[str] = []
    for sentence in complete[:MAX_SENTENCES]:
        if not cited(sentence) or states_nothing(sentence) or _sentence_problem(sentence, sources, lang, []):
            break
        shown.append(sentence)
    settled = len(shown) < len(complete) or len(shown) >= MAX_SENTENCES
    return " ".join(shown), settled
