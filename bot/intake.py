"""What the request layer does with a getUpdates answer before python-telegram-bot reads it.

python-telegram-bot parses a whole batch at once: one update it cannot parse (a `poll` without
the fields an older self-hosted Bot API server omits, say) fails the batch, the batch is fetched
again at once, forever, with the users' text in a CRITICAL traceback each time. Here each update
is tried alone first: one that cannot be read is logged once (its id and the error's type, never
its text) and left out; the others go on. Then the batch is journaled (``journal.py``) and
updates seen before are left out. When the last update of a batch is left out, a bare update
with its id stands in for it, so the next poll's offset still confirms it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import Update

if TYPE_CHECKING:
    from .journal import Journal

log = logging.getLogger(__name__)


def unreadable(update: object) -> str | None:
    """Why python-telegram-bot cannot read this update (the error's type), or None."""
    if not isinstance(update, dict) or type(update.get("update_id")) is not int:
        return "no update_id"
    try:
        Update.de_json(update, None)
    except Exception as exc:  # noqa: BLE001 -- whatever the library raises, this one update is the problem
        return type(exc).__name__
    return None


def is_placeholder(update: Update) -> bool:
    """A stand-in for an update left out (see the module docstring): nothing to answer, nothing to journal."""
    return update.to_dict().keys() <= {"update_id"}


class Intake:
    def __init__(self, journal: Journal | None = None) -> None:
        self.journal = journal

    def __call__(self, updates: list) -> list:
        readable = []
        for update in updates:
            problem = unreadable(update)
            if problem is None:
                readable.append(update)
            else:
                update_id = update.get("update_id", "?") if isinstance(update, dict) else "?"
                log.warning("update %s cannot be read (%s): skipped", update_id, problem)
        kept = self.journal.receive(readable) if self.journal is not None else readable
        last = updates[-1].get("update_id") if isinstance(updates[-1], dict) else None
        if type(last) is int and (not kept or kept[-1]["update_id"] != last):
            kept = [*kept, {"update_id": last}]
        return kept
