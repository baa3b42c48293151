"""Bench the Telegram bot: many chats asking at once against a loopback Bot API server.

    .venv/bin/python bench/bench_bot.py [--chats 20] [--rounds 5] [--workers 2]
    .venv/bin/python bench/bench_bot.py --index /tmp/rawi-bench-query/100000/index   # serve a big index

Builds a throwaway index of seeds/ (or serves ``--index``, e.g. one bench_query.py built),
starts `rawi bot` as a child process (the real command, its own memory) pointed at
tests/botapi.py's server on 127.0.0.1, then measures the time from a question reaching the
server to the first message of its reply:

  one at a time   the chats ask one after another (the latency of a quiet bot)
  all at once     every chat asks in the same instant, `--rounds` times

and prints p50 / p95 / max side by side with their ratio, whether every question was answered,
and the bot's resident memory (now and peak).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seed_questions import seed_questions  # noqa: E402  (bench/, beside this file)
from tests.botapi import FakeBotAPI  # noqa: E402

QUESTIONS = seed_questions("containers", "containers_ar", "who_arrived", "who_arrived_ar", "monitoring", "off_topic")


def rawi(config: Path, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([str(ROOT / ".venv/bin/rawi"), "--config", str(config), *args], **kwargs)


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) in MiB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(value.split()[0]) // 1024
    return values


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def ask(api: FakeBotAPI, chat_ids: list[int], round_: int) -> list[float]:
    """All chats ask at once; seconds from each question's arrival to its reply's first message."""
    questions = [api.message(chat, QUESTIONS[(chat + round_) % len(QUESTIONS)]) for chat in chat_ids]
    asked_at = time.monotonic()
    latencies = []
    for question in questions:
        reply = api.wait_reply(question, timeout=300)
        latencies.append(reply[0].at - asked_at)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="[bot] workers: retrieval threads")
    parser.add_argument("--index", type=Path, help="serve this existing index instead of one of seeds/")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="rawi-bench-bot-") as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text(
            f'[corpus]\ndir = "{ROOT / "seeds"}"\n[index]\ndir = "{args.index or Path(tmp) / "index"}"\n'
            f'[encoder]\ncache_dir = "{ROOT / ".cache/models"}"\n'
            f"[bot]\nworkers = {args.workers}\nquestions_per_minute = 1000\n",
            encoding="utf-8",
        )
        if not args.index:
            subprocess.run([str(ROOT / ".venv/bin/rawi"), "--config", str(config), "index"], check=True, stdout=subprocess.DEVNULL)
        with FakeBotAPI() as api:
            env = dict(os.environ, TELEGRAM_BOT_TOKEN=api.token, RAWI_TELEGRAM_API_URL=api.base_url)
            bot = rawi(config, "bot", env=env)
            try:
                api.wait_for(lambda calls: any(c.method == "deleteWebhook" for c in calls), timeout=300)
                api.wait_reply(api.message(1, QUESTIONS[0]), timeout=300)  # warm-up
                idle = memory(bot.pid)
                chats = list(range(100, 100 + args.chats))

                sequential = []
                for chat in chats:
                    sequential += ask(api, [chat], 0)
                concurrent = []
                for round_ in range(args.rounds):
                    concurrent += ask(api, chats, round_ + 1)
                loaded = memory(bot.pid)
                failures = api.calls(ok=False)
            finally:
                bot.terminate()
                bot.wait(timeout=60)

    answered = len(sequential) + len(concurrent)
    expected = args.chats * (1 + args.rounds)
    print(f"rawi bot bench: {args.chats} chats, {args.rounds} rounds all at once, workers={args.workers}, "
          f"cpus={os.cpu_count()}, index {args.index or 'of seeds/'}")
    print(f"answered {answered}/{expected} questions; refused requests: {len(failures)}")
    print(f"{'question -> reply':<20}{'one at a time':>16}{'all at once':>14}{'ratio':>8}")
    for name, q in (("p50", 0.5), ("p95", 0.95), ("max", 1.0)):
        a, b = percentile(sequential, q), percentile(concurrent, q)
        print(f"{name:<20}{a * 1000:>13.0f} ms{b * 1000:>11.0f} ms{b / a:>7.1f}x")
    print(f"{'mean':<20}{statistics.mean(sequential) * 1000:>13.0f} ms{statistics.mean(concurrent) * 1000:>11.0f} ms")
    print(f"resident memory: {idle['VmRSS']} MiB after warm-up, {loaded['VmRSS']} MiB after the bench, "
          f"peak {loaded['VmHWM']} MiB")


if __name__ == "__main__":
    main()
