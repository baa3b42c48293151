"""`rawi fetch` against feeds and pages that fight back (issue 24, items 1-4): decompression
bombs, entry links that are not links, headers trickled a byte at a time, links into the
fetching machine's own network. Real loopback servers (tests/feedsite.py), the real executable
where the CLI is the contract; no timed assertion (a run that hangs is caught by a subprocess
timeout far above the configured deadline and far below what the server would take)."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from urllib.parse import urlsplit

import pytest

from index.feeds import Fetcher
from index.settings import FeedSettings
from tests.launch import Launch
from tests.feedsite import Site, Trickle, articles, html, page, redirect, rawi_fetch, rss, send, write_config, xml, zeros_deflated

GOOD = page("Harbour reopens", "The harbour of Varna reopened on Monday after the storm damaged its piers.")


def failures(result) -> dict[str, str]:
    return {f["url"]: f["reason"] for f in json.loads(result.stdout)["failed"]}


# ---------------------------------------------------------------- 1. decompression bombs

@pytest.mark.parametrize("coding, wbits", [("gzip", 31), ("deflate", 15)])  # deflate: the cousin
def test_a_compressed_page_is_capped_as_it_is_decompressed(tmp_path, coding, wbits):
    """1 GiB of zeros in about 1 MB, sent without a length: refused at the cap of 200 KB
    decompressed, with memory to match (before: each 64 KB read was decompressed whole, 64 MB).
    Only the bomb is fetched while memory is traced (trafilatura's first use costs 30 MB)."""
    import feedparser  # noqa: F401 -- imported before measuring: imports are not the fetch
    import index.netguard  # noqa: F401 -- httpx, httpcore

    bomb = zeros_deflated(1024, wbits)
    with Site() as site:
        site.routes["/feed.xml"] = xml(rss([site.base + "/bomb"]))
        site.routes["/bomb"] = lambda h: send(h, 200, bomb, [("Content-Encoding", coding)], length=False)
        settings = FeedSettings(urls=[site.base + "/feed.xml"], timeout_seconds=5.0, max_bytes=200_000,
                                host_delay_seconds=0.0)
        tracemalloc.start()
        try:
            report = Fetcher(settings, tmp_path / "corpus", report=lambda m: None).run()
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    assert peak < 8 * 2**20, f"{peak:,} bytes at the peak"
    assert "larger than the 200,000-byte limit ([feeds] max_bytes) once decompressed" in dict(report.failed)[site.base + "/bomb"]


def test_stacked_and_unasked_encodings_are_refused_by_rawi_fetch(tmp_path):
    """Under a 1 GiB memory limit: a feed `gzip, gzip` (2 GiB of zeros in 5 KB), one in zstd (the
    cousin: an encoding rawi did not ask for), one in br, and a good feed. Before: MemoryError."""
    stacked = gzip.compress(zeros_deflated(2048, 31))
    try:
        import zstandard

        compressor = zstandard.ZstdCompressor(level=1).compressobj()
        zstd = b"".join(compressor.compress(b"\0" * (1 << 20)) for _ in range(2048)) + compressor.flush()
    except ImportError:  # httpx decodes zstd only with zstandard installed: any bytes will do then
        zstd = b"\x28\xb5\x2f\xfd" + b"\0" * 64
    with Site() as site:
        bombs = {"/stacked.xml": ("gzip, gzip", stacked), "/zstd.xml": ("zstd", zstd), "/br.xml": ("br", b"\x0b" * 64)}
        for path, (coding, body) in bombs.items():
            site.routes[path] = lambda h, c=coding, b=body: send(h, 200, b, [("Content-Encoding", c)])
        site.routes["/good.xml"] = xml(rss([site.base + "/a1"]))
        site.routes["/a1"] = html(GOOD)
        write_config(tmp_path, [site.base + p for p in [*bombs, "/good.xml"]])
        result = rawi_fetch(tmp_path, "--json", launch=Launch(memory=1 << 30))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    failed = failures(result)
    assert "refused: Content-Encoding gzip, gzip (stacked encodings)" in failed[site.base + "/stacked.xml"]
    assert "refused: Content-Encoding zstd (rawi asks for gzip, deflate only)" in failed[site.base + "/zstd.xml"]
    assert "refused: Content-Encoding br" in failed[site.base + "/br.xml"]
    assert len(json.loads(result.stdout)["written"]) == 1


# ---------------------------------------------------------------- 2. entry links that are not links

BAD_LINKS = {  # as a feed may hold them -> what the skip says
    "http://[::1/x": "not a valid link",
    "{base}/esc\x1b[31m": "control character",
    "http://exa mple.com/x": "not a valid host name",  # the cousins
    "javascript:alert(1)": "not an http(s) link",
    "mailto:desk@example.com": "not an http(s) link",
    "http://127.0.0.1:99999/x": "not a valid link",
}


def test_bad_entry_links_are_skipped_and_every_feed_still_fetched(tmp_path):
    with Site() as site:
        bad = [link.format(base=site.base) for link in BAD_LINKS]
        site.routes["/one.xml"] = xml(rss([*bad, site.base + "/to-js", site.base + "/a1"]))
        site.routes["/to-js"] = redirect("javascript:alert(1)")  # the cousin through a redirect: a failed page
        site.routes["/two.xml"] = xml(rss([site.base + "/a2"]))
        site.routes["/a1"] = html(GOOD)
        site.routes["/a2"] = html(page("Bridge opens", "The new bridge over the river opened this morning."))
        write_config(tmp_path, [site.base + "/one.xml", site.base + "/two.xml"])
        result = rawi_fetch(tmp_path, "--json")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert len(summary["written"]) == 2  # the good entry of the same feed, and the next feed
    skipped = {s["url"]: s["reason"] for s in summary["skipped"]}
    assert len(skipped) == len(BAD_LINKS)
    for link, expected in BAD_LINKS.items():
        assert expected in skipped[link.format(base=site.base)], skipped
    assert "InvalidURL" in {f["url"]: f["reason"] for f in summary["failed"]}[site.base + "/to-js"]
    state = json.loads((tmp_path / "corpus" / ".rawi-feeds" / "state.json").read_text(encoding="utf-8"))
    assert set(state) == {site.base + "/one.xml", site.base + "/two.xml"}  # saved, both feeds


# ---------------------------------------------------------------- 3. slow headers

def test_headers_trickled_a_byte_at_a_time_cannot_hold_rawi_fetch(tmp_path):
    """A feed whose status line and headers come a byte every 0.3 s (about 120 s in all), and the
    cousin: a page whose redirect leads to such a server. Each byte comes well within the 1 s
    timeout, the whole request is limited to 3 x 1 s: the run ends, the good page fetched."""
    with Trickle(pause=0.3) as slow, Site() as site:
        site.routes["/feed.xml"] = xml(rss([site.base + "/a1", site.base + "/hop"]))
        site.routes["/a1"] = html(GOOD)
        site.routes["/hop"] = redirect(slow.base + "/page")
        write_config(tmp_path, [slow.base + "/feed.xml", site.base + "/feed.xml"], timeout_seconds=1.0)
        result = rawi_fetch(tmp_path, "--json", timeout=60)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    failed = failures(result)
    for url in (slow.base + "/feed.xml", site.base + "/hop"):
        assert "too slow" in failed[url] or "no answer within" in failed[url], failed  # the latter on a stalled machine
    assert len(json.loads(result.stdout)["written"]) == 1


# ---------------------------------------------------------------- 4. SSRF

def test_links_into_the_local_network_are_refused_unless_allowed(tmp_path):
    """An entry pointing to a service on another loopback port: by address, by a name for it, by
    0.0.0.0, as IPv4-mapped IPv6, [::1], and through a redirect of the feed's own site. None is
    requested; the feed's own pages are. With allow_private_networks = true they are fetched."""
    with Site() as site, Site() as internal:
        internal.routes["/secret"] = html(page("Internal wiki", "The database password is hunter2, the admin said."))
        port = internal.port
        refused = {
            f"http://127.0.0.1:{port}/secret": "loopback", f"http://localhost:{port}/secret": "loopback",
            f"http://0.0.0.0:{port}/secret": "unspecified", f"http://[::ffff:127.0.0.1]:{port}/secret": "loopback",
            f"http://[::1]:{port}/secret": "loopback", site.base + "/hop": "loopback",
        }
        site.routes["/hop"] = redirect(f"http://127.0.0.1:{port}/secret")
        site.routes["/feed.xml"] = xml(rss([*refused, site.base + "/a1"]))
        site.routes["/a1"] = html(GOOD)
        write_config(tmp_path, [site.base + "/feed.xml"])
        result = rawi_fetch(tmp_path, "--json")
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
        assert internal.requests == []
        failed = failures(result)
        for url, kind in refused.items():
            assert f"refused: {urlsplit(url).hostname} is not a public address (" in failed[url], (url, failed.get(url))
            assert f": {kind})" in failed[url], failed[url]
        assert len(json.loads(result.stdout)["written"]) == 1 and "hunter2" not in str(articles(tmp_path))

        write_config(tmp_path, [site.base + "/feed.xml"], allow_private_networks=True)  # a desk's intranet
        allowed = rawi_fetch(tmp_path, "--json")
    assert allowed.returncode == 0 and internal.requests
    assert "hunter2" in str(articles(tmp_path))
