"""Web pages, JSON, JSON lines and RSS/Atom files -> articles; bad records skipped, good ones kept."""

from __future__ import annotations

import json

import pytest
from index.store import local as local_store
from index.articles import scan
from index.build import Builder
from tests.conftest import make_settings

PAGE = """<!doctype html><html lang="ar"><head><meta charset="windows-1256">
<title>Site | ignored</title><meta property="og:title" content="وصول سكرتير مجلس الأمن">
<meta property="article:published_time" content="2025-06-04T10:00:00+03:00">
<meta property="og:site_name" content="Example Times"><link rel="canonical" href="https://ex.com/a/1">
</head><body><nav>الرئيسية | من نحن | اتصل بنا</nav><article><h1>وصول سكرتير مجلس الأمن</h1>
<p>وصل سكرتير مجلس الأمن الروسي إلى بيونغ يانغ يوم الأربعاء لإجراء محادثات حول الشراكة العسكرية بين البلدين.</p>
<p>وأرسلت كوريا الشمالية أكثر من عشرين ألف حاوية ذخيرة إلى روسيا بحسب تقارير استخباراتية دولية.</p>
</article><footer>جميع الحقوق محفوظة</footer></body></html>"""

RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire Service</title>
<language>en-gb</language>
<item><guid>wire-1</guid><title>Library opens</title><link>https://wire.example/1</link>
<description>&lt;p&gt;The floating library opened on &lt;b&gt;Monday&lt;/b&gt; with 4,512 books.&lt;/p&gt;</description>
<pubDate>Mon, 02 Jun 2025 09:00:00 GMT</pubDate></item>
<item><guid>wire-2</guid><title>Empty entry</title></item>
<item><title>Bridge closes</title><link>https://wire.example/3</link><description>The old bridge closes for repairs.</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom News</title>
<entry><id>urn:a:1</id><title>Port reopens</title><link href="https://atom.example/1"/><updated>2025-06-03T08:00:00Z</updated>
<content type="html">&lt;p&gt;The port reopened after the storm.&lt;/p&gt;</content></entry></feed>"""


def write(folder, name, data):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


def by_id(folder):
    result = scan(folder)
    return {a.id: a for a in result.articles}, result.skipped


def test_a_web_page_gives_its_main_text_and_metadata_in_its_declared_charset(tmp_path):
    write(tmp_path, "page.html", PAGE.encode("cp1256"))
    articles, skipped = by_id(tmp_path)
    page = articles["page.html"]
    assert skipped == []
    assert page.title == "وصول سكرتير مجلس الأمن" and "عشرين ألف حاوية" in page.text
    assert "اتصل بنا" not in page.text and "الحقوق محفوظة" not in page.text  # boilerplate dropped
    assert (page.url, page.published, page.source, page.language) == ("https://ex.com/a/1", "2025-06-04", "Example Times", "ar")


def test_a_page_without_main_text_is_skipped_with_the_reason(tmp_path):
    write(tmp_path, "empty.htm", "<html><head><title>Nothing</title></head><body><script>x()</script></body></html>")
    articles, skipped = by_id(tmp_path)
    assert articles == {} and skipped[0].path == "empty.htm" and "without main text" in skipped[0].reason


def test_json_lines_keep_the_good_records_and_name_the_bad_ones_by_line(tmp_path):
    lines = [
        json.dumps({"id": 7, "title": "One", "body": "<p>First <b>story</b>.</p><p>Second paragraph.</p>",
                    "published": "2025-06-04", "source": {"name": "Reuters"}, "lang": "en"}),
        "{not json",
        json.dumps({"url": "https://x.example/2", "text": "Second story without a title."}),
        json.dumps({"title": "No text at all"}),
        "",
        json.dumps(["a", "list"]),
        json.dumps({"title": "Third", "text": "Third story, keyed by its line."}),
        json.dumps({"id": 7, "text": "Same id as the first."}),
    ]
    write(tmp_path, "feed.jsonl", "\n".join(lines))
    articles, skipped = by_id(tmp_path)
    assert sorted(articles) == ["feed.jsonl#7", "feed.jsonl#https://x.example/2", "feed.jsonl#l7"]
    first = articles["feed.jsonl#7"]
    assert first.text == "First story.\n\nSecond paragraph." and (first.source, first.language) == ("Reuters", "en")
    assert articles["feed.jsonl#https://x.example/2"].title == "Second story without a title."
    assert [(s.path, s.line) for s in skipped] == [("feed.jsonl", 2), ("feed.jsonl", 4), ("feed.jsonl", 6), ("feed.jsonl", 8)]
    assert "not valid JSON" in skipped[0].reason and "no text" in skipped[1].reason and "same id" in skipped[3].reason


def test_a_json_object_is_one_article_and_a_list_many(tmp_path):
    write(tmp_path, "one.json", json.dumps({"headline": "Solo", "content": "One article in one object."}))
    write(tmp_path, "many.json", json.dumps([{"text": "First of a list."}, 3, {"link": "https://l/2", "text": "Second."}]))
    write(tmp_path, "broken.json", '{"text": "unfinished"')
    articles, skipped = by_id(tmp_path)
    assert articles["one.json"].title == "Solo"
    assert {"many.json#i1", "many.json#https://l/2"} <= set(articles)
    reasons = {(s.path, s.line): s.reason for s in skipped}
    assert "not an article object" in reasons[("many.json", 2)] and "not valid JSON" in reasons[("broken.json", None)]


def test_rss_and_atom_entries_are_articles_with_the_feed_as_source(tmp_path):
    write(tmp_path, "wire.rss", RSS)
    write(tmp_path, "atom.xml", ATOM)
    write(tmp_path, "notes.xml", "<notes><note>not a feed</note></notes>")
    articles, skipped = by_id(tmp_path)
    first = articles["wire.rss#wire-1"]
    assert first.text == "The floating library opened on Monday with 4,512 books."
    assert (first.source, first.language, first.url) == ("Wire Service", "en", "https://wire.example/1")
    assert "wire.rss#https://wire.example/3" in articles  # no guid: keyed by its link
    assert articles["atom.xml#urn:a:1"].text == "The port reopened after the storm."
    assert [(s.path, s.line) for s in skipped if s.path == "wire.rss"] == [("wire.rss", 2)]
    assert any(s.path == "notes.xml" and "not an RSS or Atom feed" in s.reason for s in skipped)


def test_a_record_id_survives_reordering_and_a_changed_record_changes_its_hash(tmp_path):
    records = [{"id": "a", "text": "Alpha."}, {"id": "b", "text": "Beta."}]
    write(tmp_path, "x.jsonl", "\n".join(json.dumps(r) for r in records))
    before, _ = by_id(tmp_path)
    records[1]["text"] = "Beta, revised."
    write(tmp_path, "x.jsonl", "\n".join(json.dumps(r) for r in reversed(records)))
    after, _ = by_id(tmp_path)
    assert before["x.jsonl#a"].sha256 == after["x.jsonl#a"].sha256
    assert before["x.jsonl#b"].sha256 != after["x.jsonl#b"].sha256


@pytest.fixture
def mixed(tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus, "plain.txt", "---\ntitle: Plain\npublished: 2025-06-01\nsource: Desk\nlanguage: en\n---\nA plain text article.")
    write(corpus, "page.html", PAGE.encode("cp1256"))
    write(corpus, "wire.rss", RSS)
    write(corpus, "atom.xml", ATOM)
    write(corpus, "feed.jsonl", '{"id": 1, "text": "A JSON line about the harbour."}\n{oops\n')
    write(corpus, "one.json", json.dumps({"title": "Obj", "text": "A JSON object about the market."}))
    write(corpus, "scan.pdf", b"%PDF-1.4")
    return make_settings(corpus, tmp_path / "index")


def test_a_mixed_folder_indexes_with_nothing_lost(mixed, encoder):
    stats = Builder(mixed, encoder).run()
    snapshot = local_store.open_snapshot(mixed.index_dir)
    ids = set(snapshot.article_hashes())
    assert ids == {a.id for a in scan(mixed.corpus_dir).articles} and len(ids) == 7 == stats.articles
    assert {(s.path, s.line) for s in stats.skipped} == {("wire.rss", 2), ("feed.jsonl", 2), ("scan.pdf", None)}
    page = snapshot.article("page.html")
    assert (page.language, page.published_at, page.source) == ("ar", "2025-06-04", "Example Times")
    assert snapshot.article("wire.rss#wire-1").published_at == "2025-06-02T09:00:00"
    assert snapshot.article("feed.jsonl#1").language == "en"  # not given: detected
    snapshot.close()


def test_a_record_that_turns_bad_keeps_its_indexed_version(mixed, encoder):
    Builder(mixed, encoder).run()
    write(mixed.corpus_dir, "feed.jsonl", '{"id": 1, "text": \n')  # the good line is damaged too
    stats = Builder(mixed, encoder).run()
    snapshot = local_store.open_snapshot(mixed.index_dir)
    assert "feed.jsonl#1" in snapshot.article_hashes() and stats.removed == 0
    snapshot.close()


HOSTILE_JSON = {
    "deep.json": "[" * 100_000 + "]" * 100_000,  # RecursionError in the decoder
    "deep-objects.json": '{"a":' * 100_000 + "1" + "}" * 100_000,  # cousin: objects, not lists
    "huge-int.json": '{"text": "An article.", "n": ' + "1" * 5000 + "}",  # ValueError: int digits limit
}


def test_hostile_json_skips_that_file_or_line_with_its_reason_and_indexes_the_rest(tmp_path):
    for name, data in HOSTILE_JSON.items():
        write(tmp_path, name, data)
    lines = [
        json.dumps({"id": "a", "text": "First good record."}),
        "[" * 100_000,
        '{"text": "x", "n": ' + "9" * 4301 + "}",
        '{"id": "b", "text": "Inf and NaN are read, not fatal.", "published": 1e999, "source": NaN}',  # cousin
        json.dumps({"id": "c", "text": "Last good record."}),
    ]
    write(tmp_path, "mixed.jsonl", "\n".join(lines))
    write(tmp_path, "ok.txt", "A plain article\n\nIts text.")
    articles, skipped = by_id(tmp_path)
    assert sorted(articles) == ["mixed.jsonl#a", "mixed.jsonl#b", "mixed.jsonl#c", "ok.txt"]
    reasons = {(s.path, s.line): s.reason for s in skipped}
    assert reasons[("deep.json", None)] == reasons[("deep-objects.json", None)] == "not valid JSON (nested too deeply)"
    assert "4300 digits" in reasons[("huge-int.json", None)] and "set_int_max_str_digits" not in reasons[("huge-int.json", None)]
    assert reasons[("mixed.jsonl", 2)] == "line 2: not valid JSON (nested too deeply)"
    assert "4300 digits" in reasons[("mixed.jsonl", 3)]
    assert len(skipped) == 5
    assert (articles["mixed.jsonl#b"].published, articles["mixed.jsonl#b"].source) == ("", "")


def test_an_article_id_two_files_give_is_reported_and_the_rest_indexed(tmp_path, stand_in_encoder):
    """A file named ``a.jsonl#x.md`` beside the record ``x.md`` of ``a.jsonl`` failed the build with
    "UNIQUE constraint failed". Cousin: a record of another file (``a.jsonl#b.jsonl`` record ``c``
    against ``a.jsonl`` record ``b.jsonl#c``). The first file in id order keeps the id."""
    corpus = tmp_path / "corpus"
    records = [{"id": "x.md", "text": "The record about the harbour."}, {"id": "b.jsonl#c", "text": "The record about rain."},
               {"id": "y", "text": "A record with its own id."}]
    write(corpus, "a.jsonl", "\n".join(json.dumps(r) for r in records))
    write(corpus, "a.jsonl#x.md", "A file\n\nThe file that takes the record's id.")
    write(corpus, "a.jsonl#b.jsonl", json.dumps({"id": "c", "text": "Another file's record with the same id."}))
    write(corpus, "z.txt", "Last\n\nAn article after them all.")
    settings = make_settings(corpus, tmp_path / "index")
    for _ in range(2):  # the same one is kept on every run
        stats = Builder(settings, stand_in_encoder).run()
        snapshot = local_store.open_snapshot(settings.index_dir)
        assert set(snapshot.article_hashes()) == {"a.jsonl#x.md", "a.jsonl#b.jsonl#c", "a.jsonl#y", "z.txt"}
        assert "harbour" in snapshot.article("a.jsonl#x.md").text and "rain" in snapshot.article("a.jsonl#b.jsonl#c").text
        snapshot.close()
        reasons = {s.path: s.reason for s in stats.skipped}
        assert set(reasons) == {"a.jsonl#x.md", "a.jsonl#b.jsonl"}
        assert reasons["a.jsonl#x.md"] == (
            "article id a.jsonl#x.md is also given by a.jsonl, which is indexed instead (rename one of them)"
        )


def test_a_big_article_is_announced_with_what_it_will_cost(tmp_path, stand_in_encoder, caplog):
    """A 9.6 MB page indexed for minutes said nothing (issue 24, item 11): an article over 1 MB of
    text is named with its size and passages before its embedding starts; a small one is not."""
    import logging

    paragraphs = "".join(f"<p>Item {n}: the council debated the harbour budget line by line until late.</p>\n"
                         for n in range(14_000))
    write(tmp_path / "corpus", "big.html", f"<html><body><article>{paragraphs}</article></body></html>")
    write(tmp_path / "corpus", "small.txt", "Small\n\nA small article.")
    with caplog.at_level(logging.WARNING, logger="index.build"):
        Builder(make_settings(tmp_path / "corpus", tmp_path / "index"), stand_in_encoder).run()
    [said] = [r.getMessage() for r in caplog.records if r.name == "index.build"]
    assert said.startswith("big.html holds 1.1 MB of text (") and "passages): embedding it takes about" in said


WRAPPED = """---
title: Jeddah port reopens after the storm
published: 3 June 2025
---
The port of Jeddah reopened on Tuesday after three days of closure. Officials said
140 ships had waited offshore during the storm.

## Backlog
- 2,300 containers were unloaded
  on the first day.

Next steps
The port authority said the backlog would be cleared within a week, and that the
berths would stay open at night.
قالت المؤسسة العامة للموانئ في جدة يوم الخميس إن السفن التي انتظرت قبالة الميناء خلال العاصفة بدأت
تفريغ حمولتها.
"""


def test_a_markdown_paragraph_wrapped_at_a_width_reads_as_its_sentences_and_a_text_file_keeps_its_lines(tmp_path):
    """Markdown's soft line break is a space: the sentence that answers is whole, not cut at the
    wrap; headings and list items keep their lines. A .txt file's lines are its paragraphs."""
    (tmp_path / "port.md").write_text(WRAPPED, encoding="utf-8")
    (tmp_path / "port.txt").write_text(WRAPPED.split("---\n", 2)[2], encoding="utf-8")
    articles = {a.id: a for a in scan(tmp_path).articles}
    assert "Officials said 140 ships had waited offshore during the storm." in articles["port.md"].text
    assert "\n\n## Backlog\n- 2,300 containers were unloaded\n  on the first day." in articles["port.md"].text
    assert "\n\nNext steps\nThe port authority said" in articles["port.md"].text  # a subheading stays a line
    assert "and that the berths would stay open at night." in articles["port.md"].text  # runs on in lower case
    assert "العاصفة بدأت تفريغ حمولتها." in articles["port.md"].text  # a line of more than 16 words runs on
    assert "Officials said\n140 ships" in articles["port.txt"].text
    assert articles["port.md"].title == "Jeddah port reopens after the storm"


def test_the_first_line_of_a_markdown_file_without_front_matter_stays_its_title(tmp_path):
    (tmp_path / "port.md").write_text("Jeddah port reopens\nThe port reopened on Tuesday after a\nstorm.\n",
                                      encoding="utf-8")
    article = scan(tmp_path).articles[0]
    assert article.title == "Jeddah port reopens"
    assert article.text.splitlines()[1] == "The port reopened on Tuesday after a storm."


def test_the_sentence_that_answers_a_wrapped_markdown_article_is_whole_and_read(tmp_path, encoder):
    """Cut at the wrap, "The port of Jeddah reopened on Tuesday ... Officials said" read as a
    heading and could not answer "when"; joined, it answers, and the count's sentence is whole."""
    from index.extract import extract
    from index.service import open_answerer

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "port.md").write_text(WRAPPED, encoding="utf-8")
    settings = make_settings(corpus, tmp_path / "index")
    Builder(settings, encoder).run()
    answerer = open_answerer(settings, encoder)
    when = answerer.ask("When did the port of Jeddah reopen?", k=1)
    assert when.passages[0].sentence == "The port of Jeddah reopened on Tuesday after three days of closure."
    assert extract(when).text == "Tuesday"
    ships = answerer.ask("How many ships waited offshore?", k=1)
    assert ships.passages[0].sentence == "Officials said 140 ships had waited offshore during the storm."


def test_a_wrapped_line_and_a_heading_are_told_apart_by_the_same_length():
    from index import sentences
    from index.formats import plain

    assert plain._HEADING_MAX_WORDS == sentences.HEADING_MAX_WORDS
