"""The user's cache folder for rawi: where the bundled model is built once per user, whatever
config is used (a config that names ``[encoder] cache_dir`` keeps its own folder).

``$RAWI_CACHE`` if set; else the platform's cache folder (``platformdirs`` if installed:
``~/.cache/rawi`` on Linux, ``~/Library/Caches/rawi`` on macOS); else ``$XDG_CACHE_HOME/rawi``,
else ``~/.cache/rawi``. The model goes in its ``models`` folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def user_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """rawi's cache folder for this user (see the module's docstring for the order)."""
    environ = os.environ if environ is None else environ
    if environ.get("RAWI_CACHE", "").strip():
        return Path(environ["RAWI_CACHE"].strip()).expanduser().absolute()
    try:
        import platformdirs
    except ImportError:
        xdg = environ.get("XDG_CACHE_HOME", "").strip()
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"  # XDG: relative is invalid
        return base / "rawi"
    return Path(platformdirs.user_cache_dir("rawi", appauthor=False))


def model_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the bundled model is built when the config names no ``[encoder] cache_dir``."""
    return user_cache_dir(environ) / "models"
