"""A loopback OpenAI-compatible server that "translates" XQuAD questions with their parallel question.

For measuring question translation (index/translate.py) without a model: asked for a question of
one file, it answers with the question of the same id in the other file, the translation a
perfect translator would give. Modes, for the failures rawi must survive: ``oracle``; ``fail``
(HTTP 500); ``slow`` (answers after --delay seconds); ``bad`` (answers with the question itself,
untranslated); ``chatty`` (a sentence that is no question). Serves until interrupted.

    python bench/oracle_translator.py eval/xquad/dev.en.json eval/xquad/dev.ar.json --port 8765 --mode oracle
    # [generate] enabled = true, url = "http://127.0.0.1:8765/v1" in a config, then `rawi eval ... --bilingual ...`
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MODES = ("oracle", "fail", "slow", "bad", "chatty")


def parallel_questions(first: Path, second: Path) -> dict[str, str]:
    """Each question (whitespace folded) of either SQuAD file -> the question of the same id in the other."""

    def by_id(path: Path) -> dict[str, str]:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
        return {qa["id"]: qa["question"] for article in data for p in article["paragraphs"] for qa in p["qas"]}

    one, two = by_id(first), by_id(second)
    pairs = {}
    for qid in one.keys() & two.keys():
        pairs[" ".join(one[qid].split())] = as_question(two[qid], one[qid])
        pairs[" ".join(two[qid].split())] = as_question(one[qid], two[qid])
    return pairs


def as_question(translation: str, question: str) -> str:
    """The parallel question with a question mark when the asked one has one, as a translator
    keeps it (XQuAD's translators sometimes left it out; rawi refuses such a reply as no question)."""
    translation = translation.rstrip()
    if question.rstrip().endswith(("?", "؟")) and not translation.endswith(("?", "؟")):
        arabic = any("\u0600" <= c <= "\u06ff" for c in translation)
        translation += "؟" if arabic else "?"
    return translation


def serve(pairs: dict[str, str], port: int, mode: str, delay: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            question = " ".join(body["messages"][-1]["content"].split())
            if mode == "fail":
                return self._json(500, {"error": {"message": "scripted failure", "type": "server_error"}})
            if mode == "slow":
                time.sleep(delay)
            text = {"bad": question, "chatty": "Sure, here is the translation you asked for."}.get(
                mode, pairs.get(question, question))
            self._json(200, {"id": "oracle", "object": "chat.completion", "model": "oracle", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]})

        def _json(self, status: int, payload: dict) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a slow server)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    return server


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--mode", choices=MODES, default="oracle")
    parser.add_argument("--delay", type=float, default=10.0, help="seconds before a slow server answers")
    args = parser.parse_args(argv)
    server = serve(parallel_questions(args.first, args.second), args.port, args.mode, args.delay)
    print(f"serving {args.mode} on http://127.0.0.1:{server.server_address[1]}/v1", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
