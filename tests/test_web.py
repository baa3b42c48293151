"""Entry links and addresses as `rawi fetch` judges them (index/web.py, index/netguard.py): the
shapes a feed may hold, and the address kinds refused (issue 24, items 2, 4 and 6; the feeds
themselves are in test_feeds_hostile.py)."""

from __future__ import annotations

import pytest

from index.netguard import not_public
from index.web import FetchError, checked_link


@pytest.mark.parametrize("link, base, expected", [
    ("/page/r1", "http://news.example/feeds/rss.xml", "http://news.example/page/r1"),
    ("r2", "http://news.example/feeds/rss.xml", "http://news.example/feeds/r2"),
    ("//cdn.example/r3", "https://news.example/rss", "https://cdn.example/r3"),
    ("  http://news.example/a  ", "http://other.example/", "http://news.example/a"),
])
def test_checked_link_makes_a_link_absolute_against_the_feed(link, base, expected):
    assert checked_link(link, base) == expected


@pytest.mark.parametrize("link", [
    "http://[::1/x", "http://a.example/\x1b[2J", "http://a.example/\x8dx", "http://a.example/\u202egnp.exe",
    "http://exa mple.com/x", "javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd", "",
    "http://127.0.0.1:99999/", "http://a.example\x00.evil/",
])
def test_checked_link_refuses_what_cannot_be_fetched(link):
    with pytest.raises(FetchError):
        checked_link(link, "http://news.example/rss")


@pytest.mark.parametrize("address, kind", [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"), ("192.168.0.10", "private"),
    ("172.16.5.4", "private"), ("169.254.169.254", "link-local"), ("fe80::1%eth0", "link-local"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("224.0.0.1", "multicast"), ("fc00::1", "private"),
    ("::ffff:10.0.0.1", "private"), ("100.64.0.1", "not global"), ("240.0.0.1", "reserved"),
    ("93.184.216.34", None), ("2606:4700:4700::1111", None),
])
def test_only_global_unicast_addresses_are_public(address, kind):
    assert not_public(address) == kind
