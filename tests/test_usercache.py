"""One model cache per user (issue 25, item 2): a config that names no [encoder] cache_dir builds
the bundled model in the user's cache folder, whatever config is used; one that names it keeps
its own folder (the repository's config: .cache/models, as before). The first build says where
and how big."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from rawi import config
from rawi.usercache import model_cache_dir, user_cache_dir
from tests.conftest import MODEL_CACHE, ROOT


@pytest.fixture
def no_platformdirs(monkeypatch):
    monkeypatch.setitem(sys.modules, "platformdirs", None)  # `import platformdirs` fails: the XDG rule


def test_rawi_cache_wins_then_xdg_then_the_home_cache(no_platformdirs, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_cache_dir({"RAWI_CACHE": str(tmp_path / "c"), "XDG_CACHE_HOME": "/x"}) == tmp_path / "c"
    assert user_cache_dir({"XDG_CACHE_HOME": str(tmp_path / "xdg")}) == tmp_path / "xdg" / "rawi"
    assert user_cache_dir({"XDG_CACHE_HOME": "relative/xdg"}) == tmp_path / "home" / ".cache" / "rawi"  # XDG: ignored
    assert user_cache_dir({"RAWI_CACHE": "  "}) == tmp_path / "home" / ".cache" / "rawi"
    assert model_cache_dir({}) == tmp_path / "home" / ".cache" / "rawi" / "models"


def test_platformdirs_names_the_folder_when_installed(monkeypatch, tmp_path):
    from types import SimpleNamespace

    fake = SimpleNamespace(user_cache_dir=lambda name, appauthor: str(tmp_path / "platform" / name))
    monkeypatch.setitem(sys.modules, "platformdirs", fake)
    assert user_cache_dir({}) == tmp_path / "platform" / "rawi"
    assert user_cache_dir({"RAWI_CACHE": str(tmp_path / "mine")}) == tmp_path / "mine"


def test_two_configs_without_cache_dir_share_one_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("RAWI_CACHE", str(tmp_path / "user-cache"))
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.toml").write_text('[corpus]\ndir = "articles"\n', "utf-8")
    one, two = (config.load(tmp_path / name / "config.toml").index.encoder.cache_dir for name in ("one", "two"))
    assert one == two == tmp_path / "user-cache" / "models"
    monkeypatch.chdir(tmp_path)  # no config at all: the same
    assert config.load(None).index.encoder.cache_dir == tmp_path / "user-cache" / "models"


def test_a_config_that_names_cache_dir_keeps_its_own_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("RAWI_CACHE", str(tmp_path / "user-cache"))
    (tmp_path / "config.toml").write_text('[encoder]\ncache_dir = "models"\n', "utf-8")
    assert config.load(tmp_path / "config.toml").index.encoder.cache_dir == tmp_path / "models"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "config.toml").write_text('[encoder]\ncache_dir = "~/rawi-models"\n', "utf-8")
    assert config.load(tmp_path / "config.toml").index.encoder.cache_dir == tmp_path / "home" / "rawi-models"
    # The repository's own config: the project's .cache/models, as before, whatever RAWI_CACHE says.
    assert config.load(ROOT / "config.toml").index.encoder.cache_dir == MODEL_CACHE


def test_the_tests_never_build_in_the_real_home():
    assert model_cache_dir() == MODEL_CACHE  # tests/conftest.py points RAWI_CACHE at the project's .cache


@pytest.mark.slow  # builds the real bundled model (about 470 MB, a few seconds) into a temporary folder
def test_the_first_build_says_where_and_how_big_and_the_next_says_nothing(tmp_path, caplog):
    from index.model_build import bundled_model_dir

    with caplog.at_level(logging.WARNING, logger="index.model_build"):
        built = bundled_model_dir(tmp_path / "models")
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith(f"building the bundled model in {built} ")
    size = int(lines[1].rsplit(", ", 1)[1].removesuffix(" MB").replace(",", ""))
    assert lines[1].startswith(f"built the bundled model: {built}, ") and 300 < size < 700
    assert Path(built, "modules.json").is_file()
    caplog.clear()
    assert bundled_model_dir(tmp_path / "models") == built and caplog.records == []
