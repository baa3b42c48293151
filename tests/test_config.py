"""config.toml -> typed settings: the shipped file documents the defaults, and mistakes are one line."""

from __future__ import annotations

import dataclasses
import os
import tomllib

import pytest

from bot.settings import BotSettings
from index.settings import (
    AnswerSettings, ChunkSettings, EncoderSettings, GenerateSettings, RetrievalSettings, VectorIndexSettings,
)
from index.feeds import FeedSettings
from index.watch import WatchSettings
from rawi import config
from tests.conftest import ROOT

SHIPPED = ROOT / "config.toml"
SECTIONS = {
    "index": VectorIndexSettings, "encoder": EncoderSettings, "chunks": ChunkSettings, "retrieval": RetrievalSettings,
    "answer": AnswerSettings, "watch": WatchSettings, "bot": BotSettings, "generate": GenerateSettings,
    "feeds": FeedSettings,
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("RAWI_CONFIG", "RAWI_TELEGRAM_API_URL", "TELEGRAM_BOT_TOKEN", "RAWI_GENERATE_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_every_setting_is_in_the_shipped_config_with_its_default_value(section):
    """The file people read is the truth: each key is there, and says what the code assumes."""
    data = tomllib.loads(SHIPPED.read_text(encoding="utf-8"))[section]
    for f in dataclasses.fields(SECTIONS[section]):
        if f.name in ("token", "api_key"):
            continue
        assert f.name in data, f"[{section}] {f.name} is not documented in config.toml"
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        value = data[f.name]
        if f.name in ("cache_dir",):
            continue  # a path: resolved against the config file
        if isinstance(default, frozenset):
            value = frozenset(value)
        assert value == default, f"[{section}] {f.name}: config.toml says {value!r}, the code assumes {default!r}"


def test_the_shipped_config_loads_and_resolves_paths_against_its_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = config.load(SHIPPED)
    assert settings.index.corpus_dir == ROOT / "seeds"
    assert settings.index.index_dir == ROOT / "var" / "index"
    assert settings.index.encoder.cache_dir == ROOT / ".cache" / "models"


def test_overrides_win_over_the_file(tmp_path):
    settings = config.load(SHIPPED, corpus=tmp_path / "news", index=tmp_path / "idx")
    assert (settings.index.corpus_dir, settings.index.index_dir) == (tmp_path / "news", tmp_path / "idx")


def test_environment_supplies_the_token_and_api_url(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", " 123:abc \n")
    monkeypatch.setenv("RAWI_TELEGRAM_API_URL", "http://127.0.0.1:9/bot")
    settings = config.load(SHIPPED)
    assert settings.bot.token == "123:abc" and settings.bot.api_url == "http://127.0.0.1:9/bot"
    assert "123:abc" not in repr(settings.bot)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[encoder]\nmodle = 'x'\n", "unknown key(s) in [encoder]: modle"),
        ("[encoders]\n", "unknown section(s)"),
        ("[encoder\n", "is not valid TOML"),
        ("[bot]\ntoken = '123:abc'\n", "does not belong in a file"),
        ("[bot]\nallowed_chats = ['me']\n", "allowed_chats must be a list of chat ids"),
        ("[bot]\nquestions_per_minute = 0\n", "questions_per_minute must be positive"),
        ("[watch]\ndebounce_seconds = -1\n", "debounce_seconds must be >= 0"),
        ("[answer.weights]\ndense = 1.0\ndenze = 2.0\n", "unknown feature(s) in [answer.weights]: denze"),
        ("[answer.weights]\ndense = 'high'\n", "values must be numbers"),
        ("[generate]\napi_key = 'sk-123'\n", "api_key does not belong in a file"),
        ("[generate]\nurl = 'localhost:8080'\n", "url must start with http:// or https://"),
        ("[generate]\napi_key_env = 'sk-123'\n", "api_key_env must be the name of an environment variable"),
        ("[generate]\ntimeout = 0\n", "timeout must be a positive number"),
        ("[generate]\nenabled = 'yes'\n", "enabled must be true or false"),
        ("[generate]\nmodle = 'x'\n", "unknown key(s) in [generate]: modle"),
        ("[feeds]\nurls = ['ftp://x/feed']\n", "urls must be http(s) addresses"),
        ("[feeds]\nfolder = '../out'\n", "folder must be a folder name inside the corpus folder"),
    ],
)
def test_a_bad_config_is_one_clear_error(tmp_path, text, message):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(config.ConfigError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        config.load(path)


def test_a_named_config_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(config.ConfigError, match="does not exist"):
        config.load(tmp_path / "nope.toml")


def test_without_any_config_file_the_defaults_apply(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = config.load(None)
    assert settings.path is None and settings.index.corpus_dir == tmp_path / "seeds"
    assert os.path.isabs(settings.index.index_dir)


def test_the_generation_key_comes_from_the_variable_the_file_names(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text("[generate]\nenabled = true\napi_key_env = 'MY_LLM_KEY'\n", encoding="utf-8")
    monkeypatch.setenv("MY_LLM_KEY", " sk-secret \n")
    settings = config.load(path).generate
    assert settings.enabled and settings.api_key == "sk-secret"
    assert "sk-secret" not in repr(settings)
