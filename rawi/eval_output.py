"""`rawi eval`'s output: the figures as a table or one JSON object, its legend, and the questions that missed."""

from __future__ import annotations

from typing import Any

from index.service import LEGEND

from .terminal import isolate, safe


def eval_json(reports: dict[str, Any], missed: list[Any] | None) -> dict:
    """The figures for all questions, "pairs" per language pair, "legend", and "misses" when asked for."""
    summary = reports["all"].to_json()
    record = summary | {"pairs": {p: r.to_json() for p, r in reports.items() if p != "all"}}
    if missed is not None:
        record["misses"] = [r.miss_json() for r in missed]
    return record | {"legend": LEGEND}


def eval_lines(reports: dict[str, Any], missed: list[Any] | None) -> list[str]:
    """The figures as a table, a column per language pair; then, when asked for, each miss."""
    columns = {name: report.to_json() for name, report in reports.items()}
    lines = [f"{'':24}" + "".join(f"{name:>10}" for name in columns)]
    for key in columns["all"]:
        lines.append(f"{key:24}" + "".join(f"{_cell(column[key]):>10}" for column in columns.values()))
    return lines if missed is None else lines + miss_lines(missed, columns["all"]["answerable"])


def miss_lines(missed: list[Any], answerable: int) -> list[str]:
    lines = ["", f"Missed at R@1: {len(missed)} of {answerable} answerable question(s)"]
    for r in missed:
        where = f"right article at rank {r.rank}" if r.rank else "right article not in the first 10"
        lines.append(f"  {safe(r.id, lines=False)}: {isolate(safe(r.question, lines=False))}  ({where})")
        if r.first is None:
            lines.append("      first: no passage")
        else:
            lines.append(f"      first: [{safe(r.first[0], lines=False)}] {isolate(safe(r.first[1], lines=False))}")
    return lines


def _cell(value: object) -> str:
    return "-" if value is None else str(value)
