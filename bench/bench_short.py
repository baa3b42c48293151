"""The rules-made short answer ("Answer (extracted from [1], by rules)") on XQuAD dev, per route.

    .venv/bin/python bench/bench_short.py                       # the four routes, the figures
    .venv/bin/python bench/bench_short.py --out after.jsonl     # also each question's short answer
    .venv/bin/python bench/bench_short.py --compare before.jsonl after.jsonl
    .venv/bin/python bench/bench_short.py --translator http://127.0.0.1:8765/v1   # with question translation
        # (bench/oracle_translator.py eval/xquad/dev.en.json eval/xquad/dev.ar.json serves XQuAD's own)

For every question of a route (en->ar, ar->ar, en->en, and the bilingual corpus) it asks rawi as
`rawi eval` does (the same indexes, under var/eval) and extracts the short answer the CLI and the
bot would show. A shown short answer is right when it states one of the gold answer's numbers or
holds the gold answer's text (index/evaluation.py ``short_is_right``). It prints precision where
shown and coverage (shown / answerable questions). ``--compare`` reads two ``--out`` files made
at two revisions and prints both side by side, with the share of the questions right before that
are still right after.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import evaluation  # noqa: E402
from index.encoder import Encoder  # noqa: E402
from index.service import open_answerer  # noqa: E402
from index.settings import EncoderSettings, IndexSettings  # noqa: E402

X = ROOT / "eval" / "xquad"
ROUTES = {  # name: (questions, paragraphs, bilingual)
    "en->ar": (X / "dev.en.json", X / "dev.ar.json", None),
    "ar->ar": (X / "dev.ar.json", None, None),
    "en->en": (X / "dev.en.json", None, None),
    "bilingual": (X / "dev.en.json", None, X / "dev.ar.json"),
}


def run_route(name: str, encoder: Encoder, translator_url: str | None = None) -> list[dict]:
    from index.build import Builder
    from index.extract import extract

    questions, paragraphs, bilingual = ROUTES[name]
    base = IndexSettings(corpus_dir=ROOT / "seeds", index_dir=ROOT / "var" / "index",
                         encoder=EncoderSettings(cache_dir=ROOT / ".cache" / "models"))
    run = evaluation.prepare(base, questions, paragraphs, None, bilingual)
    Builder(run.settings, encoder).run()
    translator = None
    if translator_url:
        from index.settings import GenerateSettings
        from index.translate import Translator

        translator = Translator(GenerateSettings(enabled=True, url=translator_url))
    answerer = open_answerer(run.settings, encoder, translator)
    rows = []
    for q in run.questions:
        answer = answerer.ask(q.question, k=3)
        short = extract(answer)
        text = short.text if short else None
        sentence = answer.passages[0].sentence if answer.passages else ""
        passage = answer.passages[0].text if answer.passages else ""
        rows.append({"route": name, "id": f"{q.pair}:{q.id}", "question": q.question, "short": text,
                     "sentence": sentence, "passage": passage, "answered": answer.answered,
                     "gold": list(q.contains_any), "confidence": answer.confidence,
                     "sentence_cosine": answer.evidence.sentence if answer.evidence else None,
                     "cross": bool(answer.evidence and answer.evidence.cross_lingual),
                     "right": None if text is None else evaluation.short_is_right(text, q.contains_any)})
    return rows


def figures(rows: list[dict]) -> tuple[int, int, int]:
    shown = [r for r in rows if r["short"] is not None]
    return len(rows), len(shown), sum(bool(r["right"]) for r in shown)


def print_table(results: dict[str, list[dict]]) -> None:
    print(f"{'route':<10} {'questions':>9} {'shown':>6} {'right':>6} {'precision':>9} {'coverage':>8}")
    for name, rows in results.items():
        total, shown, right = figures(rows)
        precision = f"{right / shown:.3f}" if shown else "-"
        print(f"{name:<10} {total:>9} {shown:>6} {right:>6} {precision:>9} {shown / total:8.3f}")


def _scored(path: Path) -> list[dict]:
    """The rows of an ``--out`` file, scored again with this revision's ``short_is_right`` (so a
    file written by an older revision is judged by the same rule)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        row["right"] = None if row["short"] is None else evaluation.short_is_right(row["short"], tuple(row["gold"]))
    return rows


def compare(before: Path, after: Path) -> None:
    old = _scored(before)
    new = {(r["route"], r["id"]): r for r in _scored(after)}
    for label, rows in (("before", old), ("after", list(new.values()))):
        print(f"== {label}")
        print_table({name: [r for r in rows if r["route"] == name] for name in ROUTES})
    right_before = [r for r in old if r["right"]]
    kept = sum(bool(new.get((r["route"], r["id"]), {}).get("right")) for r in right_before)
    print(f"\nright before and still right after: {kept} of {len(right_before)} ({kept / max(1, len(right_before)):.1%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--routes", default=",".join(ROUTES), help="comma-separated, of " + ", ".join(ROUTES))
    parser.add_argument("--out", type=Path, help="write each question's short answer here (JSONL)")
    parser.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--translator", metavar="URL", help="an OpenAI-compatible server that translates the questions")
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare)
        return
    encoder = Encoder(EncoderSettings(cache_dir=ROOT / ".cache" / "models"))
    results = {name: run_route(name, encoder, args.translator) for name in args.routes.split(",")}
    print_table(results)
    if args.out:
        with args.out.open("w", encoding="utf-8") as handle:
            for rows in results.values():
                for row in rows:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
