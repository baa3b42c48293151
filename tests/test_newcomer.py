"""A newcomer's first hour (issue 25): greetings answered from the user's own index, --json
always one JSON object, `rawi articles`, and the small things a first run trips over.

The index is real (files on disk, FAISS), built with the stand-in encoder: nothing here depends
on what the model decides, and `rawi` runs as the real executable in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from index.build import Builder
from tests.conftest import ROOT as ROOT_DIR
from tests.reindex_helpers import RAWI

ARTICLES = {
    "gulf/jeddah.md": "---\ntitle: Jeddah port reopens after the storm\npublished: 2025-06-03\nsource: Gulf Times\n"
                      "language: en\n---\nThe port of Jeddah reopened on Tuesday after three days of closure.\n",
    "gulf/oil.md": "---\ntitle: Oil exports rise in May\npublished: 2025-06-01\nsource: Reuters\n---\n"
                   "Saudi oil exports rose by four percent in May, shipping data showed.\n",
    "levant/grain.md": "---\ntitle: وصول سفينة الحبوب إلى ميناء بيروت\npublished: 2025-06-04\nsource: النهار\n---\n"
                       "وصلت سفينة محملة بالقمح إلى ميناء بيروت صباح الأربعاء.\n",
    "undated.txt": "A note without a date\n\nThe committee met again without reaching a decision.\n",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory, stand_in_encoder):
    from tests.conftest import make_settings

    base = tmp_path_factory.mktemp("newcomer")
    for name, text in ARTICLES.items():
        (base / "corpus" / name).parent.mkdir(parents=True, exist_ok=True)
        (base / "corpus" / name).write_text(text, encoding="utf-8")
    settings = make_settings(base / "corpus", base / "index")
    assert Builder(settings, stand_in_encoder).run().articles == len(ARTICLES)
    return base


def rawi(*args: str, cwd, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "RAWI_CONFIG"}
    return subprocess.run([str(RAWI), *args], cwd=cwd, input=stdin, capture_output=True, text=True, env=env,
                          timeout=120)


# ------------------------------------------------------------------ 1. greetings and lone words


@pytest.mark.parametrize("text, language", [("hello", "en"), ("Hi!", "en"), ("مرحبا", "ar"), ("السلام عليكم", "ar")])
def test_a_greeting_gets_a_reply_in_its_language_with_an_example_from_the_index(built, text, language):
    result = rawi("ask", "--index", "index", text, cwd=built)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    first, example = result.stdout.strip().splitlines()
    if language == "ar":
        assert first.startswith("أهلًا") and "(4)" in first
        assert example == '  rawi ask "ماذا تقول المقالات عن «وصول سفينة الحبوب إلى ميناء بيروت»؟"'
    else:
        assert first.startswith("Hello!") and "4 indexed articles" in first
        assert example.startswith('  rawi ask "What do the articles say about “') and "Jeddah port" in example


def test_a_lone_word_is_shown_a_question_on_an_article_that_names_it(built):
    """"Jeddah" and "oil": each example is built on the title holding that word, not the newest."""
    for word, title in (("Jeddah", "Jeddah port reopens after the storm"), ("oil", "Oil exports rise in May")):
        result = rawi("ask", "--index", "index", "--json", word, cwd=built)
        assert result.returncode == 0
        record = json.loads(result.stdout)
        assert record["answered"] is False and record["passages"] == []
        assert record["reply"].startswith(f'"{word}" alone is not a question')
        assert record["example"] == f"What do the articles say about “{title}”?"


def test_the_example_comes_from_the_users_corpus_not_the_demo(tmp_path, stand_in_encoder):
    from tests.conftest import make_settings

    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.md").write_text("---\ntitle: Tram line opens in Tunis\n---\nThe tram runs.\n", "utf-8")
    Builder(make_settings(tmp_path / "corpus", tmp_path / "index"), stand_in_encoder).run()
    record = json.loads(rawi("ask", "--index", "index", "--json", "hey", cwd=tmp_path).stdout)
    assert record["example"] == "What do the articles say about “Tram line opens in Tunis”?"
    assert "Pyongyang" not in json.dumps(record)


def test_a_greeting_before_anything_is_indexed_says_how_to_start(tmp_path):
    result = rawi("ask", "--index", "nowhere", "hello", cwd=tmp_path)
    assert result.returncode == 0 and "run `rawi index`" in result.stdout and result.stderr == ""
    record = json.loads(rawi("ask", "--index", "nowhere", "--json", "مرحبا", cwd=tmp_path).stdout)
    assert record["example"] is None and "rawi index" in record["reply"]


def test_ask_stdin_replies_to_a_greeting_line_as_ask_does(built, stand_in_encoder):
    """`rawi ask -`: a greeting line's record is the reply (with the example from this index), not an error."""
    from index.filters import ArticleFilter
    from index.service import open_answerer
    from rawi.stream import stream_record
    from tests.conftest import make_settings

    answerer = open_answerer(make_settings(built / "corpus", built / "index"), stand_in_encoder)
    record = stream_record(answerer, "Jeddah", 3, ArticleFilter())
    assert "error" not in record and record["answered"] is False and record["passages"] == []
    assert record["example"] == "What do the articles say about “Jeddah port reopens after the storm”?"
    assert stream_record(answerer, "مرحبا", 3, ArticleFilter())["reply"].startswith("أهلًا")


# ------------------------------------------------------------------ 1b. --json: always one object


@pytest.mark.parametrize("args, code", [
    (["ask", "--json", "--since", "someday", "What happened?"], 2),  # a bad filter
    (["ask", "--json", "-k", "0", "What happened?"], 2),  # click's own usage error
    (["ask", "--json", "   "], 2),  # an empty question
    (["ask", "--json", "x" * 1001], 2),  # too long
    (["ask", "--json", "--index", "nowhere", "What happened in Jeddah?"], 1),  # no index
    (["sources", "--json", "--index", "nowhere"], 1),
])
def test_json_errors_are_one_json_object_on_stdout_and_one_line_on_stderr(tmp_path, args, code):
    result = rawi(*args, cwd=tmp_path)
    assert result.returncode == code
    record = json.loads(result.stdout)  # exactly one object: json.loads refuses a second
    assert list(record) == ["error"] and record["error"]
    assert result.stderr == f"Error: {record['error']}\n"


# ------------------------------------------------------------------ 2. rawi articles


def test_rawi_articles_lists_every_article_newest_first_undated_last(built):
    result = rawi("articles", "--index", "index", "--json", cwd=built)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [a["id"] for a in listed["articles"]] == ["levant/grain.md", "gulf/jeddah.md", "gulf/oil.md", "undated.txt"]
    assert (listed["count"], listed["total"]) == (4, 4)
    assert listed["filters"] == {"since": None, "until": None, "source": None, "lang": None}
    jeddah = listed["articles"][1]
    assert (jeddah["title"], jeddah["published"], jeddah["source"], jeddah["language"]) == (
        "Jeddah port reopens after the storm", "2025-06-03", "Gulf Times", "en")
    assert listed["articles"][0]["language"] == "ar" and listed["articles"][3]["published"] == ""


@pytest.mark.parametrize("args, ids", [
    (["--source", "gulf"], ["gulf/jeddah.md"]),
    (["--source", "النهار"], ["levant/grain.md"]),
    (["--lang", "en", "--since", "2025-06-02"], ["gulf/jeddah.md"]),
    (["--until", "2025-06-03"], ["gulf/jeddah.md", "gulf/oil.md"]),  # the undated one passes no date filter
    (["--source", "nobody"], []),
])
def test_rawi_articles_filters_as_ask_does(built, args, ids):
    listed = json.loads(rawi("articles", "--index", "index", "--json", *args, cwd=built).stdout)
    assert [a["id"] for a in listed["articles"]] == ids and listed["total"] == 4


def test_rawi_articles_for_a_person_one_line_each_and_a_count(built):
    result = rawi("articles", "--index", "index", cwd=built)
    lines = result.stdout.splitlines()
    assert result.returncode == 0 and len(lines) == 5
    assert lines[1] == "gulf/jeddah.md  3 Jun 2025  en  Gulf Times  Jeddah port reopens after the storm"
    assert lines[3].startswith("undated.txt  undated  en  (no source)  A note without a date")
    assert lines[-1] == "4 articles"
    one = rawi("articles", "--index", "index", "--source", "reuters", cwd=built).stdout.splitlines()
    assert one[-1] == "1 of 4 articles (source reuters)"


def test_rawi_articles_bad_input_is_one_line(built, tmp_path):
    bad = rawi("articles", "--index", "index", "--since", "June", cwd=built)
    assert bad.returncode == 2 and bad.stdout == "" and len(bad.stderr.splitlines()) == 1 and "not a date" in bad.stderr
    missing = rawi("articles", "--index", "nowhere", cwd=tmp_path)
    assert missing.returncode == 1 and missing.stderr.startswith("Error: no index at nowhere")


# ------------------------------------------------------------------ 3. progress on a terminal only


def test_the_build_shows_its_bars_only_when_asked(tmp_path, stand_in_encoder, capsys):
    from tests.conftest import make_settings

    (tmp_path / "corpus").mkdir()
    for n in range(3):
        (tmp_path / "corpus" / f"{n}.txt").write_text(f"Title {n}\n\nBody of article number {n}.\n", "utf-8")
    Builder(make_settings(tmp_path / "corpus", tmp_path / "quiet"), stand_in_encoder).run()
    assert capsys.readouterr().err == ""
    Builder(make_settings(tmp_path / "corpus", tmp_path / "shown"), stand_in_encoder, progress=True).run()
    assert "splitting: 100%" in capsys.readouterr().err


def on_a_terminal(args: list[str], cwd) -> tuple[int, str, str]:
    """Run rawi with its standard error on a pseudo-terminal: (exit status, stdout, what the terminal got)."""
    import fcntl
    import pty
    import struct
    import termios
    import threading

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a new one is 0 x 0
    env = {k: v for k, v in os.environ.items() if k != "RAWI_CONFIG"}
    proc = subprocess.Popen([str(RAWI), *args], cwd=cwd, stdout=subprocess.PIPE, stderr=slave, text=True, env=env)
    os.close(slave)
    seen: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the terminal's other end is closed
                return
            if not data:
                return
            seen.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    out, _ = proc.communicate(timeout=600)
    reader.join(timeout=60)
    os.close(master)
    return proc.returncode, out, b"".join(seen).decode("utf-8", "replace")


@pytest.mark.slow  # the real `rawi index` and `rawi eval` load the real model
def test_index_and_eval_show_progress_on_a_terminal_and_nothing_when_piped(tmp_path):
    import shutil

    from tests.conftest import MODEL_CACHE, ROOT, SEEDS

    shutil.copytree(SEEDS, tmp_path / "corpus")
    (tmp_path / "config.toml").write_text(
        f'[corpus]\ndir = "corpus"\n[index]\ndir = "var/index"\n[encoder]\ncache_dir = "{MODEL_CACHE}"\n', "utf-8")
    code, out, terminal = on_a_terminal(["index"], tmp_path)
    assert code == 0 and "splitting: 100%" in terminal and "embedding: 100%" in terminal, terminal
    assert out.startswith("1 article, ") and " passages in " in out  # not "1 articles" (issue 25)
    questions = str(ROOT / "eval" / "seed_questions.jsonl")
    code, out, terminal = on_a_terminal(["eval", questions], tmp_path)
    assert code == 0 and "asking: 100%" in terminal and "recall_at_1" in out, terminal
    (tmp_path / "corpus" / "new.txt").write_text("A new article\n\nSomething else happened.\n", "utf-8")
    for args in (["index"], ["eval", questions]):
        piped = rawi(*args, cwd=tmp_path)
        assert piped.returncode == 0 and "%|" not in piped.stderr and "\r" not in piped.stderr, piped.stderr


# ------------------------------------------------------------------ 4. small things


def test_the_question_limit_is_in_the_help():
    from index.question import MAX_QUESTION_CHARS

    result = rawi("ask", "--help", cwd=ROOT_DIR)
    assert result.returncode == 0 and f"at most {MAX_QUESTION_CHARS:,} characters" in result.stdout


def test_a_bad_json_line_is_named_with_its_column(tmp_path):
    from index.articles import scan

    (tmp_path / "a.jsonl").write_text('{"title": "A", "text": "Body one."}\n{"title": "B", "text": "Two" "x"}\n', "utf-8")
    (tmp_path / "b.json").write_text('{\n  "title": "C",\n  "text": "Three"\n  "x": 1\n}\n', "utf-8")
    reasons = {(s.path, s.line): s.reason for s in scan(tmp_path).skipped}
    assert reasons == {
        ("a.jsonl", 2): "line 2: not valid JSON (column 30: Expecting ',' delimiter)",
        ("b.json", None): "not valid JSON (line 4, column 3: Expecting ',' delimiter)",
    }


def test_config_problems_are_one_line_each_with_a_guess(tmp_path):
    (tmp_path / "config.toml").write_text('[retreival]\nk = 5\n[index]\ndirr = "x"\n[encoder]\nbatch_size = "a"\n', "utf-8")
    result = rawi("ask", "What happened in Jeddah?", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: config.toml: unknown section(s): retreival (did you mean [retrieval]?)",
        "Error: config.toml: unknown key(s) in [index]: dirr (did you mean dir?)",
        'Error: config.toml: [encoder] batch_size = "a": must be an integer from 1 to 4096',
    ]
    as_json = rawi("articles", "--json", cwd=tmp_path)
    assert as_json.returncode == 2 and json.loads(as_json.stdout)["error"].count("config.toml:") == 3


@pytest.mark.parametrize("made", ["nothing", "an empty corpus folder"])
def test_a_failed_first_index_leaves_no_index_folder_behind(tmp_path, made):
    if made != "nothing":
        (tmp_path / "seeds").mkdir()
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = rawi("index", cwd=tmp_path)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # no var/index/lock


def test_a_failed_index_keeps_a_published_index(built):
    """The other side: an index that was published stays, lock and all, when a later run fails."""
    import shutil

    shutil.copytree(built / "index", built / "kept")
    result = rawi("index", "--corpus", "no-such-folder", "--index", "kept", cwd=built)
    assert result.returncode == 1 and (built / "kept" / "CURRENT").exists()
    assert json.loads(rawi("articles", "--index", "kept", "--json", cwd=built).stdout)["total"] == 4


def test_answer_json_always_says_which_filters_were_applied(built, stand_in_encoder):
    from index.filters import make_filter
    from index.service import open_answerer
    from rawi.render import answer_json
    from tests.conftest import make_settings

    answerer = open_answerer(make_settings(built / "corpus", built / "index"), stand_in_encoder)
    plain = answer_json(answerer.ask("Which port reopened after the storm?"))
    assert plain["filters"] == {"since": None, "until": None, "source": None, "lang": None}
    given = answer_json(answerer.ask("Which port reopened after the storm?", where=make_filter(source="gulf")))
    assert given["filters"]["source"] == "gulf"
    written = answer_json(answerer.ask("since:2025-06-02 lang:en Which port reopened after the storm?"))
    assert written["filters"] == {"since": "2025-06-02", "until": None, "source": None, "lang": "en"}


def test_direction_marks_stay_on_the_terminal_not_in_pipes_and_files(built):
    from rawi.terminal import isolate, unmarked

    title = "وصول سفينة الحبوب"
    assert unmarked(f"[1] {isolate(title)}  (x.md, score 0.5)") == f"[1] {title}  (x.md, score 0.5)"
    assert unmarked("\u200eleft-to-right mark of the article\u200e") == "\u200eleft-to-right mark of the article\u200e"
    for args in (["articles"], ["sources"], ["ask", "مرحبا"]):
        piped = rawi(*args, "--index", "index", cwd=built)
        assert piped.returncode == 0 and ("بيروت" in piped.stdout or "النهار" in piped.stdout)
        assert not {"\u2068", "\u2069"} & set(piped.stdout), (args, ascii(piped.stdout))


def test_verbose_logs_no_faiss_loader_lines(built):
    result = rawi("-v", "articles", "--index", "index", cwd=built)
    assert result.returncode == 0 and "faiss.loader" not in result.stderr and "AVX" not in result.stderr


def test_make_setup_upgrades_pip_before_installing():
    """pip 23.2 (Python 3.11's own) warns "lxml does not provide the extra 'html_clean'" on every
    `make demo`; 23.3 reads the extra's name as PEP 685 says. The upgrade must come first."""
    recipe = (ROOT_DIR / "Makefile").read_text("utf-8").split("$(VENV)/.installed:")[1].split("\n\n")[0]
    steps = [line.strip() for line in recipe.splitlines()[1:]]
    assert steps[1] == "$(PIP) --upgrade 'pip>=23.3'" and "-e '.[test]'" in steps[3]


# ------------------------------------------------------------------ 5. bot set-up that explains itself


@pytest.mark.parametrize("token", ["abc", "123456:short", "123456789 AAHabcdefghijklmnopqrstuvwxyz0123456", ":" * 40])
def test_a_token_of_the_wrong_shape_is_refused_at_once_without_repeating_it(tmp_path, token):
    """Before any index or model is opened (--index names nothing): one line, exit 1."""
    env = {k: v for k, v in os.environ.items() if k != "RAWI_CONFIG"} | {"TELEGRAM_BOT_TOKEN": token}
    result = subprocess.run([str(RAWI), "bot", "--index", "nowhere"], cwd=tmp_path, capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: TELEGRAM_BOT_TOKEN does not look like a bot token (")
    assert len(result.stderr.splitlines()) == 1 and token not in result.stderr.removeprefix("Error: ")


def test_a_token_of_the_right_shape_passes():
    from bot.settings import token_problem

    assert token_problem("123456789:AAHabcdefghijklmnopqrstuvwxyz0123456") == ""
    assert token_problem("") .startswith("no bot token")


def unused_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


GOOD_TOKEN = "123456789:AAHabcdefghijklmnopqrstuvwxyz0123456"


def start_bot(api_url: str, built, stand_in_encoder, caplog, timeout: float = 10.0) -> str:
    """bot.app.run against ``api_url``: the BotError's line; also checks nothing was logged twice."""
    import logging

    from bot.app import BotError, run
    from bot.settings import BotSettings
    from index.service import open_answerer
    from tests.conftest import make_settings

    answerer = open_answerer(make_settings(built / "corpus", built / "index"), stand_in_encoder)
    caplog.set_level(logging.WARNING)
    with pytest.raises(BotError) as error:
        run(BotSettings(token=GOOD_TOKEN, api_url=api_url, request_timeout=timeout), answerer)
    assert not [r for r in caplog.records if r.name.startswith("bot")], caplog.text  # no retries, no warnings
    assert GOOD_TOKEN.split(":")[1] not in str(error.value)
    return str(error.value)


def test_a_bot_api_that_refuses_connections_is_one_line_at_once(built, stand_in_encoder, caplog):
    port = unused_port()
    line = start_bot(f"http://127.0.0.1:{port}/bot", built, stand_in_encoder, caplog)
    assert line == f"cannot reach the Bot API (connection refused by 127.0.0.1:{port})"


def test_a_bot_api_that_never_answers_is_one_line(built, stand_in_encoder, caplog):
    """A loopback server that accepts the connection and says nothing: one timeout, no retries."""
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        line = start_bot(f"http://127.0.0.1:{port}/bot", built, stand_in_encoder, caplog, timeout=1.0)
        server.setblocking(False)
        connections = 0
        while True:
            try:
                server.accept()[0].close()
            except BlockingIOError:
                break
            connections += 1
    assert line == f"cannot reach the Bot API (no answer from 127.0.0.1:{port} in time)"
    assert connections == 1  # getMe asked once, not tried again with backoff


def test_a_failed_dns_lookup_is_named_as_such():
    import socket

    import httpx
    from telegram.error import NetworkError

    from bot.app import unreachable

    try:
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except socket.gaierror as exc:
            raise httpx.ConnectError("[Errno -2] Name or service not known") from exc
    except httpx.ConnectError as exc:
        error = NetworkError(f"httpx.ConnectError: {exc}")
        error.__cause__ = exc
    assert unreachable(error, "https://api.telegram.org/bot") == "DNS lookup failed for api.telegram.org"


# ------------------------------------------------------------------ 6. the README a newcomer follows


def readme() -> str:
    return (ROOT_DIR / "README.md").read_text("utf-8")


def code_blocks(text: str) -> list[str]:
    import re

    return re.findall(r"```\n(.*?)```", text, re.S)


def test_the_readme_starts_with_the_title_then_the_two_commands():
    text = readme()
    assert text.startswith("# rawi (راوي)\n")
    assert code_blocks(text)[0] == "make demo\nmake test\n"
    assert text.index("## Your own folder in 3 steps") < text.index("## Asking")
    for doc in ("docs/development.md", "docs/measurements.md"):
        assert f"]({doc})" in text and (ROOT_DIR / doc).is_file()
    assert "stand_in_encoder" not in text.split("## Asking")[0]  # developer notes live in docs/


def test_the_readmes_front_matter_example_is_read_as_it_says(tmp_path):
    from index.articles import scan

    example = next(block for block in code_blocks(readme()) if block.startswith("---\ntitle:"))
    (tmp_path / "port.md").write_text(example, "utf-8")
    [article] = scan(tmp_path).articles
    assert (article.title, article.source, article.url) == (
        "Jeddah port reopens after the storm", "Gulf Times", "https://example.com/jeddah-port")
    from index.published import sortable

    assert sortable(article.published) == "2025-06-03" and "140 ships" in article.text


def test_every_date_form_the_readme_lists_is_read():
    import re

    from index.published import sortable

    paragraph = readme().split("Dates are read as outlets write them:")[1].split("\n\n")[0]
    forms = [f for f in re.findall(r"`([^`]+)`", " ".join(paragraph.split())) if re.search(r"\d", f)]
    assert len(forms) >= 12
    for form in forms:
        assert sortable(form)[:10] == "2025-06-03", form


def test_the_readmes_own_config_loads(tmp_path):
    from rawi import config

    block = next(block for block in code_blocks(readme()) if block.startswith("[corpus]"))
    path = tmp_path / "my.toml"
    path.write_text(block, "utf-8")
    loaded = config.load(path)
    assert str(loaded.index.corpus_dir) == "/home/me/my-news" and str(loaded.index.index_dir) == "/home/me/my-news-index"


def test_config_toml_and_the_readme_name_every_format_rawi_reads():
    import re

    from index.traversal import SUFFIXES

    comment = (ROOT_DIR / "config.toml").read_text("utf-8").split("[corpus]")[1].split("\ndir =")[0]
    steps = readme().split("## Your own folder in 3 steps")[1].split("**2.")[0]
    for text in (comment, steps):
        named = set(re.findall(r"\.[a-z]+\b", text))
        assert set(SUFFIXES) <= named, set(SUFFIXES) - named


def test_a_first_index_that_finds_the_lock_taken_leaves_the_folders_to_their_owner(tmp_path):
    """Two first runs at once: the one refused (busy) must not remove what the other is building."""
    from index.store import IndexBusy
    from index.store.local import left_clean_if_unpublished, writer_lock

    index_dir = tmp_path / "var" / "index"
    with pytest.raises(IndexBusy), left_clean_if_unpublished(index_dir):
        held = writer_lock(index_dir)  # the other run, which created the folders after our look
        try:
            writer_lock(index_dir)
        finally:
            held.release()
    assert (index_dir / "lock").exists()
    with pytest.raises(RuntimeError), left_clean_if_unpublished(tmp_path / "other" / "index"):
        writer_lock(tmp_path / "other" / "index").release()
        raise RuntimeError("the build failed")
    assert not (tmp_path / "other").exists()
