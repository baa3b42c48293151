"""What the index keeps of an article besides its text and front matter: its language (as the
file gives it, else detected from the text) and its publication time in sortable form. Written by
the build (``build.py``) and by a store upgrading an older index's rows."""

from __future__ import annotations

from .published import sortable
from .question import language_of

_LANGUAGE_NAMES = {"arabic": "ar", "english": "en", "عربي": "ar", "العربية": "ar"}


def article_language(given: str, text: str) -> str:
    """An article's language: as its file gives it (``ar``, ``en-GB``, ``Arabic``), else detected."""
    given = given.strip().lower()
    if given:
        given = _LANGUAGE_NAMES.get(given, given.replace("_", "-").split("-")[0])
        return given
    return language_of(text[:4000])


def stored_meta(language: str, text: str, published: str) -> tuple[str, str]:
    """What the store keeps of an article besides its front matter: its language (as given, else
    detected from the text) and its sortable publication time."""
    return article_language(language, text), sortable(published)
