"""Running a child process as the unprivileged user `nobody`, for faults root's privileges hide.

These tests run as root, and `chmod 000` does not stop root: a folder or index that must be
really unreadable or unwritable is met by a child process that has dropped to `nobody`, where
the kernel itself refuses. The project's interpreter lives under /root (closed to others), so the
child runs the system python3 with the project (and, if needed, the venv's packages) on its path.
"""

from __future__ import annotations

import os
import pwd
import shutil

import pytest

from tests.launch import Launch

SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/usr/local/bin")


def _nobody() -> tuple[int, int] | None:
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


NOBODY = _nobody()

needs_nobody = pytest.mark.skipif(
    os.geteuid() != 0 or NOBODY is None or not SYSTEM_PYTHON,
    reason="needs root to switch to the user nobody, and a system python3",
)


# a child started through AS_NOBODY.command([...]) runs as nobody
AS_NOBODY = Launch(user=NOBODY)
