"""The index store: the contract (contract.py) and its backends (local.py, milvus.py)."""

from .local import *  # noqa: F403 -- transitional: the local backend's names, as index.store had them
from .local import (  # noqa: F401
    _fsync_dir, _generation_name,
)
