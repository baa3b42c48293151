"""Near-duplicate grouping measured: syndicated copies vs distinct stories on the same subject.

    .venv/bin/python bench/bench_duplicates.py [--seed 0]

The set is built from eval/xquad/ dev paragraphs, Arabic and English. A positive
pair is a paragraph and a lightly edited copy of it, as a second outlet would run it: two or
three of (its sentences reordered, a byline added, a different headline line on top, an
agency tag at the end, one word changed). A negative pair is two distinct paragraphs of the
same Wikipedia article: the same subject, names and vocabulary, but another story. A changed
pair is a paragraph and a copy of it edited the same way but stating another fact: its first
number times ten ("1,200" -> "12,000"), or, with no number, a name mid-sentence swapped for a name
of another paragraph (the templated bulletin, the tampered copy). For each threshold the pair
is called a copy when both articles share an LSH band key and their estimated Jaccard
similarity is at least the threshold, and (the shipped rule, ``duplicates.regroup``) their
facts agree (``duplicates.agree``); precision and recall over copy and distinct pairs, and the
share of changed pairs called copies, are printed by similarity alone and by the shipped rule.
The "word" edit can itself hit a number or a name: those copies are counted apart.
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


FIRST_NUMBER = re.compile(r"(?<![\w,.])\d[\d,]*(?![\d,]*\d)(?![^\W\d_])")
MID_NAME = re.compile(r"(?<=[a-z,] )[A-Z][a-z]{3,}")


def changed_pairs(seed: int) -> list[tuple[str, str]]:
    """Each paragraph and an edited copy stating another fact (None when it has none to change)."""
    rng = random.Random(seed + 1)
    found = paragraphs()
    names = [m.group() for texts in found.values() for t in texts for m in MID_NAME.finditer(t)]
    changed = []
    for (lang, _), texts in found.items():
        for text in texts:
            number = FIRST_NUMBER.search(text)
            if number:
                new = f"{int(number.group().replace(',', '')) * 10:,}"
                other = text[: number.start()] + new + text[number.end() :]
            elif (name := MID_NAME.search(text)) is not None:
                new = rng.choice([n for n in names if n != name.group()])
                other = text[: name.start()] + new + text[name.end() :]
            else:
                continue
            copy = next((c for c in (edited(other, lang, rng) for _ in range(10)) if c.count(new) > text.count(new)), None)
            if copy is not None:  # the "word" edit did not take the changed fact out again
                changed.append((text, copy))
    return changed


def called_copy(a, b, threshold: float, agree: bool = True) -> bool:
    shared_band = any(x == y for x, y in zip(duplicates.band_keys(a.sig), duplicates.band_keys(b.sig)))
    return shared_band and duplicates.similarity(a.sig, b.sig) >= threshold and (
        not agree or duplicates.agree(a.facts, b.facts))


class Sketch:
    def __init__(self, text: str) -> None:
        self.sig = duplicates.signature(text)
        self.facts = duplicates.facts(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    positives, negatives = pairs(args.seed)
    changed = changed_pairs(args.seed)
    sign = {}
    for a, b in positives + negatives + changed:
        for text in (a, b):
            if text not in sign:
                sign[text] = Sketch(text)
    print(f"{len(positives)} copy pairs, {len(negatives)} same-subject distinct pairs, {len(changed)} changed-fact "
          f"pairs (XQuAD dev, ar + en; word {duplicates.SHINGLE}-grams, {duplicates.PERMUTATIONS} permutations, "
          f"LSH {duplicates.BANDS}x{duplicates.ROWS})")
    pos = [duplicates.similarity(sign[a].sig, sign[b].sig) for a, b in positives]
    neg = [duplicates.similarity(sign[a].sig, sign[b].sig) for a, b in negatives]
    print(f"estimated Jaccard: copies min {min(pos):.3f} median {sorted(pos)[len(pos) // 2]:.3f}; "
          f"distinct max {max(neg):.3f} median {sorted(neg)[len(neg) // 2]:.3f}")
    hit = [(a, b) for a, b in positives if not duplicates.agree(sign[a].facts, sign[b].facts)]
    print(f"copies whose 'word' edit replaced a number or swapped a name: {len(hit)}")
    print("            similarity alone                 shipped rule (similarity and facts agree)")
    print("threshold  precision  recall  changed    precision  recall  changed")
    for threshold in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        row = []
        for agree in (False, True):
            tp = sum(called_copy(sign[a], sign[b], threshold, agree) for a, b in positives)
            fp = sum(called_copy(sign[a], sign[b], threshold, agree) for a, b in negatives)
            ch = sum(called_copy(sign[a], sign[b], threshold, agree) for a, b in changed)
            precision = tp / (tp + fp) if tp + fp else 1.0
            row.append(f"{precision:9.3f}  {tp / len(positives):6.3f}  {ch / len(changed):7.3f}")
        mark = "  <- shipped" if threshold == duplicates.THRESHOLD else ""
        print(f"{threshold:9.2f}  {row[0]}    {row[1]}{mark}")


if __name__ == "__main__":
    main()
