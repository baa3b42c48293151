"""config.toml -> typed settings, read once and passed down.

Relative paths are resolved against the config file's directory, so `rawi` works the same
from any working directory. Unknown keys are an error: a typo must not pass silently.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from bot.settings import BotSettings
from index.settings import (
    AnswerSettings, ChunkSettings, EncoderSettings, GenerateSettings, IndexSettings, RetrievalSettings,
    VectorIndexSettings,
)
from index.feeds import FeedSettings
from index.watch import WatchSettings

DEFAULT_CONFIG = Path("config.toml")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    index: IndexSettings
    bot: BotSettings
    path: Path | None
    watch: WatchSettings = WatchSettings()
    generate: GenerateSettings = GenerateSettings()
    feeds: FeedSettings = FeedSettings()


def _section(data: dict, name: str, cls: type, base: Path, skip: tuple[str, ...] = (), **extra: Any):
    values = {key: value for key, value in data.get(name, {}).items() if key not in skip}
    known = {f.name for f in fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"unknown key(s) in [{name}]: {', '.join(sorted(unknown))}")
    for f in fields(cls):
        if f.name in values and f.type in ("Path", Path):
            values[f.name] = base / values[f.name]
    try:
        return cls(**values, **extra)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"[{name}]: {exc}") from None


def _dir(data: dict, section: str, default: str, base: Path, override: Path | None) -> Path:
    if override is not None:
        return override
    value = data.get(section, {}).get("dir", default)
    return base / value


def load(path: Path | None, corpus: Path | None = None, index: Path | None = None) -> Settings:
    """Read the config file (explicit path, $RAWI_CONFIG, or ./config.toml if present)."""
    explicit = path or (Path(os.environ["RAWI_CONFIG"]) if os.environ.get("RAWI_CONFIG") else None)
    chosen = explicit or DEFAULT_CONFIG
    data: dict = {}
    if chosen.is_file():
        try:
            data = tomllib.loads(chosen.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{chosen} is not valid TOML: {exc}") from None
    elif explicit is not None:
        raise ConfigError(f"config file {chosen} does not exist")
    base = chosen.resolve().parent if chosen.is_file() else Path.cwd()
    unknown = set(data) - {"corpus", "index", "encoder", "chunks", "retrieval", "answer", "bot", "watch", "generate", "feeds"}
    if unknown:
        raise ConfigError(f"unknown section(s) in {chosen}: {', '.join(sorted(unknown))}")
    index_settings = IndexSettings(
        corpus_dir=_dir(data, "corpus", "seeds", base, corpus),
        index_dir=_dir(data, "index", "var/index", base, index),
        vectors=_section(data, "index", VectorIndexSettings, base, skip=("dir",)),
        encoder=_section(data, "encoder", EncoderSettings, base),
        chunks=_section(data, "chunks", ChunkSettings, base),
        retrieval=_section(data, "retrieval", RetrievalSettings, base),
        answer=_section(data, "answer", AnswerSettings, base),
    )
    _check_weights(index_settings.answer.weights)
    return Settings(
        index_settings, _bot(data, base), chosen if chosen.is_file() else None,
        watch=_section(data, "watch", WatchSettings, base),
        generate=_generate(data, base),
        feeds=_section(data, "feeds", FeedSettings, base),
    )


def _check_weights(weights: dict) -> None:
    from index.abstain import FEATURES

    unknown = set(weights) - set(FEATURES)
    if unknown:
        raise ConfigError(
            f"unknown feature(s) in [answer.weights]: {', '.join(sorted(unknown))} (known: {', '.join(FEATURES)})"
        )
    if not all(isinstance(w, (int, float)) and not isinstance(w, bool) for w in weights.values()):
        raise ConfigError("[answer.weights] values must be numbers")


def _bot(data: dict, base: Path) -> BotSettings:
    values = dict(data.get("bot", {}))
    if "token" in values:
        raise ConfigError("[bot] token does not belong in a file: set TELEGRAM_BOT_TOKEN in the environment")
    if os.environ.get("RAWI_TELEGRAM_API_URL"):
        values["api_url"] = os.environ["RAWI_TELEGRAM_API_URL"]
    chats = values.get("allowed_chats", [])
    if not isinstance(chats, list) or not all(isinstance(c, int) and not isinstance(c, bool) for c in chats):
        raise ConfigError("[bot] allowed_chats must be a list of chat ids (integers)")
    values["allowed_chats"] = frozenset(chats)
    return _section({"bot": values}, "bot", BotSettings, base, token=os.environ.get("TELEGRAM_BOT_TOKEN", "").strip())


def _generate(data: dict, base: Path) -> GenerateSettings:
    values = data.get("generate", {})
    if "api_key" in values:
        raise ConfigError("[generate] api_key does not belong in a file: put the key in an environment variable "
                          "and name that variable in api_key_env")
    name = values.get("api_key_env", GenerateSettings.api_key_env)
    key = os.environ.get(name, "").strip() if isinstance(name, str) and name else ""
    return _section(data, "generate", GenerateSettings, base, api_key=key)
