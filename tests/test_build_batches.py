"""A large run is embedded and written in batches (issue 27): the index is the one a single batch makes.

Built twice from the same corpus, once in batches of a few passages and once in one batch, with
the stand-in encoder (deterministic: equal texts get equal vectors): the rows, the chunk and
sentence vectors under their ids, the language sums and the copy groups are identical, and each
distinct text is embedded once however the batches fall.
"""

from __future__ import annotations

import dataclasses

import pytest

from index import build
from index.build import Builder
from tests.build_helpers import COPY, Counting, assert_same_index, contents, corpus
from tests.conftest import make_settings

def build_with(tmp_path, encoder, batch, monkeypatch, label):
    settings = make_settings(tmp_path / "corpus", tmp_path / f"index-{label}")
    monkeypatch.setattr(build, "BATCH_PASSAGES", batch)
    counting = Counting(encoder)
    stats = Builder(settings, counting).run()
    return settings, stats, counting


@pytest.mark.parametrize("batch", [1, 3])
def test_batches_make_the_index_one_batch_makes(tmp_path, stand_in_encoder, monkeypatch, batch):
    corpus(tmp_path / "corpus")
    whole, whole_stats, whole_enc = build_with(tmp_path, stand_in_encoder, 10**9, monkeypatch, "whole")
    parts, parts_stats, parts_enc = build_with(tmp_path, stand_in_encoder, batch, monkeypatch, "parts")
    assert_same_index(contents(whole, stand_in_encoder.name), contents(parts, stand_in_encoder.name))
    assert dataclasses.replace(whole_stats, seconds=0) == dataclasses.replace(parts_stats, seconds=0)
    # The copies' passages were embedded once, in the first copy's batch, and reused in the last.
    assert whole_stats.groups == 1 and len(parts_enc.texts) >= len(whole_enc.texts)
    assert parts_enc.texts.count(COPY.split("\n\n")[0]) == 1
    assert len(set(whole_enc.texts)) == len(whole_enc.texts)


def test_batches_hold_whole_articles_of_about_the_size_asked(monkeypatch):
    monkeypatch.setattr(build, "BATCH_PASSAGES", 5)
    assert build._batches(6, [2, 2, 2, 9, 1, 0]) == [[0, 1, 2], [3], [4, 5]]
    assert build._batches(0, []) == []


def test_recurring_texts_are_those_met_twice():
    assert build._recurring([["a", "b"], ["c"], ["b", "d", "d"]]) == {"b", "d"}


def test_a_run_of_many_batches_shows_one_bar_with_the_rate_and_time_left(tmp_path, stand_in_encoder, monkeypatch, capsys):
    corpus(tmp_path / "corpus")
    monkeypatch.setattr(build, "BATCH_PASSAGES", 2)
    Builder(make_settings(tmp_path / "corpus", tmp_path / "index"), stand_in_encoder, progress=True).run()
    err = capsys.readouterr().err
    assert "Indexing: 100%" in err and "passage/s" in err and err.count("Indexing: 100%") == 1
