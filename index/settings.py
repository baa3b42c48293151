"""Typed settings for the index package.

They are built once by the CLI shell from config.toml (see ``rawi/config.py``) and passed down;
nothing in ``index/`` reads the configuration file itself. The defaults here match config.toml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

BUNDLED_MODEL = "bundled:multilingual-e5-small"
"""The `[encoder] model` name of the default model, built offline by ``model_build.py``.

It lives here, not there, so reading the settings (``rawi --help``) never imports numpy."""


@dataclass(frozen=True)
class EncoderSettings:
    model: str = BUNDLED_MODEL
    cache_dir: Path = Path(".cache/models")
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    batch_size: int = 32
    threads: int = 0  # 0: let the runtime decide
    backend: str = "onnx-int8"  # "onnx-int8" | "onnx" | "torch" (see index/encoder.py)


@dataclass(frozen=True)
class ChunkSettings:
    max_tokens: int = 200
    overlap_tokens: int = 32


@dataclass(frozen=True)
class RetrievalSettings:
    k: int = 3
    candidates: int = 50
    sentence_weight: float = 0.7
    lexical_weight: float = 0.03


@dataclass(frozen=True)
class AnswerSettings:
    """Logistic abstention model over the features of ``abstain.Evidence`` (see config.toml)."""

    bias: float = -74.0
    weights: dict = field(default_factory=lambda: {"dense": 100.0})
    threshold: float = 0.5


@dataclass(frozen=True)
class IndexSettings:
    corpus_dir: Path = Path("seeds")
    index_dir: Path = Path("var/index")
    encoder: EncoderSettings = field(default_factory=EncoderSettings)
    chunks: ChunkSettings = field(default_factory=ChunkSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    answer: AnswerSettings = field(default_factory=AnswerSettings)
