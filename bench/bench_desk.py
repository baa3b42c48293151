"""Short answers on news desks of our own: each desk is a folder of articles in both languages
(datelines, leads, several counts a sentence) and a TSV of questions with the answers a desk
editor accepts (``question<TAB>accepted|accepted``), in eval/desks/.

    .venv/bin/python bench/bench_desk.py                     # every desk in eval/desks
    .venv/bin/python bench/bench_desk.py eval/desks/power_rail_ports.tsv

Each desk is indexed into a temporary folder with the default encoder, every question asked as
`rawi ask` asks it (k=3), and the short answer the CLI would show judged: right when it holds one
of the accepted answers. Printed per question (RIGHT / WRONG / - for none shown, with the cited
article), then per desk: shown, right and wrong. A wrong short answer is what this counts first.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.build import Builder  # noqa: E402
from index.encoder import Encoder  # noqa: E402
from index.extract import extract  # noqa: E402
from index.service import open_answerer  # noqa: E402
from rawi.config import load  # noqa: E402

DESKS = ROOT / "eval" / "desks"


def run_desk(questions: Path, encoder: Encoder, work: Path) -> tuple[int, int, int]:
    """Index the desk beside ``questions`` (its folder has the TSV's name) and judge each answer."""
    settings = load(ROOT / "config.toml", corpus=questions.with_suffix(""), index=work / questions.stem).index
    Builder(settings, encoder).run()
    answerer = open_answerer(settings, encoder)
    total = shown = right = 0
    for line in questions.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        question, accepted = line.split("\t")
        answer = answerer.ask(question, k=3)
        short = extract(answer)
        total += 1
        verdict = "  -  "
        if short is not None:
            shown += 1
            ok = any(a in short.text for a in accepted.split("|"))
            right += ok
            verdict = "RIGHT" if ok else "WRONG"
        cited = answer.passages[0].article_id if answer.passages else "-"
        print(f"{verdict}  {question[:64]:<64} -> {short.text if short else None!r}  [{cited}]")
    print(f"== {questions.stem}: {total} questions, shown {shown}, right {right}, wrong {shown - right}\n")
    return total, shown, right


def main() -> None:
    desks = [Path(a) for a in sys.argv[1:]] or sorted(DESKS.glob("*.tsv"))
    encoder = Encoder(load(ROOT / "config.toml").index.encoder)
    with tempfile.TemporaryDirectory() as work:
        figures = [run_desk(d, encoder, Path(work)) for d in desks]
    total, shown, right = (sum(f[i] for f in figures) for i in range(3))
    print(f"all desks: {total} questions, shown {shown}, right {right}, wrong {shown - right}")


if __name__ == "__main__":
    main()
