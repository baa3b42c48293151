"""`rawi ask -` is a stream: every problem with one line is that line's error record, and the
stream goes on (item 10 of issue 17). The real executable, a real index, bytes on its stdin."""

from __future__ import annotations

import json
import os
import subprocess

from tests.reindex_helpers import SEED_ANSWER, SEED_QUESTION, indexed_workdir  # noqa: F401 -- a fixture
from tests.reindex_helpers import RAWI, env, reap

QUESTION = SEED_QUESTION.encode()


def test_bytes_that_are_not_utf8_are_one_error_record_and_the_stream_goes_on(indexed_workdir):  # noqa: F811  (the fixture imported above)
    lines = [QUESTION, b"\xff x", b"caf\xe9 au lait?", b"\xed\xa0\x80 lone surrogate", QUESTION]
    result = subprocess.run([str(RAWI), "ask", "-"], cwd=indexed_workdir, input=b"\n".join(lines) + b"\n",
                            capture_output=True, env=env(), timeout=300)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert len(records) == 5
    assert [("error" in r) for r in records] == [False, True, True, True, False]
    assert all("not valid UTF-8" in r["error"] for r in records[1:4])
    assert records[1]["question"] == "\ufffd x"
    for record in (records[0], records[4]):
        assert record["answered"] and SEED_ANSWER in record["passages"][0]["text"]
    assert b"Traceback" not in result.stderr


def test_a_question_argument_that_is_not_utf8_is_a_usage_error(indexed_workdir):  # noqa: F811  (the fixture imported above)
    result = subprocess.run([str(RAWI), "ask", os.fsdecode(b"\xff x")], cwd=indexed_workdir, capture_output=True,
                            env=env(), timeout=300)
    assert result.returncode == 2
    assert b"not valid UTF-8" in result.stderr and b"Traceback" not in result.stderr


def test_an_index_missing_for_a_moment_is_one_error_record(indexed_workdir):  # noqa: F811  (the fixture imported above)
    index = indexed_workdir / "index"
    process = subprocess.Popen([str(RAWI), "ask", "-"], cwd=indexed_workdir, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
    try:
        def ask() -> dict:
            process.stdin.write(QUESTION + b"\n")
            process.stdin.flush()
            line = process.stdout.readline()
            assert line, process.stderr.read()
            return json.loads(line)

        assert ask()["answered"]
        (index / "CURRENT").rename(index / "CURRENT.away")  # a re-index replacing the folder, say
        missing = ask()
        assert "no index" in missing["error"] and not missing["passages"]
        (index / "CURRENT.away").rename(index / "CURRENT")
        assert ask()["answered"]
        process.stdin.close()
        assert process.wait(timeout=120) == 0
        assert b"Traceback" not in process.stderr.read()
    finally:
        reap(process)
