"""What each figure of `rawi eval` means: shown in `rawi eval --help` and as --json's "legend".

Light on purpose (no imports): the CLI reads it to build its help text without loading the index."""

from __future__ import annotations

LEGEND: dict[str, str] = {
    "questions": "questions asked",
    "answerable": "questions whose answer is in the corpus",
    "recall_at_1": "R@1: share of answerable questions whose first passage is a right one (from the right article)",
    "recall_at_5": "R@5: the same within the first 5 passages",
    "mrr_at_10": "MRR@10: mean of 1/rank of the first right passage (0 when not in the first 10)",
    "answer_in_passage_at_5": "share of answerable questions with the answer's words in a first-5 passage",
    "answered_share": "share of answerable questions rawi answered (did not decline)",
    "sentence_at_1": "when the first passage is right: share whose highlighted sentence holds the answer",
    "abstention_accuracy": "share of unanswerable questions rawi declined",
    "short_answer_precision": "of the short answers shown (by rules) and judged: the share that are right",
    "short_answer_coverage": "of answerable questions with known answer texts: the share with a short answer",
    "latency_p50_ms": "median time to answer one question, in milliseconds",
    "latency_p95_ms": "95th percentile of that time, in milliseconds",
    "pairs": "the same figures per language pair: question -> answering paragraph (none: not in corpus)",
    "misses": "with --misses: the answerable questions missed at R@1, each with the passage that came first",
}


def legend_help() -> str:
    """The legend as --help lines (click keeps a paragraph after \\b as written)."""
    return "\b\nFigures:\n" + "\n".join(f"  {name:24} {meaning}" for name, meaning in LEGEND.items())
