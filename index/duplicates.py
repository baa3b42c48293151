"""Syndicated copies: articles that are the same story, exactly or nearly, grouped at index time.

Agencies' stories are republished with a new headline, a byline, a sentence moved or a word
changed. Each article's text (headline left out, folded by ``normalize``) is cut into word
``SHINGLE``-grams, sketched with a MinHash of ``PERMUTATIONS`` values (datasketch), and stored
with its locality-sensitive band keys, so the articles that may be copies of a new one are
found by an indexed lookup rather than by comparing every pair. Two articles whose estimated
Jaccard similarity is at least ``THRESHOLD`` are copies if their facts also agree (``agree``);
copies of copies form one group, named by its earliest published member (the original outlet):
an answer cites that copy and lists the others. The threshold was measured on XQuAD dev
paragraphs with light edits against distinct paragraphs of the same article
(``bench/bench_duplicates.py``; figures in README.md).

Similar is not the same: a back-dated copy with "12,000" for "1,200", or two templated quake
bulletins (5.1 near Alpha on Sunday, 6.3 near Beta on Tuesday), share most of their shingles.
Grouped, the answer would cite one for the other's figure. So a candidate pair is confirmed only
when the numbers the two texts state (``numbers.find_numbers``: digits of any script, number
words, dates' digits too) are the same multiset, and no name is swapped for another: capitalised
words not opening a sentence, weekdays and months in either language (``dates.date_names``),
counted with repeats. A name only one side has (an added sentence) is an addition, not a
contradiction; names in bylines, headlines and brackets are the outlet's and are not compared. Facts
are read from the texts of candidate pairs only, when the groups are recomputed.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from .dates import date_names
from .normalize import normalize
from .numbers import find_numbers
from .sentences import is_heading

SHINGLE = 3  # words per shingle
PERMUTATIONS = 128
THRESHOLD = 0.4  # estimated Jaccard of word 3-grams at which two articles are copies
BANDS, ROWS = 32, 4  # LSH bands x rows = PERMUTATIONS, as datasketch tunes them for THRESHOLD 0.4
SEED = 1


def shingles(text: str) -> set[bytes]:
    words = normalize(text).split()
    if len(words) < SHINGLE:
        return {" ".join(words).encode("utf-8")} if words else set()
    grams = set(zip(*(words[i:] for i in range(SHINGLE))))  # distinct word triples, joined once each
    return {" ".join(gram).encode("utf-8") for gram in grams}


def signature(text: str) -> np.ndarray:
    """The MinHash of an article's text (uint64, PERMUTATIONS values).

    datasketch's own MinHash with its default hash (the first 4 bytes of SHA-1, little-endian),
    computed here in one numpy pass over all shingles (its ``update_batch`` makes a Python call
    per shingle), with its permutations drawn once: the same values
    (tests/test_pipeline_equivalence.py holds them to datasketch's own)."""
    from datasketch import MinHash
    from datasketch.minhash import _SCHEME_LEGACY, _SCHEME_WIDTHS, _fmix

    scheme, permutations = _permutations()
    sha1 = hashlib.sha1
    found = shingles(text)
    hashed = np.frombuffer(b"".join([sha1(s).digest()[:4] for s in found]), dtype="<u4")
    if scheme == _SCHEME_LEGACY or not len(hashed):  # the library's own way (an empty text: all at the maximum)
        sketch = MinHash(num_perm=PERMUTATIONS, seed=SEED, hashfunc=_hashed, permutations=permutations, scheme=scheme)
        sketch.update_batch(hashed.tolist())
        return sketch.hashvalues.astype(np.uint64)
    a, b = permutations
    mixed = _fmix(hashed.astype(a.dtype).reshape(-1, 1), _SCHEME_WIDTHS[scheme])
    return (mixed * a + b).min(axis=0).astype(np.uint64)


def _hashed(value: int) -> int:
    return value


@functools.cache
def _permutations() -> tuple:
    """(scheme, permutations) of datasketch's MinHash with our PERMUTATIONS and SEED."""
    from datasketch import MinHash

    sketch = MinHash(num_perm=PERMUTATIONS, seed=SEED)
    return sketch.scheme, sketch.permutations


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets."""
    return float(np.count_nonzero(a == b)) / len(a)


def band_keys(sig: np.ndarray) -> list[int]:
    """One 63-bit key per LSH band: articles sharing any key are candidate copies."""
    return [
        int.from_bytes(hashlib.blake2b(sig[b * ROWS : (b + 1) * ROWS].tobytes(), digest_size=8).digest(), "big") >> 1
        for b in range(BANDS)
    ]


_CAPITALISED = re.compile(r"(?<![\w'’-])[A-Z][^\W\d_]*(?:['’-][^\W\d_]+)*")
_BRACKETS = re.compile(r"\([^()\n]*\)")
_OPENS = set(".!?؟:;\"“«(['‘—–-|")  # a capitalised word after these (or a line's start) opens a sentence


@dataclass(frozen=True)
class Facts:
    numbers: Counter[Decimal]  # every number the text states, with repeats
    names: Counter[str]  # capitalised words not opening a sentence; "weekday:6", "month:3"


def facts(text: str) -> Facts:
    """What a copy must state alike: its numbers and names (see the module's docstring). Names in
    a byline or headline line (``sentences.is_heading``) or in brackets ("(Reuters)", "(Reporting
    by ...)") are an outlet's, not the story's: left out."""
    story = _BRACKETS.sub(" ", "\n".join(line for line in text.splitlines() if not is_heading(line)))
    names = Counter(m.group() for m in _CAPITALISED.finditer(story) if not _opens_sentence(story, m.start()))
    return Facts(Counter(n.value for n in find_numbers(text)), names + Counter(date_names(story)))


def _opens_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \t")
    return not before or before[-1] == "\n" or before[-1] in _OPENS


def agree(a: Facts, b: Facts) -> bool:
    """Two similar texts are copies: the same numbers, and no name of one replaced by another."""
    return a.numbers == b.numbers and not (a.names - b.names and b.names - a.names)  # Counter: with repeats


def group(
    signatures: dict[str, np.ndarray], published_at: dict[str, str], text_of: Callable[[str], str]
) -> dict[str, str]:
    """The copy groups of these articles, in memory (a store without SQL: the Milvus backend).

    The same rule as ``regroup``: candidates share a band key, copies are confirmed by their
    estimated similarity and their facts (``text_of(article id)``: its text), copies of copies form one group, named by its earliest published
    member (undated ones last, then by id). Returns article id -> group id for the articles in
    a group of two or more; an article alone is absent.
    """
    by_key: dict[tuple[int, int], list[str]] = {}
    for article_id in sorted(signatures):
        for band, key in enumerate(band_keys(signatures[article_id])):
            by_key.setdefault((band, key), []).append(article_id)
    pairs = sorted({(a, b) for ids in by_key.values() for n, a in enumerate(ids) for b in ids[n + 1 :]})
    groups = _copies(pairs, signatures, text_of)

    def order(article_id: str) -> tuple[bool, str, str]:
        when = published_at.get(article_id, "")
        return when == "", when, article_id

    return {article_id: min(ids, key=order) for ids in groups for article_id in ids}


def _copies(
    pairs: Iterable[tuple[str, str]], sigs: dict[str, np.ndarray], text_of: Callable[[str], str]
) -> list[list[str]]:
    """The groups of two or more that candidate pairs confirmed as copies form (union-find):
    copies of copies are one group. Facts are read only for pairs similar enough."""
    parent: dict[str, str] = {}
    facts_of = functools.cache(lambda article_id: facts(text_of(article_id)))

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for a, b in pairs:
        if a in sigs and b in sigs and similarity(sigs[a], sigs[b]) >= THRESHOLD and agree(facts_of(a), facts_of(b)):
            parent.setdefault(a, a)
            parent.setdefault(b, b)
            parent[root(a)] = root(b)
    members: dict[str, list[str]] = {}
    for article_id in parent:
        members.setdefault(root(article_id), []).append(article_id)
    return [m for m in members.values() if len(m) > 1]
