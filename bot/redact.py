"""Bot tokens out of text and logs: `123456:ABC-secret` -> `<token>`. Light: imports nothing heavy.

The token travels in every Bot API URL, and python-telegram-bot itself quotes it in some error
messages (a rejected token), which it may log with a traceback. `RedactingFilter`, on the
handlers `rawi` logs through, blanks out anything shaped like a token in every record,
tracebacks included, whoever logged it.
"""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]{8,}")


def redact(text: str) -> str:
    """`text` with anything shaped like a bot token (digits:secret) blanked out."""
    return _TOKEN.sub("<token>", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKEN.search(message):
            record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
