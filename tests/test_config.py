"""config.toml -> typed settings: the shipped file documents the defaults, and mistakes are one line."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import tomllib
from typing import get_args

import pytest

from bot.settings import BotSettings
from index.abstain import FEATURES
from index.settings import (
    VECTOR_INDEX_TYPES, AnswerSettings, ChunkSettings, EncoderSettings, GenerateSettings, RetrievalSettings,
    StoreSettings, VectorIndexSettings,
)
from index.settings import FeedSettings, WatchSettings
from rawi import config
from tests.conftest import ROOT
from tests.reindex_helpers import RAWI

SHIPPED = ROOT / "config.toml"
SECTIONS = {
    "index": VectorIndexSettings, "encoder": EncoderSettings, "chunks": ChunkSettings, "retrieval": RetrievalSettings,
    "answer": AnswerSettings, "watch": WatchSettings, "bot": BotSettings, "generate": GenerateSettings,
    "feeds": FeedSettings, "store": StoreSettings,
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
        if f.name in ("cache_dir", "journal"):
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


def test_environment_supplies_the_token_and_api_url(monkeypatch, tmp_path):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", " 123:abc \n")
    monkeypatch.setenv("RAWI_TELEGRAM_API_URL", "http://127.0.0.1:9/bot")
    settings = config.load(SHIPPED)
    assert settings.bot.token == "123:abc" and settings.bot.api_url == "http://127.0.0.1:9/bot"
    assert "123:abc" not in repr(settings.bot)
    monkeypatch.chdir(tmp_path)  # no config file, so no [bot] section: the environment still counts
    assert config.load(None).bot.api_url == "http://127.0.0.1:9/bot"


# One case per kind of bad value: each is exactly one line naming the key, the value and what is
# allowed (the repros of issues 11 and 17 among them).
BAD = [
    # wrong type
    ("[encoder]\ncache_dir = 5", "[encoder] cache_dir = 5: must be a path (a non-empty string)"),
    ("[corpus]\ndir = 5", "[corpus] dir = 5: must be a path (a non-empty string)"),
    ('[index]\ndir = ["a"]', '[index] dir = ["a"]: must be a path (a non-empty string)'),
    ('[corpus]\ndir = ""', '[corpus] dir = "": must be a path (a non-empty string)'),
    ('[answer]\nbias = "x"', '[answer] bias = "x": must be a number'),
    ('[encoder]\nthreads = "two"', '[encoder] threads = "two": must be an integer from 1 to 1024, or 0 for one per core'),
    ('[retrieval]\nk = "three"', '[retrieval] k = "three": must be an integer from 1 to 50'),
    ('[retrieval]\ncandidates = "many"', '[retrieval] candidates = "many": must be an integer from 1 to 1000'),
    ('[watch]\ndebounce_seconds = "soon"', '[watch] debounce_seconds = "soon": must be a number above 0'),
    ("[retrieval]\nk = 3.0", "[retrieval] k = 3.0: must be an integer from 1 to 50"),
    ("[retrieval]\nk = true", "[retrieval] k = true: must be an integer from 1 to 50"),
    ('[watch]\npolling = "yes"', '[watch] polling = "yes": must be true or false'),
    ('[bot]\nallowed_chats = ["me"]', '[bot] allowed_chats = ["me"]: must be a list of chat ids (integers)'),
    ('[bot]\napi_url = "api.telegram.org"', '[bot] api_url = "api.telegram.org": must be an http:// or https:// URL'),
    # one of a few names
    ('[index]\ntype = "hnws"', '[index] type = "hnws": must be one of "flat", "hnsw", "ivfpq"'),
    ('[encoder]\nbackend = "gpu"', '[encoder] backend = "gpu": must be one of "onnx-int8", "onnx", "torch"'),
    ('[encoder]\ndevice = "gpu"', '[encoder] device = "gpu": must be one of "auto", "cpu", "cuda"'),
    ('[encoder]\ndevice = "cuda"',
     '[encoder] device = "cuda": must be "auto" or "cpu" with backend = "onnx-int8" (cuda needs "torch")'),
    # out of range
    ("[retrieval]\nk = -2", "[retrieval] k = -2: must be an integer from 1 to 50"),
    ("[retrieval]\nk = 0", "[retrieval] k = 0: must be an integer from 1 to 50"),
    ("[retrieval]\nk = 500", "[retrieval] k = 500: must be an integer from 1 to 50"),
    ("[retrieval]\nsentence_weight = -1.0", "[retrieval] sentence_weight = -1.0: must be a number of at least 0"),
    ("[retrieval]\nsentence_weight = -5", "[retrieval] sentence_weight = -5: must be a number of at least 0"),
    ("[answer]\nthreshold = 1.5", "[answer] threshold = 1.5: must be a number from 0 to 1"),
    ("[answer]\nbias = nan", "[answer] bias = nan: must be a finite number"),
    ("[chunks]\nmax_tokens = 0", "[chunks] max_tokens = 0: must be an integer from 16 to 480"),
    ("[chunks]\nmax_tokens = 5000", "[chunks] max_tokens = 5000: must be an integer from 16 to 480"),
    ("[watch]\ndebounce_seconds = 0", "[watch] debounce_seconds = 0: must be a number above 0"),
    ("[watch]\ndebounce_seconds = -1", "[watch] debounce_seconds = -1: must be a number above 0"),
    ("[bot]\nquestions_per_minute = 0", "[bot] questions_per_minute = 0: must be an integer of at least 1"),
    ("[bot]\npassages = 99", "[bot] passages = 99: must be an integer from 1 to 50, or 0 for [retrieval] k"),
    ("[index]\nivf_nlist = -1", "[index] ivf_nlist = -1: must be an integer >= 1, or 0 for automatic"),
    ("[index]\nhnsw_ef_search = 0", "[index] hnsw_ef_search = 0: must be an integer of at least 1"),
    # relations between keys
    ("[chunks]\nmax_tokens = 100\noverlap_tokens = 150", "[chunks] overlap_tokens = 150: must be less than max_tokens (100)"),
    ("[chunks]\noverlap_tokens = 200", "[chunks] overlap_tokens = 200: must be less than max_tokens (200)"),
    ("[retrieval]\nk = 10\ncandidates = 5", "[retrieval] candidates = 5: must be at least k (10)"),
    # tables
    ('corpus = "x"', 'corpus = "x": must be a [corpus] section (a table of keys)'),
    ("[[bot]]", "[[bot]] is an array of tables: write one [bot] section"),
    ("[answer]\nweights = 5", "[answer] weights = 5: must be a table of numbers, [answer.weights]"),
    ("[answer.weights]\ndense = 'high'", '[answer.weights] dense = "high": must be a finite number'),
    ("[answer.weights]\ndense = true", "[answer.weights] dense = true: must be a finite number"),
    (
        "[answer.weights]\ndense = 1.0\ndenze = 2.0",
        "[answer] weights = {dense = 1.0, denze = 2.0}: unknown feature(s) denze; known: " + ", ".join(FEATURES),
    ),
    # unknown names, secrets
    ("[encoder]\nmodle = 'x'", "unknown key(s) in [encoder]: modle (did you mean model?)"),
    ("[encoders]\n", "unknown section(s): encoders (did you mean [encoder]?)"),
    ("[retreival]\n[chunks]\nmax_tokenz = 1\nzzz = 2", "unknown section(s): retreival (did you mean [retrieval]?)\n"
     "{path}: unknown key(s) in [chunks]: max_tokenz (did you mean max_tokens?), zzz"),
    ("cache_dir = 5", "unknown section(s) or key(s) outside any section: cache_dir"),
    ("[bot]\ntoken = '123:abc'", "[bot] token does not belong in a file: set TELEGRAM_BOT_TOKEN in the environment"),
    ("[generate]\napi_key = 'sk-123'", "[generate] api_key does not belong in a file: put the key in an environment variable and name that variable in api_key_env"),
    ("[generate]\nurl = 'localhost:8080'", "[generate] url = \"localhost:8080\": must be an http:// or https:// URL"),
    # an *_env key holding the secret itself: its value is never shown (issue 24, item 18)
    ("[generate]\napi_key_env = 'sk-proj-123'", "[generate] api_key_env = (value not shown: a secret may have been put here): must be the name of an environment variable (letters, digits, _), or empty for none"),
    ("[store]\ntoken_env = 'root:Milvus'", "[store] token_env = (value not shown: a secret may have been put here): must be the name of an environment variable (letters, digits, _), or empty for none"),
    ("[store]\ntoken_env = ['root:Milvus']", "[store] token_env = (value not shown: a secret may have been put here): must be the name of an environment variable (letters, digits, _), or empty for none"),
    ("[generate]\ntimeout = 0", "[generate] timeout = 0: must be a number above 0, at most 600"),
    ("[generate]\nenabled = 'yes'", "[generate] enabled = \"yes\": must be true or false"),
    ("[generate]\nmodle = 'x'", "unknown key(s) in [generate]: modle (did you mean model?)"),
    ("[retrieval]\nlanguage_balance = -1", "[retrieval] language_balance = -1: must be a number from 0 to 4"),
    ("[retrieval]\nown_translation_weight = 1.5", "[retrieval] own_translation_weight = 1.5: must be a number from 0 to 1"),
    ("[retrieval]\nown_language_bonus = 0.5", "[retrieval] own_language_bonus = 0.5: must be a number from -0.1 to 0.1"),
    ("[feeds]\nurls = ['ftp://x/feed']",
     '[feeds] urls = ["ftp://x/feed"]: must be a list of http:// or https:// feed addresses ("ftp://x/feed" is not)'),
    ("[feeds]\nurls = 'http://x/rss'", '[feeds] urls = "http://x/rss": must be a list of http:// or https:// feed addresses'),
    ("[feeds]\nfolder = '../out'", '[feeds] folder = "../out": must be a folder name inside the corpus folder'),
    ("[feeds]\ntimeout_seconds = 0", "[feeds] timeout_seconds = 0: must be a number above 0, at most 600"),
    ("[feeds]\nmax_entries = 0", "[feeds] max_entries = 0: must be an integer of at least 1"),
    ("[feeds]\nmax_tries = 0", "[feeds] max_tries = 0: must be an integer from 1 to 100"),
    ("[feeds]\nallow_private_networks = 'yes'", '[feeds] allow_private_networks = "yes": must be true or false'),
    ("[store]\nbackend = 'redis'", '[store] backend = "redis": must be one of "local", "milvus"'),
    ("[store]\nuri = 'milvus.example:19530'",
     '[store] uri = "milvus.example:19530": must be a Milvus Lite file ending in .db, or a server address (http://host:19530, https://...)'),
    ("[store]\nname = 'my-news'",
     '[store] name = "my-news": must be a collection name prefix (a letter or _, then letters, digits, _)'),
    ("[store]\ntoken = 'root:Milvus'",
     "[store] token does not belong in a file: put the token in an environment variable and name that variable in token_env"),
    ("[feeds]\nhost_delay_seconds = -1", "[feeds] host_delay_seconds = -1: must be a number of at least 0"),
    ("[answer]\nrecency_margin = -0.1", "[answer] recency_margin = -0.1: must be a number from 0 to 1"),
]


CLI_CASES = (
    "[encoder]\ncache_dir = 5", "[generate]\napi_key_env = 'sk-proj-123'", '[retrieval]\nk = "three"', "[retrieval]\nk = 0", "[[bot]]",
    "[chunks]\nmax_tokens = 100\noverlap_tokens = 150", "[answer]\nweights = 5",
)


@pytest.mark.parametrize(("text", "message"), BAD, ids=[text for text, _ in BAD])
def test_a_bad_value_is_one_line_naming_key_value_and_what_is_allowed(tmp_path, text, message):
    path = tmp_path / "config.toml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(config.ConfigError) as error:
        config.load(path)
    assert str(error.value) == f"{path}: {message}".replace("{path}", str(path))


def test_several_problems_are_one_line_each(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[retrieval]\nk = 0\n[watch]\npolling = 1\n[encoder]\nmodle = 'x'\n", encoding="utf-8")
    with pytest.raises(config.ConfigError) as error:
        config.load(path)
    assert str(error.value).splitlines() == [
        f"{path}: unknown key(s) in [encoder]: modle (did you mean model?)",
        f"{path}: [retrieval] k = 0: must be an integer from 1 to 50",
        f"{path}: [watch] polling = 1: must be true or false",
    ]


def test_an_invalid_toml_file_is_one_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[encoder\n", encoding="utf-8")
    with pytest.raises(config.ConfigError, match="is not valid TOML") as error:
        config.load(path)
    assert "\n" not in str(error.value)


def test_numbers_where_the_file_gives_integers_for_floats_are_taken(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[watch]\ndebounce_seconds = 1\n[retrieval]\nsentence_weight = 0\n", encoding="utf-8")
    settings = config.load(path)
    assert settings.watch.debounce_seconds == 1.0 and settings.index.retrieval.sentence_weight == 0.0


@pytest.mark.parametrize(
    ("text", "message"),
    [case for case in BAD if case[0] in CLI_CASES],
    ids=[text for text, _ in BAD if text in CLI_CASES],
)
def test_rawi_exits_2_with_the_one_line(tmp_path, text, message):
    """Through the real `rawi` executable: the line on standard error, exit 2, no traceback."""
    (tmp_path / "config.toml").write_text(text + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("RAWI_CONFIG", "TELEGRAM_BOT_TOKEN")}
    result = subprocess.run(
        [str(RAWI), "ask", "How many containers?"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"Error: config.toml: {message}\n"
    assert result.stdout == ""


def test_the_section_models_take_their_defaults_from_the_settings_classes():
    """The defaults live once, in the dataclasses; the models that check the file read them."""
    loaded = config.load(None, corpus=ROOT / "seeds", index=ROOT / "var")
    assert loaded.index.vectors == VectorIndexSettings() and loaded.index.encoder.backend == EncoderSettings().backend
    assert loaded.index.chunks == ChunkSettings() and loaded.index.retrieval == RetrievalSettings()
    assert loaded.index.answer == AnswerSettings() and loaded.watch == WatchSettings()
    # [bot] journal: None in the dataclass (library use, tests), a file beside config.toml from the file
    assert dataclasses.replace(loaded.bot, token="", journal=None) == BotSettings()
    assert loaded.bot.journal is not None and loaded.bot.journal.name == "bot-journal.jsonl"
    assert get_args(config.IndexSection.model_fields["type"].annotation) == VECTOR_INDEX_TYPES


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_each_settings_field_has_a_checked_key_and_each_key_a_field(section):
    """A key added to a settings class must be added to its section model too (and back)."""
    model = config.ConfigFile.model_fields[section].annotation
    keys = set(model.model_fields) - {"dir"}  # [index] dir: IndexSettings.index_dir
    fields = {f.name for f in dataclasses.fields(SECTIONS[section])} - {"token", "api_key"}  # from the environment
    assert keys == fields


def test_every_key_the_file_may_hold_is_documented_in_the_shipped_config():
    data = tomllib.loads(SHIPPED.read_text(encoding="utf-8"))
    for section, info in config.ConfigFile.model_fields.items():
        assert section in data, f"[{section}] is not in config.toml"
        for key in info.annotation.model_fields:
            assert key in data[section], f"[{section}] {key} is not documented in config.toml"


def test_the_passage_token_limit_leaves_room_in_what_the_encoder_reads():
    from index.encoder import MAX_TOKENS

    assert config.ENCODER_TOKENS == MAX_TOKENS and config.MAX_PASSAGE_TOKENS < MAX_TOKENS


def test_a_named_config_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(config.ConfigError, match="does not exist"):
        config.load(tmp_path / "nope.toml")


def test_without_any_config_file_the_defaults_apply(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = config.load(None)
    assert settings.path is None and settings.index.corpus_dir == tmp_path / "seeds"
    assert os.path.isabs(settings.index.index_dir)


def test_the_milvus_token_comes_from_the_variable_the_file_names_and_a_lite_file_is_relative(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text("[store]\nbackend = 'milvus'\nuri = 'data/news.db'\ntoken_env = 'MY_MILVUS'\n", encoding="utf-8")
    monkeypatch.setenv("MY_MILVUS", " root:Milvus \n")
    settings = config.load(path).index.store
    assert settings.backend == "milvus" and settings.token == "root:Milvus" and "root:Milvus" not in repr(settings)
    assert settings.uri == str(tmp_path / "data" / "news.db")
    path.write_text("[store]\nuri = 'https://milvus.example:19530'\n", encoding="utf-8")
    assert config.load(path).index.store.uri == "https://milvus.example:19530"


def test_the_generation_key_comes_from_the_variable_the_file_names(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text("[generate]\nenabled = true\napi_key_env = 'MY_LLM_KEY'\n", encoding="utf-8")
    monkeypatch.setenv("MY_LLM_KEY", " sk-secret \n")
    settings = config.load(path).generate
    assert settings.enabled and settings.api_key == "sk-secret"
    assert "sk-secret" not in repr(settings)
