"""`rawi ask -`: one question per input line, one JSON record per output line."""

from __future__ import annotations

import logging
import sys

from .output import answer_json
from .terminal import json_line


def short_answer(answer, answerer, generator):
    from index.generate import short_answer as made

    return made(answer, answerer, generator)


def ask_stream(answerer, k: int, where, generator=None) -> None:
    """One JSON record per input line, whatever happens: a problem with one question (not UTF-8,
    empty, the index missing for a moment while it is replaced) is that line's error record, and
    the stream goes on. Lines are read as bytes, so no byte sequence can end the loop."""
    for raw in sys.stdin.buffer:
        line = raw.rstrip(b"\r\n")
        record = stream_record(answerer, line.decode("utf-8", "surrogateescape"), k, where, generator)
        if "error" in record:
            record["question"] = line.decode("utf-8", "replace")
        sys.stdout.buffer.write((json_line(record) + "\n").encode("utf-8", "replace"))
        sys.stdout.buffer.flush()


def stream_record(answerer, question: str, k: int, where, generator=None) -> dict:
    from index.errors import USER_ERRORS
    from index.question import QuestionError

    try:
        answer = answerer.ask(question, k=k, where=where)
        return answer_json(answer, short_answer(answer, answerer, generator))
    except (QuestionError, *USER_ERRORS) as exc:
        error = str(exc)
    except Exception as exc:  # noqa: BLE001 -- a bug must cost one answer, not the stream
        logging.getLogger("rawi.ask").debug("question failed", exc_info=True)
        error = f"internal error ({type(exc).__name__}): {exc}"
    return {"question": question, "answered": False, "passages": [], "error": error}
