"""`rawi retract` (issue 25, item 1): an article taken out of the index and the corpus folder for
good, its file kept aside, its identity recorded so that no feed brings it back; listed; undone.
Bad input is one line and a non-zero exit, and changes nothing.

Real files, the real index (the stand-in encoder where meaning does not matter), a real loopback
news site, and the real `rawi` executable."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from index.articles import read_file, scan
from index.build import Builder
from index.feeds import FeedSettings, Fetcher
from index.listing import indexed_articles
from index.retraction import RETRACT_DIR, Article, RetractionError, records, restore, retract, target, text_hash
from index.store import open_backend
from tests.conftest import make_settings
from tests.feedsite import Site, html, xml
from tests.reindex_helpers import RAWI

ARTICLES = {
    "gulf/story.md": "---\ntitle: Jeddah port reopens\nurl: https://gulf.example/port\n---\n"
                     "The port of Jeddah reopened on Tuesday after three days of closure.\n",
    "levant/story.md": "---\ntitle: Grain ship reaches Beirut\n---\nA ship carrying wheat reached Beirut on Wednesday.\n",
    "oil.txt": "Oil exports rise\n\nSaudi oil exports rose by four percent in May.\n",
    "wire.jsonl": '{"id": "a", "title": "Tram opens", "text": "The tram line opened in Tunis."}\n'
                  '{"id": "b", "title": "Bridge closes", "text": "The old bridge closed for repairs."}\n',
}


@pytest.fixture
def work(tmp_path, stand_in_encoder):
    corpus = tmp_path / "corpus"
    for name, text in ARTICLES.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text, encoding="utf-8")
    settings = make_settings(corpus, tmp_path / "index")
    Builder(settings, stand_in_encoder).run()
    return tmp_path


def ids(work) -> list[str]:
    return sorted(row.id for row in indexed_articles(open_backend(make_settings(work / "corpus", work / "index"))))


def retract_by_hand(work, name: str):
    """What `rawi retract` does before it re-indexes: find the file, move it aside, record it."""
    corpus = work / "corpus"
    file, found = target(corpus, ids(work), name, work)
    articles = [Article(a.id, a.title, a.url, a.text) for a in read_file(corpus / file, file).articles]
    assert sorted(a.id for a in articles) == found
    return retract(corpus, file, articles)


def rawi(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "RAWI_CONFIG"}
    return subprocess.run([str(RAWI), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def files(work) -> dict[str, bytes]:
    """Every file under the corpus and index folders, with its bytes."""
    return {str(p.relative_to(work)): p.read_bytes() for p in sorted(work.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ retract, list, undo


def test_a_retracted_article_leaves_the_corpus_and_the_index_and_its_file_is_kept(work, stand_in_encoder):
    original = (work / "corpus" / "gulf/story.md").read_bytes()
    record = retract_by_hand(work, "gulf/story.md")
    assert not (work / "corpus" / "gulf/story.md").exists()
    assert (work / "corpus" / record.kept).read_bytes() == original and record.kept.startswith(f"{RETRACT_DIR}/files/")
    assert (record.file, record.ids, record.titles, record.links) == (
        "gulf/story.md", ["gulf/story.md"], ["Jeddah port reopens"], ["https://gulf.example/port"])
    assert record.hashes == [text_hash("The port of Jeddah reopened on Tuesday after three days of closure.")]
    settings = make_settings(work / "corpus", work / "index")
    stats = Builder(settings, stand_in_encoder).run()
    assert stats.removed == 1 and "gulf/story.md" not in ids(work) and stats.skipped == []  # the hidden folder is not read
    restore(work / "corpus", "gulf/story.md")
    assert (work / "corpus" / "gulf/story.md").read_bytes() == original and records(work / "corpus") == []
    assert Builder(settings, stand_in_encoder).run().added == 1 and "gulf/story.md" in ids(work)


def test_a_file_of_several_articles_is_retracted_whole_by_its_name_not_by_one_record(work):
    with pytest.raises(RetractionError, match=r"wire.jsonl#a is one of the 2 articles of wire.jsonl: retract the whole"):
        target(work / "corpus", ids(work), "wire.jsonl#a", work)
    record = retract_by_hand(work, "wire.jsonl")
    assert record.ids == ["wire.jsonl#a", "wire.jsonl#b"] and len(record.hashes) == 2


def test_an_article_is_named_by_its_id_its_path_or_the_end_of_its_id(work):
    corpus = work / "corpus"
    assert target(corpus, ids(work), "oil.txt", work) == ("oil.txt", ["oil.txt"])
    assert target(corpus, ids(work), "corpus/gulf/story.md", work) == ("gulf/story.md", ["gulf/story.md"])  # from cwd
    assert target(corpus, ids(work), str(corpus / "levant/story.md"), work)[0] == "levant/story.md"
    assert target(corpus, ids(work), "wire.jsonl", work) == ("wire.jsonl", ["wire.jsonl#a", "wire.jsonl#b"])


@pytest.mark.parametrize("args, code, message", [
    (["nowhere.md"], 1, "Error: no article 'nowhere.md' in the index or the corpus folder"),
    (["story.md"], 1, "Error: 'story.md' may be any of 2 articles (gulf/story.md, levant/story.md): give the whole id"),
    (["wire.jsonl#a"], 1, "Error: wire.jsonl#a is one of the 2 articles of wire.jsonl: retract the whole file"),
    (["outside.txt"], 1, "Error: outside.txt is not an article of the corpus folder"),
    (["--undo", "oil.txt"], 1, "Error: no retracted article 'oil.txt' (see `rawi retract --list`)"),
    ([], 2, "Error: name the article to retract"),
    (["--list", "oil.txt"], 2, "Error: --list takes no NAME"),
])
def test_bad_input_is_one_line_a_non_zero_exit_and_changes_nothing(work, args, code, message):
    (work / "outside.txt").write_text("Not an article of the corpus.\n", encoding="utf-8")
    before = files(work)
    result = rawi("retract", "--corpus", "corpus", "--index", "index", *args, cwd=work)
    assert result.returncode == code and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(message), result.stderr
    assert files(work) == before


def test_an_index_of_another_corpus_folder_is_refused_before_anything_moves(work):
    """`rawi index --corpus ~/my-news`, then `rawi retract` without --corpus: the config's folder
    (seeds/) is not the index's. Re-indexing it would drop every article: refused, nothing changes."""
    (work / "seeds").mkdir()
    (work / "seeds" / "other.txt").write_text("Another corpus\n\nIts only article.\n", encoding="utf-8")
    before = files(work)
    result = rawi("retract", "--corpus", "seeds", "--index", "index", "oil.txt", cwd=work)
    assert result.returncode == 1 and result.stdout == "" and result.stderr == (
        "Error: oil.txt is indexed but oil.txt is not in the corpus folder seeds: name the folder the index was "
        "built from (--corpus, as for `rawi index`)\n")
    assert files(work) == before and "oil.txt" in ids(work)


def test_retract_list_names_each_retracted_file(work):
    assert rawi("retract", "--corpus", "corpus", "--list", cwd=work).stdout.startswith("no retracted articles in")
    retract_by_hand(work, "gulf/story.md")
    result = rawi("retract", "--corpus", "corpus", "--list", cwd=work)
    assert result.returncode == 0
    assert "gulf/story.md  Jeddah port reopens <https://gulf.example/port>" in result.stdout
    listed = json.loads(rawi("retract", "--corpus", "corpus", "--list", "--json", cwd=work).stdout)
    assert listed["count"] == 1 and listed["retracted"][0]["ids"] == ["gulf/story.md"]


def test_a_damaged_list_of_retractions_is_one_line_and_nothing_moves(work):
    (work / "corpus" / RETRACT_DIR).mkdir()
    (work / "corpus" / RETRACT_DIR / "retracted.json").write_text("[{not json", encoding="utf-8")
    before = files(work)
    result = rawi("retract", "--corpus", "corpus", "--index", "index", "oil.txt", cwd=work)
    assert result.returncode == 1 and result.stderr.startswith("Error: cannot read the list of retracted articles")
    assert files(work) == before


# ------------------------------------------------------------------ no feed brings it back


def page(title: str, body: str) -> bytes:
    return (f'<html lang="en"><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{body}</p>'
            "<p>Officials said the full report will be published next month.</p></article></body></html>").encode()


def feed(items: list[tuple[str, str]], title: str = "Wire - Latest") -> bytes:
    entries = "".join(f"<item><title>{t}</title><link>{link}</link></item>" for t, link in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>{entries}</channel></rss>'.encode()


def fetch(site: Site, corpus):
    settings = FeedSettings(urls=[site.base + "/feed.xml"], timeout_seconds=2.0, host_delay_seconds=0.0)
    return Fetcher(settings, corpus, report=lambda message: None).run()


def test_a_retracted_article_is_never_fetched_again_even_when_the_feed_changes(work, stand_in_encoder):
    corpus = work / "corpus"
    with Site() as site:
        wrong = page("Minister resigns", "The minister resigned on Monday, the agency wrongly reported.")
        site.routes["/feed.xml"] = xml(feed([("Minister resigns", site.base + "/wrong")]))
        site.routes["/wrong"] = html(wrong)
        [written] = fetch(site, corpus).written
        Builder(make_settings(corpus, work / "index"), stand_in_encoder).run()
        retract_by_hand(work, written)
        site.requests.clear()
        again = fetch(site, corpus)  # the feed still lists it: not even requested
        assert again.written == [] and "/wrong" not in site.requests
        assert again.skipped == [(site.base + "/wrong", "retracted (`rawi retract --undo` takes it back)")]
        site.routes["/feed.xml"] = xml(feed([("Minister resigns (updated)", site.base + "/wrong?ref=rss")],
                                            title="Another title"))
        site.routes["/wrong?ref=rss"] = html(wrong)  # the same page under another link and title
        moved = fetch(site, corpus)
        assert moved.written == [] and "retracted" in moved.skipped[0][1]
        site.requests.clear()
        assert fetch(site, corpus).written == [] and site.requests == ["/feed.xml"]  # remembered: not requested again
    assert [a.id for a in scan(corpus).articles if "feeds/" in a.id] == []


def test_rawi_fetch_with_a_damaged_list_of_retractions_stops_with_one_line(work):
    (work / "corpus" / RETRACT_DIR).mkdir()
    (work / "corpus" / RETRACT_DIR / "retracted.json").write_text("{}", encoding="utf-8")
    with Site() as site:
        site.routes["/feed.xml"] = xml(feed([("Story", site.base + "/s")]))
        site.routes["/s"] = html(page("Story", "A story that must not be written while the list is unreadable."))
        (work / "config.toml").write_text(f'[corpus]\ndir = "corpus"\n[feeds]\nurls = ["{site.base}/feed.xml"]\n'
                                          "host_delay_seconds = 0.0\n", encoding="utf-8")
        result = rawi("fetch", cwd=work)
    assert result.returncode == 1 and result.stderr.startswith("Error: the list of retracted articles")
    assert "Traceback" not in result.stderr and not (work / "corpus" / "feeds").exists()


# ------------------------------------------------------------------ the command, end to end (the real model)


@pytest.mark.slow
def test_rawi_retract_updates_the_index_and_undo_brings_the_article_back(tmp_path):
    corpus = tmp_path / "corpus"
    for name, text in ARTICLES.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text, encoding="utf-8")
    assert rawi("index", "--corpus", "corpus", "--index", "index", cwd=tmp_path).returncode == 0
    listed = lambda: [a["id"] for a in json.loads(rawi("articles", "--index", "index", "--json", cwd=tmp_path).stdout)["articles"]]  # noqa: E731
    assert "gulf/story.md" in listed()
    result = rawi("retract", "--corpus", "corpus", "--index", "index", "gulf/story.md", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.strip().splitlines()
    assert first == ("retracted gulf/story.md (Jeddah port reopens): kept in .rawi-retracted/files/gulf/story.md; "
                     "`rawi retract --undo gulf/story.md` takes it back")
    assert "removed 1" in second and "gulf/story.md" not in listed()
    undone = rawi("retract", "--corpus", "corpus", "--index", "index", "--undo", "gulf/story.md", cwd=tmp_path)
    assert undone.returncode == 0, undone.stderr
    assert undone.stdout.startswith("restored gulf/story.md (Jeddah port reopens)\n") and "added 1" in undone.stdout
    assert "gulf/story.md" in listed() and (corpus / "gulf/story.md").read_text(encoding="utf-8") == ARTICLES["gulf/story.md"]
