"""How well the answering sentence is chosen, and what limits it (issue 13): XQuAD dev, the five
question -> paragraph routes of `make eval`.

    .venv/bin/python bench/bench_sentence.py            # about 2 minutes a route on 2 cores

For every question whose first passage is from the right article (the questions
``sentence_at_1`` counts), the first passage's candidate sentences (``answer.answering_sentence``'s:
no headings) are scored three ways: by cosine alone, by the score before rare terms
(``RARE_TERMS_WEIGHT`` = 0) and by the shipped score. Printed per pair: the share whose chosen
sentence holds the answer under each; the ceiling (the answer is in the first passage at all: a
paragraph cut in two passages can put it in the second); the rank of the best sentence holding
the answer under the shipped score; and the weight of rare terms fitted on the questions of the
even-numbered articles and measured on the odd-numbered ones' (and the other way round), over a
grid that includes 0 and the shipped value. Indexes are the evaluation's own (``var/eval``),
built incrementally as `rawi eval` builds them.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import answer, evaluation  # noqa: E402
from index.build import Builder  # noqa: E402
from index.encoder import Encoder  # noqa: E402
from index.normalize import tokens  # noqa: E402
from index.question import language_of, parse_question  # noqa: E402
from index.service import open_answerer  # noqa: E402
from index.store.local import writer_lock  # noqa: E402
from rawi.config import load  # noqa: E402

X = ROOT / "eval" / "xquad"
ROUTES = {  # name: (questions, paragraphs, bilingual), as in the Makefile's eval target
    "en->ar": (X / "dev.en.json", X / "dev.ar.json", None),
    "ar->ar": (X / "dev.ar.json", None, None),
    "en->en": (X / "dev.en.json", None, None),
    "ar->en": (X / "dev.ar.json", X / "dev.en.json", None),
    "bilingual": (X / "dev.en.json", None, X / "dev.ar.json"),
}
GRID = (0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2)


def candidates(hit, question):
    """(cosine, old score, rare-terms share, holds the answer?) per candidate sentence."""
    text = hit.chunk.text
    title = " ".join(hit.chunk.title.split())
    prose = [s for s in hit.sentences if not s.heading and " ".join(text[s.start : s.end].split()) != title]
    chosen = prose or list(hit.sentences)
    terms = [frozenset(tokens(text[s.start : s.end])) for s in chosen]
    rare = answer.rare_terms(terms, [language_of(text[s.start : s.end]) for s in chosen], question)
    return [
        (s.cosine, answer.sentence_score(s.cosine, text[s.start : s.end], question, found), share, s.start, s.end)
        for s, found, share in zip(chosen, terms, rare)
    ]


def collect(name: str) -> list[tuple[str, int, list, list[bool]]]:
    """Per counted question: its pair, its article number, its candidates and their labels."""
    questions, paragraphs, bilingual = ROUTES[name]
    settings = load(ROOT / "config.toml").index
    run = evaluation.prepare(settings, questions, paragraphs, None, bilingual)
    encoder = Encoder(run.settings.encoder)
    lock = writer_lock(run.settings.index_dir, wait=True)
    try:
        Builder(run.settings, encoder).run()
    finally:
        lock.release()
    answerer = open_answerer(run.settings, encoder)
    rows = []
    for q in run.questions:
        if not q.answerable:
            continue
        given = answerer.ask(q.question, k=1)
        if not given.passages or given.passages[0].article_id not in q.gold_articles:
            continue
        first = given.passages[0]
        ranking = answerer.retriever.rank(answerer.index.snapshot(), parse_question(q.question).text)
        hit = next(h for h in ranking.hits if h.chunk.id == first.chunk_id)
        found = candidates(hit, parse_question(q.question))
        text = hit.chunk.text
        labels = [evaluation._contains(text[c[3] : c[4]], q.contains_any) for c in found]
        pair = f"bi {q.pair}" if bilingual else name
        rows.append((pair, int(first.article_id[:3]), found, labels))
    return rows


def share(rows, pick) -> float:
    return sum(labels[pick(found)] for _, _, found, labels in rows) / max(len(rows), 1)


def by(weight: float):
    return lambda found: max(range(len(found)), key=lambda i: (found[i][1] + weight * found[i][2], found[i][3]))


def main() -> None:
    every = []
    for name in ROUTES:
        every += collect(name)
    fitted = {}
    for half in (0, 1):
        fit = [r for r in every if r[1] % 2 == half]
        fitted[half] = max(GRID, key=lambda w: (round(share(fit, by(w)), 4), w == answer.RARE_TERMS_WEIGHT))
        print(f"rare-terms weight fitted on the {'even' if half == 0 else 'odd'} articles: {fitted[half]}")
    shipped = answer.RARE_TERMS_WEIGHT
    print(f"\npair       n    cosine  before  shipped({shipped})  held-out  ceiling  top-2   rank of the answer 1/2/3/4+/none")
    for pair in dict.fromkeys(r[0] for r in every):
        rows = [r for r in every if r[0] == pair]
        held = sum(share([r for r in rows if r[1] % 2 != h], by(fitted[h])) * sum(r[1] % 2 != h for r in rows) for h in (0, 1))
        ranks: Counter = Counter()
        for _, _, found, labels in rows:
            order = sorted(range(len(found)), key=lambda i: -(found[i][1] + shipped * found[i][2]))
            rank = next((n for n, i in enumerate(order) if labels[i]), None)
            ranks["none" if rank is None else min(rank, 3)] += 1
        dist = "/".join(f"{ranks[k] / len(rows):.3f}" for k in (0, 1, 2, 3, "none"))
        cosine = share(rows, lambda found: max(range(len(found)), key=lambda i: found[i][0]))
        print(
            f"{pair:10s} {len(rows):4d} {cosine:7.3f} {share(rows, by(0.0)):7.3f} {share(rows, by(shipped)):9.3f}"
            f"          {held / len(rows):8.3f} {sum(any(r[3]) for r in rows) / len(rows):8.3f}"
            f" {(ranks[0] + ranks[1]) / len(rows):6.3f}   {dist}"
        )


if __name__ == "__main__":
    main()
