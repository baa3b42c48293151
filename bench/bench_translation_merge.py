"""How far can merging a question's two languages go? R@1 of the translated ranking against its ceiling.

    .venv/bin/python bench/bench_translation_merge.py                     # shipped, and the earlier scheme
    .venv/bin/python bench/bench_translation_merge.py --schemes 0.8,0.3,0.01 0.85,0,0

XQuAD dev as a bilingual corpus (the same index as ``rawi eval --bilingual``), each question given
its perfect translation (the parallel XQuAD question, as ``bench/oracle_translator.py`` serves it).
For each scheme, ``translation_weight,own_translation_weight,own_language_bonus``, it prints the first passage's R@1 per pair when the two languages'
candidates are merged (``retrieval.Translated``). The last row, ``one lang``, is what a perfect
choice of language gives with today's ranking: each question asked in the language of the passage
that answers it, over that language's articles only (``lang:`` filter). A pair whose merged figure
is far below it loses to the other language; a same-language pair whose figure there is below a
target will not reach it by a better merge alone (the translation can still add to it: Arabic
gains from its English twin), only by ranking better within the language.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from oracle_translator import parallel_questions  # noqa: E402

from index import evaluation  # noqa: E402
from index.encoder import Encoder  # noqa: E402
from index.filters import ArticleFilter  # noqa: E402
from index.question import parse_question  # noqa: E402
from index.retrieval import Retriever  # noqa: E402
from index.service import open_answerer  # noqa: E402
from index.settings import EncoderSettings, IndexSettings  # noqa: E402

X = ROOT / "eval" / "xquad"
PAIRS = ("ar->ar", "ar->en", "en->ar", "en->en")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schemes", nargs="+", default=["0.8,0.3,0.01", "0.85,0,0"],
                        help="translation_weight,own_translation_weight,own_language_bonus (default: shipped, then before)")
    args = parser.parse_args()
    from index.build import Builder

    base = IndexSettings(corpus_dir=ROOT / "seeds", index_dir=ROOT / "var" / "index",
                         encoder=EncoderSettings(cache_dir=ROOT / ".cache" / "models"))
    encoder = Encoder(base.encoder)
    run = evaluation.prepare(base, X / "dev.en.json", None, None, X / "dev.ar.json")
    Builder(run.settings, encoder).run()
    snapshot = open_answerer(run.settings, encoder).index.snapshot()
    translations = parallel_questions(X / "dev.en.json", X / "dev.ar.json")
    rows = {}
    for scheme in args.schemes:
        weight, own, bonus = (float(x) for x in scheme.split(","))
        merged = replace(run.settings.retrieval, translation_weight=weight, own_translation_weight=own, own_language_bonus=bonus)
        rows[scheme] = Retriever(encoder, merged)
    plain = Retriever(encoder, run.settings.retrieval)
    right: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for q in run.questions:
        asked = parse_question(q.question).text
        translation = translations[" ".join(q.question.split())]
        for name, retriever in rows.items():
            hits = retriever.rank(snapshot, asked, translation=translation).hits
            right[name][q.pair].append(bool(hits) and hits[0].chunk.article_id in q.gold_articles)
        source, target = q.pair.split("->")
        in_target = translation if source != target else asked
        hits = plain.rank(snapshot, in_target, where=ArticleFilter(language=target)).hits
        right["one lang"][q.pair].append(bool(hits) and hits[0].chunk.article_id in q.gold_articles)
    print(f"{'R@1':<16}" + "".join(f"{pair:>9}" for pair in PAIRS))
    for name, by_pair in right.items():
        print(f"{name:<16}" + "".join(f"{sum(by_pair[p]) / max(len(by_pair[p]), 1):>9.4f}" for p in PAIRS))


if __name__ == "__main__":
    main()
