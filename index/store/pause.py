"""Test hook for crash tests: a writer can be made to wait at a named point and be killed there."""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_POINTS = ("embedding", "staged", "publish")


def pause_point(point: str) -> None:
    """Test hook for crash tests; a no-op unless ``RAWI_TEST_PAUSE_AT`` names this point.

    At the point, the writer creates the file ``$RAWI_TEST_PAUSE_FILE`` and waits while it
    exists (at most 300 s): the test then kills it (``kill -9``), or deletes the file to let
    it carry on. The points:
    ``embedding``: the new generation holds the previous one's rows, edited, nothing embedded.
    ``staged``: all of the new generation written and checked, not yet published (local: not
    yet fsynced or renamed).
    ``publish``: the new generation in place, the switch not yet made (local: renamed into
    ``generations/``, CURRENT not switched; Milvus: collections complete, alias not switched).
    """
    if os.environ.get("RAWI_TEST_PAUSE_AT") != point:
        return
    marker = Path(os.environ["RAWI_TEST_PAUSE_FILE"])
    marker.write_text(point, encoding="utf-8")
    deadline = time.monotonic() + 300
    while marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
