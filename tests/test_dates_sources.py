"""Dates as outlets write them, sources as names, dates that lie, and the calendar's edges
(issue 22 items 2, 3 and 6; issue 24 item 12). A real index of real files, built with the
stand-in encoder: what is tested here is which articles a filter, a source or a time word keeps,
not what a passage means."""

from __future__ import annotations

import json
import subprocess
from datetime import date

import pytest

from index.build import Builder
from index.filters import make_filter, parse_inline
from index.published import sortable
from index.recency import read_time, window
from index.service import open_answerer
from tests.reindex_helpers import RAWI

CLOCK = date(2026, 11, 27)  # the "real" day of these tests: injected, never the machine's

# id: (published as written, source, text)
ARTICLES = {
    "russia": ("24/11/2026", "Russia Today", "Floods hit the south of Russia after heavy rain, officials said."),
    "sharq": ("25 نوفمبر 2026", "الشرق اليوم", "اجتاحت السيول أحياء جدة بعد أمطار غزيرة وأغلقت الطرق."),
    "usa": ("November 26, 2026", "USA Today", "Floods closed highways in Texas after a night of storms."),
    "okaz": ("2026-11-26", "عكاظ", "أعلن الدفاع المدني إجلاء مئات الأسر من أحياء جدة."),
    "masry": ("٢٢ نوفمبر ٢٠٢٦", "المصري اليوم", "افتتح خط المترو الرابع في القاهرة أمام الركاب."),
    "youm7": ("20 تشرين الثاني 2026", "اليوم السابع", "ارتفعت أسعار الذهب في الأسواق المصرية."),
    "reuters": ("2026-11-23", "Reuters", "The port authority said about 1,200 containers were held up at the port."),
    "lookalike": ("2026-11-25", "Reu\u200bters", "The port authority said ships waited three days to unload cargo at the docks."),
    "future": ("2031-01-05", "Gulf Wire", "Officials opened a new desalination plant on the coast."),
    "hugo": ("Mon, 01 Jan 0001 00:00:00 +0000", "Blog", "A note on the history of the old harbour."),
    "zero": ("0001-01-01T00:00:00Z", "Blog", "Another note on the lighthouse of the old harbour."),
    "vague": ("sometime last week", "Blog", "A note on the fishing boats of the old harbour."),
}


def write_corpus(folder) -> None:
    folder.mkdir()
    for name, (published, source, text) in ARTICLES.items():
        (folder / f"{name}.md").write_text(
            f"---\ntitle: {name}\npublished: {published}\nsource: {source}\n---\n{text}\n", encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory, stand_in_encoder):
    from tests.conftest import make_settings

    base = tmp_path_factory.mktemp("dates")
    write_corpus(base / "corpus")
    settings = make_settings(base / "corpus", base / "index")
    stats = Builder(settings, stand_in_encoder).run()
    return settings, stats


@pytest.fixture(scope="module")
def answerer(built, stand_in_encoder):
    found = open_answerer(built[0], stand_in_encoder)
    found.clock = lambda: CLOCK
    return found


def ids(answer) -> set[str]:
    return {p.article_id.removesuffix(".md") for p in answer.passages}


# ------------------------------------------------------------------ A. dates as outlets write them


@pytest.mark.parametrize(("written", "read"), [
    ("24/11/2026", "2026-11-24"), ("25 نوفمبر 2026", "2026-11-25"), ("November 26, 2026", "2026-11-26"),
    ("24-11-2026", "2026-11-24"), ("26 Nov 2026", "2026-11-26"), ("٢٥ نوفمبر ٢٠٢٦", "2026-11-25"),
    ("۲۵ نوفمبر ۲۰۲۶", "2026-11-25"), ("3 كانون الأول 2026", "2026-12-03"), ("15 شباط 2025", "2025-02-15"),
    ("2 آذار 2025", "2025-03-02"), ("١٢ تشرين الثاني ٢٠٢٦", "2026-11-12"),
    # cousins: another separator, an ordinal, a Levantine/Egyptian pair, a weekday, a Maghrebi name
    ("24.11.2026", "2026-11-24"), ("26th of November, 2026", "2026-11-26"),
    ("الخميس 3 كانون الأول/ديسمبر 2026", "2026-12-03"), ("الأحد، 25 نوفمبر 2026 - 10:30 ص", "2026-11-25"),
    ("5 جوان 2026", "2026-06-05"), ("26-Nov-2026", "2026-11-26"),
    # the fast paths kept as they were, in the publisher's wall time
    ("Thu, 26 Nov 2026 23:04:00 +0300", "2026-11-26T23:04:00"), ("2025-06-04T10:30:00+03:00", "2025-06-04T10:30:00"),
    ("2025/06/04", "2025-06-04"),
])
def test_publication_dates_are_read_as_outlets_write_them(written, read):
    assert sortable(written) == read


@pytest.mark.parametrize("written", [
    "Mon, 01 Jan 0001 00:00:00 +0000", "0001-01-01T00:00:00Z", "1899-12-31", "Fri, 31 Dec 9999 23:59:59 GMT",
    "today", "yesterday", "منذ يومين", "in 2 days", "November 2026", "Nov 26", "32/01/2026", "sometime last week",
    "2026", "1700000000", "x" * 5000,
])
def test_a_date_that_cannot_be_read_is_never_guessed(written):
    assert sortable(written) == ""


def test_dateparser_is_loaded_only_for_the_shapes_the_fast_paths_miss():
    code = (
        "import sys; from index.published import sortable\n"
        "fast = ['24/11/2026', '25 نوفمبر 2026', 'November 26, 2026', 'Mon, 01 Jan 0001 00:00:00 +0000', "
        "'0001-01-01T00:00:00Z', 'sometime last week', '3 كانون الأول 2026']\n"
        "[sortable(v) for v in fast]\nassert 'dateparser' not in sys.modules\n"
        "assert sortable('26-Nov-2026') == '2026-11-26' and 'dateparser' in sys.modules\n"
    )
    run = subprocess.run([str(RAWI.parent / "python"), "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_since_keeps_the_three_date_shapes_that_were_dropped(answerer):
    kept = ids(answerer.ask("Which floods hit?", k=12, where=make_filter(since="2026-11-20")))
    assert {"russia", "sharq", "usa"} <= kept
    assert not kept & {"hugo", "zero", "vague"}  # undated: no date filter finds them


def test_indexing_reports_every_date_it_cannot_read(built, stand_in_encoder):
    settings, stats = built
    assert [(u.article, u.published) for u in stats.undated] == [
        ("hugo.md", ARTICLES["hugo"][0]), ("vague.md", ARTICLES["vague"][0]), ("zero.md", ARTICLES["zero"][0])]
    again = Builder(settings, stand_in_encoder).run()  # nothing changed: still reported, from the index
    assert [u.article for u in again.undated] == ["hugo.md", "vague.md", "zero.md"]
    assert again.to_json()["undated"][0] == {"article": "hugo.md", "published": ARTICLES["hugo"][0]}


def test_json_dates_are_iso_and_people_see_one_readable_form(answerer):
    from bot import render
    from rawi.render import answer_json, render_answer

    answer = answerer.ask("Which floods closed highways in Texas?", k=1, where=make_filter(source="USA Today"))
    passage = answer_json(answer)["passages"][0]
    assert (passage["published"], passage["published_as_written"]) == ("2026-11-26", "November 26, 2026")
    assert "26 Nov 2026 · USA Today" in render_answer(answer.__class__(**{**vars(answer), "answered": True}))
    assert "26 Nov 2026" in render.article_line(answer.passages[0])


# ------------------------------------------------------------------ B. sources are names first


@pytest.mark.parametrize(("question", "source"), [
    ("ماذا نشرت الشرق اليوم عن السيول؟", "الشرق اليوم"),
    ("What did USA Today report about the floods?", "USA Today"),
    ("What did Russia Today say about the floods?", "Russia Today"),
    ("ماذا نشرت المصري اليوم عن المترو؟", "المصري اليوم"),
    ("ماذا نشر اليوم السابع عن الذهب؟", "اليوم السابع"),
])
def test_a_source_named_in_the_question_is_read_before_any_time_word(answerer, question, source):
    answer = answerer.ask(question, k=3)
    assert answer.passages and {p.source for p in answer.passages} == {source}
    assert answer.where.source == source and answer.where.since is None


def test_a_time_word_beside_a_named_source_still_counts():
    assert read_time("ماذا نشرت المصري اليوم أمس؟", "المصري اليوم").kind == "yesterday"
    assert read_time("What did USA Today publish today?", "USA Today").kind == "today"
    assert read_time("ماذا نشرت الشرق اليوم عن السيول؟", "الشرق اليوم").kind is None


def test_a_look_alike_source_does_not_hide_the_real_one(answerer):
    answer = answerer.ask("What did the port authority say, according to Reuters?", k=3)
    assert {"reuters", "lookalike"} <= ids(answer)
    typed = answerer.ask("source:Reu\u200bters What did the port authority say?", k=3)  # the look-alike typed
    assert {"reuters", "lookalike"} <= ids(typed)


@pytest.mark.parametrize(("written", "source"), [
    ("What did the port authority say source:Reuters?", "Reuters"),
    ('What did the port authority say source:"USA Today".', "USA Today"),
    ("source:Reuters, until:2026-11-30, what did the port authority say?", "Reuters"),
    ("ماذا قالت سلطة الميناء source:Reuters؟", "Reuters"),
])
def test_punctuation_never_enters_a_filter(answerer, written, source):
    rest, where = parse_inline(written)
    assert where.source == source
    assert answerer.ask(written, k=2).passages


def test_a_source_filter_that_matches_nothing_says_so(answerer):
    from bot import render
    from rawi.render import answer_json, render_answer

    answer = answerer.ask("What did the port authority say?", where=make_filter(source="Al Jazeera"))
    assert not answer.answered and not answer.passages and answer.note.kind == "source"
    assert "Reuters" in answer.note.known and "الشرق اليوم" in answer.note.known
    line = render_answer(answer)
    assert line.startswith("No article from source 'Al Jazeera'. Sources in the index: ") and "Reuters" in line
    record = answer_json(answer)
    assert record["answered"] is False and record["filters"]["source"] == "Al Jazeera"
    assert record["note"]["kind"] == "source"
    assert "Al Jazeera" in render.render_answer(answer, "en")[0] and "Reuters" in render.render_answer(answer, "ar")[0]


def test_a_date_filter_that_matches_nothing_says_so(answerer):
    answer = answerer.ask("What did the port authority say?", where=make_filter(until="2000-01-01"))
    assert answer.note.kind == "dates" and answer.note.known == ("20 Nov 2026", "5 Jan 2031")
    assert "until 2000-01-01" in answer.note.text()


def test_rawi_sources_lists_each_source_with_its_count_and_dates(built, tmp_path):
    settings, _ = built
    run = subprocess.run([str(RAWI), "sources", "--index", str(settings.index_dir), "--json"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    listed = {s["source"]: s for s in json.loads(run.stdout)["sources"]}
    assert listed["Blog"] == {"source": "Blog", "articles": 3, "first": "", "last": "", "undated": 3}
    assert listed["USA Today"] | {} == {"source": "USA Today", "articles": 1, "first": "2026-11-26",
                                        "last": "2026-11-26", "undated": 0}
    text = subprocess.run([str(RAWI), "sources", "--index", str(settings.index_dir)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "USA Today: 1 article, 26 Nov 2026 to 26 Nov 2026" in text.stdout
    assert "Blog: 3 articles, no readable date" in text.stdout


def test_the_bot_sources_reply_lists_the_sources(answerer):
    from bot import render
    from tests.botapi import parse_html

    plain = parse_html(render.render_sources(answerer.sources(3), "en"))[0]
    assert "By source" in plain and "• Reuters: 1, 23 Nov 2026 – 23 Nov 2026" in plain


# ------------------------------------------------------------------ C. dates that lie


def test_a_future_date_never_sets_today(answerer):
    today = answerer.ask("What happened today?", k=5)
    assert today.passages and ids(today) == {"usa", "okaz"}  # 26 Nov: the newest day not after the clock
    week = answerer.ask("What happened this week?", k=12)
    assert "future" not in ids(week) and {"okaz", "usa", "sharq", "russia"} <= ids(week)
    latest = answerer.ask("What is the latest news?", k=3)
    assert latest.passages[0].article_id != "future.md"


def test_a_date_one_day_ahead_of_the_clock_is_today_somewhere(answerer):
    ahead = answerer.__class__(answerer.index, answerer.encoder, answerer.retriever, answerer.settings,
                               clock=lambda: date(2026, 11, 25))  # the 26th is a day ahead: time zones
    assert ids(ahead.ask("What happened today?", k=5)) == {"usa", "okaz"}


# ------------------------------------------------------------------ D. the calendar's edges


@pytest.mark.parametrize("written", [
    "until:9999-12-31 What did the port authority say?", "since:0001-01-01 What did the port authority say?",
    "until:0001-01-01 What happened today?", "since:9999-12-31 What happened this week?",
])
def test_filters_at_the_ends_of_the_calendar_answer(answerer, written):
    answerer.ask(written, k=2)  # no OverflowError


def test_until_the_last_day_of_the_calendar_keeps_every_dated_article(answerer):
    assert "reuters" in ids(answerer.ask("port authority containers", k=12, where=make_filter(until="9999-12-31")))


def test_relative_days_at_the_ends_of_the_calendar():
    assert window("today", "9999-12-31") == (date.max, date.max)
    assert window("week", "0001-01-03") == (date.min, date(1, 1, 3))
    assert window("yesterday", "0001-01-01T10:00:00") == (date.min, date.min)


def test_a_clock_at_the_end_of_the_calendar(answerer):
    stopped = answerer.__class__(answerer.index, answerer.encoder, answerer.retriever, answerer.settings,
                                 clock=lambda: date.max)
    assert ids(stopped.ask("What happened today?", k=5)) == {"future"}


def test_milvus_expressions_at_the_ends_of_the_calendar():
    from index.store.milvus.schema import expression

    assert expression(make_filter(until="9999-12-31"), []) == '(published_at != "" and published_at <= "9999-12-31T99")'
    assert expression(make_filter(since="0001-01-01", until="0001-01-01"), []).startswith('published_at >= "0001-01-01"')
    assert expression(make_filter(source="reu\u200bters"), ["Reuters", "AFP"]) == 'source in ["reuters"]'


def test_a_feed_dated_at_the_end_of_the_calendar_is_indexed_undated(tmp_path, stand_in_encoder):
    from tests.conftest import make_settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "wire.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
        "<item><title>Dam</title><link>https://example.com/dam</link><pubDate>Fri, 31 Dec 9999 23:59:59 GMT</pubDate>"
        "<description>Engineers opened the new dam on the river after five years of work.</description></item>"
        "<item><title>Port</title><link>https://example.com/port</link><pubDate>Wed, 25 Nov 2026 08:00:00 GMT</pubDate>"
        "<description>The port reopened after the storm, the harbour master said.</description></item>"
        "</channel></rss>", encoding="utf-8")
    settings = make_settings(corpus, tmp_path / "index")
    stats = Builder(settings, stand_in_encoder).run()
    assert [u.published for u in stats.undated] == ["Fri, 31 Dec 9999 23:59:59 GMT"]
    asker = open_answerer(settings, stand_in_encoder)
    asker.clock = lambda: CLOCK
    for question in ("What happened today?", "What happened this week?", "What is the latest news?"):
        assert asker.ask(question, k=2).passages[0].title == "Port"


# ------------------------------------------------------------------ the real commands


@pytest.mark.slow  # `rawi index` and `rawi ask` load the real model
def test_rawi_reports_undated_articles_explains_empty_filters_and_survives_the_calendars_ends(tmp_path):
    from tests.conftest import MODEL_CACHE

    write_corpus(tmp_path / "corpus")
    (tmp_path / "config.toml").write_text(
        f'[corpus]\ndir = "{tmp_path / "corpus"}"\n[index]\ndir = "{tmp_path / "index"}"\n'
        f'[encoder]\ncache_dir = "{MODEL_CACHE}"\n', encoding="utf-8")

    def rawi(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(RAWI), *args], capture_output=True, text=True, timeout=600, cwd=tmp_path, input=stdin)

    built = rawi("index", "--json")
    assert built.returncode == 0, built.stderr
    assert [u["article"] for u in json.loads(built.stdout)["undated"]] == ["hugo.md", "vague.md", "zero.md"]
    again = rawi("index")
    assert "warning: 3 article(s) with a date rawi cannot read" in again.stderr and "hugo.md" in again.stderr
    edge = rawi("ask", "--json", "--until", "9999-12-31", "--source", "USA Today", "Which floods closed highways?")
    assert edge.returncode == 0 and "Traceback" not in edge.stderr, edge.stderr
    record = json.loads(edge.stdout)
    assert record["passages"][0]["published"] == "2026-11-26" and record["filters"]["until"] == "9999-12-31"
    none = rawi("ask", "--source", "Al Jazeera?", "What did the port authority say?")
    assert none.returncode == 0, none.stderr
    assert none.stdout.startswith("No article from source 'Al Jazeera'. Sources in the index: ") and "Reuters" in none.stdout
    lines = rawi("ask", "-", stdin="until:9999-12-31 What happened today?\nsource:Reuters? What did the port authority say?\n")
    records = [json.loads(line) for line in lines.stdout.splitlines()]
    assert len(records) == 2 and not any("error" in r for r in records), records
    assert {p["source"] for p in records[1]["passages"]} == {"Reuters", "Reu\u200bters"}


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_the_bot_explains_an_empty_filter_and_lists_the_sources(answerer):
    from tests.botapi import parse_html
    from tests.bot_helpers import running_bot

    with running_bot(answerer) as api:
        reply = api.wait_reply(api.message(7101, 'source:"Al Jazeera"? What did the port authority say?'))
        plain = parse_html(reply[0].text)[0]
        assert "I have no article from “Al Jazeera”" in plain and "Reuters" in plain
        arabic = api.wait_reply(api.message(7102, "until:2000-01-01 ماذا قالت سلطة الميناء؟"))
        assert "ليس لديّ أي مقال منشور" in parse_html(arabic[0].text)[0]
        api.message(7103, "/sources")
        listing = parse_html(api.wait_sent(7103)[0].text)[0]
        assert "• USA Today: 1, 26 Nov 2026 – 26 Nov 2026" in listing and "• Blog: 3" in listing
