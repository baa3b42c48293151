"""Near-duplicate grouping measured: syndicated copies vs distinct stories on the same subject.

    .venv/bin/python bench/bench_duplicates.py [--seed 0]

The set is built from eval/xquad/ dev paragraphs, Arabic and English. A positive
pair is a paragraph and a lightly edited copy of it, as a second outlet would run it: two or
three of (its sentences reordered, a byline added, a different headline line on top, an
agency tag at the end, one word changed). A negative pair is two distinct paragraphs of the
same Wikipedia article: the same subject, names and vocabulary, but another story. For each
threshold the pair is called a copy when both articles share an LSH band key and their
estimated Jaccard similarity is at least the threshold (exactly what ``duplicates.regroup``
does); precision and recall over all pairs are printed, and the shipped threshold is marked.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import duplicates  # noqa: E402

XQUAD = ROOT / "eval" / "xquad"
SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+")
BYLINES = {"en": ["By Sarah Klein, Reuters", "By Omar Haddad | AFP", "Staff and agencies"],
           "ar": ["بقلم سارة كلاين - رويترز", "عمر حداد | فرانس برس", "وكالات"]}
TAGS = {"en": ["(Reporting by Omar Haddad; Editing by Sarah Klein)", "AP contributed to this report."],
        "ar": ["(إعداد عمر حداد للنشرة العربية - تحرير سارة كلاين)", "ساهمت وكالة أسوشيتد برس في هذا التقرير."]}
HEADLINES = {"en": ["What we know so far", "Breaking: the full story", "Explainer"],
             "ar": ["ما نعرفه حتى الآن", "عاجل: القصة الكاملة", "تقرير"]}


def paragraphs() -> dict[tuple[str, int], list[str]]:
    """(language, article number) -> its paragraphs."""
    found = {}
    for lang in ("ar", "en"):
        data = json.loads((XQUAD / f"dev.{lang}.json").read_text(encoding="utf-8"))
        for number, article in enumerate(data["data"]):
            found[(lang, number)] = [p["context"].strip() for p in article["paragraphs"]]
    return found


def edited(text: str, lang: str, rng: random.Random) -> str:
    """A second outlet's copy: two or three light edits."""
    edits = rng.sample(["reorder", "byline", "headline", "tag", "word"], rng.choice([2, 3]))
    sentences = [s for s in SENTENCE_END.split(text) if s.strip()]
    if "reorder" in edits and len(sentences) > 2:
        i = rng.randrange(len(sentences) - 1)
        sentences[i], sentences[i + 1] = sentences[i + 1], sentences[i]
    body = " ".join(sentences)
    if "word" in edits:
        words = body.split()
        words[rng.randrange(len(words))] = "reportedly" if lang == "en" else "حسبما أفادت التقارير"
        body = " ".join(words)
    if "byline" in edits:
        body = f"{rng.choice(BYLINES[lang])}\n\n{body}"
    if "headline" in edits:
        body = f"{rng.choice(HEADLINES[lang])}\n\n{body}"
    if "tag" in edits:
        body = f"{body}\n\n{rng.choice(TAGS[lang])}"
    return body


def pairs(seed: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    rng = random.Random(seed)
    positives, negatives = [], []
    for (lang, _), texts in paragraphs().items():
        positives += [(text, edited(text, lang, rng)) for text in texts]
        negatives += list(itertools.combinations(texts, 2))
    return positives, negatives


def called_copy(a, b, threshold: float) -> bool:
    shared_band = any(x == y for x, y in zip(duplicates.band_keys(a), duplicates.band_keys(b)))
    return shared_band and duplicates.similarity(a, b) >= threshold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    positives, negatives = pairs(args.seed)
    sign = {}
    for a, b in positives + negatives:
        for text in (a, b):
            if text not in sign:
                sign[text] = duplicates.signature(text)
    print(f"{len(positives)} copy pairs, {len(negatives)} same-subject distinct pairs "
          f"(XQuAD dev, ar + en; word {duplicates.SHINGLE}-grams, {duplicates.PERMUTATIONS} permutations, "
          f"LSH {duplicates.BANDS}x{duplicates.ROWS})")
    pos = [duplicates.similarity(sign[a], sign[b]) for a, b in positives]
    neg = [duplicates.similarity(sign[a], sign[b]) for a, b in negatives]
    print(f"estimated Jaccard: copies min {min(pos):.3f} median {sorted(pos)[len(pos) // 2]:.3f}; "
          f"distinct max {max(neg):.3f} median {sorted(neg)[len(neg) // 2]:.3f}")
    print("threshold  precision  recall")
    for threshold in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        tp = sum(called_copy(sign[a], sign[b], threshold) for a, b in positives)
        fp = sum(called_copy(sign[a], sign[b], threshold) for a, b in negatives)
        precision = tp / (tp + fp) if tp + fp else 1.0
        mark = "  <- shipped" if threshold == duplicates.THRESHOLD else ""
        print(f"{threshold:9.2f}  {precision:9.3f}  {tp / len(positives):6.3f}{mark}")


if __name__ == "__main__":
    main()
