"""The Milvus backend for its tests, driven through the store contract alone (store_helpers.py);
run as ``python -m tests.milvus_helpers URI ADD_JSON``, a writer process crash tests can kill."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from index.settings import IndexSettings, StoreSettings, VectorIndexSettings
from index.store.milvus import MilvusBackend
from tests.store_helpers import ARTICLES, Counting, write

__all__ = ["ARTICLES", "Counting", "backend_for", "write"]


def backend_for(
    tmp_path, name: str = "rawi", vectors: VectorIndexSettings = VectorIndexSettings(), uri: str | None = None,
) -> MilvusBackend:
    store = StoreSettings(backend="milvus", uri=uri or str(tmp_path / "milvus.db"), name=name)
    return MilvusBackend(IndexSettings(index_dir=tmp_path / "index", store=store, vectors=vectors), "test-stand-in-encoder")


def main() -> None:
    from tests.conftest import StandInEncoder

    uri, spec = sys.argv[1], Path(sys.argv[2])
    added = json.loads(spec.read_text(encoding="utf-8"))
    store = StoreSettings(backend="milvus", uri=uri, name="rawi")
    backend = MilvusBackend(IndexSettings(index_dir=spec.parent / "index", store=store), StandInEncoder.name)
    with backend.lock():
        backend.prune()
        print(write(backend, Counting(StandInEncoder()), {k: tuple(v) for k, v in added.items()}), flush=True)


if __name__ == "__main__":
    main()
