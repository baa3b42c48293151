"""Shared fixtures: the real encoder (loaded once per session) and a real index of seeds/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.build import Builder
from index.encoder import Encoder
from index.service import open_answerer
from index.settings import EncoderSettings, IndexSettings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
MODEL_CACHE = ROOT / ".cache" / "models"


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

