"""Bench [generate] against any OpenAI-compatible server: time to first token and to the whole answer.

    .venv/bin/python bench/bench_generate.py --url http://127.0.0.1:8080/v1            # llama-server
    .venv/bin/python bench/bench_generate.py --url http://127.0.0.1:11434/v1 --model qwen2.5:3b   # Ollama
    .venv/bin/python bench/bench_generate.py --fake        # tests/llmapi.py's scripted server (a dry run)

Each question is answered by rawi first (a throwaway index of seeds/, or `--config` for yours);
the questions it answers are sent with their cited passages exactly as `rawi ask` sends them
(index/generate.py's prompt), streamed, `--runs` times each. Printed per question: time to the
first token, to the whole reply, tokens (streamed pieces) per second, and whether the reply passed
the checks (index/grounding.py) or why not, with the reply itself; then p50 / max over all.
An API key, if the server needs one, is read from the variable named by `--api-key-env`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seed_questions import seed_questions  # noqa: E402  (bench/, beside this file)

QUESTIONS = seed_questions("containers", "containers_ar", "who_arrived_wednesday", "who_arrived_ar", "when_shoigu", "talks")


def answerer_for(config: Path | None, work: Path):
    from index.build import Builder
    from index.encoder import Encoder
    from index.service import open_answerer
    from rawi import config as config_module

    if config is not None:
        return open_answerer(config_module.load(config).index)
    shutil.copytree(ROOT / "seeds", work / "corpus")
    settings = config_module.load(ROOT / "config.toml", corpus=work / "corpus", index=work / "index").index
    encoder = Encoder(settings.encoder)
    Builder(settings, encoder).run()
    return open_answerer(settings, encoder)


def one_run(client, model: str, request, max_tokens: int) -> dict:
    from index.generate import Draft, GenerationFailed, build_messages

    draft = Draft(request)
    started = time.perf_counter()
    first = None
    pieces = 0
    stream = client.chat.completions.create(model=model, messages=build_messages(request), stream=True,
                                            max_tokens=max_tokens, temperature=0.0)
    with stream:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                first = first or time.perf_counter()
                pieces += 1
            draft.feed(chunk)
    whole = time.perf_counter() - started
    try:
        verdict = draft.result(model).kind
    except GenerationFailed as exc:
        verdict = f"rejected: {exc}"
    return {"first": (first or time.perf_counter()) - started, "whole": whole, "pieces": pieces, "verdict": verdict,
            "reply": "".join(draft.parts).strip()}


def fake_server():
    from tests.llmapi import FakeLLM, Reply

    server = FakeLLM().__enter__()
    server.script(Reply("More than 20,000 containers of ammunition [1].", pause=0.02))
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="The server's OpenAI-compatible base URL (…/v1).")
    parser.add_argument("--fake", action="store_true", help="Use tests/llmapi.py's scripted server (a dry run).")
    parser.add_argument("--model", default="local", help="Model name sent with each request [local].")
    parser.add_argument("--api-key-env", default="RAWI_GENERATE_API_KEY", help="Variable holding the API key.")
    parser.add_argument("--runs", type=int, default=3, help="Requests per question [3].")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--config", type=Path, help="Answer from the index this config.toml names [a fresh seeds/ index].")
    args = parser.parse_args()
    if not args.url and not args.fake:
        parser.error("give --url URL (or --fake for a dry run)")
    import openai

    from index.generate import request_for

    server = fake_server() if args.fake else None
    url = server.base_url if server else args.url
    client = openai.OpenAI(base_url=url, api_key=os.environ.get(args.api_key_env) or "no-key",
                           timeout=args.timeout, max_retries=0)
    work = Path(tempfile.mkdtemp(prefix="rawi-bench-generate-"))
    try:
        answerer = answerer_for(args.config, work)
        rows = []
        print(f"server {url}  model {args.model}  runs {args.runs}")
        for question in QUESTIONS:
            answer = answerer.ask(question, k=3)
            if not answer.answered:
                print(f"- {question}: rawi declines; not sent")
                continue
            request = request_for(answer, answerer)
            runs = [one_run(client, args.model, request, args.max_tokens) for _ in range(args.runs)]
            rows += runs
            last = runs[-1]
            print(f"- {question}\n    first token p50 {statistics.median(r['first'] for r in runs):.3f} s, whole "
                  f"p50 {statistics.median(r['whole'] for r in runs):.3f} s, {last['pieces']} pieces; "
                  f"{last['verdict']}\n    {last['reply'][:300]!r}")
        if rows:
            for key, name in (("first", "first token"), ("whole", "whole answer")):
                times = [r[key] for r in rows]
                print(f"{name:13} p50 {statistics.median(times):.3f} s  max {max(times):.3f} s  ({len(times)} requests)")
            shown = sum(r["verdict"] in ("generated", "abstained") for r in rows)
            print(f"passed the checks: {shown}/{len(rows)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if server:
            server.__exit__()


if __name__ == "__main__":
    main()
