"""config.toml -> typed settings, read once, checked once, passed down.

Relative paths are resolved against the config file's directory, so `rawi` works the same
from any working directory.

One validation mechanism for every section
------------------------------------------
Each ``[section]`` of config.toml has a pydantic model here (a ``Section``) that declares every
key: its type (strict: ``"3"`` is not an integer, ``true`` is not a number, ``nan`` is refused),
its bounds (``Field(ge=..., le=...)``), and the relations between keys (a ``model_validator``
raising ``ValueError("key = value: what is allowed")``). A section model only checks; its
``build()`` makes the typed settings object that the packages receive (a frozen dataclass in
``index/`` or ``bot/``), so those packages know nothing of the file or of pydantic. Defaults
live once, in the dataclasses: a model's field default reads the dataclass's
(``RetrievalSettings.k``), and tests/test_config.py holds config.toml to them.

Every problem becomes one line naming the file, the key, the value and what is allowed, e.g.
``config.toml: [retrieval] k = 0: must be an integer from 1 to 50``; ``load`` raises
``ConfigError`` with one such line per problem, and the CLI exits 2 with it (no traceback).
The "what is allowed" text is derived from the field's type and bounds (``allowed()``), or
taken from ``Field(description=...)`` where a phrase says it better.

Adding a section ``[feeds]``:

1. a frozen dataclass ``FeedSettings`` in your package, with the defaults;
2. here, ``class FeedsSection(Section)`` with ``target = FeedSettings``, one field per key with
   its default from the dataclass and its bounds, ``paths = ("dir",)`` for keys that are paths,
   and a ``model_validator(mode="after")`` for relations between keys;
3. a field ``feeds: FeedsSection = FeedsSection()`` on ``ConfigFile`` and on ``Settings``
   (built in ``load``);
4. every key documented in config.toml with its default (tests/test_config.py checks it, given
   the section in its ``SECTIONS``), and a bad value of each kind in tests/test_config.py.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo

from bot.settings import BotSettings
from index.settings import (
    CALIBRATED_WEIGHTS, AnswerSettings, ChunkSettings, EncoderSettings, FeedSettings, GenerateSettings, IndexSettings,
    RetrievalSettings, StoreSettings, VectorIndexSettings, WatchSettings,
)

DEFAULT_CONFIG = Path("config.toml")
DEFAULT_JOURNAL = "var/bot-journal.jsonl"  # [bot] journal, relative to the config file's folder
MAX_K = 50  # passages an answer may cite: `[retrieval] k` and `rawi ask -k`
MAX_CANDIDATES = 1000
ENCODER_TOKENS = 512  # what the encoder reads, special tokens included (index/encoder.py MAX_TOKENS)
PROMPT_ROOM = 32  # tokens kept free in a passage for the passage prompt and the special tokens
MAX_PASSAGE_TOKENS = ENCODER_TOKENS - PROMPT_ROOM


class ConfigError(ValueError):
    """A config file that cannot be used: one line per problem, for the user."""


@dataclass(frozen=True)
class Settings:
    index: IndexSettings
    bot: BotSettings
    path: Path | None
    watch: WatchSettings = field(default_factory=WatchSettings)
    generate: GenerateSettings = field(default_factory=GenerateSettings)
    feeds: FeedSettings = field(default_factory=FeedSettings)


class Section(BaseModel):
    """One [section]: strict types, no unknown keys, finite numbers; builds ``target``."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)
    target: ClassVar[type] = object
    paths: ClassVar[tuple[str, ...]] = ()  # keys that are paths, resolved against the file's folder

    def build(self, base: Path, **extra: Any) -> Any:
        values = self.model_dump()
        for name in self.paths:
            values[name] = base / values[name]
        return self.target(**values, **extra)


def relation(key: str, value: object, allowed: str) -> ValueError:
    """The error of a relation between keys, worded like every other problem."""
    return ValueError(f"{key} = {toml_value(value)}: must be {allowed}")


PATH = "a path (a non-empty string)"


class CorpusSection(Section):
    """[corpus]: only its folder, which becomes ``IndexSettings.corpus_dir``."""

    dir: str = Field(str(IndexSettings.corpus_dir), min_length=1, description=PATH)


class IndexSection(Section):
    target = VectorIndexSettings
    dir: str = Field(str(IndexSettings.index_dir), min_length=1, description=PATH)
    type: Literal["flat", "hnsw", "ivfpq"] = VectorIndexSettings.type  # type: ignore[assignment]
    hnsw_m: int = Field(VectorIndexSettings.hnsw_m, ge=2)
    hnsw_ef_construction: int = Field(VectorIndexSettings.hnsw_ef_construction, ge=1)
    hnsw_ef_search: int = Field(VectorIndexSettings.hnsw_ef_search, ge=1)
    ivf_nlist: int = Field(VectorIndexSettings.ivf_nlist, ge=0, description="an integer >= 1, or 0 for automatic")
    ivf_nprobe: int = Field(VectorIndexSettings.ivf_nprobe, ge=1)
    pq_m: int = Field(VectorIndexSettings.pq_m, ge=1)
    pq_rescore: int = Field(VectorIndexSettings.pq_rescore, ge=1)

    def build(self, base: Path, **extra: Any) -> VectorIndexSettings:
        return VectorIndexSettings(**self.model_dump(exclude={"dir"}))


class EncoderSection(Section):
    target = EncoderSettings
    model: str = Field(EncoderSettings.model, min_length=1)
    cache_dir: str | None = Field(None, min_length=1, description=PATH)  # None: the user's cache (rawi/usercache.py)
    query_prompt: str = EncoderSettings.query_prompt
    passage_prompt: str = EncoderSettings.passage_prompt
    batch_size: int = Field(EncoderSettings.batch_size, ge=1, le=4096)
    threads: int = Field(EncoderSettings.threads, ge=0, le=1024, description="an integer from 1 to 1024, or 0 for one per core")
    backend: Literal["onnx-int8", "onnx", "torch"] = EncoderSettings.backend  # type: ignore[assignment]
    device: Literal["auto", "cpu", "cuda"] = EncoderSettings.device  # type: ignore[assignment]

    def build(self, base: Path, **extra: Any) -> EncoderSettings:
        from .usercache import model_cache_dir

        named = self.cache_dir
        cache = base / Path(named).expanduser() if named is not None else model_cache_dir()
        return EncoderSettings(**(self.model_dump() | {"cache_dir": cache}), **extra)

    @model_validator(mode="after")
    def _cuda_needs_torch(self) -> EncoderSection:
        if self.device == "cuda" and self.backend != "torch":
            raise relation("device", self.device, f'"auto" or "cpu" with backend = "{self.backend}" (cuda needs "torch")')
        return self


class ChunksSection(Section):
    target = ChunkSettings
    max_tokens: int = Field(ChunkSettings.max_tokens, ge=16, le=MAX_PASSAGE_TOKENS)
    overlap_tokens: int = Field(ChunkSettings.overlap_tokens, ge=0)

    @model_validator(mode="after")
    def _overlap_below_size(self) -> ChunksSection:
        if self.overlap_tokens >= self.max_tokens:
            raise relation("overlap_tokens", self.overlap_tokens, f"less than max_tokens ({self.max_tokens})")
        return self


class RetrievalSection(Section):
    target = RetrievalSettings
    k: int = Field(RetrievalSettings.k, ge=1, le=MAX_K)
    candidates: int = Field(RetrievalSettings.candidates, ge=1, le=MAX_CANDIDATES)
    sentence_weight: float = Field(RetrievalSettings.sentence_weight, ge=0)
    lexical_weight: float = Field(RetrievalSettings.lexical_weight, ge=0)
    language_balance: float = Field(RetrievalSettings.language_balance, ge=0, le=4)
    translation_weight: float = Field(RetrievalSettings.translation_weight, ge=0, le=1)
    own_translation_weight: float = Field(RetrievalSettings.own_translation_weight, ge=0, le=1)
    own_language_bonus: float = Field(RetrievalSettings.own_language_bonus, ge=-0.1, le=0.1)

    @model_validator(mode="after")
    def _enough_candidates(self) -> RetrievalSection:
        if self.candidates < self.k:
            raise relation("candidates", self.candidates, f"at least k ({self.k})")
        return self


class AnswerSection(Section):
    target = AnswerSettings
    bias: float = AnswerSettings.bias
    threshold: float = Field(AnswerSettings.threshold, ge=0, le=1)
    recency_margin: float = Field(AnswerSettings.recency_margin, ge=0, le=1)
    date_tie: float = Field(AnswerSettings.date_tie, ge=0, le=1)
    weights: dict[str, float] = Field(
        default_factory=lambda: dict(CALIBRATED_WEIGHTS), description="a table of numbers, [answer.weights]"
    )

    @field_validator("weights")
    @classmethod
    def _known_features(cls, weights: dict[str, float]) -> dict[str, float]:
        from index.service import FEATURES

        unknown = sorted(set(weights) - set(FEATURES))
        if unknown:
            raise ValueError(f"unknown feature(s) {', '.join(unknown)}; known: {', '.join(FEATURES)}")
        return weights


class WatchSection(Section):
    target = WatchSettings
    debounce_seconds: float = Field(WatchSettings.debounce_seconds, gt=0)
    polling: bool = WatchSettings.polling
    poll_seconds: float = Field(WatchSettings.poll_seconds, gt=0)


class BotSection(Section):
    target = BotSettings
    api_url: str = Field(BotSettings.api_url, pattern=r"^https?://", description='an http:// or https:// URL')
    allowed_chats: list[int] = Field(default_factory=list, description="a list of chat ids (integers)")
    questions_per_minute: int = Field(BotSettings.questions_per_minute, ge=1)
    passages: int = Field(BotSettings.passages, ge=0, le=MAX_K, description=f"an integer from 1 to {MAX_K}, or 0 for [retrieval] k")
    context_chats: int = Field(BotSettings.context_chats, ge=1)
    context_minutes: float = Field(BotSettings.context_minutes, gt=0)
    messages_per_second: float = Field(BotSettings.messages_per_second, gt=0)
    chat_messages_per_second: float = Field(BotSettings.chat_messages_per_second, gt=0)
    chat_burst: int = Field(BotSettings.chat_burst, ge=1)
    poll_timeout: int = Field(BotSettings.poll_timeout, ge=0)
    request_timeout: float = Field(BotSettings.request_timeout, gt=0)
    workers: int = Field(BotSettings.workers, ge=1, le=64)
    journal: str = Field(DEFAULT_JOURNAL, min_length=1, description=PATH)

    def build(self, base: Path, **extra: Any) -> BotSettings:
        values = self.model_dump()
        values["allowed_chats"] = frozenset(values["allowed_chats"])
        values["journal"] = base / values["journal"]
        return BotSettings(**values, **extra)


class GenerateSection(Section):
    target = GenerateSettings
    enabled: bool = GenerateSettings.enabled
    url: str = Field(GenerateSettings.url, pattern=r"^https?://", description="an http:// or https:// URL")
    model: str = Field(GenerateSettings.model, min_length=1, pattern=r"\S", description="a model name the server knows")
    api_key_env: str = Field(
        GenerateSettings.api_key_env, pattern=r"^(?:[A-Za-z_][A-Za-z0-9_]*)?$",
        description="the name of an environment variable (letters, digits, _), or empty for none",
    )
    timeout: float = Field(GenerateSettings.timeout, gt=0, le=600)
    max_tokens: int = Field(GenerateSettings.max_tokens, ge=16, le=8192)
    temperature: float = Field(GenerateSettings.temperature, ge=0, le=2)
    translate: bool = GenerateSettings.translate
    translate_timeout: float = Field(GenerateSettings.translate_timeout, gt=0, le=60)


class FeedsSection(Section):
    target = FeedSettings
    urls: list[str] = Field(default_factory=list, description="a list of http:// or https:// feed addresses")
    folder: str = Field(FeedSettings.folder, min_length=1, description="a folder name inside the corpus folder")
    interval_minutes: float = Field(FeedSettings.interval_minutes, gt=0)
    timeout_seconds: float = Field(FeedSettings.timeout_seconds, gt=0, le=600)
    max_bytes: int = Field(FeedSettings.max_bytes, ge=1)
    host_delay_seconds: float = Field(FeedSettings.host_delay_seconds, ge=0)
    max_entries: int = Field(FeedSettings.max_entries, ge=1)
    max_tries: int = Field(FeedSettings.max_tries, ge=1, le=100)
    allow_private_networks: bool = FeedSettings.allow_private_networks

    @field_validator("urls")
    @classmethod
    def _web_addresses(cls, urls: list[str]) -> list[str]:
        bad = [u for u in urls if not u.startswith(("http://", "https://"))]
        if bad:
            raise ValueError(f"must be a list of http:// or https:// feed addresses ({json.dumps(bad[0])} is not)")
        return urls

    @field_validator("folder")
    @classmethod
    def _inside_corpus(cls, folder: str) -> str:
        if Path(folder).is_absolute() or ".." in Path(folder).parts:
            raise ValueError("must be a folder name inside the corpus folder")
        return folder


class StoreSection(Section):
    """[store]: which backend holds the index (index/store/); the Milvus token comes from the environment."""

    target = StoreSettings
    backend: Literal["local", "milvus"] = StoreSettings.backend  # type: ignore[assignment]
    uri: str = Field(
        StoreSettings.uri, pattern=r"^(?:(?:https?|tcp|unix)://\S+|[^:]*\.db)$",
        description="a Milvus Lite file ending in .db, or a server address (http://host:19530, https://...)",
    )
    name: str = Field(
        StoreSettings.name, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,100}$",
        description="a collection name prefix (a letter or _, then letters, digits, _)",
    )
    token_env: str = Field(
        StoreSettings.token_env, pattern=r"^(?:[A-Za-z_][A-Za-z0-9_]*)?$",
        description="the name of an environment variable (letters, digits, _), or empty for none",
    )

    def build(self, base: Path, **extra: Any) -> StoreSettings:
        values = self.model_dump()
        if "://" not in values["uri"]:  # a Milvus Lite file: relative to the config file, like other paths
            values["uri"] = str(base / values["uri"])
        return StoreSettings(**values, **extra)


class ConfigFile(BaseModel):
    """The whole file: only these sections, each a table."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    corpus: CorpusSection = CorpusSection()
    index: IndexSection = IndexSection()
    encoder: EncoderSection = EncoderSection()
    chunks: ChunksSection = ChunksSection()
    retrieval: RetrievalSection = RetrievalSection()
    answer: AnswerSection = AnswerSection()
    watch: WatchSection = WatchSection()
    bot: BotSection = BotSection()
    generate: GenerateSection = GenerateSection()
    feeds: FeedsSection = FeedsSection()
    store: StoreSection = StoreSection()


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
    parsed = validate(data, str(chosen))
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    index_settings = IndexSettings(
        corpus_dir=corpus if corpus is not None else base / parsed.corpus.dir,
        index_dir=index if index is not None else base / parsed.index.dir,
        vectors=parsed.index.build(base),
        encoder=parsed.encoder.build(base),
        chunks=parsed.chunks.build(base),
        retrieval=parsed.retrieval.build(base),
        answer=parsed.answer.build(base),
        store=parsed.store.build(base, token=os.environ.get(parsed.store.token_env, "").strip()
                                 if parsed.store.token_env else ""),
    )
    return Settings(
        index_settings, parsed.bot.build(base, token=token), chosen if chosen.is_file() else None,
        watch=parsed.watch.build(base),
        generate=parsed.generate.build(base, api_key=os.environ.get(parsed.generate.api_key_env, "").strip()
                                       if parsed.generate.api_key_env else ""),
        feeds=parsed.feeds.build(base),
    )


def validate(data: dict, name: str = "config.toml") -> ConfigFile:
    """The parsed TOML checked against every section's model; ConfigError lists each problem."""
    bot = data.get("bot", {})
    if isinstance(bot, dict):
        if "token" in bot:
            raise ConfigError(f"{name}: [bot] token does not belong in a file: set TELEGRAM_BOT_TOKEN in the environment")
        if os.environ.get("RAWI_TELEGRAM_API_URL"):  # the environment wins over the file
            data = {**data, "bot": {**bot, "api_url": os.environ["RAWI_TELEGRAM_API_URL"]}}
    generate = data.get("generate", {})
    if isinstance(generate, dict) and "api_key" in generate:
        raise ConfigError(f"{name}: [generate] api_key does not belong in a file: put the key in an environment "
                          "variable and name that variable in api_key_env")
    store = data.get("store", {})
    if isinstance(store, dict) and "token" in store:
        raise ConfigError(f"{name}: [store] token does not belong in a file: put the token in an environment "
                          "variable and name that variable in token_env")
    try:
        return ConfigFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("\n".join(f"{name}: {line}" for line in problems(exc, data))) from None


# ---------------------------------------------------------------------------- one line per problem


def problems(exc: ValidationError, data: dict) -> list[str]:
    """Each error of a validation as one line: unknown keys grouped, the rest key by key."""
    lines: list[str] = []
    unknown: dict[tuple, list[str]] = {}
    for error in exc.errors():
        loc = error["loc"]
        if error["type"] == "extra_forbidden":
            unknown.setdefault(tuple(loc[:-1]), []).append(str(loc[-1]))
        else:
            line = describe(loc, error, data)
            if line not in lines:
                lines.append(line)
    for where, keys in unknown.items():
        known, shape = known_names(where), "{}"
        if where:
            what = f"key(s) in [{'.'.join(map(str, where))}]"
        elif all(isinstance(data[key], (dict, list)) for key in keys):
            what, shape = "section(s)", "[{}]"
        else:  # `cache_dir = 5` above every [section] header
            what = "section(s) or key(s) outside any section"
        named = ", ".join(with_guess(key, known, shape) for key in sorted(keys))
        lines.insert(0, f"unknown {what}: {named}")
    return lines


def known_names(where: tuple) -> list[str]:
    """The keys the config accepts at ``where`` (() for the sections), [] where it cannot tell."""
    model: Any = ConfigFile
    for part in where:
        field_info = getattr(model, "model_fields", {}).get(str(part))
        if field_info is None:
            return []
        model = field_info.annotation
    return list(getattr(model, "model_fields", {}))


def with_guess(name: str, known: list[str], shape: str = "{}") -> str:
    """``name``, with "(did you mean X?)" after it when a known name is close (difflib)."""
    import difflib

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    return f"{name} (did you mean {shape.format(close[0])}?)" if close else name


def describe(loc: tuple, error: Any, data: dict) -> str:
    section = str(loc[0])
    model = ConfigFile.model_fields[section].annotation
    if len(loc) == 1:
        if error["type"] == "value_error":  # a relation between keys of the section
            return f"[{section}] {error['ctx']['error']}"
        value = data.get(section)
        if isinstance(value, list):
            return f"[[{section}]] is an array of tables: write one [{section}] section"
        return f"{section} = {toml_value(value)}: must be a [{section}] section (a table of keys)"
    key = str(loc[1])
    info = model.model_fields[key]  # type: ignore[union-attr]
    value = data[section][key]
    if len(loc) == 3 and get_origin(info.annotation) is dict:  # one entry of a table such as [answer.weights]
        return f"[{section}.{key}] {loc[2]} = {toml_value(value[loc[2]])}: must be a finite number"
    shown = toml_value(value) if not key.endswith("_env") else NOT_SHOWN
    if error["type"] == "finite_number":
        return f"[{section}] {key} = {shown}: must be a finite number"
    if error["type"] == "value_error":  # a check of its own (field_validator): says what is wrong
        return f"[{section}] {key} = {shown}: {error['ctx']['error']}"
    return f"[{section}] {key} = {shown}: must be {allowed(info)}"


# What an ``*_env`` key holds when it is wrong is often the secret itself, written where its
# variable's name belongs (api_key_env = "sk-proj-..."): never echoed, to a terminal or a log.
NOT_SHOWN = "(value not shown: a secret may have been put here)"


KINDS: dict[Any, str] = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}


def allowed(info: FieldInfo) -> str:
    """What a key accepts, in words, from its type and bounds (or its description)."""
    if info.description:
        return info.description
    if get_origin(info.annotation) is Literal:
        return "one of " + ", ".join(json.dumps(choice) for choice in get_args(info.annotation))
    kind = KINDS.get(info.annotation, str(info.annotation))
    low = high = None
    for bound in info.metadata:
        if isinstance(bound, annotated_types.MinLen) and bound.min_length > 0:
            kind = f"a non-empty {kind.removeprefix('a ')}"
        elif isinstance(bound, annotated_types.Ge):
            low = f"from {number(bound.ge)}"
        elif isinstance(bound, annotated_types.Gt):
            low = f"above {number(bound.gt)}"
        elif isinstance(bound, annotated_types.Le):
            high = number(bound.le)
    if low and high:
        return f"{kind} {low} to {high}" if low.startswith("from") else f"{kind} {low}, at most {high}"
    if low:
        return f"{kind} {low.replace('from', 'of at least')}" if low.startswith("from") else f"{kind} {low}"
    return f"{kind} of at most {high}" if high else kind


def number(value: Any) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def toml_value(value: Any, limit: int = 60) -> str:
    """A value as it would be written in the file (strings quoted, true/false), kept short."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, float) and not math.isfinite(value):
        text = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    elif isinstance(value, list):
        text = "[" + ", ".join(toml_value(v, limit) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k} = {toml_value(v, limit)}" for k, v in value.items()) + "}"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

