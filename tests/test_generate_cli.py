"""[generate] through the real `rawi ask` executable, against a real chat-completions server on
127.0.0.1 (tests/llmapi.py) with scripted replies. Assertions are on what reaches the user:
standard output (the terminal text and --json) and the one line on standard error."""

from __future__ import annotations

import json

import pytest

from tests.conftest import MODEL_CACHE
from tests.llmapi import FakeLLM, Reply
from tests.reindex_helpers import rawi

CONTAINERS = "How many containers of ammunition did North Korea send to Russia?"
CONTAINERS_AR = "كم حاوية ذخيرة أرسلت كوريا الشمالية إلى روسيا؟"
CONTAINERS_AR = "كم حاوية ذخيرة أرسلت كوريا الشمالية إلى روسيا؟"
RIGHT = "More than 20,000 containers of ammunition [1]."


@pytest.fixture(scope="module")
def llm():
    with FakeLLM() as server:
        yield server


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, seed_settings, llm):
    """A config pointing at the session's seed index and at the scripted server (2 s timeout). The
    question's translation is turned off: these tests script the written answer alone (an English
    question over the Arabic seed would first ask for its translation; tests/test_translate.py)."""
    base = tmp_path_factory.mktemp("generate-cli")
    (base / "config.toml").write_text(
        f'[corpus]\ndir = "{seed_settings.corpus_dir}"\n[index]\ndir = "{seed_settings.index_dir}"\n'
        f'[encoder]\ncache_dir = "{MODEL_CACHE}"\n'
        f'[generate]\nenabled = true\nurl = "{llm.base_url}"\nmodel = "test-model"\ntimeout = 2.0\ntranslate = false\n',
        encoding="utf-8",
    )
    return base


def ask(workdir, llm, reply: Reply | None, *args: str, stdin: str | None = None):
    if reply is not None:
        llm.script(reply)
    before = len(llm.requests)
    result = rawi("ask", *args, cwd=workdir, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return result, llm.requests[before:]


def test_a_right_answer_is_shown_above_the_passages(workdir, llm):
    result, requests = ask(workdir, llm, Reply(RIGHT), CONTAINERS)
    lines = result.stdout.splitlines()
    assert lines[0] == f"Answer: {RIGHT}"
    assert "test-model" in lines[1] and "checked" in lines[1]
    assert lines[3].startswith("[1] ") and "20 ألف حاوية" in result.stdout
    assert result.stderr == ""
    # One streamed request: the question and the cited passages, numbered, with their titles.
    [body] = requests
    assert body["stream"] is True and body["model"] == "test-model"
    user = body["messages"][-1]["content"]
    assert CONTAINERS in user and "[1] لتعزيز الشراكة العسكرية" in user and "[3] " in user
    assert "English" in body["messages"][0]["content"]


def test_json_carries_the_answer_with_its_citations_and_model(workdir, llm):
    result, _ = ask(workdir, llm, Reply(RIGHT), "--json", CONTAINERS)
    record = json.loads(result.stdout)
    assert record["answered"] is True and len(record["passages"]) == 3
    assert record["answer"] == {"text": RIGHT, "citations": [1], "model": "test-model", "checked": True,
                                "kind": "generated"}


def test_an_arabic_question_gets_an_arabic_answer(workdir, llm):
    reply = "أرسلت كوريا الشمالية أكثر من 20 ألف حاوية ذخيرة [1]."
    result, requests = ask(workdir, llm, Reply(reply), "--json", CONTAINERS_AR)
    assert json.loads(result.stdout)["answer"]["text"] == reply
    assert "Arabic" in requests[0]["messages"][0]["content"]


@pytest.mark.parametrize(
    ("reply", "logged"),
    [
        (Reply("More than 25,000 containers of ammunition [1]."), "the number 25000 is in no passage it cites"),
        (Reply("More than twenty-five thousand containers [1]."), "the number 25000 is in no passage it cites"),
        (Reply("More than 20,000 containers of ammunition [7]."), "citation [7] names no cited passage"),
        (Reply("أرسلت كوريا الشمالية أكثر من 20 ألف حاوية ذخيرة [1]."), "not in the question's language"),
        (Reply(RIGHT, delay=5.0), "no complete reply in time"),
        (Reply(RIGHT, pieces=20, pause=0.3), "no complete reply in time"),
        (Reply(status=429), "HTTP 429"),
        (Reply(status=500), "HTTP 500"),
        (Reply("More than 20,000 containers of ammunition were sent [1]. Soldiers too [1].", broken=True),
         "the connection to the server failed"),
        (Reply(RIGHT, malformed=True), "malformed reply"),
        (Reply("More than 20,000 containers of", finish="length"), "cut at max_tokens"),
    ],
    ids=["invented-number", "invented-number-words", "citation-out-of-range", "wrong-language", "slow", "trickle",
         "429", "500", "broken-stream", "malformed", "cut-off"],
)
def test_a_reply_that_fails_shows_the_passages_alone_and_logs_one_line(workdir, llm, reply, logged):
    result, requests = ask(workdir, llm, reply, CONTAINERS)
    assert len(requests) == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("[1] ")  # as without a server: no answer by rules across languages
    assert "Answer" not in lines[0]
    assert "25,000" not in result.stdout and "[7]" not in result.stdout and "test-model" not in result.stdout
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1 and "short answer not shown" in errors[0] and logged in errors[0]


def test_a_failed_reply_in_json_falls_back_to_the_extracted_answer(workdir, llm):
    result, _ = ask(workdir, llm, Reply(status=500), "--json", CONTAINERS_AR)
    record = json.loads(result.stdout)
    assert record["answer"] == {"text": "أكثر من 20 ألف", "citations": [1], "model": None, "checked": False,
                                "kind": "extracted"}
    result, _ = ask(workdir, llm, Reply(status=500), "--json", CONTAINERS)
    assert "answer" not in json.loads(result.stdout)  # none by rules across languages


def test_a_model_saying_the_passages_do_not_answer_declines(workdir, llm):
    result, _ = ask(workdir, llm, Reply("The passages do not say how many containers were sent."), CONTAINERS)
    assert result.stdout.startswith("The articles don't answer this question.")
    assert "found no answer" in result.stdout and "Answer:" not in result.stdout
    result, _ = ask(workdir, llm, Reply("NO_ANSWER"), "--json", CONTAINERS)
    record = json.loads(result.stdout)
    assert record["answered"] is False and record["answer"]["kind"] == "abstained"


def test_questions_rawi_declines_are_never_sent(workdir, llm):
    result, requests = ask(workdir, llm, Reply(RIGHT), "What is the capital of France?")
    assert requests == []
    assert result.stdout.startswith("The articles don't answer this question.")


def test_ask_stdin_still_writes_one_json_line_per_question(workdir, llm):
    llm.script(Reply(RIGHT), Reply(status=500))
    result, requests = ask(workdir, llm, None, "-", stdin=f"{CONTAINERS}\n\nWhat is the capital of France?\n{CONTAINERS}\n")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r.get("error") is not None for r in records] == [False, True, False, False]
    assert records[0]["answer"]["kind"] == "generated" and records[0]["answer"]["text"] == RIGHT
    assert "answer" not in records[2] and records[2]["answered"] is False
    assert "answer" not in records[3]  # the server failed; across languages rules give no short answer
    assert len(requests) == 2


def test_the_api_key_goes_to_the_server_from_the_environment_and_nowhere_else(workdir, llm, monkeypatch):
    monkeypatch.setenv("RAWI_GENERATE_API_KEY", "sk-test-secret")
    llm.script(Reply(status=500))
    result = rawi("-v", "ask", CONTAINERS, cwd=workdir)  # verbose: every log line shows
    assert result.returncode == 0 and "HTTP 500" in result.stderr
    assert llm.authorizations[-1] == "Bearer sk-test-secret"
    assert "sk-test-secret" not in result.stdout + result.stderr
