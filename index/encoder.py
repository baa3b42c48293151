"""The sentence-transformers encoder: query/passage prompts, lazy load, token counting.

torch and sentence-transformers take seconds to import, so nothing heavy is imported until a
vector or a token count is first needed: ``rawi --help`` and a no-change ``rawi index`` stay fast.
"""

from __future__ import annotations

import logging
import os
from functools import cached_property
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .model_build import BUNDLED_MODEL, bundled_model_dir
from .settings import EncoderSettings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)


class EncoderError(RuntimeError):
    """The configured model cannot be loaded."""


def _quiet_libraries() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()


class Encoder:
    """Embeds questions and passages with one sentence-transformers model, loaded on first use."""

    def __init__(self, settings: EncoderSettings) -> None:
        self.settings = settings

    @property
    def name(self) -> str:
        return self.settings.model

    @cached_property
    def model(self) -> SentenceTransformer:
        _quiet_libraries()
        import torch
        from sentence_transformers import SentenceTransformer

        if self.settings.threads > 0:
            torch.set_num_threads(self.settings.threads)
        path = self._model_path()
        log.info("loading encoder %s", path)
        try:
            return SentenceTransformer(path, device="cpu")
        except OSError as exc:
            raise EncoderError(f"cannot load encoder {self.settings.model!r}: {exc}") from exc

    def _model_path(self) -> str:
        if self.settings.model == BUNDLED_MODEL:
            return str(bundled_model_dir(self.settings.cache_dir))
        return self.settings.model

    @cached_property
    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for a passage, without special tokens or prompt."""
        return len(self.model.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.settings.query_prompt, progress=False)

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._encode(texts, self.settings.passage_prompt, progress=progress)

    def _encode(self, texts: Sequence[str], prompt: str, progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Stripped: a trailing space becomes a token the model never saw in training.
        cleaned = [text.strip() for text in texts]
        vectors = self.model.encode(
            cleaned,
            prompt=prompt,
            batch_size=self.settings.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
