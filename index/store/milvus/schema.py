"""The Milvus backend's collections, indexes, filter expressions and connection (see backend.py).

One generation ``<gen>`` of the store named ``<name>`` is four collections:

``<name>__<gen>__passages``   id (INT64, the passage id), vector (FLOAT_VECTOR, the encoder's
                              dimension, the [index] type's index, inner product), text,
                              ``lexical`` (rawi's own normalised, stemmed terms joined by spaces:
                              ``normalize.tokens``), ``sparse`` (Milvus's BM25 function over
                              ``lexical``), article_id, seq, start, end, text_sha, sentences
                              (how many sentence vectors), and the article's language,
                              published_at and lower-cased source: the filters run in the engine.
``<name>__<gen>__sentences``  id (INT64: ``sentences.sentence_ids`` of its passage), chunk_id, vector.
``<name>__<gen>__articles``   id (VARCHAR), title, url, published, source, sha256, text (in parts
                              of at most 60,000 bytes: a VARCHAR holds 65,535), indexed_at,
                              language, published_at, group_id, signature (the MinHash, 128
                              uint64 stored as int64: duplicates.py).
``<name>__<gen>__meta``       the manifest (the local backend's Manifest, as JSON, in parts) and
                              the generation's facts a reader asks for often (sources, newest
                              date, copy groups): a reader on another host needs only the URI.

Milvus requires a vector field in every collection: ``articles`` and ``meta`` carry a 2-float
placeholder. The alias ``<name>`` names the published generation's passages collection.

BM25: rawi's terms are produced by rawi (``normalize.tokens``: folding, Arabic and English
stemming, stopwords), so the engine only has to split them at spaces. Milvus Lite offers the
``standard`` tokenizer only (``\\w+``, lower case), which splits rawi's terms (runs of letters
and digits) exactly at the spaces, as a Milvus server's ``standard`` tokenizer does; k1 and b
are bm25s's defaults (1.5, 0.75), as in the local backend.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import vector_kinds as ann_module
from ...settings import VectorIndexSettings

if TYPE_CHECKING:
    from ...filters import ArticleFilter

PASSAGES, SENTENCES, ARTICLES, META = "passages", "sentences", "articles", "meta"
KINDS = (PASSAGES, SENTENCES, ARTICLES, META)
VARCHAR_MAX = 65535  # bytes, Milvus's limit for one VARCHAR value
PART_BYTES = 60_000  # long texts are stored in parts of at most this many UTF-8 bytes
MAX_PARTS = 4096  # Milvus's largest ARRAY capacity: 245 MB of text per article
PLACEHOLDER = [0.0, 0.0]  # the vector field Milvus requires in every collection
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,100}")
GENERATION = re.compile(r"g\d{19}_\d+")
BM25_PARAMS = {"bm25_k1": 1.5, "bm25_b": 0.75}  # bm25s's defaults: the local backend's BM25

log = logging.getLogger(__name__)


def collection(name: str, generation: str, kind: str) -> str:
    return f"{name}__{generation}__{kind}"


def parse_collection(name: str, collection_name: str) -> tuple[str, str] | None:
    """(generation, kind) of one of this store's collections, or None."""
    prefix = f"{name}__"
    if not collection_name.startswith(prefix):
        return None
    generation, _, kind = collection_name[len(prefix):].partition("__")
    if not GENERATION.fullmatch(generation) or kind not in KINDS:
        return None
    return generation, kind


def parts(text: str) -> list[str]:
    """``text`` cut into pieces of at most PART_BYTES UTF-8 bytes, at character boundaries."""
    if not text:
        return []
    data = text.encode("utf-8")
    pieces = []
    start = 0
    while start < len(data):
        end = min(start + PART_BYTES, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # not in the middle of a character
            end -= 1
        pieces.append(data[start:end].decode("utf-8"))
        start = end
    return pieces


def clip(text: str, limit: int = VARCHAR_MAX) -> str:
    """At most ``limit`` UTF-8 bytes of ``text`` (a title, a URL: never near the limit in practice)."""
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", errors="ignore")


# Milvus's expression grammar reads \\ \" \n \r \t in a string literal, and every other character as
# it stands; JSON's other escapes (\f, \b, \u0001...) are refused ("unknown escape sequence"), and a
# raw line break ends the literal. Only those five are escaped, so any text is a literal.
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def literal(value: str) -> str:
    """A string literal of Milvus's expression language, for any text (a source holding \\f or NUL)."""
    return f'"{value.translate(_ESCAPES)}"'


def expression(where: ArticleFilter | None, sources: list[str]) -> str | None:
    """``where`` as a Milvus boolean expression over the passages' scalar fields; "" when it
    matches nothing, None when it matches everything.

    A source filter is a part of the source's name, compared by normalised names
    (``filters.matching_sources``). Milvus's ``like`` has no portable escape for ``%`` and
    ``_`` (Milvus Lite treats them as wildcards always), so the names that match are found
    among the generation's distinct sources (recorded at build time) and the passages are
    filtered by ``source in [...]``: exact for any text. Dates compare as strings, the last day
    up to ``published.end_of`` (no next day to compute: date.max cannot overflow).
    """
    from ...filters import matching_sources
    from ...published import end_of

    if where is None or not where:
        return None
    clauses = []
    if where.since:
        clauses.append(f"published_at >= {literal(where.since.isoformat())}")
    if where.until:
        clauses.append(f'(published_at != "" and published_at <= {literal(end_of(where.until))})')
    if where.source:
        matching = sorted({s.lower() for s in matching_sources(where.source, sources)})
        if not matching:
            return ""
        clauses.append(f"source in [{', '.join(literal(s) for s in matching)}]")
    if where.language:
        clauses.append(f"language == {literal(where.language)}")
    return " and ".join(clauses)


# ---------------------------------------------------------------- the vector index

LITE_SEGMENT_ROWS = 100_000  # milvus_lite.constants.MAX_SEGMENT_ROWS (3.2.2): rows a segment holds at most


def index_record(settings: VectorIndexSettings, chunks: int, server: bool) -> dict:
    """What a new generation's passage vectors are indexed with, as recorded in the manifest
    (``index``): rawi's [index] type mapped to Milvus's index types.

    ``flat`` -> FLAT (exact). ``hnsw`` -> HNSW (M, efConstruction). ``ivfpq`` -> IVF_PQ (nlist,
    m, 8 bits) on a Milvus server; Milvus Lite has no product quantization, so IVF_SQ8 there.
    Below ``ann.min_training`` passages ``ivfpq`` stays FLAT, as in the local backend. Every
    generation is a new collection, so its index is built from its vectors each time.
    """
    kind = ann_module.effective_type(settings, chunks)
    if kind == "hnsw":
        return {"type": "hnsw", "milvus": "HNSW", "m": settings.hnsw_m, "ef_construction": settings.hnsw_ef_construction}
    if kind == "ivfpq":
        # Milvus trains an IVF index per segment, and Milvus Lite's segments hold at most
        # LITE_SEGMENT_ROWS: lists sized for the whole corpus would be trained on ~21 rows each
        # at 1M passages (k-means wants 39 or more). Recall@10 at 1M was 0.955 with either size,
        # and the index builds in the same time (bench/bench_milvus.py).
        nlist = settings.ivf_nlist or ann_module.auto_nlist(chunks if server else min(chunks, LITE_SEGMENT_ROWS))
        return {"type": "ivfpq", "milvus": "IVF_PQ" if server else "IVF_SQ8", "nlist": nlist, "pq_m": settings.pq_m}
    return {"type": "flat", "milvus": "FLAT"}


def index_params(record: dict) -> tuple[str, dict]:
    kind = record.get("milvus", "FLAT")
    if kind == "HNSW":
        return kind, {"M": record["m"], "efConstruction": record["ef_construction"]}
    if kind == "IVF_PQ":
        return kind, {"nlist": record["nlist"], "m": record["pq_m"], "nbits": 8}
    if kind == "IVF_SQ8":
        return kind, {"nlist": record["nlist"]}
    return "FLAT", {}


def search_params(record: dict, settings: VectorIndexSettings, k: int) -> dict:
    kind = record.get("milvus", "FLAT")
    params: dict[str, Any] = {}
    if kind == "HNSW":
        params = {"ef": max(settings.hnsw_ef_search, k)}
    elif kind in ("IVF_PQ", "IVF_SQ8"):
        params = {"nprobe": min(settings.ivf_nprobe, record.get("nlist", settings.ivf_nprobe))}
    return {"metric_type": "IP", "params": params}


# ---------------------------------------------------------------- schemas


def create(client: Any, name: str, generation: str, dimension: int) -> None:
    """Create one generation's four collections. ``meta`` is indexed and loaded at once; the
    others are filled first, then indexed and loaded (``index_and_load``): Milvus's bulk pattern."""
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    def varchar(schema: Any, field: str, length: int = VARCHAR_MAX, **extra: Any) -> None:
        schema.add_field(field, DataType.VARCHAR, max_length=length, **extra)

    passages = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    passages.add_field("id", DataType.INT64, is_primary=True)
    passages.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    varchar(passages, "text")
    varchar(passages, "lexical", enable_analyzer=True, analyzer_params={"tokenizer": "standard"})
    passages.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    passages.add_function(Function(
        name="bm25", function_type=FunctionType.BM25, input_field_names=["lexical"], output_field_names=["sparse"],
    ))
    varchar(passages, "article_id")
    for field in ("seq", "start", "end", "sentences"):
        passages.add_field(field, DataType.INT64)
    varchar(passages, "text_sha", 64)
    varchar(passages, "language", 16)
    varchar(passages, "published_at", 64)
    varchar(passages, "source")  # lower-cased: the source filter

    sentences = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    sentences.add_field("id", DataType.INT64, is_primary=True)
    sentences.add_field("chunk_id", DataType.INT64)
    sentences.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)

    articles = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    varchar(articles, "id", is_primary=True)
    for field in ("title", "url", "published", "source"):
        varchar(articles, field)
    varchar(articles, "sha256", 64)
    articles.add_field("text", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=MAX_PARTS, max_length=VARCHAR_MAX)
    articles.add_field("indexed_at", DataType.DOUBLE)
    varchar(articles, "language", 16)
    varchar(articles, "published_at", 64)
    varchar(articles, "group_id")
    articles.add_field("signature", DataType.ARRAY, element_type=DataType.INT64, max_capacity=256)
    articles.add_field("placeholder", DataType.FLOAT_VECTOR, dim=len(PLACEHOLDER))

    meta = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    varchar(meta, "id", 256, is_primary=True)
    varchar(meta, "value")
    meta.add_field("placeholder", DataType.FLOAT_VECTOR, dim=len(PLACEHOLDER))

    for kind, fields in ((META, meta), (ARTICLES, articles), (SENTENCES, sentences), (PASSAGES, passages)):
        client.create_collection(collection(name, generation, kind), schema=fields, consistency_level="Strong")
    _index(client, collection(name, generation, META), [("placeholder", "FLAT", "L2", {})])


def index_and_load(client: Any, name: str, generation: str, record: dict) -> None:
    """Index the filled collections (the passages with the [index] type's index) and load them."""
    kind, params = index_params(record)
    _index(client, collection(name, generation, ARTICLES), [("placeholder", "FLAT", "L2", {})])
    _index(client, collection(name, generation, SENTENCES), [("vector", "FLAT", "IP", {})])
    _index(client, collection(name, generation, PASSAGES),
           [("vector", kind, "IP", params), ("sparse", "SPARSE_INVERTED_INDEX", "BM25", BM25_PARAMS)])


def _index(client: Any, target: str, indexes: list[tuple[str, str, str, dict]]) -> None:
    prepared = client.prepare_index_params()
    for field, index_type, metric, extra in indexes:
        prepared.add_index(field_name=field, index_type=index_type, metric_type=metric, params=extra)
    try:
        client.create_index(target, prepared, sync=False)  # load_collection waits for the index: no 0.5 s polls
    except Exception as exc:
        # A long index build (minutes at a million passages) can outlast the connection; pymilvus
        # then retries a call the server already took, and is told the index exists: it does.
        if "already exist" not in str(exc).lower():
            raise
        log.info("index of %s already created by the first attempt of a retried call", target)
    client.load_collection(target)


# ---------------------------------------------------------------- the meta collection


def meta_rows(key: str, value: object) -> list[dict]:
    text = json.dumps(value, ensure_ascii=False)
    pieces = parts(text) or [""]
    return [{"id": f"{key}#{n:04d}", "value": piece, "placeholder": PLACEHOLDER} for n, piece in enumerate(pieces)]


def meta_value(rows: list[dict], key: str) -> object:
    pieces = sorted((r["id"], r["value"]) for r in rows if r["id"].rpartition("#")[0] == key)
    if not pieces:
        raise KeyError(key)
    return json.loads("".join(value for _, value in pieces))


@dataclass(frozen=True)
class Facts:
    """What a reader asks of a whole generation, computed by its writer once."""

    sources: list[str]
    newest_published: str
    copy_groups: int
