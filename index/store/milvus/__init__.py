"""The Milvus store's room: collections in Milvus Lite or on a Milvus server (backend.py)."""

from __future__ import annotations

from .backend import MilvusBackend

__all__ = ["MilvusBackend"]
