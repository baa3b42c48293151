"""[generate] against a server that holds the connection without replying, or floods it
(issue 24, items 13 and 14): a real chat-completions server on 127.0.0.1 (tests/llmapi.py).
No timed assertion: a stall ends "well before the server would stop" (the server counts what
it wrote before the client left); a flood stops being read (the server counts the pieces)."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from index.generate import Generator, Request
from index.grounding import Source
from index.settings import GenerateSettings
from tests.llmapi import FakeLLM, Reply
from tests.test_generate_cli import CONTAINERS, ask, llm, workdir  # noqa: F401 -- fixtures

STALL_PIECES = int(120 / 0.5)  # what a stall writes when nobody leaves: 120 s of pieces


def server_saw_the_client_leave(server: FakeLLM, before: int) -> int:
    deadline = time.monotonic() + 60  # a deadline, not a timing: the server notices at its next write
    while len(server.written) <= before and time.monotonic() < deadline:
        time.sleep(0.1)
    return server.written[before]


@pytest.mark.parametrize("stall", ["keep-alive", "unending", "blank", "headers"])
def test_a_stalling_server_cannot_hold_rawi_ask_past_its_timeout(workdir, llm, stall):  # noqa: F811
    """keep-alive comments and a data line that never ends (the issue's); cousins: empty lines,
    and the status line and headers a byte at a time. httpx's timeout is per read: each byte resets it."""
    before = len(llm.written)
    result, requests = ask(workdir, llm, Reply("x", stall=stall, pause=0.5), CONTAINERS)
    assert len(requests) == 1 and result.stdout.splitlines()[0].startswith("[1] ")  # the passages, as without a server
    assert "no complete reply in time" in result.stderr
    assert server_saw_the_client_leave(llm, before) < STALL_PIECES // 4  # left long before the server would stop


PROSE = ("The council met on Monday and debated the harbour budget at length without a vote. " * 12)[:1000]


def test_a_flooding_reply_stops_being_read_past_the_length_limit(caplog):
    """3,000 pieces of 1,000 characters (the issue's flood): the bot's reader (awrite) stops after
    the limit and leaves, instead of checking the whole text again for every piece."""
    with FakeLLM("test-model") as server:
        server.script(Reply(PROSE, pieces=1, repeat=3000, pause=0.01))
        generator = Generator(GenerateSettings(enabled=True, url=server.base_url, model="test-model", timeout=60.0))
        request = Request(CONTAINERS, "en", [Source(1, "Harbour", "2025-06-02", "The council met on Monday.")])
        with caplog.at_level(logging.WARNING):
            assert asyncio.run(generator.awrite(request)) is None
        assert "ran past 2048 characters" in caplog.text
        assert server_saw_the_client_leave(server, 0) < 30  # of 3,000: the rest never read


def test_the_shown_part_is_checked_again_only_after_a_sentence_end(monkeypatch):
    """The mechanism behind the flood's cost: 400 words without a sentence end are not checked 400
    times (the old reader checked the whole text so far for every piece); a sentence end is."""
    from types import SimpleNamespace as NS

    from index import generate

    calls = []
    real = generate.shown_sentences
    monkeypatch.setattr(generate, "shown_sentences", lambda *a: calls.append(len(a[0])) or real(*a))
    draft = generate.Draft(Request(CONTAINERS, "en", [Source(1, "Port", "", "The port shipped 20,000 containers.")]), 4000)

    def feed(text: str) -> bool:
        return draft.feed(NS(choices=[NS(finish_reason=None, delta=NS(content=text))]))

    feed("The port shipped 20,000 containers")
    for _ in range(400):
        feed(" and more")
    assert calls == [] and draft.shown == ""  # the sentence never ended: nothing to check
    draft = generate.Draft(draft.request, 4000)
    grown = [feed(piece) for piece in ["The port shipped 20,000", " containers [1].", " It", " was", " in June."]]
    assert grown == [False, False, True, False, False] and draft.shown == "The port shipped 20,000 containers [1]."
    assert len(calls) == 1
