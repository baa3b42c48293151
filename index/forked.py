"""Worker processes forked from this one, for pure work on data this process already holds.

Forked, not spawned: a worker inherits what ``install`` is given (the articles of a build, the
texts of a lexical index, a token counter that is a closure over a tokenizer) without any of it
being pickled; only positions travel to it and results back. Each worker dies with the process
that forked it (``PR_SET_PDEATHSIG``): a build killed with SIGKILL leaves no worker behind
holding the writer's lock or waiting for work that will never come.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor


def usable_cpus() -> int:
    """The CPUs this process may run on; 0 where workers cannot be forked, or should not be: in a
    process that has loaded gRPC (a Milvus client), a fork runs gRPC's fork handlers while its
    threads are live, which write to standard error ("Other threads are currently calling into
    gRPC, skipping fork() handlers", on every `rawi index` to Milvus) and leave the child's copy
    of gRPC in an undefined state."""
    if "fork" not in multiprocessing.get_all_start_methods() or "grpc" in sys.modules:
        return 0
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def pool(processes: int, install: Callable[..., None], *state: object) -> ProcessPoolExecutor:
    """``processes`` forked workers, each starting with ``install(*state)`` (inherited, not pickled)."""
    return ProcessPoolExecutor(processes, multiprocessing.get_context("fork"), initializer=functools.partial(_start, install, *state))


def _start(install: Callable[..., None], *state: object) -> None:
    _die_with_parent()
    install(*state)


def _die_with_parent() -> None:
    """Linux: this process gets SIGKILL when the one that forked it ends, however it ends."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() == 1:  # it has already ended
        os._exit(1)
