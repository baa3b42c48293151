"""`rawi ask -`: one question per input line, one JSON record per output line."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from .render import answer_json
from .terminal import json_line

if TYPE_CHECKING:
    from index.service import ArticleFilter, Desk, Generator, Reader


def ask_stream(answerer: Reader, k: int, where: ArticleFilter, generator: Generator | None = None) -> None:
    """One JSON record per input line, whatever happens: a problem with one question (not UTF-8,
    empty, the index missing for a moment while it is replaced) is that line's error record, and
    the stream goes on. Lines are read as bytes, so no byte sequence can end the loop."""
    from index.service import Desk

    desk = Desk(answerer, generator)
    for raw in sys.stdin.buffer:
        line = raw.rstrip(b"\r\n")
        record = _record(desk, line.decode("utf-8", "surrogateescape"), k, where)
        if "error" in record:
            record["question"] = line.decode("utf-8", "replace")
        sys.stdout.buffer.write((json_line(record) + "\n").encode("utf-8", "replace"))
        sys.stdout.buffer.flush()


def stream_record(answerer: Reader, question: str, k: int, where: ArticleFilter, generator: Generator | None = None) -> dict:
    """One input line's record: the answer, a greeting's reply, or the error."""
    from index.service import Desk

    return _record(Desk(answerer, generator), question, k, where)


def _record(desk: Desk, question: str, k: int, where: ArticleFilter) -> dict:
    from index.errors import USER_ERRORS
    from index.service import NoContent, QuestionError

    try:
        answer = desk.ask(question, k=k, where=where)
        return answer_json(answer, desk.short_answer(answer))
    except NoContent as exc:  # "hello", a lone word: the reply `rawi ask` gives, as this line's record
        return desk.greeting(question, exc.greeting).to_json(question)
    except (QuestionError, *USER_ERRORS) as exc:
        error = str(exc)
    except Exception as exc:  # noqa: BLE001 -- a bug must cost one answer, not the stream
        logging.getLogger("rawi.ask").debug("question failed", exc_info=True)
        error = f"internal error ({type(exc).__name__}): {exc}"
    return {"question": question, "answered": False, "passages": [], "error": error}
