"""The indexing pipeline's own ceiling: `rawi index` with the encoder replaced by a zero-cost stand-in.

    .venv/bin/python bench/bench_pipeline.py                       # 1,000,000 passages
    .venv/bin/python bench/bench_pipeline.py --passages 50000 --profile 30
    .venv/bin/python bench/bench_pipeline.py --passages 50000 --tree /tmp/before   # another revision's code

A corpus of generated news-like articles (headline, dateline, paragraphs of sentences; four in
five English, one in five Arabic; JSON-lines files of 1,000 articles, about 4.5 passages each) is
written once into ``--work`` (reused by later runs with the same size and seed), then indexed
into a fresh index folder by ``index.build.Builder`` exactly as `rawi index` does, except for the
encoder: its vectors are fixed random unit vectors, taken from a small table without computing
anything, so what is measured is everything else: reading, chunking, sentence splitting,
SQLite, FAISS, BM25, copy sketches, checks and publishing. Tokens are counted by words and
punctuation (``--tokens words``, as tests/conftest.py's StandInEncoder does) or by the bundled
model's own tokenizer (``--tokens model``, the real cost of sizing passages).

Printed: passages, seconds, passages/s, the process's peak resident memory
(``resource.getrusage``'s ru_maxrss; the largest worker process's too, where the build used
workers: ``index/prepare.py``), and passages per CPU-second (the build's user + system time,
its worker processes' included: on a machine shared with others the wall clock also counts
their work). ``--profile N`` runs under cProfile and prints the N
most expensive functions by cumulative time. ``--tree DIR`` imports rawi's ``index`` package
from DIR (e.g. ``git archive main | tar -x -C DIR``) to measure another revision the same way.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ARTICLES_PER_FILE = 1000
GENERATOR = 2  # bump when the generated text changes: a cached corpus of another version is not reused
PASSAGES_PER_ARTICLE = 4.5  # about, with 200-token passages and 32 of overlap
SENTENCES_PER_ARTICLE = 24

EN_WORDS = """government minister said officials reported talks agreement border security economy market
prices inflation bank central rate percent million billion people city capital region province
president parliament election vote party opposition protest police army forces attack ceasefire
aid humanitarian refugees water electricity fuel oil gas exports imports trade deal company shares
investors growth quarter year month week Monday Tuesday Wednesday Thursday Friday Saturday Sunday
according statement spokesman committee court ruling judge law reform health hospital schools
students teachers university research climate drought flood storm rain season harvest farmers
wheat ministry agency report survey data figures increase decrease record highest lowest since
meeting summit delegation visit foreign international regional local national council mayor
project construction road bridge port airport flights tourism hotel visitors museum festival
team match league championship coach players season goals final won lost draw""".split()
AR_WORDS = """الحكومة الوزير قال المسؤولون أعلن محادثات اتفاق الحدود الأمن الاقتصاد السوق الأسعار التضخم
البنك المركزي نسبة مليون مليار الناس المدينة العاصمة المنطقة الرئيس البرلمان الانتخابات الحزب
المعارضة الشرطة الجيش القوات هجوم وقف إطلاق النار المساعدات اللاجئين المياه الكهرباء الوقود النفط
الغاز الصادرات التجارة الشركة الأسهم النمو الربع العام الشهر الأسبوع الاثنين الثلاثاء الأربعاء
الخميس الجمعة السبت الأحد بيان المتحدث اللجنة المحكمة القانون الصحة المستشفى المدارس الطلاب
الجامعة المناخ الجفاف الفيضانات الموسم المزارعين القمح الوزارة الوكالة تقرير البيانات زيادة
انخفاض قياسي اجتماع قمة وفد زيارة دولي إقليمي محلي وطني المجلس مشروع الطريق الميناء المطار""".split()


def _vocabulary(words: list[str], rng: np.random.Generator, size: int) -> np.ndarray:
    """Common words plus made-up names (so passages differ, as real ones do)."""
    letters = sorted(set("".join(words)))
    names = ["".join(rng.choice(letters, rng.integers(4, 10))).capitalize() for _ in range(size)]
    return np.array(words * 8 + names, dtype=object)


def generate(folder: Path, passages: int, seed: int) -> int:
    """JSON-lines files of news-like articles, about ``passages`` passages in all; returns the article count."""
    rng = np.random.default_rng(seed)
    vocab = {"en": _vocabulary(EN_WORDS, rng, 20000), "ar": _vocabulary(AR_WORDS, rng, 20000)}
    articles = max(1, round(passages / PASSAGES_PER_ARTICLE))
    folder.mkdir(parents=True, exist_ok=True)
    for first in range(0, articles, ARTICLES_PER_FILE):
        lines = []
        for n in range(first, min(articles, first + ARTICLES_PER_FILE)):
            language = "ar" if n % 5 == 4 else "en"
            lines.append(json.dumps(_article(n, language, vocab[language], rng), ensure_ascii=False))
        (folder / f"wire-{first // ARTICLES_PER_FILE:05d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return articles


def _article(n: int, language: str, vocab: np.ndarray, rng: np.random.Generator) -> dict:
    lengths = rng.integers(10, 40, SENTENCES_PER_ARTICLE)
    words = vocab[rng.integers(0, len(vocab), int(lengths.sum()))]
    cuts = np.cumsum(lengths)[:-1]
    stop = "." if language == "en" else "."
    sentences = [" ".join(part).capitalize() + stop for part in np.split(words, cuts)]
    paragraphs = [" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)]
    day = 1 + n % 28
    return {
        "id": f"a{n}", "title": sentences[0][:-1], "text": "\n\n".join(paragraphs),
        "published": f"2024-{1 + n % 12:02d}-{day:02d}", "source": f"wire-{n % 7}", "language": language,
    }


class ZeroCostEncoder:
    """The Encoder interface at no cost: fixed random unit vectors from a table, nothing computed."""

    name = "bench-zero-cost-encoder"
    dimension = 384

    def __init__(self, tokens: str) -> None:
        table = np.random.default_rng(0).standard_normal((4096, self.dimension)).astype(np.float32)
        self._table = table / np.linalg.norm(table, axis=1, keepdims=True)
        if tokens == "model":
            from tokenizers import Tokenizer

            from index.model_build import bundled_model_dir

            tokenizer = Tokenizer.from_file(str(bundled_model_dir(ROOT / ".cache" / "models") / "tokenizer.json"))
            tokenizer.no_padding()
            tokenizer.no_truncation()
            self.count_tokens = lambda text: len(tokenizer.encode(text.strip(), add_special_tokens=False).ids)
        else:
            sys.path.insert(0, str(ROOT))
            from tests.conftest import TOKEN

            self.count_tokens = lambda text: len(TOKEN.findall(text.strip()))

    @property
    def model(self) -> ZeroCostEncoder:
        return self

    def encode_queries(self, texts) -> np.ndarray:
        return self._rows(len(texts))

    def encode_passages(self, texts, progress: bool = False) -> np.ndarray:
        return self._rows(len(texts))

    def _rows(self, n: int) -> np.ndarray:
        # Each call starts further along the table, so two calls (Arabic and English parallel
        # text, languages.reference_direction) do not give the same vectors.
        self._calls = getattr(self, "_calls", 0) + 1
        return self._table[(np.arange(n) + 977 * self._calls) % len(self._table)]


def _cpu() -> float:
    """User + system seconds of this process and of its ended worker processes (the build's pool)."""
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def corpus_for(work: Path, passages: int, seed: int) -> Path:
    corpus = work / f"corpus-{passages}-{seed}-v{GENERATOR}"
    if not (corpus / "DONE").exists():
        shutil.rmtree(corpus, ignore_errors=True)
        started = time.perf_counter()
        articles = generate(corpus, passages, seed)
        (corpus / "DONE").write_text(str(articles))
        print(f"generated {articles:,} articles in {time.perf_counter() - started:.0f} s: {corpus}", flush=True)
    return corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=27)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "rawi-bench-pipeline")
    parser.add_argument("--tokens", choices=["words", "model"], default="words")
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--tree", type=Path, default=ROOT, help="where rawi's index package is imported from")
    parser.add_argument("--generate-only", action="store_true")
    args = parser.parse_args()
    corpus = corpus_for(args.work, args.passages, args.seed)
    if args.generate_only:
        return
    sys.path.insert(0, str(args.tree.resolve()))
    from index.build import Builder
    from index.settings import IndexSettings

    index_dir = args.work / "index"
    shutil.rmtree(index_dir, ignore_errors=True)
    settings = IndexSettings(corpus_dir=corpus, index_dir=index_dir)
    encoder = ZeroCostEncoder(args.tokens)
    builder = Builder(settings, encoder)  # type: ignore[arg-type]
    profiler = cProfile.Profile() if args.profile else None
    cpu_before = _cpu()
    started = time.perf_counter()
    stats = builder.run() if profiler is None else profiler.runcall(builder.run)
    seconds = time.perf_counter() - started
    cpu = _cpu() - cpu_before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024  # KiB -> GiB
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
    print(f"tree {args.tree}  tokens {args.tokens}")
    print(f"{stats.articles:,} articles, {stats.chunks:,} passages in {seconds:.1f} s: "
          f"{stats.chunks / seconds:,.0f} passages/s; peak memory {peak:.2f} GiB"
          + (f" (largest worker process {worker_peak:.2f} GiB)" if worker_peak else ""))
    # On a shared machine the wall clock counts the neighbours' work too; CPU time counts only ours.
    print(f"CPU time {cpu:.1f} s: {stats.chunks / cpu:,.0f} passages per CPU-second")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)
    shutil.rmtree(index_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
