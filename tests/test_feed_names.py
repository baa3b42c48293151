"""Fetched articles get readable file names (date + slug of the title) and the site's own name as
their source (issue 25, item 2). A real loopback news site, the real Fetcher, real files."""

from __future__ import annotations

import hashlib
import unicodedata

import pytest

from index.articles import scan
from index.feed_names import MAX_SLUG_BYTES, article_name, site_name, slug
from index.feeds import FeedSettings, Fetcher
from tests.feedsite import Site, html, xml

UNSAFE = set('/\\:*?"<>|')


def page(title: str, body: str, site_name: str = "") -> bytes:
    meta = f'<meta property="og:site_name" content="{site_name}">' if site_name else ""
    return (f'<html lang="en"><head><title>{title}</title>{meta}</head><body><article><h1>{title}</h1>'
            f"<p>{body}</p><p>Officials said the full report will be published next month.</p>"
            "</article></body></html>").encode()


def feed(title: str, items: list[tuple[str, str, str]]) -> bytes:
    """An RSS feed titled ``title``; items are (title, link, pubDate)."""
    entries = "".join(f"<item><title>{t}</title><link>{link}</link>"
                      + (f"<pubDate>{when}</pubDate>" if when else "") + "</item>" for t, link, when in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
            f"{entries}</channel></rss>").encode()


def fetch(site: Site, corpus, feeds=("/feed.xml",)):
    settings = FeedSettings(urls=[site.base + f for f in feeds], timeout_seconds=2.0, host_delay_seconds=0.0)
    return Fetcher(settings, corpus, report=lambda message: None).run()


# ------------------------------------------------------------------ names


@pytest.mark.parametrize("title, expected", [
    ("Beirut Port Reopens, After 3 Days!", "beirut-port-reopens-after-3-days"),
    ("وُصُولُ سفينةِ الحبوب إلى ميناء بيروت", "وصول-سفينة-الحبوب-إلى-ميناء-بيروت"),  # short vowels dropped
    ("Café São Paulo", "café-são-paulo"),
    ('a/b\\c:d*e?f"g<h>i|j', "a-b-c-d-e-f-g-h-i-j"),
    ("...hidden. ", "hidden"),
    ("ـــالخبرـــ", "الخبر"),  # tatweel
    ("!!! ???", ""),
])
def test_a_slug_keeps_letters_of_any_script_and_nothing_unsafe(title, expected):
    assert slug(title) == expected


def test_a_slug_is_bounded_in_bytes_and_cut_between_words():
    long_arabic = " ".join(["كلمة"] * 100)
    cut = slug(long_arabic)
    assert len(cut.encode("utf-8")) <= MAX_SLUG_BYTES and not cut.endswith("-") and cut.startswith("كلمة-كلمة")
    assert len(slug("x" * 1000).encode()) == MAX_SLUG_BYTES
    one_word = slug("ب" * 500)  # one endless Arabic word: cut on a character boundary, still valid UTF-8
    assert one_word and len(one_word.encode("utf-8")) <= MAX_SLUG_BYTES and set(one_word) == {"ب"}


def test_the_name_is_the_day_then_the_slug_and_safe_everywhere():
    assert article_name("Port reopens", "Tue, 03 Jun 2025 09:00:00 GMT", "http://x/a") == "2025-06-03-port-reopens.md"
    assert article_name("Port reopens", "2025-06-03T10:00:00+03:00", "http://x/a") == "2025-06-03-port-reopens.md"
    undated = article_name("Port reopens", "", "http://x/a")
    assert undated[:4].isdigit() and undated.endswith("-port-reopens.md")  # the day it was fetched
    no_letters = article_name("?!", "2025-06-03", "http://x/a")
    assert no_letters == f"2025-06-03-{hashlib.sha256(b'http://x/a').hexdigest()[:12]}.md"
    for title in ("CON", "a" * 300, "x:y", "مرحبا بكم"):
        name = article_name(title, "2025-06-03", "http://x/a")
        assert not UNSAFE & set(name) and len(name.encode()) < 255 and name == unicodedata.normalize("NFC", name)


@pytest.mark.parametrize("page_source, feed_title, expected", [
    ("The Beirut Observer", "Beirut Observer - Latest", "The Beirut Observer"),  # the page's og:site_name
    ("news.example.com", "Beirut Observer - Latest", "Beirut Observer"),  # trafilatura's host fallback
    ("", "Beirut Observer | Latest news", "Beirut Observer"),
    ("", "Al-Nahar — آخر الأخبار", "Al-Nahar"),
    ("", "Gulf-Times", "Gulf-Times"),  # a hyphen inside a name is no section
    ("", "", "news.example.com"),
])
def test_the_source_is_the_sites_name(page_source, feed_title, expected):
    assert site_name(page_source, feed_title, "https://www.news.example.com/a") == expected.removeprefix("www.")


# ------------------------------------------------------------------ fetched for real


def test_fetched_articles_are_named_by_day_and_title_with_the_sites_name(tmp_path):
    corpus = tmp_path / "corpus"
    with Site() as site:
        site.routes["/feed.xml"] = xml(feed("Beirut Observer - Latest", [
            ("Port reopens after the storm", site.base + "/port", "Tue, 03 Jun 2025 09:00:00 GMT"),
            ("وصول سفينة الحبوب", site.base + "/grain", "Wed, 04 Jun 2025 09:00:00 GMT"),
            ("Port reopens after the storm", site.base + "/port-again", "Tue, 03 Jun 2025 18:00:00 GMT"),
            ("Council meets", site.base + "/council", "Thu, 05 Jun 2025 09:00:00 GMT"),
        ]))
        site.routes["/port"] = html(page("Port reopens", "The port reopened on Tuesday.", "The Beirut Observer"))
        site.routes["/grain"] = html(page("Grain", "A ship carrying wheat arrived in Beirut.", "The Beirut Observer"))
        site.routes["/port-again"] = html(page("Port", "Ships queued outside the port all evening.", "The Beirut Observer"))
        site.routes["/council"] = html(page("Council", "The council met and adjourned without a vote."))  # no og:site_name
        report = fetch(site, corpus)
    assert sorted(report.written) == [
        "feeds/127.0.0.1/2025-06-03-port-reopens-after-the-storm-2.md",  # the same title the same day: unique
        "feeds/127.0.0.1/2025-06-03-port-reopens-after-the-storm.md",
        "feeds/127.0.0.1/2025-06-04-وصول-سفينة-الحبوب.md",
        "feeds/127.0.0.1/2025-06-05-council-meets.md",
    ]
    sources = {a.url.removeprefix(site.base): a.source for a in scan(corpus).articles}
    assert sources == {"/port": "The Beirut Observer", "/grain": "The Beirut Observer",
                       "/port-again": "The Beirut Observer", "/council": "Beirut Observer"}


def test_a_fetched_article_is_not_fetched_again_whatever_its_file_is_named(tmp_path):
    """A corpus of earlier versions (files named by the link's hash) and articles renamed by hand
    are recognized by the link in their front matter: nothing is fetched twice."""
    corpus = tmp_path / "corpus"
    with Site() as site:
        items = [("Old story", site.base + "/old", "Mon, 02 Jun 2025 09:00:00 GMT"),
                 ("Renamed story", site.base + "/renamed", "Mon, 02 Jun 2025 10:00:00 GMT")]
        site.routes["/feed.xml"] = xml(feed("Wire", items))
        site.routes["/old"] = html(page("Old", "An old story about the bridge."))
        site.routes["/renamed"] = html(page("Renamed", "A story about the tram line."))
        legacy = corpus / "feeds" / "127.0.0.1" / f"{hashlib.sha256((site.base + '/old').encode()).hexdigest()[:20]}.md"
        legacy.parent.mkdir(parents=True)
        legacy.write_text(f"---\ntitle: Old story\nurl: {site.base}/old\n---\nAn old story about the bridge.\n", "utf-8")
        first = fetch(site, corpus)
        assert first.written == ["feeds/127.0.0.1/2025-06-02-renamed-story.md"]
        (corpus / first.written[0]).rename(corpus / "feeds" / "127.0.0.1" / "my-name.md")
        site.routes["/feed.xml"] = xml(feed("Wire", items + [("New", site.base + "/new", "")]))
        site.routes["/new"] = html(page("New", "A new story about the harbour."))
        site.requests.clear()
        second = fetch(site, corpus)
    assert [path for path in site.requests if path != "/feed.xml"] == ["/new"]
    assert len(second.written) == 1 and second.written[0].endswith("-new.md")
    assert legacy.exists() and len(scan(corpus).articles) == 3
