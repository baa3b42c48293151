"""Start a child under a resource limit, another umask, another user or default signals, without
``preexec_fn``.

Why not ``preexec_fn``: it makes subprocess fork the test process itself, and fork runs every
library's fork handlers. Once a Milvus test has run in the same pytest process, gRPC's threads
are live, and its handlers write to the child's standard error between fork and exec (CI, stop
33: "ev_epoll1_linux.cc:373] ... epoll_wait error: Bad file descriptor" ahead of rawi's one-line
error). Here a small Python launcher is started instead (subprocess uses vfork for it, which
runs no fork handlers); it sets what was asked in its own process and execs the command, which
keeps all of it (limits, umask, user and ignored signals survive exec).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from typing import Sequence

_LAUNCHER = """
import json, os, resource, signal, sys
spec = json.loads(sys.argv[1])
if spec["file_size"] is not None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as ENOSPC would
    resource.setrlimit(resource.RLIMIT_FSIZE, (spec["file_size"], spec["file_size"]))
if spec["memory"] is not None:
    resource.setrlimit(resource.RLIMIT_AS, (spec["memory"], spec["memory"]))
if spec["umask"] is not None:
    os.umask(spec["umask"])
if spec["sigint_default"]:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
if spec["user"] is not None:
    os.setgid(spec["user"][1])
    os.setuid(spec["user"][0])
os.execv(sys.argv[2], sys.argv[2:])
"""


@dataclass(frozen=True)
class Launch:
    """What the child starts with; None (or False): as the test process has it."""

    file_size: int | None = None  # RLIMIT_FSIZE in bytes, SIGXFSZ ignored
    memory: int | None = None  # RLIMIT_AS in bytes
    umask: int | None = None
    sigint_default: bool = False  # Ctrl-C's default action (a background child may inherit it ignored)
    user: tuple[int, int] | None = None  # (uid, gid) to drop to; needs root

    def command(self, command: Sequence[str]) -> list[str]:
        """``command`` (its first item a path to an executable) started through the launcher."""
        return [sys.executable, "-c", _LAUNCHER, json.dumps(asdict(self)), *map(str, command)]
