"""Names across scripts: "Pyongyang" and "بيونج يانج", "Kursk" and "كورسك" share a sound key.

A question that names a person or a place is about the passage that names them too, in either
language; BM25 cannot make that match across scripts and the encoder blurs names. Each name is
reduced to its consonants, grouped by how Arabic writes a foreign sound and how English
transliterates an Arabic one (p/b -> b; g, j, k, q, gh, kh -> k; s, z, sh, ch -> s; t, th -> t;
d, dh -> d; f, v, ph -> f); vowels, h, w, y and the Arabic letters that stand for them (ا و ي ى
ه ح ع and the hamzas) are dropped, and a doubled consonant counts once. Two names match when
their keys are equal and at least MIN_CONSONANTS long: short keys ("Kim", "كيم") match too much.

Latin text gives its capitalised names (names.py) and each pair of them side by side; Arabic
text, which has no capitals, gives each word (less the article and a clinging conjunction or
preposition) and each pair of words side by side, because "Pyongyang" is written in two words.
"""

from __future__ import annotations

import functools
import re

from .names import names
from .normalize import normalize

MIN_CONSONANTS = 3

_LATIN_DIGRAPHS = [("sch", "s"), ("tch", "s"), ("sh", "s"), ("ch", "s"), ("ts", "s"), ("th", "t"),
                   ("dh", "d"), ("kh", "k"), ("gh", "k"), ("ph", "f"), ("ck", "k"), ("qu", "k"), ("x", "ks")]
_LATIN = str.maketrans({"p": "b", "g": "k", "j": "k", "q": "k", "c": "k", "z": "s", "v": "f"})
_LATIN_DROPPED = re.compile("[^bdfklmnrst]")
_ARABIC_SOUNDS = {
    "ب": "b", "پ": "b", "ت": "t", "ط": "t", "ث": "t", "د": "d", "ض": "d", "ذ": "d", "ظ": "d",
    "ج": "k", "غ": "k", "ق": "k", "ك": "k", "خ": "k", "گ": "k", "س": "s", "ص": "s", "ز": "s",
    "ش": "s", "ف": "f", "ڤ": "f", "ل": "l", "م": "m", "ن": "n", "ر": "r",
}
# Every other Arabic letter (the long vowels, hamzas, ه ح ع) is dropped.
_ARABIC = str.maketrans({**dict.fromkeys(map(chr, range(0x0621, 0x064B))), **_ARABIC_SOUNDS})
_ARABIC_WORD = re.compile(r"[\u0621-\u064A]+")
# The article, with a conjunction or preposition before it, or one of those alone.
_ARABIC_PREFIX = re.compile(r"^[وف]?(?:[بكل]?ال|لل|[بكل])?(?=[\u0621-\u064A]{3})")
_DOUBLED = re.compile(r"(.)\1+")
_NG = re.compile("ng(?![aeiouy])", re.I)


def _joined(first: str, second: str) -> str:
    """Two keys read as one name: a consonant that ends one and opens the other counts once."""
    return first + second[1:] if first and second and first[-1] == second[0] else first + second


def latin_key(word: str) -> str:
    """The sound key of a Latin-script name: "Pyongyang" -> "bnknk"."""
    key = word.casefold()
    for digraph, sound in _LATIN_DIGRAPHS:
        key = key.replace(digraph, sound)
    return _DOUBLED.sub(r"\1", _LATIN_DROPPED.sub("", key.translate(_LATIN)))


@functools.lru_cache(maxsize=1 << 16)
def arabic_word_keys(word: str) -> tuple[str, ...]:
    """The sound keys of an Arabic word (normalized), as written and without the article or a
    clinging و ف ب ل, which may also be the name's own first letter ("بيونج" -> "bnk")."""
    bare = _ARABIC_PREFIX.sub("", word)
    keys = {_DOUBLED.sub(r"\1", w.replace("تش", "ش").translate(_ARABIC)) for w in (word, bare)}
    return tuple(keys)


def _long_enough(keys: list[str]) -> frozenset[str]:
    return frozenset(k for k in keys if len(k) >= MIN_CONSONANTS)


@functools.lru_cache(maxsize=4096)
def latin_keys(text: str) -> frozenset[str]:
    """The keys of ``text``'s Latin-script names, each alone and each with the next; acronyms left
    out (Arabic spells them letter by letter). Kept for the passages read last, as arabic_keys."""
    named = [name for name in names(text) if not name.isupper()]
    found = [latin_key(name) for name in named]
    # An "ng" Arabic writes as ن alone as often as with its g: "Washington" / "واشنطن", "Beijing" / "بكين".
    bare = [latin_key(_NG.sub("n", name)) for name in named if _NG.search(name)]
    return _long_enough(found + bare + [_joined(a, b) for a, b in zip(found, found[1:])])


@functools.lru_cache(maxsize=4096)
def arabic_keys(text: str) -> frozenset[str]:
    """The keys of ``text``'s Arabic words, each alone and each with the next. Kept for the
    passages read last: a desk's questions come back to the same passages, and reading one
    costs about 0.1 ms."""
    read = [arabic_word_keys(w) for w in _ARABIC_WORD.findall(normalize(text))]
    pairs = [_joined(a, b) for first, second in zip(read, read[1:]) for a in first for b in second]
    return _long_enough([k for keys in read for k in keys] + pairs)


def spellings(text: str, keys: frozenset[str]) -> set[str]:
    """The words of Arabic ``text`` (normalized), alone or two side by side, that sound like one
    of ``keys``: how ``text`` spells those names."""
    words = _ARABIC_WORD.findall(normalize(text))
    found = {w for w in words if set(arabic_word_keys(w)) & keys}
    for first, second in zip(words, words[1:]):
        if {_joined(a, b) for a in arabic_word_keys(first) for b in arabic_word_keys(second)} & keys:
            found.add(f"{first} {second}")
    return found
