"""Security: no file outside the corpus, limits that hold under a flood, no secret anywhere, a private
index folder.

A canary file sits next to the corpus (outside it) in every test that tries to reach outside:
whatever is tried, its text never reaches an answer, a button's reply or the index.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from bot.app import build_application
from bot.render import TEXT
from index.store import local as local_store
from index.articles import scan
from index.build import Builder
from index.service import open_answerer
from tests.botapi import BotThread, FakeBotAPI
from tests.conftest import SEEDS, make_settings
from tests.launch import Launch
from tests.reindex_helpers import RAWI, SEED_ID, env, make_workdir, rawi, settings_of
from tests.bot_helpers import CONTAINERS, SpyAnswerer, bot_settings, html_ok

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

CANARY = "CANARY-7f3a-this-text-lives-outside-the-corpus"
_ids = itertools.count(90_000)


def new_id() -> int:
    return next(_ids)


@pytest.fixture(scope="module")
def outside(tmp_path_factory, encoder):
    """An index of a corpus folder, with a canary file beside the corpus and links to it inside it."""
    base = tmp_path_factory.mktemp("security")
    corpus = base / "corpus"
    shutil.copytree(SEEDS, corpus)
    (base / "secret.txt").write_text(f"Secret\n\n{CANARY}\n", encoding="utf-8")
    (base / "private").mkdir()
    (base / "private" / "notes.md").write_text(f"Notes\n\n{CANARY}\n", encoding="utf-8")
    os.symlink(base / "secret.txt", corpus / "innocent.txt")  # a file link leading out
    os.symlink(base / "private", corpus / "linked-folder")  # a folder link leading out
    os.symlink("../secret.txt", corpus / "relative.txt")
    os.symlink(corpus / SEED_ID, corpus / "alias.txt")  # a link that stays inside: fine
    settings = make_settings(corpus, base / "index")
    stats = Builder(settings, encoder).run()
    return base, settings, stats


def hostile_ids(base: Path) -> list[str]:
    corpus = base / "corpus"
    return [
        "../secret.txt", "../../secret.txt", "./../secret.txt", "..\\secret.txt", "%2e%2e/secret.txt",
        str(base / "secret.txt"), "/etc/passwd", "/etc/hostname", "~/.bashrc", "file:///etc/passwd",
        "secret.txt", "innocent.txt", "relative.txt", "linked-folder/notes.md", "private/notes.md",
        str(corpus / SEED_ID), f"./{SEED_ID}", f"corpus/{SEED_ID}", f"{SEED_ID}\0.txt", f"{SEED_ID}/..",
        "", ".", "..", "/", "\0", "a" * 5000, "' OR '1'='1", f"{SEED_ID}' --",
    ]


def test_links_leading_out_of_the_corpus_are_not_followed(outside):
    base, settings, stats = outside
    skipped = {s.path: s.reason for s in stats.skipped}
    assert set(skipped) == {"innocent.txt", "relative.txt", "linked-folder/"}
    assert all("outside the corpus" in reason for path, reason in skipped.items() if path.endswith(".txt"))
    assert skipped["linked-folder/"] == "a link to a folder (not followed)"
    snapshot = local_store.open_snapshot(settings.index_dir)
    ids = {row[0] for row in snapshot._query("SELECT id FROM articles")}
    assert ids == {SEED_ID, "alias.txt"}  # the folder link was not walked; the inside link is fine
    assert not snapshot._query("SELECT 1 FROM articles WHERE text LIKE ?", (f"%{CANARY}%",))
    assert not snapshot._query("SELECT 1 FROM chunks WHERE text LIKE ?", (f"%{CANARY}%",))


def test_a_link_that_later_leads_out_is_skipped_and_keeps_nothing_from_outside(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Title\n\nText.", encoding="utf-8")
    (tmp_path / "out.txt").write_text(CANARY, encoding="utf-8")
    os.symlink(tmp_path / "out.txt", corpus / "b.txt")
    result = scan(corpus)
    assert [a.id for a in result.articles] == ["a.txt"]
    assert all(CANARY not in a.text for a in result.articles)


def test_no_article_id_reaches_a_file_outside_the_index(outside, encoder):
    base, settings, _ = outside
    answerer = open_answerer(settings, encoder)
    for article_id in hostile_ids(base):
        assert answerer.article(article_id) is None, article_id
    assert answerer.article(SEED_ID) is not None  # the lookup itself works


@pytest.fixture(scope="module")
def bot_api(outside, encoder):
    base, settings, _ = outside
    spy = SpyAnswerer(open_answerer(settings, encoder))
    with FakeBotAPI() as server:
        application = build_application(bot_settings(server, questions_per_minute=1000), spy, k=3)
        with BotThread(application, server, poll_timeout=1):
            yield server, base, spy


def test_forged_buttons_and_command_arguments_never_send_a_file(bot_api):
    server, base, _ = bot_api
    chat = new_id()
    reply = server.wait_reply(server.message(chat, CONTAINERS))
    queries = [server.press(reply[-1], f"a:en:{article_id}"[:64]) for article_id in hostile_ids(base)]
    for query in queries:
        server.wait_for(lambda calls, q=query: [c for c in calls if c.method == "answerCallbackQuery"
                                                and c.params["callback_query_id"] == q["id"]])
    commands = ["/sources ../secret.txt", f"/start {base}/secret.txt", "/help ../../etc/passwd",
                "/new /etc/passwd", "/article ../secret.txt", f"/sources {base / 'secret.txt'}"]
    for command in commands:
        server.message(chat, command)
    server.wait_reply(server.message(chat, f"{CONTAINERS} (barrier)"))
    for call in server.calls(chat_id=chat, ok=None):
        assert CANARY not in json.dumps(call.params, ensure_ascii=False)
        assert CANARY not in json.dumps(call.result, ensure_ascii=False)
    # every forged press got the polite "no such article" or "expired", and no article text
    answers = [c for c in server.calls("answerCallbackQuery") if c.params["callback_query_id"] in {q["id"] for q in queries}]
    assert len(answers) == len(queries)
    assert {c.params.get("text") for c in answers} <= {TEXT["en"]["no_article"], TEXT["en"]["expired"]}


# --------------------------------------------------------------------------------------------
# A flood from one user (a bounded loop, to the loopback server only)

FLOOD = 150
PER_MINUTE = 3


def test_a_flood_from_one_user_gets_the_limit_and_nothing_more(outside, encoder):
    base, settings, _ = outside
    spy = SpyAnswerer(open_answerer(settings, encoder))
    flooder, stranger, friend = new_id(), new_id(), new_id()
    with FakeBotAPI() as server:
        limited = bot_settings(server, questions_per_minute=PER_MINUTE, allowed_chats=frozenset({flooder, friend}))
        application = build_application(limited, spy, k=3)
        with BotThread(application, server, poll_timeout=1):
            first = server.message(flooder, f"{CONTAINERS} (0)")
            reply = server.wait_reply(first)
            button = next(b for b in reply[-1].buttons if b["text"] == TEXT["en"]["full"])
            for i in range(1, FLOOD):
                server.message(flooder, f"{CONTAINERS} ({i})")
                server.message(stranger, f"{CONTAINERS} ({i})")  # a chat off the allow-list
                if i % 3 == 0:
                    server.press(reply[-1], button["callback_data"])
                    server.sticker(flooder)
            # The limit holds for the flooder alone: a friend is answered meanwhile.
            answer = server.wait_reply(server.message(friend, CONTAINERS), timeout=120)
            assert "20 ألف حاوية" in html_ok(answer[0])
            # a barrier: this update comes after the whole flood, so once it is answered the flood was handled
            server.wait_reply(server.message(friend, f"{CONTAINERS} (after the flood)"), timeout=120)
            # A send that failed on a loaded machine is retried, so it may land after the barrier:
            # wait for the replies that must come, then count them all.
            server.wait_sent(flooder, PER_MINUTE + 1, timeout=120)
            server.wait_sent(stranger, PER_MINUTE, timeout=120)

            flooder_sent = [html_ok(c) for c in server.sent(flooder)]
            slow = TEXT["en"]["slow_down"].split("{")[0]
            # PER_MINUTE answers (one message each), one "slow down", nothing else (no article sent)
            assert len(flooder_sent) == PER_MINUTE + 1, flooder_sent
            assert len({c.reply_to for c in server.sent(flooder)} - {None}) == PER_MINUTE + 1
            assert sum(1 for text in flooder_sent if text.startswith(slow)) == 1
            assert sum(1 for text in flooder_sent if "20 ألف حاوية" in text) == PER_MINUTE
            assert [html_ok(c) for c in server.sent(stranger)] == [TEXT["en"]["not_allowed"]] * PER_MINUTE
            assert len([q for q in spy.asked if q.startswith(CONTAINERS)]) == PER_MINUTE + 2  # + the friend's two
            presses = [c for c in server.calls("answerCallbackQuery") if c.chat_id is None]
            assert presses and all(c.params.get("text", "").startswith(slow) for c in presses)
            assert not server.calls(ok=False)  # and the bot itself never tripped Telegram's limits


# --------------------------------------------------------------------------------------------
# Secrets


def test_a_rejected_token_is_a_one_line_error_that_does_not_repeat_it(outside, tmp_path):
    base, settings, _ = outside
    secret = "987654321:AAH-this-is-the-secret-part-0123456789"
    work = tmp_path / "work"
    work.mkdir()
    (work / "config.toml").write_text(f'[index]\ndir = "{settings.index_dir}"\n', encoding="utf-8")
    with FakeBotAPI() as server:  # it accepts only its own token: ours gets HTTP 401, as from Telegram
        result = subprocess.run(
            [str(RAWI), "-v", "bot"], cwd=work, capture_output=True, text=True, timeout=120,
            env=env(TELEGRAM_BOT_TOKEN=secret, RAWI_TELEGRAM_API_URL=server.base_url),
        )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "Error: the Bot API refused the token in TELEGRAM_BOT_TOKEN: check it with @BotFather"
    )
    for part in (secret, secret.split(":")[1]):
        assert part not in result.stdout and part not in result.stderr


def test_an_unreachable_bot_api_is_a_one_line_error_without_the_token(outside, encoder, caplog):
    """`rawi bot` asks getMe once; nothing answering there ends the start at once, in one line
    (issue 25: no 30 s of retries, each logged), for a supervisor to act on."""
    import logging

    from bot import app
    from bot.settings import BotSettings

    base, settings, _ = outside
    secret = "987654321:AAH-this-is-the-secret-part-0123456789"
    server = FakeBotAPI()  # bound to a loopback port, then closed: nothing answers there
    url = server.base_url
    server.server.server_close()
    with caplog.at_level(logging.DEBUG), pytest.raises(app.BotError) as refused:
        app.run(BotSettings(token=secret, api_url=url), open_answerer(settings, encoder))
    message = str(refused.value)
    port = url.split(":")[2].split("/")[0]
    assert message == f"cannot reach the Bot API (connection refused by 127.0.0.1:{port})"
    assert not [r for r in caplog.records if r.name == "bot.api" and r.levelno >= logging.WARNING]
    # what `rawi -v` shows (INFO and up); python-telegram-bot itself writes the token into a
    # DEBUG line (the file URL), which rawi never shows and its log filter would blank out anyway
    shown = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert secret.split(":")[1] not in message + shown


def test_a_token_written_in_the_config_is_refused_without_repeating_it(tmp_path):
    secret = "987654321:AAH-this-is-the-secret-part-0123456789"
    (tmp_path / "config.toml").write_text(f'[bot]\ntoken = "{secret}"\n', encoding="utf-8")
    for args in (["ask", "--json", "hello"], ["index", "--json"], ["bot"]):
        result = rawi(*args, cwd=tmp_path, timeout=120)
        assert result.returncode == 2 and "does not belong in a file" in result.stderr
        assert secret.split(":")[1] not in result.stdout + result.stderr


def test_the_token_is_in_no_settings_repr_nor_error_output(outside, tmp_path, monkeypatch):
    from rawi.config import load

    base, settings, _ = outside
    secret = "987654321:AAH-this-is-the-secret-part-0123456789"
    (tmp_path / "config.toml").write_text(f'[index]\ndir = "{settings.index_dir}"\n', encoding="utf-8")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", secret)
    loaded = load(tmp_path / "config.toml")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN")
    assert loaded.bot.token == secret
    assert secret.split(":")[1] not in repr(loaded) + str(loaded)
    asked = rawi("ask", "--json", "   ", cwd=tmp_path, timeout=120, TELEGRAM_BOT_TOKEN=secret)  # a usage error
    assert asked.returncode == 2 and secret.split(":")[1] not in asked.stdout + asked.stderr


# --------------------------------------------------------------------------------------------
# The index folder


@pytest.mark.slow  # `rawi index` loads the real model
def test_rawi_index_creates_a_private_index_folder_whatever_the_umask(tmp_path):
    work = make_workdir(tmp_path)
    index_dir = work / "var" / "news-index"  # its parent does not exist either
    result = subprocess.run(
        Launch(umask=0o022).command([RAWI, "index", "--json", "--index", index_dir]), cwd=work, capture_output=True,
        text=True, env=env(), timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for folder in (index_dir, index_dir / local_store.GENERATIONS, local_store.current_generation(index_dir)):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    # nobody but the owner can reach any file of it: every path goes through the private folder
    for path in index_dir.rglob("*"):
        assert index_dir in path.parents
    assert not settings_of(work).index_dir.exists()  # --index was honoured


def test_the_log_filter_blanks_out_a_token_whoever_logs_it():
    """python-telegram-bot quotes a rejected token in its error; rawi's log handlers blank it out."""
    import io
    import logging

    from bot.redact import RedactingFilter

    secret = "987654321:AAH-this-is-the-secret-part-0123456789"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"The token `{secret}` was rejected by the server.")
        except RuntimeError:
            logger.exception("calling https://api.telegram.org/bot%s/getMe failed", secret)
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "Traceback" in written and "getMe failed" in written and written.count("<token>") == 2
    assert secret.split(":")[1] not in written
