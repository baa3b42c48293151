"""What the bot sends is as safe as what the CLI prints (issue 24, item 19): one sanitizer
(``index/safe_text.py``) for every output. The real bot against the loopback Bot API server; the
real answerer, its articles given a hostile title, url and text as a file could hold them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.render import TEXT
from index.safe_text import UNSAFE
from rawi.terminal import safe as terminal_safe
from tests.bot_helpers import CONTAINERS, SpyAnswerer, html_ok, new_id, running_bot

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

TITLE = "Safe\u0000Title \u202egnp.exe\u202c"  # as the probe sent it
COUSINS = "\u2066isolated\u2069 \ufeffjoined \x1b]0;owned\x07 \x9bcsi"  # an isolate, U+FEFF, OSC, 8-bit CSI
UNSAFE_CHARS = "\u0000\u202e\u202c\u2066\u2069\ufeff\x1b\x07\x9b"


class HostileTitles(SpyAnswerer):
    """The real answers and articles, their title, url and text holding control and bidi characters."""

    def ask(self, question: str, k: int = 3, offset: int = 0):
        answer = super().ask(question, k, offset)
        return replace(answer, passages=[replace(p, title=f"{TITLE} {COUSINS}", url="https://x.example/\u202ea",
                                                  text=f"{p.text} {COUSINS}") for p in answer.passages])

    def article(self, article_id: str):
        found = super().article(article_id)
        return found and replace(found, title=TITLE, text=f"{TITLE}\n{found.text}\n{COUSINS}", source=f"Wire{COUSINS}")


def test_no_control_or_bidi_character_from_an_article_reaches_telegram(seed_answerer):
    with running_bot(HostileTitles(seed_answerer), poll_timeout=1) as api:
        chat = new_id()
        [answer, *_] = api.wait_reply(api.message(chat, CONTAINERS), timeout=60)
        button = next(b for b in answer.buttons if b["text"].startswith(TEXT["en"]["full"]))
        before = len(api.sent(chat))
        api.press(answer, button["callback_data"])
        api.wait_sent(chat, count=before + 1, timeout=60)
        sent = api.sent(chat)
        for call in sent:
            html_ok(call)
            assert not UNSAFE.search(call.text), ascii(call.text)
            assert not any(ch in call.text for ch in UNSAFE_CHARS)
        plain = html_ok(sent[0])
        assert "SafeTitle gnp.exe isolated joined ]0;owned csi" in plain  # the words kept, in their order
        assert 'href="https://x.example/' not in sent[0].text  # a link with a bidi override is no link
        assert "SafeTitle gnp.exe" in html_ok(sent[before])  # the full article's header


def test_the_cli_and_the_bot_share_one_sanitizer():
    assert terminal_safe(f"{TITLE} {COUSINS}") == "SafeTitle gnp.exe isolated joined ]0;owned csi"
