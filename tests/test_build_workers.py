"""The per-article text work in worker processes (index/prepare.py) makes the index made in place.

Built twice from the same corpus with the stand-in encoder, once with two forked workers (a
few articles per task, so results come back out of many tasks) and once in this process: the
rows, vectors, sentence vectors, language sums, copy groups and the texts embedded are the same.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from index import build, prepare
from index.build import Builder
from tests.conftest import make_settings
from tests.build_helpers import Counting, assert_same_index, contents, corpus


def build_with(tmp_path, encoder, monkeypatch, workers: int, batch: int):
    settings = make_settings(tmp_path / "corpus", tmp_path / f"index-{workers}-{batch}")
    monkeypatch.setattr(build, "BATCH_PASSAGES", batch)
    monkeypatch.setattr(prepare, "TASK_ARTICLES", 2)
    monkeypatch.setattr(prepare, "default_processes", lambda articles: workers)
    counting = Counting(encoder)
    return settings, Builder(settings, counting).run(), counting


@pytest.mark.parametrize("batch", [3, 10**9])
def test_workers_make_the_index_made_in_place(tmp_path, stand_in_encoder, monkeypatch, batch):
    corpus(tmp_path / "corpus")
    here, here_stats, here_enc = build_with(tmp_path, stand_in_encoder, monkeypatch, 0, batch)
    there, there_stats, there_enc = build_with(tmp_path, stand_in_encoder, monkeypatch, 2, batch)
    assert_same_index(contents(here, stand_in_encoder.name), contents(there, stand_in_encoder.name))
    assert dataclasses.replace(here_stats, seconds=0) == dataclasses.replace(there_stats, seconds=0)
    assert here_enc.texts == there_enc.texts and here_stats.groups == 1


def test_few_articles_are_prepared_in_place():
    assert prepare.default_processes(prepare.MIN_ARTICLES - 1) == 0


def test_the_work_is_done_in_other_processes(tmp_path):
    import os

    from index.chunks import Chunker
    from index.settings import ChunkSettings
    from index.articles import Article

    articles = [Article(f"a{n}", "", f"Text {n}. More words here.", "") for n in range(5)]
    with prepare.Workers(articles, Chunker(ChunkSettings(), lambda text: len(text.split())), processes=2) as workers:
        splits = list(workers.split())
        pids = workers._pool.submit(os.getpid).result()  # type: ignore[union-attr]
        prepared = workers.prepare(range(1, 4), [s.spans for s in splits[1:4]])()
    assert pids != os.getpid()
    in_place = [prepare.split_article(Chunker(ChunkSettings(), lambda text: len(text.split())), a) for a in articles]
    assert [(s.spans, s.shas, s.counts, s.sentence_spans.tolist()) for s in splits] == [
        (s.spans, s.shas, s.counts, s.sentence_spans.tolist()) for s in in_place
    ]
    expected = [prepare.prepare_article(a, s.spans) for a, s in zip(articles[1:4], splits[1:4])]
    assert [p.languages for p in prepared] == [p.languages for p in expected]
    assert all(np.array_equal(p.signature, e.signature) for p, e in zip(prepared, expected))


def test_a_splits_sentences_are_its_passages_own():
    from index.chunks import Chunker
    from index.settings import ChunkSettings
    from index.articles import Article
    from index.sentences import sentences

    text = "The port reopened on Monday. Ships queued for days!\n\nOfficials said 12 ships waited. " * 40
    article = Article("a", "", text, "")
    split = prepare.split_article(Chunker(ChunkSettings(max_tokens=30, overlap_tokens=8), lambda t: len(t.split())), article)
    assert len(split.spans) > 3 and split.counts == [len(sentences(text[a:b])) for a, b in split.spans]
    assert split.sentences(text) == [sentences(text[a:b]) for a, b in split.spans]


def test_a_lazily_loaded_tokenizer_is_loaded_before_the_workers_fork():
    """The real encoder loads its model on first use: once, in the build's process, not once a worker."""
    from index.chunks import Chunker
    from index.settings import ChunkSettings

    calls: list[int] = []

    def count(text: str) -> int:
        import os

        calls.append(os.getpid())
        return len(text.split())

    with prepare.Workers([], Chunker(ChunkSettings(), count), processes=2):
        pass
    with prepare.Workers([], Chunker(ChunkSettings(), count), processes=0):
        pass
    import os

    assert calls == [os.getpid()]


MILVUS_BUILD = """
import json, os, sys
from dataclasses import replace
from pathlib import Path
from index import prepare
from index.build import Builder
from index.settings import StoreSettings
from tests.conftest import StandInEncoder, make_settings
base = Path(sys.argv[1])
settings = make_settings(base / "corpus", base / "index")
settings = replace(settings, store=StoreSettings(backend=sys.argv[2], uri=str(base / "milvus.db")))
print(json.dumps({"articles": Builder(settings, StandInEncoder()).run().articles,
                  "workers": prepare.default_processes(prepare.MIN_ARTICLES), "cpus": len(os.sched_getaffinity(0))}))
"""


@pytest.mark.parametrize("backend", ["milvus", "local"])
def test_a_build_into_milvus_forks_no_workers_and_prints_nothing(tmp_path, backend):
    """Forked with a Milvus client's gRPC threads live, each worker's start printed gRPC's fork
    warning on standard error; such a build prepares its articles in place, quietly."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    (tmp_path / "corpus").mkdir()
    lines = (json.dumps({"title": f"Story {n}", "text": f"Officials said {n} ships waited near port {n}."})
             for n in range(prepare.MIN_ARTICLES + 10))
    (tmp_path / "corpus" / "wire.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", MILVUS_BUILD, str(tmp_path), backend], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0 and result.stderr == "", result.stderr[-2000:]
    built = json.loads(result.stdout)
    assert built["articles"] == prepare.MIN_ARTICLES + 10
    cpus = built["cpus"] if built["cpus"] > 1 else 0
    assert built["workers"] == (0 if backend == "milvus" else cpus)  # the local store keeps its workers
