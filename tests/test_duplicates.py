"""Syndicated copies: grouped at index time, the earliest copy cited, the others listed."""

from __future__ import annotations

import json
import sqlite3
import subprocess

import pytest

from index import duplicates
from index.store import local as local_store
from index.store.local import copies as sketches
from index.build import Builder
from index.service import open_answerer
from tests.conftest import MODEL_CACHE, make_settings
from tests.reindex_helpers import RAWI

STORY = (
    "The harbour of Varna reopened on Monday after the storm damaged three of its piers. "
    "Port officials said 42 ships had waited offshore during the closure. "
    "Repairs to the northern pier will take another two months, the harbour master said. "
    "Fishermen welcomed the decision but asked for compensation for the lost week."
)
OTHER = (
    "The harbour of Varna will host a sailing regatta in September, the city council announced. "
    "Forty crews from six countries have registered for the race along the coast. "
    "The council said the northern pier would be ready for spectators by then."
)


def near_copy(text: str) -> str:
    """A second agency's take: a byline, two sentences swapped, an agency tag."""
    s = text.split(". ")
    s[1], s[2] = s[2], s[1]
    return "By Omar Haddad, AFP\n\n" + ". ".join(s) + "\n\n(Reporting by Omar Haddad; Editing by Sarah Klein)"


@pytest.fixture(scope="module")
def copies(tmp_path_factory, encoder):
    base = tmp_path_factory.mktemp("copies")
    corpus = base / "corpus"
    corpus.mkdir()
    records = [
        {"id": "late-exact", "title": "Varna port open again", "text": STORY, "published": "2025-06-03", "source": "Daily Echo"},
        {"id": "original", "title": "Varna harbour reopens", "text": STORY, "published": "2025-06-02", "source": "Reuters"},
        {"id": "near", "title": "Storm-hit Varna port reopens", "text": near_copy(STORY), "published": "2025-06-02T18:00", "source": "AFP"},
        {"id": "regatta", "title": "Regatta in Varna", "text": OTHER, "published": "2025-06-04", "source": "Reuters"},
    ]
    (corpus / "wire.jsonl").write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    settings = make_settings(corpus, base / "index")
    stats = Builder(settings, encoder).run()
    return settings, stats


def test_exact_and_near_copies_form_one_group_named_by_the_earliest(copies):
    settings, stats = copies
    assert stats.groups == 1
    snapshot = local_store.open_snapshot(settings.index_dir)
    groups = {i: snapshot.article(f"wire.jsonl#{i}").group_id for i in ("late-exact", "original", "near", "regatta")}
    snapshot.close()
    assert groups == {"late-exact": "wire.jsonl#original", "original": "wire.jsonl#original",
                      "near": "wire.jsonl#original", "regatta": ""}


def test_the_answer_cites_the_original_and_lists_the_copies(copies, encoder):
    settings, _ = copies
    answer = open_answerer(settings, encoder).ask("How many ships waited offshore while the Varna harbour was closed?", k=3)
    first = answer.passages[0]
    assert first.article_id == "wire.jsonl#original" and first.source == "Reuters"
    assert sorted(source for source, _, _ in first.also_in) == ["AFP", "Daily Echo"]
    assert [p.article_id for p in answer.passages].count("wire.jsonl#near") == 0  # not cited again as [2]


def test_removing_the_original_regroups_under_the_next_earliest(copies, encoder, tmp_path):
    import shutil

    settings, _ = copies
    corpus = tmp_path / "corpus"
    shutil.copytree(settings.corpus_dir, corpus)
    lines = [line for line in (corpus / "wire.jsonl").read_text(encoding="utf-8").splitlines() if '"original"' not in line]
    (corpus / "wire.jsonl").write_text("\n".join(lines), encoding="utf-8")
    moved = make_settings(corpus, tmp_path / "index")
    shutil.copytree(settings.index_dir, moved.index_dir)
    stats = Builder(moved, encoder).run()
    assert stats.removed == 1 and stats.groups == 1
    snapshot = local_store.open_snapshot(moved.index_dir)
    assert snapshot.article("wire.jsonl#late-exact").group_id == "wire.jsonl#near"  # 2 June 18:00 < 3 June
    snapshot.close()


def test_rawi_index_json_counts_the_groups(copies, tmp_path):
    settings, _ = copies
    config = tmp_path / "config.toml"
    config.write_text(f'[corpus]\ndir = "{settings.corpus_dir}"\n[index]\ndir = "{settings.index_dir}"\n'
                      f'[encoder]\ncache_dir = "{MODEL_CACHE}"\n', encoding="utf-8")
    result = subprocess.run([str(RAWI), "--config", str(config), "index", "--json"], capture_output=True, text=True, timeout=300)
    assert json.loads(result.stdout.splitlines()[-1])["groups"] == 1


def test_grouping_is_precise_and_complete_on_the_measured_set():
    """The measured set of bench/bench_duplicates.py (XQuAD dev copies vs same-subject paragraphs)."""
    import sys

    from tests.conftest import ROOT

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import bench_duplicates as bench
    finally:
        sys.path.pop(0)
    positives, negatives = bench.pairs(seed=0)
    db = sqlite3.connect(":memory:")
    db.executescript(local_store.SCHEMA)
    texts = {}
    for a, b in positives + negatives:
        for text in (a, b):
            texts.setdefault(text, f"t{len(texts)}")
    db.executemany("INSERT INTO articles (id, title, url, published, source, sha256, text, indexed_at) "
                   "VALUES (?, '', '', '', '', '', ?, 0)", [(i, t) for t, i in texts.items()])
    sketches.add(db, [(i, t) for t, i in texts.items()])
    sketches.regroup(db)
    group = dict(db.execute("SELECT id, group_id FROM articles").fetchall())
    same = lambda a, b: group[texts[a]] != "" and group[texts[a]] == group[texts[b]]  # noqa: E731
    tp = sum(same(a, b) for a, b in positives)
    fp = sum(same(a, b) for a, b in negatives)
    assert tp / len(positives) >= 0.95 and tp / (tp + fp) >= 0.95


PORT = ("About {n} containers were held up at the port of Jebel Ali on Tuesday after a customs system failed, "
        "the port authority said. Shipping lines warned that delays could last several days. The authority said "
        "engineers were working to restore the system and that perishable goods would be cleared first. Traders "
        "said the backlog would push up freight costs in the coming weeks.")
PORT_AR = ("احتجزت {n} حاوية في ميناء جبل علي يوم الثلاثاء بعد تعطل نظام الجمارك، بحسب سلطة الميناء. وحذرت شركات "
           "الشحن من أن التأخير قد يستمر عدة أيام. وقالت السلطة إن المهندسين يعملون على إصلاح النظام وإن البضائع "
           "القابلة للتلف ستخلص أولا. وقال تجار إن التكدس سيرفع تكاليف الشحن في الأسابيع المقبلة.")
QUAKE = ("A magnitude {m} earthquake struck near the town of {town} on {day}, the national seismological centre "
         "said. The quake hit at a depth of 10 kilometres. There were no immediate reports of casualties or damage, "
         "and residents said the shaking lasted a few seconds. Aftershocks are possible in the coming days, the "
         "centre said, urging people to stay away from damaged buildings.")
DISAGREEING = [  # (id, source, published, text): each pair is as similar as copies, but states other facts
    ("port-fake", "Gulf Echo", "2025-06-01", PORT.format(n="12,000")),  # back-dated, the figure tampered
    ("port", "Reuters", "2025-06-02", PORT.format(n="1,200")),
    ("port-ar-fake", "صدى الخليج", "2025-06-01", PORT_AR.format(n="12 ألف")),
    ("port-ar", "رويترز", "2025-06-02", PORT_AR.format(n="1200")),
    ("alpha", "Quake Wire", "2025-06-01", QUAKE.format(m="5.1", town="Alpha", day="Sunday")),
    ("beta", "Quake Wire", "2025-06-03", QUAKE.format(m="6.3", town="Beta", day="Tuesday")),
    ("gamma", "Quake Wire", "2025-06-05", QUAKE.format(m="5.1", town="Gamma", day="Sunday")),  # only the town differs
    ("alpha-copy", "Daily Echo", "2025-06-02", "By Omar Haddad, AFP\n\n" + QUAKE.format(m="5.1", town="Alpha", day="Sunday")
     + "\n\n(Reporting by Omar Haddad; Editing by Sarah Klein)"),  # a copy that agrees: grouped
]


def regrouped(records) -> dict[str, str]:
    db = sqlite3.connect(":memory:")
    db.executescript(local_store.SCHEMA)
    db.executemany("INSERT INTO articles (id, title, url, published, source, sha256, text, indexed_at, published_at) "
                   "VALUES (?, '', '', ?, ?, '', ?, 0, ?)", [(i, p, s, t, p) for i, s, p, t in records])
    sketches.add(db, [(i, t) for i, _, _, t in records])
    sketches.regroup(db)
    return dict(db.execute("SELECT id, group_id FROM articles").fetchall())


def test_similar_texts_that_state_other_numbers_or_names_are_not_copies():
    texts = {i: t for i, _, _, t in DISAGREEING}
    for a, b in (("port", "port-fake"), ("port-ar", "port-ar-fake"), ("alpha", "beta"), ("alpha", "gamma")):
        sa, sb = duplicates.signature(texts[a]), duplicates.signature(texts[b])
        assert duplicates.similarity(sa, sb) >= duplicates.THRESHOLD + 0.2  # similar by a margin: facts decide
    assert regrouped(DISAGREEING) == {i: "alpha" if i in ("alpha", "alpha-copy") else "" for i, _, _, _ in DISAGREEING}


@pytest.fixture(scope="module")
def disagreeing(tmp_path_factory, encoder):
    base = tmp_path_factory.mktemp("disagreeing")
    corpus = base / "corpus"
    corpus.mkdir()
    records = [{"id": i, "title": f"{source} report", "text": text, "published": published, "source": source}
               for i, source, published, text in DISAGREEING]
    (corpus / "wire.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    settings = make_settings(corpus, base / "index")
    stats = Builder(settings, encoder).run()
    return open_answerer(settings, encoder), stats


@pytest.mark.parametrize(
    ("question", "holder", "figure"),
    [
        ("How many containers were held up at the port of Jebel Ali?", "port", "1,200"),
        ("كم حاوية احتجزت في ميناء جبل علي؟", "port-ar", "1200"),
        ("How strong was the earthquake near Beta?", "beta", "6.3"),
        ("How strong was the earthquake near Gamma?", "gamma", "5.1"),
    ],
)
def test_an_outlets_figure_is_cited_from_its_own_article_never_credited_to_another(disagreeing, question, holder, figure):
    answerer, stats = disagreeing
    assert stats.groups == 1  # only the copy that agrees
    answer = answerer.ask(question, k=5)
    cited = {p.article_id: p for p in answer.passages}
    assert f"wire.jsonl#{holder}" in cited and figure in cited[f"wire.jsonl#{holder}"].text
    for passage in answer.passages:  # "also in" lists only copies stating the same facts
        assert {source for source, _, _ in passage.also_in} <= ({"Daily Echo"} if passage.article_id.endswith("#alpha") else set())
