"""Typed settings for the index package.

They are built once by the CLI shell from config.toml (see ``rawi/config.py``, where every value's
type, bounds and relations are checked) and passed down;
nothing in ``index/`` reads the configuration file itself. The defaults here match config.toml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

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
    device: str = "auto"  # "auto" | "cpu" | "cuda": where the torch backend runs (see index/encoder.py)


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
    language_balance: float = 1.6  # see index/languages.py; 0 ranks by plain cosines
    # With the question's translation (translate.py; retrieval.Translated): a passage in the other
    # language takes this share of its meaning from the translation, the rest from the question;
    # one in the question's language takes own_translation_weight from the translation and gets
    # own_language_bonus (the cross-language cosine it mixes in runs lower). See config.toml.
    translation_weight: float = 0.8
    own_translation_weight: float = 0.3
    own_language_bonus: float = 0.01


CALIBRATED_WEIGHTS = {
    "agree": -0.878, "arabic": -0.9763, "coverage": 6.7635, "cross": 2.2383, "dense": 50.6777,
    "dense_arabic": -0.6361, "dense_cross": 3.0198, "lexical": 0.1312, "null": -31.9951,
    "null_cross": 1.6544, "sentence": 61.6213, "sentence_cross": 2.4688, "type_match": -0.205,
}


@dataclass(frozen=True)
class AnswerSettings:
    """Logistic abstention model over the features of ``abstain.Evidence`` (see config.toml)."""

    # Fitted by `make calibrate`; config.toml carries the same numbers with the figures behind them.
    bias: float = -68.5601
    weights: dict = field(default_factory=lambda: dict(CALIBRATED_WEIGHTS))
    threshold: float = 0.3501
    recency_margin: float = 0.05  # "latest ..." questions: passages this close to the best, newest first
    date_tie: float = 0.01  # any question: passages this close to the best, newest first


@dataclass(frozen=True)
class GenerateSettings:
    """[generate]: a short answer written by an OpenAI-compatible server the user names (index/generate.py)."""

    enabled: bool = False
    url: str = "http://127.0.0.1:8080/v1"  # llama-server's default; Ollama: http://127.0.0.1:11434/v1
    model: str = "local"
    api_key_env: str = "RAWI_GENERATE_API_KEY"  # the NAME of the environment variable holding the key
    timeout: float = 30.0  # seconds for the whole reply
    max_tokens: int = 256
    temperature: float = 0.0
    translate: bool = True  # ask for the question in the other language (a corpus of both; index/translate.py)
    translate_timeout: float = 3.0  # seconds for that reply; past it the question is ranked without it
    api_key: str = field(default="", repr=False)  # read from the environment by rawi/config.py; never in a file


VECTOR_INDEX_TYPES = ("flat", "hnsw", "ivfpq")


@dataclass(frozen=True)
class VectorIndexSettings:
    """The FAISS index type and its parameters (the ``[index]`` keys of config.toml besides ``dir``).

    ``flat`` is exact search. ``hnsw`` and ``ivfpq`` add an approximate index derived from the
    exact vectors (see ``index/store/local/ann.py``); the build-time parameters are recorded in the
    manifest, the search-time ones (``hnsw_ef_search``, ``ivf_nprobe``, ``pq_rescore``) are
    read from here on every query.
    """

    type: str = "flat"
    hnsw_m: int = 32  # graph neighbours per node (build time)
    hnsw_ef_construction: int = 80  # build-time beam width
    hnsw_ef_search: int = 128  # search-time beam width (at least the number of candidates asked)
    ivf_nlist: int = 0  # inverted lists; 0: 4 * sqrt(chunks) when trained
    ivf_nprobe: int = 32  # lists searched per query
    pq_m: int = 48  # bytes per PQ code; must divide the encoder dimension
    pq_rescore: int = 4  # ivfpq: candidates per wanted hit, re-scored with the exact vectors


STORE_BACKENDS = ("local", "milvus")


@dataclass(frozen=True)
class StoreSettings:
    """[store]: where the index lives (index/store/). ``local``: FAISS + SQLite + BM25 files in
    ``[index] dir``. ``milvus``: collections in Milvus: ``uri`` is a local file (Milvus Lite,
    embedded) or a server/cluster address such as ``http://milvus.example:19530``."""

    backend: str = "local"
    uri: str = "var/milvus.db"
    name: str = "rawi"  # the collections' prefix and the alias readers follow
    token_env: str = "RAWI_MILVUS_TOKEN"  # the NAME of the environment variable holding the token
    token: str = field(default="", repr=False)  # read from the environment by rawi/config.py; never in a file


@dataclass(frozen=True)
class IndexSettings:
    corpus_dir: Path = Path("seeds")
    index_dir: Path = Path("var/index")
    store: StoreSettings = field(default_factory=StoreSettings)
    vectors: VectorIndexSettings = field(default_factory=VectorIndexSettings)
    encoder: EncoderSettings = field(default_factory=EncoderSettings)
    chunks: ChunkSettings = field(default_factory=ChunkSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    answer: AnswerSettings = field(default_factory=AnswerSettings)

    @property
    def location(self) -> str:
        """Where the index lives, for messages: the folder, or the Milvus address and name."""
        if self.store.backend == "milvus":
            return f"{self.store.uri} ({self.store.name})"
        return str(self.index_dir)


@dataclass(frozen=True)
class FeedSettings:
    """The [feeds] section of config.toml (documented there)."""

    urls: list = field(default_factory=list)
    folder: str = "feeds"
    interval_minutes: float = 15.0
    timeout_seconds: float = 10.0
    max_bytes: int = 5_000_000
    host_delay_seconds: float = 1.0
    max_entries: int = 50
    max_tries: int = 5  # a page that failed this many passes is given up
    allow_private_networks: bool = False  # entry links may lead to loopback, private, link-local addresses

    def __post_init__(self) -> None:
        if not isinstance(self.urls, list) or not all(isinstance(u, str) and u.strip() for u in self.urls):
            raise TypeError("urls must be a list of feed addresses")
        bad = [u for u in self.urls if urlsplit(u).scheme not in ("http", "https")]
        if bad:
            raise TypeError(f"urls must be http(s) addresses (got {bad[0]!r})")
        if not self.folder or Path(self.folder).is_absolute() or ".." in Path(self.folder).parts:
            raise TypeError("folder must be a folder name inside the corpus folder")
        if min(self.interval_minutes, self.timeout_seconds, self.max_bytes, self.max_entries, self.max_tries) <= 0:
            raise TypeError("interval_minutes, timeout_seconds, max_bytes, max_entries and max_tries must be positive")
        if self.host_delay_seconds < 0:
            raise TypeError("host_delay_seconds must be >= 0")


@dataclass(frozen=True)
class WatchSettings:
    """The [watch] section of config.toml (documented there)."""

    debounce_seconds: float = 2.0
    polling: bool = False
    poll_seconds: float = 1.0
