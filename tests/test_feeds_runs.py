"""`rawi fetch` over several runs, with a full disk and with hostile text (issue 24, items 5-8):
failed pages given up after [feeds] max_tries, relative entry links resolved against the feed,
a disk that refuses a write (RLIMIT_FSIZE, as in test_resource_faults.py), and feed text that
would drive the terminal. Real loopback servers, the real executable."""

from __future__ import annotations

import json
import time

from tests.launch import Launch
from tests.feedsite import Site, articles, html, leftovers, page, rawi_fetch, redirect, rss, send, write_config, xml

GOOD = page("Harbour reopens", "The harbour of Varna reopened on Monday after the storm damaged its piers.")
SMALL = page("Short", "The museum received 312 paintings.")
BIG = page("Long", " ".join(f"Paragraph {n} of the council's long report on the harbour works." for n in range(400)))


def summary(result) -> dict:
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    return json.loads(result.stdout)


def state_of(work) -> bytes:
    return (work / "corpus" / ".rawi-feeds" / "state.json").read_bytes()


# ---------------------------------------------------------------- 5. failed pages are given up

def test_a_dead_page_is_given_up_after_max_tries_and_said_so(tmp_path):
    """A feed re-read every run (no validators) keeps listing a dead page: tried twice, given up
    with the reason (stderr and --json), then never requested again while the feed lists it."""
    with Site() as site:
        site.routes["/feed.xml"] = xml(rss([site.base + "/dead", site.base + "/a1"]))
        site.routes["/a1"] = html(GOOD)
        write_config(tmp_path, [site.base + "/feed.xml"], max_tries=2)
        runs = [rawi_fetch(tmp_path, "--json") for _ in range(4)]
        dead_requests = site.requests.count("/dead")
    first, second, third, _ = (summary(r) for r in runs)
    assert [f["url"] for f in first["failed"]] == [site.base + "/dead"] and not first["skipped"]
    assert second["failed"] == [] and second["skipped"][0]["url"] == site.base + "/dead"
    assert "HTTP 404" in second["skipped"][0]["reason"] and "given up after 2 tries" in second["skipped"][0]["reason"]
    assert "given up after 2 tries" in runs[1].stderr
    assert third["failed"] == third["skipped"] == [] and dead_requests == 2


def test_pages_of_an_unchanged_feed_are_given_up_too(tmp_path):
    """The cousin: the feed answers 304 from its second run on, so only the pending pages are
    retried (a slow page this time: over the timeout); they are given up all the same."""
    def slow(handler) -> None:
        time.sleep(2.5)
        send(handler, 200, GOOD)

    def feed(handler) -> None:
        if handler.headers.get("If-None-Match") == '"v1"':
            return send(handler, 304)
        return send(handler, 200, rss([site.base + "/slow"]), [("ETag", '"v1"')])

    with Site() as site:
        site.routes["/feed.xml"] = feed
        site.routes["/slow"] = slow
        write_config(tmp_path, [site.base + "/feed.xml"], max_tries=3)
        runs = [summary(rawi_fetch(tmp_path, "--json")) for _ in range(4)]
    assert [r["unchanged"] for r in runs] == [0, 1, 1, 1]
    assert [len(r["failed"]) for r in runs] == [1, 1, 0, 0] and [len(r["skipped"]) for r in runs] == [0, 0, 1, 0]
    assert "given up after 3 tries" in runs[2]["skipped"][0]["reason"]
    assert json.loads(state_of(tmp_path))[site.base + "/feed.xml"]["pending"] == {}


def test_a_state_of_the_wrong_shape_is_read_as_far_as_it_goes(tmp_path):
    """Pending pages and given-up links of the wrong types in state.json (edited by hand, an
    older rawi): dropped or counted from 0, never a crash."""
    from index.feeds import Fetcher
    from index.settings import FeedSettings

    with Site() as site:
        site.routes["/feed.xml"] = xml(rss([site.base + "/dead"]))
        feed = site.base + "/feed.xml"
        state = {feed: {"given_up": 5, "pending": {"a": "text", "b": {"url": 7},
                                                   site.base + "/dead": {"url": site.base + "/dead", "tries": "x"}}}}
        (tmp_path / ".rawi-feeds").mkdir()
        (tmp_path / ".rawi-feeds" / "state.json").write_text(json.dumps(state), encoding="utf-8")
        settings = FeedSettings(urls=[feed], timeout_seconds=1.0, host_delay_seconds=0.0)
        report = Fetcher(settings, tmp_path, report=lambda m: None).run()
    assert [url for url, _ in report.failed] == [site.base + "/dead"]
    saved = json.loads((tmp_path / ".rawi-feeds" / "state.json").read_text(encoding="utf-8"))[feed]
    assert saved["pending"][site.base + "/dead"]["tries"] == 1 and saved["given_up"] == []


# ---------------------------------------------------------------- 6. relative links

def test_relative_entry_links_are_resolved_against_the_feed(tmp_path):
    """Atom `<link href="/page/r1"/>`, and the cousins: an RSS link relative to the feed's folder
    (`r2`, after the feed's own redirect: the base is where the feed was found) and a
    protocol-relative one (`//host:port/page/r3`)."""
    atom = ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Wire</title>'
            '<entry><title>One</title><id>r1</id><link href="/page/r1"/><updated>2025-06-02T09:00:00Z</updated></entry></feed>')
    with Site() as site:
        host = site.base.removeprefix("http:")
        site.routes["/atom.xml"] = xml(atom.encode())
        site.routes["/old-feed"] = redirect("/news/feed.xml")
        site.routes["/news/feed.xml"] = xml(rss(["r2", f"{host}/page/r3"]))
        for path, title in (("/page/r1", "One"), ("/news/r2", "Two"), ("/page/r3", "Three")):
            site.routes[path] = html(page(title, f"Story {title} happened on Monday in the old harbour of Varna."))
        write_config(tmp_path, [site.base + "/atom.xml", site.base + "/old-feed"])
        result = summary(rawi_fetch(tmp_path, "--json"))
    urls = {line for text in articles(tmp_path).values() for line in text.splitlines() if line.startswith("url: ")}
    assert urls == {f"url: {site.base}{p}" for p in ("/page/r1", "/news/r2", "/page/r3")}
    assert result["failed"] == result["skipped"] == [] and len(result["written"]) == 3


# ---------------------------------------------------------------- 7. a full disk

def test_a_full_disk_fails_one_article_and_the_other_feeds_are_still_fetched(tmp_path):
    """A 24 KB article cannot be written under an 8 KB file-size limit; the small article of the
    next feed can. One clean line, exit 1, no half-written file; a rerun with room completes."""
    with Site() as site:
        site.routes["/one.xml"] = xml(rss([site.base + "/big"]))
        site.routes["/two.xml"] = xml(rss([site.base + "/small"]))
        site.routes["/big"], site.routes["/small"] = html(BIG), html(SMALL)
        write_config(tmp_path, [site.base + "/one.xml", site.base + "/two.xml"])
        full = rawi_fetch(tmp_path, launch=Launch(file_size=8_000))
        written = articles(tmp_path)
        assert full.returncode == 1 and "Traceback" not in full.stderr, full.stderr[-2000:]
        assert full.stderr.strip().splitlines()[-1].startswith("Error: 1 file(s) not written, e.g. feeds/127.0.0.1/")
        assert "File too large: the disk is full or a file-size limit was reached" in full.stderr
        assert len(written) == 1 and leftovers(tmp_path) == []  # the small one, whole; nothing of the big one
        small = next(iter(written.values()))
        assert small.startswith("---\ntitle: Story 1\n") and small.endswith("officials said.\n")
        assert site.base + "/big" in json.loads(state_of(tmp_path))[site.base + "/one.xml"]["pending"]
        again = rawi_fetch(tmp_path)
    assert again.returncode == 0 and len(articles(tmp_path)) == 2


def test_a_state_the_disk_refuses_keeps_the_previous_state_whole(tmp_path):
    """The cousin: the articles fit, the state does not (40 dead pages pending make it ~9 KB
    under a 4 KB limit). The previous state stays byte for byte; exit 1 with one line."""
    with Site() as site:
        site.routes["/feed.xml"] = xml(rss([site.base + f"/dead/{n}" for n in range(40)] + [site.base + "/small"]))
        write_config(tmp_path, [site.base + "/feed.xml"])
        assert rawi_fetch(tmp_path).returncode == 0  # /small 404 too: everything pending
        before = state_of(tmp_path)
        site.routes["/small"] = html(SMALL)
        full = rawi_fetch(tmp_path, launch=Launch(file_size=4_000))
    assert len(before) > 4_000 and full.returncode == 1 and "Traceback" not in full.stderr, full.stderr[-2000:]
    assert "could not save the feed state: File too large" in full.stderr and "previous state is kept whole" in full.stderr
    assert state_of(tmp_path) == before and leftovers(tmp_path) == []
    assert "312 paintings" in str(articles(tmp_path))


# ---------------------------------------------------------------- 8. terminal safety

def test_feed_text_reaches_the_terminal_without_control_characters(tmp_path):
    """A link holding a C1 control (U+008D, kept by feedparser), and the cousins: a link holding
    a bidi override (U+202E), and a Content-Encoding header holding an 8-bit CSI (U+009B) that
    ends in the refusal's reason. Neither stderr nor stdout (text or --json) carries them; the
    JSON, read back, still has the link as the feed gave it."""
    with Site() as site:
        c1, bidi = site.base + "/x\u008dy", site.base + "/safe\u202egnp.exe"
        site.routes["/feed.xml"] = xml(rss([c1, bidi, site.base + "/a1"]))
        site.routes["/a1"] = html(GOOD)
        site.routes["/csi.xml"] = lambda h: send(h, 200, b"x", [("Content-Encoding", "gzip\x9b31m")])
        write_config(tmp_path, [site.base + "/feed.xml", site.base + "/csi.xml"])
        as_text = rawi_fetch(tmp_path)
        (tmp_path / "corpus" / ".rawi-feeds" / "state.json").unlink()
        as_json = rawi_fetch(tmp_path, "--json")
    for result in (as_text, as_json):
        out = result.stdout + result.stderr
        assert result.returncode == 0 and "Traceback" not in out
        assert not any(0x80 <= ord(c) <= 0x9F or c in "\x1b\u202e" for c in out), ascii(out)
        assert "the link holds a control character" in result.stderr and "refused: Content-Encoding gzip" in result.stderr
    skipped = {s["url"] for s in json.loads(as_json.stdout)["skipped"]}
    assert skipped == {c1, bidi}
