"""Date, source and language filters inside the search, and questions about time."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from types import SimpleNamespace

import numpy as np
import pytest

from index import store
from index.store import local as local_store
from index.store.local import restrict
from index.build import Builder
from index.filters import FilterError, make_filter, parse_inline
from index.service import open_answerer
from index.settings import RetrievalSettings, VectorIndexSettings
from tests.conftest import MODEL_CACHE, make_settings
from tests.reindex_helpers import RAWI

# Bridge stories on six days from three outlets in two languages, and unrelated stories.
BRIDGE = [
    ("b1", "2025-06-01", "Reuters", "en", "The new bridge over the Danube opened to traffic on Sunday after three years of work."),
    ("b2", "2025-06-02", "AFP", "en", "Engineers inspected the Danube bridge on Monday and found cracks in two of its piers."),
    ("b3", "2025-06-03", "Reuters", "en", "The Danube bridge was closed on Tuesday while engineers repaired the cracked piers."),
    ("b4", "2025-06-04", "الجزيرة", "ar", "أعيد فتح جسر الدانوب يوم الأربعاء بعد إصلاح الدعامات المتشققة."),
    ("b5", "2025-06-05", "AFP", "en", "Traffic on the Danube bridge doubled on Thursday as trucks returned to the crossing."),
    ("b6", "2025-06-06", "Reuters", "en", "The city council named the Danube bridge after a local poet on Friday."),
    ("o1", "2025-06-06", "AFP", "en", "The national football team won its qualifying match four goals to one on Friday evening."),
    ("o2", "2025-06-05", "الجزيرة", "ar", "ارتفعت أسعار القمح في الأسواق المحلية بنسبة عشرة في المئة يوم الخميس."),
    ("o3", "2025-06-02", "Reuters", "en", "Wheat prices rose by ten percent on local markets on Monday, traders said."),
    ("o4", "", "", "en", "An undated note about the history of river crossings in the region and their ferries."),
]


@pytest.fixture(scope="module")
def dated(tmp_path_factory, encoder):
    base = tmp_path_factory.mktemp("dated")
    corpus = base / "corpus"
    corpus.mkdir()
    lines = [json.dumps({"id": i, "title": t[:40], "text": t, "published": d, "source": s, "language": lang})
             for i, d, s, lang, t in BRIDGE]
    (corpus / "wire.jsonl").write_text("\n".join(lines), encoding="utf-8")
    settings = make_settings(corpus, base / "index")
    Builder(settings, encoder).run()
    return settings


def meta(settings):
    snapshot = local_store.open_snapshot(settings.index_dir)
    rows = snapshot.article_meta([f"wire.jsonl#{row[0]}" for row in BRIDGE])
    snapshot.close()
    return rows


def asker(settings, encoder, candidates=3):
    """Few candidates: a filter applied after the search would come back short."""
    narrow = dataclasses.replace(settings, retrieval=RetrievalSettings(candidates=candidates))
    return open_answerer(narrow, encoder)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (dict(since="2025-06-04"), {"b4", "b5", "b6", "o1", "o2"}),
        (dict(until="2025-06-02"), {"b1", "b2", "o3"}),
        (dict(since="2025-06-02", until="2025-06-03"), {"b2", "b3", "o3"}),
        (dict(source="reuters"), {"b1", "b3", "b6", "o3"}),
        (dict(language="ar"), {"b4", "o2"}),
        (dict(source="AFP", language="en", since="2025-06-05"), {"b5", "o1"}),
    ],
)
def test_every_passage_satisfies_the_filter_and_k_come_back(dated, encoder, where, expected):
    answer = asker(dated, encoder).ask("When did the new bridge over the Danube open?", k=3, where=make_filter(**where))
    got = {p.article_id.split("#")[1] for p in answer.passages}
    assert got <= expected
    assert len(answer.passages) == min(3, len(expected))  # k when k match, however far from the top


def test_without_a_filter_the_few_candidates_are_the_bridge_stories(dated, encoder):
    """The check above has teeth: unfiltered, the top candidates are not the filtered ones."""
    answer = asker(dated, encoder).ask("When did the new bridge over the Danube open?", k=3)
    assert not {p.article_id.split("#")[1] for p in answer.passages} & {"o1", "o2", "o3"}


def test_the_snapshot_search_keeps_to_the_allowed_chunks_for_every_index_type(dated, encoder, tmp_path, monkeypatch):
    monkeypatch.setattr(restrict, "EXACT_BELOW", 0)  # the FAISS selector path, not the direct product
    query = encoder.encode_queries(["bridge over the Danube"])[0][None, :]
    for kind in ("flat", "hnsw"):
        settings = dataclasses.replace(dated, index_dir=tmp_path / kind, vectors=VectorIndexSettings(type=kind))
        Builder(settings, encoder).run()
        snapshot = local_store.open_snapshot(settings.index_dir)
        allowed = snapshot.chunk_ids_where(make_filter(language="ar"))
        scores, ids = snapshot.search_vectors(query, 5, allowed=allowed)
        found = ids[0][ids[0] >= 0]
        assert len(found) == len(allowed) == 2 and set(found) == set(allowed.tolist()), kind
        assert np.all(np.diff(scores[0][: len(found)]) <= 0)
        assert [i for i, _ in snapshot.lexical.search("Danube bridge wheat", 10, allowed=allowed)] == []  # no shared term in Arabic
        lexical = snapshot.lexical.search("Danube bridge", 10, allowed=snapshot.chunk_ids_where(make_filter(source="AFP")))
        rows = snapshot.chunks([i for i, _ in lexical])
        assert lexical and {rows[i].article_id for i, _ in lexical} <= {"wire.jsonl#b2", "wire.jsonl#b5", "wire.jsonl#o1"}
        snapshot.close()


def test_relative_days_count_from_the_newest_article(dated, encoder):
    answerer = asker(dated, encoder, candidates=50)
    rows = meta(dated)
    yesterday = answerer.ask("What happened yesterday?", k=5)
    assert yesterday.answered and {rows[p.article_id].published_at for p in yesterday.passages} == {"2025-06-05"}
    today = answerer.ask("أخبار اليوم", k=5)
    assert {rows[p.article_id].published_at for p in today.passages} == {"2025-06-06"}
    week = answerer.ask("What happened to the Danube bridge this week?", k=10)
    assert all(rows[p.article_id].published_at >= "2025-05-31" for p in week.passages)


def test_latest_news_is_the_newest_first_with_dates_shown(dated, encoder):
    answerer = asker(dated, encoder, candidates=50)
    latest = answerer.ask("ما آخر الأخبار؟", k=4)
    dates = [p.published for p in latest.passages]
    assert latest.answered and dates == sorted(dates, reverse=True) and dates[0] == "2025-06-06"
    bridge = answerer.ask("What is the latest news about the Danube bridge?", k=3)
    first = bridge.passages[0]
    assert first.article_id == "wire.jsonl#b6" and first.published == "2025-06-06" and first.source == "Reuters"


def test_a_question_naming_a_source_is_about_that_source(dated, encoder):
    answer = asker(dated, encoder, candidates=50).ask("What did Reuters report?", k=5)
    assert answer.answered and {p.source for p in answer.passages} == {"Reuters"}


def test_filters_written_into_a_question_and_bad_ones(dated, encoder):
    text, where = parse_inline("since:2025-06-05 lang:en What happened to the bridge?")
    assert text == "What happened to the bridge?" and (str(where.since), where.language) == ("2025-06-05", "en")
    answer = asker(dated, encoder).ask("source:الجزيرة What happened to the bridge?", k=3)
    assert {p.source for p in answer.passages} == {"الجزيرة"} and len(answer.passages) == 2
    for bad in ("since:yesterday What?", "lang:fr What?", "since:2025-06-05 until:2025-06-01 What?"):
        with pytest.raises(FilterError):
            asker(dated, encoder).ask(bad)


def test_rawi_ask_filters_and_shows_dates(dated, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'[corpus]\ndir = "{dated.corpus_dir}"\n[index]\ndir = "{dated.index_dir}"\n'
                      f'[encoder]\ncache_dir = "{MODEL_CACHE}"\n', encoding="utf-8")
    run = lambda *a: subprocess.run([str(RAWI), "--config", str(config), "ask", *a], capture_output=True, text=True, timeout=300)  # noqa: E731
    result = run("--json", "-k", "2", "--until", "2025-06-02", "--source", "reuters", "When did the Danube bridge open?")
    passages = json.loads(result.stdout)["passages"]
    assert [(p["article"], p["published"], p["source"]) for p in passages] == [
        ("wire.jsonl#b1", "2025-06-01", "Reuters"), ("wire.jsonl#o3", "2025-06-02", "Reuters")]
    bad = run("--since", "June", "Anything?")
    assert bad.returncode == 2 and "not a date" in bad.stderr
    shown = run("-k", "1", "--lang", "ar", "When did the Danube bridge reopen?")
    assert "4 Jun 2025 · الجزيرة" in shown.stdout


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_the_bot_reads_filters_in_a_question_shows_dates_and_explains_a_bad_filter(dated, encoder):
    from tests.botapi import parse_html
    from tests.bot_helpers import running_bot

    answerer = asker(dated, encoder)
    with running_bot(answerer) as api:
        reply = api.wait_reply(api.message(7001, "source:AFP since:2025-06-05 What happened to the Danube bridge?"))
        plain = parse_html(reply[0].text)[0]
        assert "AFP · 5 Jun 2025" in plain and "Reuters" not in plain and "1 Jun 2025" not in plain
        bad = api.wait_reply(api.message(7002, "since:someday What happened?"))
        assert "could not use that filter" in parse_html(bad[0].text)[0]
        api.message(7003, "/help")
        assert "since:YYYY-MM-DD" in parse_html(api.wait_sent(7003)[0].text)[0]


def test_an_index_from_before_the_new_columns_is_upgraded_without_embedding_again(dated, encoder, tmp_path):
    import shutil
    import sqlite3

    settings = dataclasses.replace(dated, index_dir=tmp_path / "old")
    shutil.copytree(dated.index_dir, settings.index_dir)
    generation = local_store.current_generation(settings.index_dir)
    rows = generation / local_store.ROWS
    db = sqlite3.connect(rows)
    db.execute("DROP INDEX articles_by_published")
    db.execute("DROP INDEX articles_by_group")
    for table in ("sketches", "sketch_bands"):
        db.execute(f"DROP TABLE {table}")
    for name, _ in local_store.ARTICLE_COLUMNS_V1:
        db.execute(f"ALTER TABLE articles DROP COLUMN {name}")
    db.execute("PRAGMA user_version = 0")
    db.commit()
    db.close()
    manifest = local_store.read_manifest(generation)
    local_store.write_manifest(generation, manifest)  # the old generation as an older rawi wrote it
    old = local_store.open_snapshot(settings.index_dir)
    assert old.rows_schema == 0 and old.article("wire.jsonl#b4").language == ""
    with pytest.raises(store.IndexMismatch, match="run `rawi index`"):
        old.chunk_ids_where(make_filter(language="ar"))
    old.close()
    stats = Builder(settings, encoder).run()
    assert stats.chunks_embedded == 0 and stats.unchanged == len(BRIDGE)
    new = local_store.open_snapshot(settings.index_dir)
    assert (new.rows_schema, new.article("wire.jsonl#b4").language, new.article("wire.jsonl#b4").published_at) == (1, "ar", "2025-06-04")
    new.close()


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivfpq"])
def test_the_faiss_selector_keeps_to_allowed_ids_that_are_sparse_repeated_and_past_the_last_byte(kind):
    """restrict.search through FAISS's selector (more than EXACT_BELOW allowed), on ids with gaps
    up to 10^6: every id returned is allowed, and with full probing they are the exact top k."""
    import faiss

    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((6000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.sort(rng.choice(1_000_000, len(vectors), replace=False)).astype(np.int64)
    exact = faiss.IndexIDMap2(faiss.IndexFlatIP(16))
    exact.add_with_ids(vectors, ids)
    ann_index = None
    if kind == "hnsw":
        ann_index = faiss.IndexIDMap2(faiss.IndexHNSWFlat(16, 16, faiss.METRIC_INNER_PRODUCT))
        ann_index.add_with_ids(vectors, ids)
    elif kind == "ivfpq":  # an IVF index stands in for IVF-PQ: the selector path is the same
        quantizer = faiss.IndexFlatIP(16)
        ann_index = faiss.IndexIVFFlat(quantizer, 16, 8, faiss.METRIC_INNER_PRODUCT)
        ann_index.train(vectors)
        ann_index.add_with_ids(vectors, ids)
    snapshot = SimpleNamespace(vectors=exact, ann=ann_index, manifest=SimpleNamespace(index={"type": kind}))
    chosen = rng.choice(len(ids), 3000, replace=False)
    allowed = np.concatenate([ids[chosen], ids[chosen[:100]]])  # repeated ids, unsorted
    assert len(allowed) > restrict.EXACT_BELOW
    queries = vectors[:5] + 0.1
    settings = VectorIndexSettings(type=kind, ivf_nprobe=8, hnsw_ef_search=400)
    scores, found = restrict.search(snapshot, queries, 10, settings, allowed)
    members = vectors[chosen] @ queries.T
    for row in range(len(queries)):
        assert set(found[row].tolist()) <= set(ids[chosen].tolist())
        best = ids[chosen][np.argsort(-members[:, row], kind="stable")[:10]]
        if kind != "hnsw":  # an approximate graph may miss one; IVF probes every list here
            assert set(found[row].tolist()) == set(best.tolist())


def test_the_bitmap_holds_exactly_the_allowed_ids():
    allowed = np.array([0, 7, 8, 9, 999_999, 7], dtype=np.int64)
    bits = restrict.bitmap(allowed)
    assert np.flatnonzero(np.unpackbits(bits, bitorder="little")).tolist() == [0, 7, 8, 9, 999_999]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_a_bad_filter_gets_one_polite_reply_and_nothing_more(tmp_path, stand_in_encoder, caplog):
    """Every message the person gets: the filter's explanation, once; no apology after it, nothing in
    the error log. A handler in the last group marks an update as settled: python-telegram-bot runs it
    after the question's handler and after the error handler, if that ran, so nothing is timed."""
    import logging
    import threading

    from telegram import Update
    from telegram.ext import TypeHandler

    from bot import render
    from bot.app import build_application
    from tests.botapi import BotThread, FakeBotAPI
    from tests.bot_helpers import bot_settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "wire.jsonl").write_text("\n".join(
        json.dumps({"id": i, "title": t[:40], "text": t, "published": d, "source": s, "language": lang})
        for i, d, s, lang, t in BRIDGE), encoding="utf-8")
    settings = make_settings(corpus, tmp_path / "index")
    Builder(settings, stand_in_encoder).run()
    settled: set[int] = set()
    done = threading.Condition()

    async def mark_settled(update: Update, context) -> None:
        with done:
            settled.add(update.effective_message.message_id)
            done.notify_all()

    bad = ("since:someday What happened?", "lang:fr What happened to the bridge?",
           "since:2025-06-05 until:2025-06-01 What happened?")
    with FakeBotAPI() as api:
        application = build_application(bot_settings(api), open_answerer(settings, stand_in_encoder), k=3)
        application.add_handler(TypeHandler(Update, mark_settled), group=99)
        with BotThread(application, api), caplog.at_level(logging.ERROR, logger="bot.handlers"):
            for chat, text in enumerate(bad, 7101):
                with pytest.raises(FilterError) as reason:
                    parse_inline(text)
                asked = api.message(chat, text)
                with done:
                    assert done.wait_for(lambda: asked["message_id"] in settled, timeout=60)
                calls = [c for c in api.calls(chat_id=chat, ok=None) if c.method != "sendChatAction"]
                assert [(c.method, c.ok, c.reply_to, c.plain) for c in calls] == [
                    ("sendMessage", True, asked["message_id"], render.text("en", "bad_filter", reason=reason.value))]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
