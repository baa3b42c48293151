"""Who wrote the short answer, and what rawi sends to say who it is (issue 25, small things): the
label names the model the server says answered (OpenAI's ``model`` field in its reply), not the
config's placeholder; no Authorization header leaves rawi when no key is configured. Against a
real chat-completions server on 127.0.0.1 (tests/llmapi.py), through the bot's reader and the CLI's."""

from __future__ import annotations

import asyncio

import pytest

from index.generate import MODEL_NAME_CHARS, Generator, Request
from index.grounding import Source
from index.settings import GenerateSettings
from tests.llmapi import FakeLLM, Reply

REQUEST = Request("How many containers did the port ship?", "en",
                  [Source(1, "Port", "2025-06-02", "The port shipped 20,000 containers in June.")])
RIGHT = "The port shipped 20,000 containers [1]."


def generator(server: FakeLLM, api_key: str = "") -> Generator:
    return Generator(GenerateSettings(enabled=True, url=server.base_url, model="local", timeout=10.0, api_key=api_key))


@pytest.mark.parametrize("through", ["write", "awrite"])
def test_the_answer_is_labelled_with_the_model_the_server_names(through):
    with FakeLLM("qwen2.5-7b-instruct-q4_k_m") as server:
        server.script(Reply(RIGHT))
        gen = generator(server)
        answer = gen.write(REQUEST) if through == "write" else asyncio.run(gen.awrite(REQUEST))
    assert answer is not None and answer.text == RIGHT
    assert answer.model == "qwen2.5-7b-instruct-q4_k_m"  # not "local", the name rawi asked for
    assert server.requests[0]["model"] == "local"


@pytest.mark.parametrize(("served", "shown"), [("", "local"), ("   ", "local"), ("a\nb\tc", "a b c"),
                                               ("m" * 500, "m" * MODEL_NAME_CHARS)])
def test_a_blank_or_odd_served_name_falls_back_or_is_kept_to_one_short_line(served, shown):
    with FakeLLM(served) as server:
        server.script(Reply(RIGHT))
        answer = generator(server).write(REQUEST)
    assert answer is not None and answer.model == shown


def test_an_abstention_names_the_served_model_too():
    with FakeLLM("served-model") as server:
        server.script(Reply("NO_ANSWER"))
        answer = generator(server).write(REQUEST)
    assert answer is not None and answer.kind == "abstained" and answer.model == "served-model"


@pytest.mark.parametrize("through", ["write", "awrite"])
def test_no_authorization_header_is_sent_without_a_key(through):
    with FakeLLM() as server:
        server.script(Reply(RIGHT))
        gen = generator(server)
        answer = gen.write(REQUEST) if through == "write" else asyncio.run(gen.awrite(REQUEST))
    assert answer is not None  # the request went through
    assert server.authorizations == [None]  # no header at all, not "Bearer no-key"


def test_a_configured_key_is_sent_as_a_bearer_token():
    with FakeLLM() as server:
        server.script(Reply(RIGHT))
        assert generator(server, api_key="sk-local-1").write(REQUEST) is not None
    assert server.authorizations == ["Bearer sk-local-1"]
