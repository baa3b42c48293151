"""Shared fixtures: the real encoder (loaded once per session) and a real index of seeds/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings as hypothesis_settings

from index.build import Builder
from index.encoder import Encoder
from index.service import open_answerer
from index.settings import EncoderSettings, IndexSettings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
MODEL_CACHE = ROOT / ".cache" / "models"

# Property tests: no deadline (a shared 2-core machine is noisy), 100 examples unless a test says
# otherwise. In CI (CI=true) the examples are derandomized, so a run is repeatable; elsewhere they
# vary from run to run and failures are kept in .hypothesis/ to be tried first next time.
# HYPOTHESIS_PROFILE=thorough runs 1000 examples a property.
_PROPERTY_DEFAULTS = dict(deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True, **_PROPERTY_DEFAULTS)
hypothesis_settings.register_profile("dev", **_PROPERTY_DEFAULTS)
hypothesis_settings.register_profile("thorough", **{**_PROPERTY_DEFAULTS, "max_examples": 1000})
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


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
    enc = Encoder(EncoderSettings(cache_dir=MODEL_CACHE, backend="torch"))
    enc.model
    return enc


def make_settings(corpus: Path, index_dir: Path) -> IndexSettings:
    return IndexSettings(corpus_dir=corpus, index_dir=index_dir, encoder=EncoderSettings(cache_dir=MODEL_CACHE))


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory, encoder) -> IndexSettings:
    """A real index of a copy of seeds/, built once per session; treat it as read-only."""
    base = tmp_path_factory.mktemp("seed-index")
    corpus = base / "corpus"
    shutil.copytree(SEEDS, corpus)
    settings = make_settings(corpus, base / "index")
    Builder(settings, encoder).run()
    return settings


@pytest.fixture(scope="session")
def seed_answerer(seed_settings, encoder):
    return open_answerer(seed_settings, encoder)


@pytest.fixture
def corpus_settings(tmp_path) -> IndexSettings:
    """Settings for a fresh, empty corpus folder and index folder of this test's own."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    return make_settings(corpus, tmp_path / "index")

