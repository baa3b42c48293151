"""Encoder backends against plain sentence-transformers fp32, on the same chunks, in the same run.

    .venv/bin/python bench/bench_encode.py                       # all backends, all XQuAD chunks
    .venv/bin/python bench/bench_encode.py --backends onnx-int8 --limit 120 --no-quality

Passages are the XQuAD dev paragraphs (Arabic and English) cut by rawi's own chunker. For each
backend it prints, against ``SentenceTransformer(folder)`` fp32 measured alongside (interleaved,
warm, same batch size and threads):

* indexing throughput ratio (passages/s, backend / fp32);
* cosine of each passage vector to its fp32 vector, min and mean, per language;
* p50 latency ratio for encoding one question;
* XQuAD dev R@1 (question -> paragraph of the top chunk), same-language and cross-lingual, both sides.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.articles import Article  # noqa: E402
from index.chunks import Chunker  # noqa: E402
from index.encoder import BACKENDS, Encoder  # noqa: E402
from index.model_build import bundled_model_dir  # noqa: E402
from index.settings import ChunkSettings, EncoderSettings  # noqa: E402

XQUAD = ROOT / "eval" / "xquad"
CACHE = ROOT / ".cache" / "models"


def xquad(lang: str) -> tuple[list[str], list[tuple[str, int]]]:
    """(paragraphs, [(question, paragraph index)]) of the dev half in one language."""
    data = json.loads((XQUAD / f"dev.{lang}.json").read_text(encoding="utf-8"))["data"]
    paragraphs, questions = [], []
    for article in data:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                questions.append((qa["question"], len(paragraphs)))
            paragraphs.append(para["context"].strip())
    return paragraphs, questions


def chunked(paragraphs: list[str], lang: str, count_tokens) -> list[tuple[str, int, str]]:
    """[(chunk text, paragraph index, language)] from rawi's chunker (200 tokens, 32 overlap)."""
    chunker = Chunker(ChunkSettings(), count_tokens)
    out = []
    for i, text in enumerate(paragraphs):
        article = Article(id=f"{lang}-{i}", title="", text=text, sha256="")
        out.extend((c.text, i, lang) for c in chunker.split(article))
    return out


def timed(fn, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def p50_single(encode, questions: list[str]) -> float:
    for q in questions[:5]:
        encode([q])
    times = []
    for q in questions:
        started = time.perf_counter()
        encode([q])
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def recall_at_1(query_vecs: np.ndarray, gold: np.ndarray, passage_vecs: np.ndarray, passage_para: np.ndarray) -> float:
    top = np.argmax(query_vecs @ passage_vecs.T, axis=1)
    return float(np.mean(passage_para[top] == gold))


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default=",".join(b for b in BACKENDS if b != "torch"))
    parser.add_argument("--limit", type=int, default=0, help="passages per timing run (0: all chunks)")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved timing rounds")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--questions", type=int, default=100, help="single questions timed for p50")
    parser.add_argument("--no-quality", action="store_true", help="skip the XQuAD R@1 comparison")
    args = parser.parse_args()

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    from sentence_transformers import SentenceTransformer

    if args.threads:
        torch.set_num_threads(args.threads)
    folder = bundled_model_dir(CACHE)
    plain = SentenceTransformer(str(folder), device="cpu")
    count = lambda text: len(plain.tokenizer(text, add_special_tokens=False)["input_ids"])  # noqa: E731

    langs = {lang: xquad(lang) for lang in ("en", "ar")}
    chunks = [c for lang in ("en", "ar") for c in chunked(langs[lang][0], lang, count)]
    texts = [c[0] for c in chunks]
    timing_texts = texts if not args.limit else [texts[i] for i in np.linspace(0, len(texts) - 1, args.limit).astype(int)]
    tokens = [count(t) for t in timing_texts]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {len(chunks)} chunks "
          f"({len(timing_texts)} timed, mean {np.mean(tokens):.0f} tokens); batch {args.batch_size}")

    def plain_passages(batch):
        return plain.encode(batch, prompt="passage: ", batch_size=args.batch_size, normalize_embeddings=True)

    def plain_queries(batch):
        return plain.encode(batch, prompt="query: ", batch_size=args.batch_size, normalize_embeddings=True)

    encoders = {}
    for backend in args.backends.split(","):
        enc = Encoder(EncoderSettings(cache_dir=CACHE, backend=backend, threads=args.threads, batch_size=args.batch_size))
        load, _ = timed(lambda: enc.model)
        print(f"{backend}: ready in {load:.1f}s (export included on first use), name {enc.name!r}")
        encoders[backend] = enc

    # Throughput, interleaved so both sides see the same machine state.
    plain_passages(timing_texts[:8])
    for enc in encoders.values():
        enc.encode_passages(timing_texts[:8])
    seconds = {"torch-fp32": []} | {b: [] for b in encoders}
    for _ in range(args.repeats):
        seconds["torch-fp32"].append(timed(plain_passages, timing_texts)[0])
        for backend, enc in encoders.items():
            seconds[backend].append(timed(enc.encode_passages, timing_texts)[0])
    base_rate = len(timing_texts) / min(seconds["torch-fp32"])
    print(f"\n{'backend':12} {'passages/s ratio':>17} {'cos min en':>11} {'cos min ar':>11} {'cos mean':>9} {'query p50 ratio':>16}")

    reference = plain_passages(texts)
    questions = [q for lang in ("en", "ar") for q, _ in langs[lang][1][: args.questions // 2]]
    base_p50 = p50_single(plain_queries, questions)
    lang_of = np.array([c[2] for c in chunks])
    results = {}
    for backend, enc in encoders.items():
        vectors = enc.encode_passages(texts)
        cos = np.sum(vectors * reference, axis=1)
        rate = len(timing_texts) / min(seconds[backend])
        p50 = p50_single(enc.encode_queries, questions)
        results[backend] = vectors
        print(f"{backend:12} {rate / base_rate:>16.2f}x {cos[lang_of == 'en'].min():>11.4f} "
              f"{cos[lang_of == 'ar'].min():>11.4f} {cos.mean():>9.4f} {base_p50 / p50:>15.2f}x faster")
    print(f"(fp32 torch alone: {base_rate:.1f} passages/s, query p50 {base_p50 * 1000:.1f} ms; "
          f"rounds {args.repeats}, best of each)")

    if args.no_quality:
        print(f"\nresident memory now {rss_mb():.0f} MB (all models loaded)")
        return
    print("\nXQuAD dev R@1 (question -> paragraph of the top chunk), questions:", {k: len(v[1]) for k, v in langs.items()})
    para = np.array([c[1] for c in chunks])
    pairs = [("en", "en"), ("ar", "ar"), ("en", "ar"), ("ar", "en")]
    header = "".join(f"{q + '->' + p:>9}" for q, p in pairs)
    print(f"{'backend':12}{header}")
    sides = {"torch-fp32": (plain_queries, reference)} | {b: (e.encode_queries, results[b]) for b, e in encoders.items()}
    for name, (encode_q, passage_vecs) in sides.items():
        row = []
        for qlang, plang in pairs:
            qs = langs[qlang][1]
            qv = np.asarray(encode_q([q for q, _ in qs]))
            gold = np.array([g for _, g in qs])
            mask = lang_of == plang
            row.append(100 * recall_at_1(qv, gold, passage_vecs[mask], para[mask]))
        print(f"{name:12}" + "".join(f"{r:>9.1f}" for r in row))
    print(f"\nresident memory now {rss_mb():.0f} MB (all models loaded)")


if __name__ == "__main__":
    main()
