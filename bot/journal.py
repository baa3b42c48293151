"""Received-but-unanswered updates, on disk: a question survives `kill -9` (or the OOM killer).

Telegram forgets an update once the next getUpdates confirms it (its offset), and the bot
confirms a batch as soon as it has fetched it, long before every question in it is answered.
So each batch is appended to this journal (and fsynced) before the request layer hands it on,
hence before it can be confirmed; each update is marked done once it has been handled. On start,
the updates received and not done are handled again, in order; an update the server delivers
again (fetched, journaled, never confirmed) is recognised by its id and not handled twice.

"Exactly once" has one window left, which no protocol without idempotent sends can close: a
crash after Telegram accepted an answer and before its "done" line was written (a few
milliseconds) answers that question again on restart. Done lines are flushed to the kernel
(which a killed process cannot lose) but not fsynced: a power cut can cost a duplicate
answer, never a question.

An update still pending at ``MAX_STARTS`` starts in a row was handled that many times and never
finished: it is likely what stops the bot (a crash inside a handler, the OOM killer), so it is
dropped with a warning instead of being replayed forever.

Format: one JSON object a line, ``{"update": {...}, "starts": n}`` or ``{"done": id}``;
``{"seen": [ids]}`` carries the ids of earlier runs; ``starts`` counts the runs that began with
the update pending. The file is rewritten (atomically) at start and whenever it
holds many done lines, so it stays the size of what is pending.
"""

from __future__ import annotations

import json
import logging
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SEEN_KEPT = 10_000  # ids remembered to recognise a re-delivery (Telegram re-sends only unconfirmed ones)
COMPACT_AFTER = 5_000  # done lines before the file is rewritten
MAX_STARTS = 3  # starts an update may be replayed at before it is dropped as the likely crash


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.pending: OrderedDict[int, dict] = OrderedDict()
        self.starts: dict[int, int] = {}  # of a pending update: the runs that began with it pending
        self.seen: OrderedDict[int, None] = OrderedDict()
        self._done_lines = 0
        self._handle: Any = None

    # ---------------------------------------------------------------- start

    def open(self) -> list[dict]:
        """Read what an earlier run left; returns the updates to handle again, in order."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.path.exists():
            self._load()
        self._count_start()
        self._rewrite()
        if self.pending:
            log.warning("%d question(s) received before a stop and never answered: answering them now", len(self.pending))
        return list(self.pending.values())

    def _load(self) -> None:
        with self.path.open("r", encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                try:
                    entry = json.loads(line)
                    self._apply(entry)
                except (ValueError, TypeError, KeyError, AttributeError):  # a line cut short by the crash
                    log.warning("journal %s: line %d unreadable, ignored", self.path.name, number)

    def _count_start(self) -> None:
        """One more start with these updates pending; drop those replayed MAX_STARTS times already."""
        for update_id in list(self.pending):
            self.starts[update_id] = self.starts.get(update_id, 0) + 1
            if self.starts[update_id] > MAX_STARTS:
                del self.pending[update_id], self.starts[update_id]
                log.warning(
                    "update %d was being answered at each of the last %d stops: dropped, it may be what stops the bot",
                    update_id, MAX_STARTS,
                )

    def _apply(self, entry: dict) -> None:
        if "update" in entry:
            update = entry["update"]
            update_id = int(update["update_id"])
            self.pending[update_id] = update
            self.starts[update_id] = int(entry.get("starts", 0))
            self._remember(update_id)
        elif "done" in entry:
            self.pending.pop(int(entry["done"]), None)
            self.starts.pop(int(entry["done"]), None)
        elif "seen" in entry:
            for update_id in entry["seen"]:
                self._remember(int(update_id))

    def _remember(self, update_id: int) -> None:
        self.seen[update_id] = None
        self.seen.move_to_end(update_id)
        while len(self.seen) > SEEN_KEPT:
            self.seen.popitem(last=False)

    def _rewrite(self) -> None:
        """The file, from memory: the ids seen and the pending updates (temp file, fsync, rename)."""
        if self._handle is not None:
            self._handle.close()
        temporary = self.path.with_name(self.path.name + ".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(json.dumps({"seen": list(self.seen)}) + "\n")
            for update_id, update in self.pending.items():
                handle.write(json.dumps({"update": update, "starts": self.starts.get(update_id, 0)}) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
        self._handle = self.path.open("a", encoding="utf-8")
        self._done_lines = 0

    # ---------------------------------------------------------------- running

    def receive(self, updates: list[dict]) -> list[dict]:
        """Journal a fetched batch (durably) before it is handed on; returns those not seen before."""
        fresh = [u for u in updates if int(u["update_id"]) not in self.seen]
        if fresh:
            for update in fresh:
                self._handle.write(json.dumps({"update": update}) + "\n")
                self.pending[int(update["update_id"])] = update
                self._remember(int(update["update_id"]))
            self._handle.flush()
            os.fsync(self._handle.fileno())
        return fresh

    def done(self, update_id: int) -> None:
        self.starts.pop(update_id, None)
        if self.pending.pop(update_id, None) is None:
            return
        self._handle.write(json.dumps({"done": update_id}) + "\n")
        self._handle.flush()
        self._done_lines += 1
        if self._done_lines >= COMPACT_AFTER:
            self._rewrite()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
