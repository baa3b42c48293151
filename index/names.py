"""The names a Latin-script text mentions, so a short answer or a model's sentence about a place or
a person can be held to passages that name it too.

A name is a capitalised word that does not open the text and is not a question or function word.
Arabic has no capitals, so Arabic text names nothing here: its names are not checked (a name
cannot be matched across scripts either).
"""

from __future__ import annotations

import re

from .dates import date_names

# Capitalised words that open or shape a sentence rather than name something.
_NOT_NAMES = frozenset("how what when which who whom whose where why is are was were do does did has have had "
                       "can could will would should may might the a an in on at by for of to from and or but "
                       "according i".split())
_WORD = re.compile(r"[A-Za-z][\w'’-]*")


def names(text: str) -> list[str]:
    """Its capitalised words after the first, less question and function words and the names of
    months and weekdays (dates are checked as dates), each without a possessive "'s"; none when most words are capitalised (Title Case names nothing)."""
    words = _WORD.findall(text)
    capitalised = [w for w in words[1:] if w[0].isupper() and w.lower() not in _NOT_NAMES and not date_names(w)]
    if len(capitalised) * 2 > max(len(words) - 1, 1):
        return []
    return [re.sub(r"['’]s?$", "", w) for w in capitalised]


def unmentioned(named: list[str], text: str) -> list[str]:
    """The names of `named` that `text` never mentions (case-insensitive; "Seaman" is in "Seamans'")."""
    folded = text.casefold()
    return [name for name in named if name.casefold() not in folded]
