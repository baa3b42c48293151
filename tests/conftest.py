"""Shared fixtures: the real encoder (loaded once per session), a stand-in encoder for tests that
need no meaning, and a real index of seeds/.

Two tiers. A test that uses the real encoder (the ``encoder`` or ``torch_encoder`` fixture, also
through ``seed_settings`` and the like) is marked ``slow`` here, automatically; a test that runs a
`rawi` process which loads the model, or builds a 10,000-passage index, is marked ``slow`` by hand. ``make check`` runs the rest
(``pytest -m "not slow"``) in seconds; ``make test`` runs everything. A test that needs no meaning
(storage, re-indexing, faults, the bot's plumbing) should take ``stand_in_encoder``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings as hypothesis_settings

from index.build import Builder
from index.encoder import Encoder
from index.service import open_answerer
from index.settings import EncoderSettings, IndexSettings
from tests import perturb

perturb.install_from_env()  # `make fragile`: the encoder as another CPU or backend gives it (tests/perturb.py)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
EVAL = ROOT / "eval"  # the evaluation sets shipped with the project
MODEL_CACHE = ROOT / ".cache" / "models"
# A config naming no [encoder] cache_dir builds the model in the user's cache (rawi/usercache.py):
# in the tests, and every `rawi` they start, that is the project's .cache, never the real home's.
os.environ["RAWI_CACHE"] = str(MODEL_CACHE.parent)

# Property tests: no deadline (a shared 2-core machine is noisy), 100 examples unless a test says
# otherwise. In CI (CI=true) the examples are derandomized, so a run is repeatable; elsewhere they
# vary from run to run and failures are kept in .hypothesis/ to be tried first next time.
# HYPOTHESIS_PROFILE=thorough runs 1000 examples a property.
_PROPERTY_DEFAULTS = dict(deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True, **_PROPERTY_DEFAULTS)
hypothesis_settings.register_profile("dev", **_PROPERTY_DEFAULTS)
hypothesis_settings.register_profile("thorough", **{**_PROPERTY_DEFAULTS, "max_examples": 1000})
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


REAL_MODEL_FIXTURES = {"encoder", "torch_encoder"}


def pytest_report_header(config) -> str | None:
    changed = perturb.active()
    return f"make fragile: {changed}" if changed else None


def pytest_collection_modifyitems(config, items) -> None:
    """Mark every test that needs the real model (directly or through another fixture) ``slow``;
    under make fragile, skip those that compare the vectors themselves with a reference."""
    moved = perturb.active()
    for item in items:
        if REAL_MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
        if moved and item.get_closest_marker("exact_vectors"):
            item.add_marker(pytest.mark.skip(reason=f"make fragile's {moved} is not the arithmetic this test checks"))


TOKEN = re.compile(r"\w+|[^\w\s]")


class StandInEncoder:
    """The Encoder interface without a model: deterministic, instant, for tests that need no meaning.

    A text's vector is the normalized sum of one pseudo-random unit vector per lower-cased word
    (seeded by the word's hash), so equal texts get equal vectors and a question that shares a
    passage's words is close to it; there is no cross-lingual meaning. A token is a word or a
    punctuation mark (the real tokenizer counts more, never fewer, for the same text).
    """

    name = "test-stand-in-encoder"
    dimension = 384

    def __init__(self) -> None:
        self._words: dict[str, np.ndarray] = {}

    @property
    def model(self) -> StandInEncoder:  # the real Encoder loads its model on first use
        return self

    def count_tokens(self, text: str) -> int:
        return len(TOKEN.findall(text.strip()))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            words = [w.lower() for w in TOKEN.findall(text) if w[0].isalnum() or w[0] == "_"] or [""]
            vector = np.sum([self._word(w) for w in words], axis=0)
            out[row] = vector / (np.linalg.norm(vector) or 1.0)
        return out

    def _word(self, word: str) -> np.ndarray:
        if word not in self._words:
            seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dimension).astype(np.float32)
            self._words[word] = v / np.linalg.norm(v)
        return self._words[word]


@pytest.fixture(scope="session")
def stand_in_encoder() -> StandInEncoder:
    """A stand-in for the encoder where meaning does not matter (see ``StandInEncoder``)."""
    return StandInEncoder()


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    """The default encoder: the bundled multilingual-e5-small as configured by default (the
    onnx-int8 backend), built and exported (once) into the project's model cache."""
    enc = Encoder(EncoderSettings(cache_dir=MODEL_CACHE))
    enc.model  # load now, once, so no test pays for it twice
    return enc


@pytest.fixture(scope="session")
def torch_encoder() -> Encoder:
    """The same model through plain sentence-transformers fp32: the reference the others are held to."""
    enc = Encoder(EncoderSettings(cache_dir=MODEL_CACHE, backend="torch", device="cpu"))  # fp32, even where a GPU is
    enc.model
    return enc


def make_settings(corpus: Path, index_dir: Path) -> IndexSettings:
    return IndexSettings(corpus_dir=corpus, index_dir=index_dir, encoder=EncoderSettings(cache_dir=MODEL_CACHE))


def indexed_copy(base: Path, encoder, *more: Path) -> IndexSettings:
    """A real index of a copy of seeds/ plus the files of the folders ``more``, under ``base``."""
    corpus = base / "corpus"
    shutil.copytree(SEEDS, corpus)
    for folder in more:
        for article in folder.iterdir():
            shutil.copy(article, corpus / article.name)
    settings = make_settings(corpus, base / "index")
    Builder(settings, encoder).run()
    return settings


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory, encoder) -> IndexSettings:
    """A real index of a copy of seeds/, built once per session; treat it as read-only."""
    return indexed_copy(tmp_path_factory.mktemp("seed-index"), encoder)


@pytest.fixture(scope="session")
def seed_answerer(seed_settings, encoder):
    return open_answerer(seed_settings, encoder)


@pytest.fixture
def corpus_settings(tmp_path) -> IndexSettings:
    """Settings for a fresh, empty corpus folder and index folder of this test's own."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    return make_settings(corpus, tmp_path / "index")



@pytest.fixture(params=["local", "milvus"])
def workdir(tmp_path, request) -> Path:
    """A work folder of the CLI's tests on each store backend, not yet indexed: config.toml naming a
    copy of seeds/ and a fresh index folder (or Milvus Lite file) (reindex_helpers.make_workdir)."""
    from tests.reindex_helpers import make_workdir  # noqa: PLC0415 -- reindex_helpers imports this module

    return make_workdir(tmp_path, backend=request.param)
