"""The bot's parts on their own: rendering, button data, limits, conversation context, config, CLI."""

from __future__ import annotations

import asyncio
import re
import time
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st
from telegram.error import RetryAfter

from bot import render
from bot.callbacks import MAX_BYTES, Callbacks, FullArticle, More, Page
from bot.context import Conversations, is_follow_up
from bot.limits import QuestionLimit, Throttle, TokenBucket
from bot.settings import BotSettings
from index.answer import Answer, Passage, Sources
from index.store import ArticleRow
from tests.botapi import parse_html, utf16_len

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def passage(text: str, start: int, end: int, title: str = "Title", url: str = "", article_id: str = "a.txt") -> Passage:
    return Passage(article_id, title, url, text, text[start:end], start, end, 0.9, 1)


def check(messages: list[str]) -> list[str]:
    plains = []
    for message in messages:
        plain, _ = parse_html(message)
        assert utf16_len(message) <= render.MAX_MESSAGE
        plains.append(plain)
    return plains


def squash(text: str) -> str:
    return "".join(text.split())


# --------------------------------------------------------------------------------------------
# render


texts = st.text(
    alphabet=st.sampled_from(list("ab <>&\"'\n*_`") + ["ك", "ت", "ا", "ب", "😀", "é", "\u200f"]), min_size=1, max_size=3000,
)


@settings(max_examples=60, deadline=None)
@given(body=texts, a=st.integers(0, 3000), b=st.integers(0, 3000), count=st.integers(1, 4), title=st.text(max_size=400))
@example(body="<<<<<\n", a=6, b=6, count=3, title="<<<<<")  # passages opening with their title (found in CI)
def test_any_answer_renders_to_valid_html_under_the_limit_keeping_every_character(body, a, b, count, title):
    start, end = sorted((min(a, len(body)), min(b, len(body))))
    passages = [passage(body * (i + 1), start, end, title=title) for i in range(count)]
    answer = Answer("q", True, passages)
    plains = check(render.render_answer(answer, "en"))
    joined = squash("".join(plains))
    for i in range(1, len(passages) + 1):
        assert f"[{i}]" in joined
    # no passage text lost (a first line repeating the title is shown once, as the title: Passage.shown)
    assert sum(len(squash(p.shown().text)) for p in passages) <= len(joined)


def test_a_huge_passage_is_split_on_spaces_with_the_sentence_still_bold():
    words = [f"word{i}&<x>" for i in range(3000)]
    body = " ".join(words)
    start = body.index("word1500")
    end = body.index("word1600")
    messages = render.render_answer(Answer("q", True, [passage(body, start, end, url="https://e.com/x")]), "ar")
    assert len(messages) > 3
    plains = check(messages)
    assert squash(body) == squash("".join(re.sub(r"^\[1\](?: Title)?\n", "", p) for p in plains))
    bolds = "".join(parse_html(m)[0] for msg in messages for m in re.findall(r"<b>(?!\[)(.*?)</b>", msg, flags=re.S))
    assert squash(bolds) == squash(body[start:end])
    # Cut between words, never inside one.
    for plain in plains:
        body_part = re.sub(r"^\[1\](?: Title)?\n", "", plain)
        assert body_part.split()[0] in words and body_part.split()[-1] in words


def test_answer_shows_the_title_as_a_link_only_for_web_urls():
    good = passage("Text. The answer.", 6, 17, title="A & B", url="https://example.com/a?x=1&y=\"2\"")
    bad = passage("Text.", 0, 5, title="<i>C</i>", url="javascript:alert(1)", article_id="b.txt")
    [message] = render.render_answer(Answer("q", True, [good, bad]), "en")
    plain, tags = parse_html(message)
    assert ("a", {"href": "https://example.com/a?x=1&y=\"2\""}) in tags
    assert [t for t, _ in tags].count("a") == 1
    assert "A & B" in plain and "<i>C</i>" in plain
    assert "<b>The answer.</b>" in message


def test_abstention_is_one_honest_sentence_in_the_questions_language():
    closest = passage("Something else entirely.", 0, 10)
    for lang in ("en", "ar"):
        [message] = render.render_answer(Answer("q", False, [closest]), lang)
        assert parse_html(message)[0] == render.TEXT[lang]["no_answer"]
        assert "Something" not in message


def test_every_interface_string_exists_in_both_languages():
    assert render.TEXT["en"].keys() == render.TEXT["ar"].keys()
    for key in render.TEXT["ar"]:
        if key not in ("help",):
            assert re.search("[\u0600-\u06ff]", render.TEXT["ar"][key]), key
    for lang in ("en", "ar"):
        parse_html(render.help_text(lang))


def test_long_article_is_sent_in_parts_each_valid_and_numbered():
    paragraphs = [("فقرة رقم %d " % i) * 40 + "& <tag>" for i in range(60)]
    article = ArticleRow("x.txt", "عنوان", "https://example.com/x", "2025-01-01", "Example", "0" * 64, "\n".join(paragraphs), 0.0)
    parts = render.render_article(article, "ar")
    assert len(parts) > 3
    plains = check(parts)
    assert all(render.text("ar", "part", i=i, n=len(parts)) in p for i, p in enumerate(plains, 1))
    joined = "\n".join(plains)
    assert all(p.strip() in joined for p in paragraphs)


def test_sources_lists_the_newest_titles():
    rows = [ArticleRow(f"{i}.txt", f"Title {i} <&>", "", "2025-01-0%d" % i, "", "", "", 0.0) for i in range(1, 4)]
    plain = parse_html(render.render_sources(Sources(3, 17, rows), "en"))[0]
    assert "3" in plain and "17" in plain and "Title 2 <&>" in plain
    assert parse_html(render.render_sources(Sources(0, 0, []), "ar"))[0] == render.TEXT["ar"]["sources_none"]


# --------------------------------------------------------------------------------------------
# button data


def test_button_data_fits_64_bytes_even_for_long_arabic_article_ids():
    callbacks = Callbacks()
    long_id = "أخبار/" + "مقال-طويل-جدا-" * 10 + ".txt"
    data = callbacks.article("ar", long_id)
    assert len(data.encode()) <= MAX_BYTES
    assert callbacks.parse(data, 1) == FullArticle("ar", long_id)
    short = callbacks.article("en", "000_x.txt")
    assert short == "a:en:000_x.txt" and callbacks.parse(short, 1) == FullArticle("en", "000_x.txt")


def test_more_button_is_used_once_and_only_in_its_own_chat():
    callbacks = Callbacks()
    page = Page(5, "a question " * 20, 3, "en")
    data = callbacks.more(page)
    assert len(data.encode()) <= MAX_BYTES
    assert callbacks.parse(data, 6) is None  # another chat
    assert callbacks.parse(data, 5) == More("en", page)
    assert callbacks.parse(data, 5) is None  # spent


def test_buttons_expire_when_memory_is_full():
    callbacks = Callbacks(size=3)
    first = callbacks.more(Page(1, "q", 3, "en"))
    for _ in range(3):
        callbacks.more(Page(1, "q", 3, "en"))
    assert callbacks.parse(first, 1) is None


@given(st.text(max_size=80))
def test_no_data_crashes_the_parser(data):
    Callbacks().parse(data, 1)


# --------------------------------------------------------------------------------------------
# limits


def test_question_limit_counts_a_minute_and_warns_once():
    now = [0.0]
    limit = QuestionLimit(3, clock=lambda: now[0])
    assert [limit.check(1)[0] for _ in range(3)] == [True, True, True]
    allowed, wait, tell = limit.check(1)
    assert not allowed and tell and wait == 60
    assert limit.check(1) == (False, 60, False)  # told already: quiet
    assert limit.check(2)[0]  # other users are not affected
    now[0] = 60.5
    assert limit.check(1)[0]


def test_question_limit_memory_is_bounded():
    limit = QuestionLimit(1, users=10)
    for user in range(100):
        limit.check(user)
    assert len(limit.asked) == 10


def test_token_bucket_spaces_requests_after_the_burst():
    now = [0.0]
    bucket = TokenBucket(rate=2.0, burst=3, clock=lambda: now[0])
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.reserve() == pytest.approx(0.5)
    assert bucket.reserve() == pytest.approx(1.0)


def test_throttle_waits_out_429_then_delivers():
    throttle = Throttle(per_second=1000, chat_per_second=1000, chat_burst=10)
    attempts: list[float] = []

    async def send(**kwargs):
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise RetryAfter(1)
        return {"ok": True}

    result = asyncio.run(throttle.process_request(send, (), {}, "sendMessage", {"chat_id": 1}, None))
    assert result == {"ok": True} and len(attempts) == 3
    assert attempts[1] - attempts[0] >= 0.99 and attempts[2] - attempts[1] >= 0.99
    assert throttle.retries == 2


def test_throttle_never_gives_up_on_flood_control():
    """429 is Telegram saying "later", not "no": 12 in a row (past the warning) and the message still goes."""
    throttle = Throttle(warn_after=3)
    attempts = []

    async def send(**kwargs):
        attempts.append(1)
        if len(attempts) <= 12:
            raise RetryAfter(0)
        return {"ok": True}

    assert asyncio.run(throttle.process_request(send, (), {}, "sendMessage", {"chat_id": 1}, None)) == {"ok": True}
    assert len(attempts) == 13 and throttle.retries == 12


# --------------------------------------------------------------------------------------------
# conversation context


@pytest.mark.parametrize("text", ["and China?", "China?", "what about France", "والصين؟", "ماذا عن الصين؟", "وماذا عن اليابان؟"])
def test_follow_ups(text):
    assert is_follow_up(text)


@pytest.mark.parametrize("text", ["Who vetoed the resolution?", "How many containers did the DPRK send?", "من وصل إلى بيونغ يانغ؟", "كم حاوية؟"])
def test_questions_that_stand_alone(text):
    assert not is_follow_up(text)


def test_conversation_memory_is_bounded_and_expires():
    now = [0.0]
    conversations = Conversations(chats=2, ttl=60, clock=lambda: now[0])
    assert conversations.question(1, "Who vetoed the resolution?") == "Who vetoed the resolution?"
    assert conversations.question(1, "and China?") == "Who vetoed the resolution? and China?"
    conversations.question(2, "Who arrived?")
    conversations.question(3, "Who left?")
    assert conversations.topic(1) is None  # forgotten: least recently active
    now[0] = 1000
    assert conversations.question(3, "and why?") == "and why?"  # expired


def test_follow_up_with_a_long_topic_stays_askable():
    conversations = Conversations()
    conversations.question(1, "word " * 400)
    asked = conversations.question(1, "and China?")
    assert len(asked) <= 1000 and asked.endswith("and China?")


# --------------------------------------------------------------------------------------------
# configuration and the command


def test_every_bot_setting_is_documented_in_config_toml():
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    bot = tomllib.loads(text)["bot"]
    for f in fields(BotSettings):
        if f.name != "token":
            assert f.name in bot, f"[bot] {f.name} is not in config.toml"
            assert re.search(rf"#[^\n]*\n(?:#[^\n]*\n|[a-z_]+ = [^\n]*\n)*{f.name} = ", text), f.name
    assert BotSettings(**{k: v for k, v in bot.items() if k != "allowed_chats"}) is not None


def test_bot_settings_come_from_config_and_environment(tmp_path, monkeypatch):
    from rawi import config

    path = tmp_path / "c.toml"
    path.write_text("[bot]\nallowed_chats = [1, -100]\nquestions_per_minute = 4\n")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:secret")
    monkeypatch.setenv("RAWI_TELEGRAM_API_URL", "http://127.0.0.1:9/bot")
    settings = config.load(path).bot
    assert settings.allowed_chats == {1, -100} and settings.questions_per_minute == 4
    assert settings.api_url == "http://127.0.0.1:9/bot" and settings.token == "1:secret"
    assert "secret" not in repr(settings)
    path.write_text('[bot]\ntoken = "1:abc"\n')
    with pytest.raises(config.ConfigError, match="TELEGRAM_BOT_TOKEN"):
        config.load(path)
    path.write_text('[bot]\nallowed_chats = ["x"]\n')
    with pytest.raises(config.ConfigError, match="allowed_chats"):
        config.load(path)
    path.write_text("[bot]\nworkers = 0\n")
    with pytest.raises(config.ConfigError, match="workers"):
        config.load(path)


def test_rawi_bot_without_a_token_is_a_one_line_error(tmp_path, monkeypatch):
    from rawi.cli import main

    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["bot", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "TELEGRAM_BOT_TOKEN" in result.output


def test_rawi_bot_help_teaches():
    from rawi.cli import main

    result = CliRunner().invoke(main, ["bot", "--help"])
    assert result.exit_code == 0 and "TELEGRAM_BOT_TOKEN" in result.output and "--index" in result.output
