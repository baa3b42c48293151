"""Full build of a 1,000-article corpus vs adding one article to it.

    .venv/bin/python bench/bench_reindex.py [--articles 1000] [--updates 3] [--keep DIR]

The corpus is the seeds plus articles made from eval/xquad/ paragraphs (Arabic and
English, one paragraph per article). XQuAD's development half holds 240 distinct paragraphs, so
after each paragraph has been used once, further articles are the same paragraphs with their
sentences rotated (a rotation starting at the second sentence, then the third, ...): every
article's text is distinct, as in a news corpus where stories are reworded. The title line is
the Wikipedia article's title.

The encoder is loaded (and warmed up with one passage) before anything is timed: the figures
compare indexing work only. Each update adds one held-out article of the same kind and runs
an ordinary incremental build (scan, hash, plan, embed, copy, write, fsync, publish). Prints
both times, the ratio (goal: the update < 5% of the full build) and the full build's speed.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.build import Builder, text_sha  # noqa: E402
from index.chunks import Chunker  # noqa: E402
from index.encoder import Encoder  # noqa: E402
from index.settings import EncoderSettings, IndexSettings  # noqa: E402

XQUAD = ROOT / "eval" / "xquad"
SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+")


def xquad_articles():
    """(file name, text) of distinct articles, for ever: paragraphs, then their rotations."""
    paragraphs = []
    for lang in ("ar", "en"):
        data = json.loads((XQUAD / f"dev.{lang}.json").read_text(encoding="utf-8"))
        for a_no, article in enumerate(data["data"]):
            for p_no, paragraph in enumerate(article["paragraphs"]):
                sentences = [s for s in SENTENCE_END.split(paragraph["context"].strip()) if s.strip()]
                paragraphs.append((f"{lang}-{a_no:02d}-{p_no:02d}", article["title"].replace("_", " "), sentences))
    rotation = 0
    while True:
        produced = False
        for name, title, sentences in paragraphs:
            if rotation < len(sentences):
                produced = True
                body = " ".join(sentences[rotation:] + sentences[:rotation])
                yield f"{name}-r{rotation}.txt", f"{title}\n\n{body}\n"
        if not produced:
            raise RuntimeError("XQuAD has too few sentences for this many articles")
        rotation += 1


def make_corpus(corpus: Path, n_articles: int, n_held_out: int) -> list[tuple[str, str]]:
    """Write the corpus (seeds + XQuAD articles); return held-out articles for the updates."""
    corpus.mkdir(parents=True)
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    for seed in seeds:
        shutil.copy(seed, corpus / seed.name)
    source = xquad_articles()
    for _ in range(n_articles - len(seeds)):
        name, text = next(source)
        (corpus / name).write_text(text, encoding="utf-8")
    return [next(source) for _ in range(n_held_out)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=3, help="one-article updates to time (median reported)")
    parser.add_argument("--keep", type=Path, help="build here and keep it (default: a temporary folder)")
    args = parser.parse_args()

    base = args.keep or Path(tempfile.mkdtemp(prefix="rawi-bench-"))
    settings = IndexSettings(
        corpus_dir=base / "corpus", index_dir=base / "index",
        encoder=EncoderSettings(cache_dir=ROOT / ".cache" / "models"),
    )
    held_out = make_corpus(settings.corpus_dir, args.articles, args.updates)
    encoder = Encoder(settings.encoder)
    started = time.perf_counter()
    encoder.encode_passages(["warm-up"])  # model load excluded from every figure below
    print(f"model load: {time.perf_counter() - started:.1f}s (excluded)", flush=True)

    started = time.perf_counter()
    full = Builder(settings, encoder).run()
    full_seconds = time.perf_counter() - started
    print(
        f"full build: {full.articles} articles, {full.chunks} passages "
        f"({full.chunks_embedded} distinct texts embedded) in {full_seconds:.1f}s "
        f"= {full.chunks_embedded / full_seconds:.1f} passages/s",
        flush=True,
    )

    chunker = Chunker(settings.chunks, encoder.count_tokens)
    times = []
    for name, text in held_out:
        (settings.corpus_dir / name).write_text(text, encoding="utf-8")
        expected = _distinct_chunks(chunker, settings, name)
        started = time.perf_counter()
        update = Builder(settings, encoder).run()
        seconds = time.perf_counter() - started
        times.append(seconds)
        assert (update.added, update.updated, update.removed) == (1, 0, 0), update
        assert 0 < update.chunks_embedded <= expected, (update.chunks_embedded, expected)  # only its own
        print(
            f"add one article ({name}): embedded {update.chunks_embedded} passage(s) "
            f"(the new article has {expected}) in {seconds:.3f}s",
            flush=True,
        )

    median = statistics.median(times)
    ratio = median / full_seconds
    print(
        f"\nfull build {full_seconds:.2f}s | add one article {median:.3f}s (median of {len(times)}) | "
        f"ratio {ratio:.2%} ({'under' if ratio < 0.05 else 'OVER'} the 5% goal) | "
        f"full build {full.chunks_embedded / full_seconds:.1f} passages/s"
    )
    if args.keep is None:
        shutil.rmtree(base, ignore_errors=True)


def _distinct_chunks(chunker: Chunker, settings: IndexSettings, name: str) -> int:
    from index.articles import read_article

    article = read_article(settings.corpus_dir / name, name)
    return len({text_sha(c.text) for c in chunker.split(article)})


if __name__ == "__main__":
    main()
