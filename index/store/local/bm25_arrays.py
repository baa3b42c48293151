"""A bm25s index built from numpy arrays of term counts, tokenized in forked workers for many texts.

bm25s builds its index from a Python list of token ids per text and a ``Counter`` per text:
at a million passages that is some 150 million Python ints (gigabytes) and most of a minute of
one CPU. Here each block of texts is read (``Read``: from the rows file, for a build), tokenized
(``normalize.tokens``) and counted where it is tokenized, in a worker process for many texts
(``forked.py``), and comes back as arrays: its own small vocabulary, and one (term, count) entry
per distinct term of each text. This process only renumbers the block's vocabulary into the
index's (first met, first numbered), keeps the block's entries as they came, and does bm25s's
arithmetic on them block by block, writing each score straight into its place in the CSC arrays.

No process holds every text, and this one holds the entries once (5 bytes each, at a million
passages some 130 million of them) besides the index itself: no concatenated copies, no global
sort (issue 27: a 1M-passage build's peak memory was this step's).

The scores are bm25s's own, bit for bit (``tests/test_lexical.py`` holds them to it): the same
float64 operations on each entry, the same float32 rounding, its own idf function and CSC
layout. Only the numbering of terms differs, and bm25s's own follows a set's order, which
changes from run to run anyway: no score depends on it.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import bm25s
import numpy as np
from bm25s.scoring import _build_idf_array, _select_idf_scorer, _select_tfc_scorer

from ... import forked
from ...normalize import tokens

MIN_FORKED_TEXTS = 20_000  # fewer texts than this are tokenized in this process
TASK_TEXTS = 2000  # texts per task of a worker

Read = Callable[[int, int], Sequence[str]]
"""``read(first, stop)``: the texts of rows first..stop-1. Called in forked workers too (inherited,
never pickled): it must not use anything, such as an open database connection, that a fork
cannot share."""


@dataclass(frozen=True)
class Counted:
    """The terms of a block of texts: per text, its token count and (term, count) per distinct term."""

    vocabulary: list[str]  # this block's terms; ``terms`` index it
    terms: np.ndarray  # int32, one per distinct term of each text, text after text
    counts: np.ndarray  # how often that term occurs in that text: the smallest unsigned dtype that holds them
    distinct: np.ndarray  # int64, distinct terms of each text
    lengths: np.ndarray  # int64, tokens of each text


def count_terms(texts: Sequence[str]) -> Counted:
    vocabulary: dict[str, int] = {}
    terms: list[int] = []
    counts: list[int] = []
    distinct, lengths = [], []
    for text in texts:
        found = tokens(text)
        counted = Counter(found)
        for term, count in counted.items():
            number = vocabulary.get(term)
            if number is None:
                number = vocabulary[term] = len(vocabulary)
            terms.append(number)
            counts.append(count)
        distinct.append(len(counted))
        lengths.append(len(found))
    return Counted(
        list(vocabulary), np.array(terms, dtype=np.int32),
        np.array(counts, dtype=np.min_scalar_type(max(counts, default=0))),
        np.array(distinct, dtype=np.int64), np.array(lengths, dtype=np.int64),
    )


@dataclass
class Entries:
    """Every text's (term, count) entries, block by block as counted, in the index's term numbers."""

    vocabulary: dict[str, int] = field(default_factory=dict)  # term -> number, first met first
    terms: list[np.ndarray] = field(default_factory=list)  # int32 per block
    counts: list[np.ndarray] = field(default_factory=list)  # per block, as counted
    distinct: list[np.ndarray] = field(default_factory=list)  # per block: entries of each text
    lengths: list[np.ndarray] = field(default_factory=list)  # per block: tokens of each text
    frequencies: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # texts per term; may run past the vocabulary

    def add(self, block: Counted) -> None:
        numbers = np.array([self.vocabulary.setdefault(term, len(self.vocabulary)) for term in block.vocabulary], dtype=np.int32)
        self.terms.append(numbers[block.terms] if len(block.terms) else block.terms)
        self.counts.append(block.counts)
        self.distinct.append(block.distinct)
        self.lengths.append(block.lengths)
        # Texts per term of the block (each entry is one text's), counted on its own small numbering.
        if len(self.frequencies) < len(self.vocabulary):  # grown by doubling: the adds stay linear
            grown = np.zeros(max(len(self.vocabulary), 2 * len(self.frequencies)), dtype=np.int64)
            grown[: len(self.frequencies)] = self.frequencies
            self.frequencies = grown
        self.frequencies[numbers] += np.bincount(block.terms, minlength=len(numbers))


def build(texts: Sequence[str]) -> bm25s.BM25 | None:
    """The bm25s index of ``texts`` (row i is texts[i]); None when no text has a term."""
    return build_from(len(texts), functools.partial(_slice, texts))


def build_from(n_docs: int, read: Read) -> bm25s.BM25 | None:
    """The bm25s index of ``n_docs`` texts, read a block at a time by ``read`` (row i is text i)."""
    entries = Entries()
    for block in _blocks(n_docs, read):
        entries.add(block)
    if not entries.vocabulary:
        return None
    bm25 = bm25s.BM25()
    if bm25.method in bm25.methods_requiring_nonoccurrence:  # not bm25s's default ("lucene"): its own way
        raise ValueError(f"bm25_arrays does not build {bm25.method}")
    vocabulary, n_vocab = entries.vocabulary, len(entries.vocabulary)
    idf = _build_idf_array(
        dict(enumerate(entries.frequencies[:n_vocab].tolist())), n_docs, _select_idf_scorer(bm25.idf_method),
        dtype=bm25.dtype,
    )
    data, indices, indptr = _scored_csc(bm25, entries, idf)
    bm25.scores = {"data": data, "indices": indices, "indptr": indptr, "num_docs": n_docs}
    vocabulary[""] = n_vocab  # bm25s's create_empty_token
    bm25.vocab_dict = vocabulary
    bm25.unique_token_ids_set = set(vocabulary.values())
    bm25.nonoccurrence_array = None
    return bm25


def _scored_csc(bm25: bm25s.BM25, entries: Entries, idf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """bm25s's CSC arrays (``scoring._np_csc_python``: sorted by term, then by text), filled block
    by block; each block's entries are let go once placed (``entries`` is left empty).

    A term's entries go to its column in the order they come, and blocks come in text order, so
    each column is in text order as bm25s's own sort leaves it. The scores are bm25s's arithmetic
    per text, on a block's entries at once: a text's length, a Python int there, as float64 here."""
    n_vocab = len(entries.vocabulary)
    per_text = np.concatenate(entries.lengths)
    entries.lengths.clear()
    tfc_of, average = _select_tfc_scorer(bm25.method), per_text.mean()
    indptr = np.zeros(n_vocab + 1, dtype=np.int64)
    np.cumsum(entries.frequencies[:n_vocab], out=indptr[1:])
    data = np.empty(indptr[-1], dtype=bm25.dtype)
    indices = np.empty(indptr[-1], dtype=bm25.int_dtype)
    placed = indptr[:-1].copy()  # where each term's next entry goes
    first = 0
    while entries.terms:
        terms, counts, distinct = entries.terms.pop(0), entries.counts.pop(0), entries.distinct.pop(0)
        rows = np.repeat(np.arange(first, first + len(distinct), dtype=bm25.int_dtype), distinct)
        first += len(distinct)
        tfc = tfc_of(
            tf_array=counts.astype(bm25.dtype), l_d=per_text[rows].astype(np.float64), l_avg=average, k1=bm25.k1,
            b=bm25.b, delta=bm25.delta,
        )
        scores = idf[terms] * tfc
        order, places = _places(terms, placed)
        data[places] = scores[order]
        indices[places] = rows[order]
    return data, indices, indptr


def _places(terms: np.ndarray, placed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A block's entries grouped by term, in their order within each term (``order``), and where
    each goes (``places``): its term's next free place onwards; ``placed`` is moved past them."""
    order = np.argsort(terms, kind="stable")
    grouped = terms[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    sizes = np.diff(np.r_[starts, len(grouped)])
    places = placed[grouped] + (np.arange(len(grouped)) - np.repeat(starts, sizes))
    placed[grouped[starts]] += sizes
    return order, places


def _slice(texts: Sequence[str], first: int, stop: int) -> Sequence[str]:
    return texts[first:stop]


def _blocks(n_docs: int, read: Read) -> Iterator[Counted]:
    starts = range(0, n_docs, TASK_TEXTS)
    stops = [min(n + TASK_TEXTS, n_docs) for n in starts]
    cpus = forked.usable_cpus()
    if n_docs < MIN_FORKED_TEXTS or cpus < 2:
        yield from (count_terms(read(first, stop)) for first, stop in zip(starts, stops))
        return
    with forked.pool(cpus, _install, read) as workers:
        yield from workers.map(_count_range, starts, stops)


_read: Read = functools.partial(_slice, ())  # a worker's: inherited from the process that forked it


def _install(read: Read) -> None:
    global _read
    _read = read


def _count_range(first: int, stop: int) -> Counted:
    return count_terms(_read(first, stop))
