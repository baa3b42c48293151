"""Text normalization and tokenization for lexical (BM25) matching of Arabic and English.

`normalize` folds spelling variants that readers treat as the same word (diacritics,
alef/hamza forms, ta marbuta, Arabic-Indic digits, invisible bidi and zero-width marks).
`tokens` turns text into stemmed index terms, the same way for documents and queries.
"""

import functools
import re
import threading
import unicodedata

import Stemmer

# Harakat and other Quranic/annotation marks, tatweel, bidi controls, zero-width characters.
_REMOVED = (
    [chr(c) for c in range(0x064B, 0x0653)]
    + ["\u0670", "\u0640"]
    + [chr(c) for c in range(0x0610, 0x061B)]
    + [chr(c) for c in range(0x06D6, 0x06EE)]
    + ["\u061C", "\u200B", "\u200C", "\u200D", "\u200E", "\u200F", "\u2060", "\uFEFF"]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
)
_FOLDED = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي",
    "ی": "ي", "ک": "ك",  # Persian yeh and keheh, common in Arabic text typed on Persian layouts
}
_DIGITS = {chr(zero + d): str(d) for zero in (0x0660, 0x06F0) for d in range(10)}
_TABLE = str.maketrans({**dict.fromkeys(_REMOVED, None), **_FOLDED, **_DIGITS})
_SURROGATES = re.compile("[\ud800-\udfff]")
# Any character _TABLE changes: text without one (most English) skips the translation.
_TABLE_CHARS = re.compile("[" + "".join(re.escape(chr(c)) for c in _TABLE) + "]")

_ARABIC = "\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF"
# Runs of letters/digits, split where Arabic script meets any other script.
_WORD = re.compile(rf"(?:(?=[^\W_])[{_ARABIC}])+|(?:(?![{_ARABIC}])[^\W_])+")
_ARABIC_LETTER = re.compile(rf"[{_ARABIC}]")
_LATIN_END = 0x0250  # end of Latin Extended-B

# Conjunction (و/ف) and preposition (ب/ك) before the article, or ل+ال written لل.
_ARTICLE = re.compile(r"^[وف]?(?:[بك]?ال|لل)(?=\w\w)")

_STOPWORDS_RAW = """
    من في على إلى الى عن أن ان إن التي الذي الذين اللذين اللتين اللاتي ما ماذا هل كم كيف متى
    أين اين لماذا لم لن لا و أو او ثم مع هذا هذه ذلك تلك هؤلاء هو هي هم هن نحن أنا انت كان
    كانت يكون قد بين عند كل بعد قبل حتى إذا اذا به بها له لها فيه فيها منه منها عليه عليها
    منذ حول ضد خلال أي اي وفي ومن وعلى وقد ولا وهو وهي أيضا ايضا لقد ال ف ب ل ك
    the a an of to in on at for by with from and or is are was were be been being it its
    this that these those as what how when where which who whom whose why do does did has
    have had not no many much there their they them he she his her we you your i s t
"""

_local = threading.local()


def _fold(text: str) -> str:
    text = _translate(_SURROGATES.sub("", text))
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return _translate(text)


def _translate(text: str) -> str:
    return text.translate(_TABLE) if _TABLE_CHARS.search(text) else text


def normalize(text: str) -> str:
    """Return `text` folded for lexical matching.

    Applies NFKC (which also maps Arabic presentation forms to base letters) and casefolding,
    removes Arabic diacritics, tatweel, lone surrogates, bidi controls and zero-width characters,
    unifies alef/hamza forms, ta marbuta (ة -> ه), alef maqsura (ى -> ي), and maps Arabic-Indic
    digits to ASCII. Idempotent: removing a mark can make two neighbours composable, so the
    folding is repeated until nothing changes (in practice once more).
    """
    folded = _fold(text)
    while folded != text:
        text, folded = folded, _fold(folded)
    return folded


_STOPWORDS = frozenset(normalize(word) for word in _STOPWORDS_RAW.split())


def _stemmer(language: str) -> Stemmer.Stemmer:
    """One Snowball stemmer per language and thread (stemmers are not thread-safe)."""
    stemmers = _local.__dict__.setdefault("stemmers", {})
    if language not in stemmers:
        stemmers[language] = Stemmer.Stemmer(language)
    return stemmers[language]


def _stem_arabic(word: str) -> str:
    """Stem an Arabic word so bare, definite and و/ب/ل + definite forms agree.

    Snowball arabic strips suffixes before prefixes with length thresholds, and treats a
    final ه as a pronoun unless the word is definite, so on its own it stems الذخيرة to
    ذخيره but ذخيرة to ذخير, and leaves والحاويات nearly whole. So the clitics in front of
    the article are removed here, the word is given back to Snowball in its definite form
    (final ه as ة, which `normalize` merged); Snowball removes that article, or, in words too
    short for its rule, it is cut from the stem here.
    Single-letter proclitics without the article (وزير, بيت) are left alone: they cannot be
    told apart from root letters.
    """
    core = _ARTICLE.sub("", word)
    if core.endswith("ه"):
        core = core[:-1] + "ة"
    stem = _stemmer("arabic").stemWord("ال" + core)
    if stem.startswith("ال") and not core.startswith("ال"):
        return stem[2:]
    return stem


@functools.lru_cache(maxsize=1 << 19)  # a word's stem never changes: an archive's vocabulary is stemmed once
def _stem(word: str) -> str:
    if _ARABIC_LETTER.match(word):
        return _stem_arabic(word)
    if all(ord(c) < _LATIN_END for c in word):
        return _stemmer("english").stemWord(word)
    return word


def tokens(text: str) -> list[str]:
    """Return the stemmed, stopword-free index terms of `text` (numbers are kept).

    Words are runs of letters and digits of any script, split where Arabic meets another
    script; Arabic words go through the Snowball arabic stemmer, Latin ones through the
    Snowball english stemmer, others are kept as they are.
    """
    words = (w for w in _WORD.findall(normalize(text)) if w not in _STOPWORDS)
    return [stem for stem in map(_stem, words) if stem]
