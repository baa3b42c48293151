"""The encoder: query/passage prompts, lazy load, token counting, and a choice of backend.

torch and sentence-transformers take seconds to import, so nothing heavy is imported until a
vector or a token count is first needed: ``rawi --help`` and a no-change ``rawi index`` stay fast.

Backends (``[encoder] backend`` in config.toml):

* ``torch``: the sentence-transformers folder as is (fp32). The reference.
* ``onnx``: the same weights exported to ONNX once, locally, from that folder, with
  onnxruntime's BERT fusions (attention, skip-layer-norm, bias-gelu); fp32, run by onnxruntime.
* ``onnx-int8``: ``onnx`` plus dynamic int8 quantization of the matrix products, one scale per
  output channel. About 3x faster than ``torch`` on 2 cores at cosine >= 0.995 to it
  (``bench/bench_encode.py``; ``tests/test_encoder_backend.py``).

The ONNX backends need neither torch nor sentence-transformers to answer a question (only
onnxruntime and tokenizers), so a cold ``rawi ask`` is quick; torch is imported only to export
the model, once, into a folder next to the fp32 one (published atomically, like
``model_build.bundled_model_dir``). Vectors of different backends differ slightly, so a
non-torch backend is part of the encoder's ``name`` recorded in the index manifest: an index is
never silently mixed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import warnings
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from .model_build import BUNDLED_MODEL, build_once, bundled_model_dir, size_text
from .settings import EncoderSettings

log = logging.getLogger(__name__)

BACKENDS = ("torch", "onnx", "onnx-int8")
DEVICES = ("auto", "cpu", "cuda")
CUDA_BATCH_SIZE = 1024  # passages a forward pass on a GPU: the least batch the CUDA path uses
EXPORT_VERSION = 3  # bump when the exported folder's layout or recipe changes
MAX_TOKENS = 512  # the encoder reads at most this many tokens, special tokens included
EMBEDDINGS = "word_embeddings.npy"
BATCH_WIDTH = 256  # a batch of batch_size rows this long bounds the memory of one forward pass


class EncoderError(RuntimeError):
    """The configured model cannot be loaded."""


def _quiet_libraries() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()


class Encoder:
    """Embeds questions and passages with one model, loaded on first use."""

    def __init__(self, settings: EncoderSettings) -> None:
        if settings.backend not in BACKENDS:
            raise EncoderError(f"unknown [encoder] backend {settings.backend!r}: choose one of {', '.join(BACKENDS)}")
        if settings.device not in DEVICES:
            raise EncoderError(f"unknown [encoder] device {settings.device!r}: choose one of {', '.join(DEVICES)}")
        if settings.device == "cuda" and settings.backend != "torch":
            raise EncoderError(
                f'[encoder] device = "cuda" needs backend = "torch" (the {settings.backend} backend runs on the CPU only)'
            )
        self.settings = settings

    @cached_property
    def backend(self) -> str:
        """The backend in effect: the ONNX ones export a local model folder (the bundled model
        or a path); a model named on the Hugging Face hub runs on torch, which fetches it."""
        local = self.settings.model == BUNDLED_MODEL or Path(self.settings.model).is_dir()
        if self.settings.backend != "torch" and not local:
            log.info("%s is not a local folder: using the torch backend for it", self.settings.model)
            return "torch"
        return self.settings.backend

    @cached_property
    def device(self) -> str:
        """Where the model runs: "cuda" (fp16, large length-sorted batches) or "cpu".

        "auto" is CUDA when the torch backend is in effect and torch sees a GPU; the ONNX
        backends always run on the CPU (and never import torch to decide it)."""
        if self.backend != "torch" or self.settings.device == "cpu":
            return "cpu"
        visible = _cuda_available()
        if self.settings.device == "cuda" and not visible:
            raise EncoderError('[encoder] device = "cuda", but torch sees no GPU: use device = "auto" or "cpu"')
        return "cuda" if visible else "cpu"

    @property
    def batch_size(self) -> int:
        """Passages a forward pass: the configured batch on the CPU, at least CUDA_BATCH_SIZE on a GPU."""
        if self.device == "cuda":
            return max(self.settings.batch_size, CUDA_BATCH_SIZE)
        return self.settings.batch_size

    @property
    def name(self) -> str:
        """What the index manifest records: the model, plus the backend unless it is plain torch.

        The device is not part of it: torch's fp16 vectors on a GPU are within cosine 0.999 of its
        fp32 ones on the CPU (closer than onnx-int8's 0.995), so an archive indexed on a GPU is
        served by the torch backend on a CPU machine."""
        if self.backend == "torch":
            return self.settings.model
        return f"{self.settings.model}#{self.backend}"

    @cached_property
    def model(self):
        """The loaded model: a SentenceTransformer (torch) or an ``OnnxEncoder``."""
        path = self._model_path()
        try:
            if self.backend == "torch":
                return _load_sentence_transformer(path, self.settings.threads, self.device, half=self.device == "cuda")
            folder = onnx_model_dir(Path(path), quantized=self.backend == "onnx-int8")
            return OnnxEncoder(folder, self.settings.threads)
        except OSError as exc:
            raise EncoderError(f"cannot load encoder {self.settings.model!r}: {exc}") from exc

    def _model_path(self) -> str:
        if self.settings.model == BUNDLED_MODEL:
            return str(bundled_model_dir(self.settings.cache_dir))
        return self.settings.model

    @cached_property
    def dimension(self) -> int:
        if isinstance(self.model, OnnxEncoder):
            return self.model.dimension
        return int(self.model.get_sentence_embedding_dimension())

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for a passage, without special tokens or prompt (stripped, as encoded)."""
        return len(self.model.tokenizer(text.strip(), add_special_tokens=False)["input_ids"])

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.settings.query_prompt, progress=False)

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._encode(texts, self.settings.passage_prompt, progress=progress)

    def _encode(self, texts: Sequence[str], prompt: str, progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Stripped: a trailing space becomes a token the model never saw in training.
        cleaned = [text.strip() for text in texts]
        vectors = self.model.encode(
            cleaned,
            prompt=prompt,
            # sentence-transformers sorts the texts by length (longest first) before batching, so a
            # large GPU batch pads little; the vectors come back in the order given.
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _cuda_available() -> bool:
    _quiet_libraries()
    import torch

    return bool(torch.cuda.is_available())


def _load_sentence_transformer(path: str, threads: int, device: str = "cpu", half: bool = False):
    """The model on ``device``; ``half``: its weights in fp16 (the CUDA path; it runs on a CPU too,
    slowly, which is how the tests hold it to the fp32 vectors on a machine without a GPU)."""
    _quiet_libraries()
    import torch
    from sentence_transformers import SentenceTransformer

    if threads > 0:
        torch.set_num_threads(threads)
    log.info("loading encoder %s (torch, %s%s)", path, device, ", fp16" if half else "")
    model = SentenceTransformer(path, device=device)
    if half:
        model.half()
    return model


class _FastTokenizer:
    """tokenizer.json through the `tokenizers` library, called like a transformers tokenizer."""

    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(path))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict:
        return {"input_ids": self.tokenizer.encode(text, add_special_tokens=add_special_tokens).ids}


# ---------------------------------------------------------------- the ONNX backends


class OnnxEncoder:
    """An exported encoder folder run by onnxruntime: tokenize, length-sorted batches, mean pool.

    ``encode`` takes the arguments of ``SentenceTransformer.encode`` that rawi uses, so the
    Encoder treats both backends alike.
    """

    def __init__(self, folder: Path, threads: int = 0) -> None:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        self.folder = folder
        self.dimension = int(meta["dimension"])
        self.max_tokens = int(meta["max_tokens"])
        self.pad_id = int(meta["pad_id"])
        # One tokenizer (about 280 MB for this 250k-token vocabulary) for counting and encoding.
        # Parsing its JSON (~1.3 s, the longest part of a cold `rawi ask`) releases the GIL, as
        # does building the session: the two run side by side.
        with ThreadPoolExecutor(1, thread_name_prefix="rawi-tokenizer") as pool:
            tokenizer = pool.submit(_FastTokenizer, folder / "tokenizer.json")
            self.session = self._session(folder, threads)
            self.tokenizer = tokenizer.result()
        self._tok = self.tokenizer.tokenizer
        self._table = np.load(folder / EMBEDDINGS, mmap_mode="r")

    @staticmethod
    def _session(folder: Path, threads: int):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(0, threads)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # No arena: memory goes back after each batch, so a long-running bot stays small.
        options.enable_cpu_mem_arena = False
        log.info("loading encoder %s (onnxruntime)", folder)
        return ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])

    def encode(
        self, texts: Sequence[str], prompt: str = "", batch_size: int = 32, show_progress_bar: bool = False, **_: object
    ) -> np.ndarray:
        encoded = [e.ids for e in self._tok.encode_batch([prompt + t for t in texts])]
        # Truncated as sentence-transformers does: the first max_tokens - 1 tokens, then </s>.
        encoded = [ids if len(ids) <= self.max_tokens else ids[: self.max_tokens - 1] + ids[-1:] for ids in encoded]
        lengths = np.array([len(ids) for ids in encoded])
        order = np.argsort(-lengths, kind="stable")  # similar lengths share a batch: little padding
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        bar = None
        if show_progress_bar:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="embedding", unit="text")
        start = 0
        while start < len(order):
            # Longest first; attention memory grows with width squared, so long rows go fewer at a time.
            width = int(lengths[order[start]])
            rows = order[start : start + max(1, min(batch_size, batch_size * BATCH_WIDTH**2 // width**2))]
            start += len(rows)
            ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = lengths[i]
                ids[r, :n] = encoded[i]
                mask[r, :n] = 1
            embedded = self._table[ids]
            (hidden,) = self.session.run(None, {"word_embeddings": embedded, "attention_mask": mask})
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out[rows] = pooled
            if bar is not None:
                bar.update(len(rows))
        if bar is not None:
            bar.close()
        return out


def _source_fingerprint(source: Path) -> str:
    digest = hashlib.sha256(f"rawi-onnx-export-{EXPORT_VERSION}".encode())
    for name in ("model.safetensors", "config.json", "tokenizer.json", "1_Pooling/config.json"):
        path = source / name
        if path.is_file():
            stat = path.stat()
            digest.update(f"{name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:12]


def onnx_model_dir(source: Path, quantized: bool) -> Path:
    """The ONNX export of a sentence-transformers folder, built next to it on first use.

    Built locally from the fp32 folder (nothing is downloaded) and published atomically: a
    crash leaves no half model, and two processes exporting at once both end with a whole one.
    """
    source = source.resolve()
    if not (source / "tokenizer.json").is_file():
        raise EncoderError(f"the onnx backends need a local model folder with tokenizer.json; {source} has none")
    variant = "onnx-int8" if quantized else "onnx"
    target = source.parent / f"{source.name}-{variant}-{_source_fingerprint(source)}"

    def export(staging: Path) -> None:
        log.warning("exporting the encoder for onnxruntime (once, about a minute) to %s", target)
        with _quiet_export():
            export_onnx(source, staging, quantized)

    exported = (target / "meta.json").is_file()
    build_once(target, "meta.json", export)
    if not exported:
        log.warning("exported the encoder: %s, %s", target, size_text(target))
    return target


@contextlib.contextmanager
def _quiet_export() -> Iterator[None]:
    """The exporter and quantizer warn about tracing details that do not apply here (dynamic
    shapes are declared; no negative indices): keep them off the user's terminal."""
    root = logging.getLogger()
    level = root.level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        root.setLevel(logging.ERROR)
        try:
            yield
        finally:
            root.setLevel(level)


def _check_pooling(source: Path) -> None:
    """The ONNX backends mean-pool and normalize, as the bundled model does; refuse anything else."""
    modules = json.loads((source / "modules.json").read_text(encoding="utf-8"))
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    pooling = json.loads((source / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    mean_only = pooling.get("pooling_mode_mean_tokens") and not any(
        pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens")
    )
    if kinds != ["Transformer", "Pooling", "Normalize"] or not mean_only or not pooling.get("include_prompt", True):
        raise EncoderError(
            f"the onnx backends support Transformer + mean Pooling + Normalize models; {source} is {kinds}: "
            "use [encoder] backend = \"torch\""
        )


def export_onnx(source: Path, target: Path, quantized: bool) -> None:
    """fp32 folder -> ONNX (torch exporter) -> onnxruntime BERT fusions -> optional int8 -> target."""
    _check_pooling(source)
    _quiet_libraries()
    import torch
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(source)
    model = AutoModel.from_pretrained(source, attn_implementation="eager").eval()

    class Hidden(torch.nn.Module):
        def __init__(self, inner) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, word_embeddings, attention_mask):
            return self.inner(inputs_embeds=word_embeddings, attention_mask=attention_mask).last_hidden_state

    # The word-embedding table (250k tokens x 384, 384 MB in fp32) stays out of the graph: it is
    # saved as a .npy file and memory-mapped, so a process only holds the rows it has read, and
    # processes share them through the page cache (onnxruntime would copy it onto the heap).
    table = model.get_input_embeddings().weight.detach().numpy()
    np.save(target / EMBEDDINGS, np.ascontiguousarray(table, dtype=np.float32))
    raw = target / "raw.onnx"
    sample = torch.tensor([[0, 6, 7, 8, 2], [0, 9, 2, 1, 1]])
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            Hidden(model), (model.get_input_embeddings()(sample), (sample != 1).long()), str(raw),
            input_names=["word_embeddings", "attention_mask"], output_names=["last_hidden_state"],
            dynamic_axes={"word_embeddings": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=17, dynamo=False,
        )
    del model, table
    fused = optimize_model(
        str(raw), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size,
    )
    model_path = target / "model.onnx"
    if quantized:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic

        fused_path = target / "fused.onnx"
        fused.save_model_to_file(str(fused_path))
        # The feed-forward output projections read post-GELU activations, whose long tail an
        # 8-bit activation scale cuts: quantizing them too costs cosine 0.994 instead of 0.9986
        # (bench/bench_encode.py), for a few percent of speed. They stay fp32.
        keep_fp32 = [
            node.name for node in fused.model.graph.node
            if node.op_type == "MatMul" and "/output/dense/" in node.name and "/attention/" not in node.name
        ]
        if len(keep_fp32) != config.num_hidden_layers:
            raise EncoderError(f"unexpected ONNX graph: {len(keep_fp32)} feed-forward outputs for {config.num_hidden_layers} layers")
        quantize_dynamic(
            str(fused_path), str(model_path), op_types_to_quantize=["MatMul", "Attention"],
            per_channel=True, weight_type=QuantType.QInt8, nodes_to_exclude=keep_fp32,
            # Fused ops (Attention, SkipLayerNormalization) defeat shape inference; their outputs are fp32.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        fused_path.unlink()
    else:
        fused.save_model_to_file(str(model_path))
    raw.unlink()
    for leftover in target.glob("*.onnx.data"):
        leftover.unlink()
    shutil.copyfile(source / "tokenizer.json", target / "tokenizer.json")
    sbert = json.loads((source / "sentence_bert_config.json").read_text(encoding="utf-8"))
    meta = {
        "source": source.name,
        "variant": "onnx-int8" if quantized else "onnx",
        "dimension": config.hidden_size,
        "max_tokens": min(int(sbert.get("max_seq_length", MAX_TOKENS)), config.max_position_embeddings),
        "pad_id": config.pad_token_id if config.pad_token_id is not None else 1,
        "pooling": "mean",
        "normalize": True,
        "export_version": EXPORT_VERSION,
    }
    (target / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
