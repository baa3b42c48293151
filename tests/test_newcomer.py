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
    questions = str(ROOT / "eval" / "seed_questions.jsonl")
    code, out, terminal = on_a_terminal(["eval", questions], tmp_path)
    assert code == 0 and "asking: 100%" in terminal and "recall_at_1" in out, terminal
    (tmp_path / "corpus" / "new.txt").write_text("A new article\n\nSomething else happened.\n", "utf-8")
    for args in (["index"], ["eval", questions]):
        piped = rawi(*args, cwd=tmp_path)
        assert piped.returncode == 0 and "%|" not in piped.stderr and "\r" not in piped.stderr, piped.stderr
