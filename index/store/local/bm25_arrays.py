"""A bm25s index built from numpy arrays of term counts, tokenized in forked workers for many texts.

bm25s builds its index from a Python list of token ids per text and a ``Counter`` per text:
at a million passages that is some 150 million Python ints (gigabytes) and most of a minute of
one CPU. Here each block of texts is tokenized (``normalize.tokens``) and counted where it is
tokenized, in a worker process for many texts (``forked.py``), and comes back as arrays: its
own small vocabulary, and one (term, count) entry per distinct term of each text. This process
only renumbers the block's vocabulary into the index's (first met, first numbered) and does
bm25s's arithmetic on whole arrays.

The scores are bm25s's own, bit for bit (``tests/test_lexical.py`` holds them to it): the same
float64 operations in the same order, the same float32 rounding, its own idf function and CSC
layout. Only the numbering of terms differs, and bm25s's own follows a set's order, which
changes from run to run anyway: no score depends on it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
from bm25s.scoring import _build_idf_array, _select_idf_scorer, _select_tfc_scorer

from ... import forked
from ...normalize import tokens

MIN_FORKED_TEXTS = 20_000  # fewer texts than this are tokenized in this process
TASK_TEXTS = 2000  # texts per task of a worker
SCORE_SLICE = 1 << 22  # entries scored at a time


@dataclass(frozen=True)
class Counted:
    """The terms of a block of texts: per text, its token count and (term, count) per distinct term."""

    vocabulary: list[str]  # this block's terms; ``terms`` index it
    terms: np.ndarray  # int32, one per distinct term of each text, text after text
    counts: np.ndarray  # int32, how often that term occurs in that text
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
        list(vocabulary), np.array(terms, dtype=np.int32), np.array(counts, dtype=np.int32),
        np.array(distinct, dtype=np.int64), np.array(lengths, dtype=np.int64),
    )


def build(texts: Sequence[str]) -> bm25s.BM25 | None:
    """The bm25s index of ``texts`` (row i is texts[i]); None when no text has a term."""
    vocabulary: dict[str, int] = {}
    terms, counts, distinct, lengths = [], [], [], []
    for block in _blocks(texts):
        renumbered = np.array([vocabulary.setdefault(term, len(vocabulary)) for term in block.vocabulary], dtype=np.int32)
        terms.append(renumbered[block.terms] if len(block.terms) else block.terms)
        counts.append(block.counts)
        distinct.append(block.distinct)
        lengths.append(block.lengths)
    if not vocabulary:
        return None
    bm25 = bm25s.BM25()
    if bm25.method in bm25.methods_requiring_nonoccurrence:  # not bm25s's default ("lucene"): its own way
        raise ValueError(f"bm25_arrays does not build {bm25.method}")
    n_docs, n_vocab = len(texts), len(vocabulary)
    all_terms = np.concatenate(terms)
    del terms
    tf = np.concatenate(counts).astype(bm25.dtype)
    del counts
    per_text = np.concatenate(lengths)
    rows = np.repeat(np.arange(n_docs, dtype=bm25.int_dtype), np.concatenate(distinct))
    frequencies = np.bincount(all_terms, minlength=n_vocab)
    idf = _build_idf_array(
        dict(enumerate(frequencies.tolist())), n_docs, _select_idf_scorer(bm25.idf_method), dtype=bm25.dtype
    )
    # bm25s's arithmetic per text, on many entries at once (its float64 temporaries a slice at a
    # time): a text's length, a Python int there, as float64 here.
    tfc_of, average = _select_tfc_scorer(bm25.method), per_text.mean()
    scores = np.empty(len(all_terms), dtype=bm25.dtype)
    for start in range(0, len(all_terms), SCORE_SLICE):
        part = slice(start, start + SCORE_SLICE)
        tfc = tfc_of(
            tf_array=tf[part], l_d=per_text[rows[part]].astype(np.float64), l_avg=average, k1=bm25.k1, b=bm25.b,
            delta=bm25.delta,
        )
        scores[part] = idf[all_terms[part]] * tfc
    del tf
    data, indices, indptr = _csc(scores, rows, all_terms, n_vocab)
    bm25.scores = {"data": data, "indices": indices, "indptr": indptr, "num_docs": n_docs}
    vocabulary[""] = n_vocab  # bm25s's create_empty_token
    bm25.vocab_dict = vocabulary
    bm25.unique_token_ids_set = set(vocabulary.values())
    bm25.nonoccurrence_array = None
    return bm25


def _csc(scores: np.ndarray, rows: np.ndarray, terms: np.ndarray, n_vocab: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """bm25s's CSC layout (``scoring._np_csc_python``: sorted by term, then by text), from
    entries already in text order: a stable sort by term alone gives the same order, without
    its packed 64-bit keys (at a million passages, hundreds of MB at the end of a build)."""
    indptr = np.zeros(n_vocab + 1, dtype=np.int64)
    np.cumsum(np.bincount(terms, minlength=n_vocab), out=indptr[1:])
    order = np.argsort(terms, kind="stable")
    return scores[order], rows[order], indptr


def _blocks(texts: Sequence[str]) -> Iterator[Counted]:
    cpus = forked.usable_cpus()
    if len(texts) < MIN_FORKED_TEXTS or cpus < 2:
        yield from (count_terms(texts[n : n + TASK_TEXTS]) for n in range(0, len(texts), TASK_TEXTS))
        return
    starts = range(0, len(texts), TASK_TEXTS)
    with forked.pool(cpus, _install, texts) as workers:
        yield from workers.map(_count_range, starts, [min(n + TASK_TEXTS, len(texts)) for n in starts])


_texts: Sequence[str] = ()  # a worker's: inherited from the process that forked it


def _install(texts: Sequence[str]) -> None:
    global _texts
    _texts = texts


def _count_range(first: int, stop: int) -> Counted:
    return count_terms(_texts[first:stop])
