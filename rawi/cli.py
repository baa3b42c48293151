"""The `rawi` command: a thin shell over the index and bot packages.

Heavy libraries (torch, sentence-transformers, FAISS) are imported inside the commands that
need them, so `rawi --help` answers at once. User mistakes raise click exceptions: exit 2 for
usage errors, 1 for everything else, one line on standard error, no traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from index.service import legend_help

from . import config as config_module
from .eval_output import eval_json, eval_lines
from .render import (
    answer_json, articles_json, articles_lines, plural, render_with_short, sources_json, sources_lines, undated_line,
)
from .terminal import json_line, safe, say

EXAMPLES = """
\b
Examples:
  rawi index                                  build or update the index of ./seeds
  rawi ask "How many containers did the DPRK send?"
  rawi ask --json -k 5 "من وصل إلى بيونغ يانغ؟"
  printf 'Who arrived in Pyongyang?\\n' | rawi ask -     one JSON answer per line
  rawi --config other.toml index --corpus news/ --index var/news-index
  rawi retract feeds/example.com/2025-06-03-a-wrong-report.md     out for good
"""


class ConfigProblem(click.ClickException):
    """A config file that cannot be used: a usage error (exit 2), one line per problem."""

    exit_code = 2


class Context:
    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path

    def settings(self, corpus: Path | None = None, index: Path | None = None) -> config_module.Settings:
        try:
            return config_module.load(self.config_path, corpus=corpus, index=index)
        except config_module.ConfigError as exc:
            raise ConfigProblem(str(exc)) from None


@contextmanager
def user_errors():
    """Turn the library's one-line errors into click's exit-1 errors."""
    try:
        yield
    except KeyboardInterrupt:
        raise click.ClickException("interrupted") from None
    except Exception as exc:
        from index.errors import USER_ERRORS  # imported only now: it pulls in the indexer

        if isinstance(exc, USER_ERRORS):
            raise click.ClickException(str(exc)) from None
        raise


class OneLineErrors(click.Group):
    """Usage errors in one line (click prints the usage and a hint first: four lines)."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[call-overload]
        as_json = _wants_json(args[0] if args else kwargs.get("args"))
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[call-overload]
        except click.exceptions.NoArgsIsHelpError as exc:  # `rawi` alone: the help is the answer
            exc.show()
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
            _fail([f"{safe(exc.format_message(), lines=False)}{where}"], exc.exit_code, as_json)
        except click.ClickException as exc:
            lines = exc.format_message().split("\n") if isinstance(exc, ConfigProblem) else [exc.format_message()]
            _fail([safe(line, lines=False) for line in lines], exc.exit_code, as_json)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)  # an int is the exit code of --help


def _wants_json(args) -> bool:
    """Was --json given (before any "--")? Then an error is also one JSON object on stdout."""
    argv = list(sys.argv[1:] if args is None else args)
    return "--json" in (argv[: argv.index("--")] if "--" in argv else argv)


def _fail(problems: list[str], code: int, as_json: bool) -> None:
    """Each problem in one line on standard error (one, but for a config's); with --json, also as
    {"error": ...} on stdout, so that a program reading stdout always gets exactly one JSON object."""
    if as_json:
        click.echo(json_line({"error": "; ".join(problems)}))
    for problem in problems:
        click.echo(f"Error: {problem}", err=True)
    sys.exit(code)


@click.group(
    cls=OneLineErrors, epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--config", "config_path", type=click.Path(path_type=Path), envvar="RAWI_CONFIG",
    help="Configuration file [default: ./config.toml; env RAWI_CONFIG].",
)
@click.option("-v", "--verbose", is_flag=True, help="Log what rawi does (to standard error).")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, verbose: bool) -> None:
    """rawi (راوي): answers questions about news articles, in Arabic or English, with cited passages.

    Index a folder of articles once, then ask. Answers quote the passage that answers and name
    its article, or say plainly that the articles don't answer the question.
    """
    from bot.redact import RedactingFilter

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)  # which CPU build it tried: noise for -v
    for handler in logging.getLogger().handlers:  # no bot token in any log line, whoever writes it
        handler.addFilter(RedactingFilter())
    ctx.obj = Context(config_path)


def filter_options(command):
    """--since, --until, --source, --lang: the article filters of `rawi ask` and `rawi articles`."""
    for option in reversed([
        click.option("--since", metavar="YYYY-MM-DD", help="Only articles published on or after this day."),
        click.option("--until", metavar="YYYY-MM-DD", help="Only articles published on or before this day."),
        click.option("--source", metavar="NAME", help="Only articles whose source contains NAME (any case)."),
        click.option("--lang", type=click.Choice(["ar", "en"]), help="Only articles in this language."),
    ]):
        command = option(command)
    return command


def _progress(json_output: bool) -> bool:
    return sys.stderr.isatty() and not json_output


@main.command()
@click.option("--corpus", type=click.Path(path_type=Path), help="Folder of articles [config: corpus.dir].")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder [config: index.dir].")
@click.option("--json", "json_output", is_flag=True, help="End with one line of JSON statistics.")
@click.option("--rebuild", is_flag=True, help="Re-embed everything (after changing the encoder, or a damaged index).")
@click.option("--wait", is_flag=True, help="If another `rawi index` runs, wait for it instead of failing.")
@click.pass_obj
def index(obj: Context, corpus: Path | None, index_dir: Path | None, json_output: bool, rebuild: bool, wait: bool) -> None:
    """Build or update the index: embeds only new or changed articles.

    \b
    Articles are the .txt, .md, .html/.htm, .json, .jsonl and RSS/Atom (.xml, .rss, .atom)
    files under the corpus folder. Unreadable files, other files and bad records are listed
    under "skipped" with the reason (and line); they never stop the others. The new index is
    published atomically: questions asked meanwhile are answered from the previous one.
    """
    settings = obj.settings(corpus, index_dir).index
    with user_errors():
        from index.service import build_index

        stats = build_index(settings, rebuild=rebuild, wait=wait, progress=_progress(json_output))
    if json_output:
        click.echo(json.dumps(stats.to_json(), ensure_ascii=False))
        return
    click.echo(
        f"{plural(stats.articles, 'article')}, {plural(stats.chunks, 'passage')} in {settings.location} "
        f"(added {stats.added}, updated {stats.updated}, removed {stats.removed}, unchanged {stats.unchanged}; "
        f"embedded {plural(stats.chunks_embedded, 'passage')} in {stats.seconds:.1f}s)"
    )
    for skipped in stats.skipped:
        click.echo(safe(f"skipped {skipped.path}: {skipped.reason}", lines=False), err=True)
    if stats.undated:
        click.echo(undated_line(stats.undated), err=True)


@main.command()
@click.argument("question")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder [config: index.dir].")
@click.option("-k", "k", type=click.IntRange(1, config_module.MAX_K), help="Passages to cite [config: retrieval.k].")
@click.option("--json", "json_output", is_flag=True, help="One JSON object on one line.")
@filter_options
@click.pass_obj
def ask(obj: Context, question: str, index_dir: Path | None, k: int | None, json_output: bool,
        since: str | None, until: str | None, source: str | None, lang: str | None) -> None:
    """Answer QUESTION (at most 1,000 characters) with cited passages, best first.

    \b
    QUESTION "-" reads one question per line from standard input and writes one JSON object
    per line, in order, loading the model once. The filters apply inside the search (k
    passages come back when k match); they can also be written into a question:
    "since:2025-06-01 until:2025-06-30 source:Reuters lang:ar What happened?". Questions
    about "the latest", "today", "yesterday" or "this week" count days back from the newest
    article and cite the newest first.
    """
    loaded = obj.settings(index=index_dir)
    settings = loaded.index
    k = k or settings.retrieval.k
    from index.service import (
        Desk, FilterError, NoContent, QuestionError, check, make_filter, model_for, open_answerer, translator_for,
    )

    try:
        where = make_filter(since, until, source, lang)
    except FilterError as exc:
        raise click.UsageError(str(exc)) from None
    with user_errors():
        from .greeting import greet

        if question != "-":
            try:
                check(question)  # a question that cannot be asked needs no model loaded
            except NoContent as exc:  # "hello", "Jeddah": a reply, not an error
                say(greet(settings, question, exc.greeting, json_output))
                return
            except QuestionError as exc:
                raise click.UsageError(str(exc)) from None
        desk = Desk(open_answerer(settings, translator=translator_for(loaded.generate)), model_for(loaded.generate))
        if question == "-":
            from .stream import ask_stream

            ask_stream(desk.answerer, k, where, desk.generator)
            return
        try:
            answer = desk.ask(question, k=k, where=where)
        except QuestionError as exc:
            raise click.UsageError(str(exc)) from None
        short = desk.short_answer(answer)
    if json_output:
        click.echo(json_line(answer_json(answer, short)))
    else:
        say(render_with_short(answer, short, sys.stdout.isatty()))


@main.command()
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder [config: index.dir].")
@click.option("--json", "json_output", is_flag=True, help="One JSON object on one line.")
@click.pass_obj
def sources(obj: Context, index_dir: Path | None, json_output: bool) -> None:
    """List the index's sources: each with its article count and date range, most articles first.

    \b
    A source filter (--source, source:NAME) matches a part of these names, in any case.
    """
    settings = obj.settings(index=index_dir).index
    with user_errors():
        from index.service import source_stats

        stats = source_stats(settings)
    if json_output:
        click.echo(json_line(sources_json(stats)))
    else:
        say("\n".join(sources_lines(stats)))


@main.command()
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder [config: index.dir].")
@click.option("--json", "json_output", is_flag=True, help="One JSON object on one line.")
@filter_options
@click.pass_obj
def articles(obj: Context, index_dir: Path | None, json_output: bool, since: str | None, until: str | None,
             source: str | None, lang: str | None) -> None:
    """List the indexed articles: id, date, language, source and title, newest first.

    \b
    The id is the file's path under the corpus folder (a feed's entry: its file under the
    feeds folder). The filters are those of `rawi ask`; an undated article passes no date filter.
    Articles taken out for good: `rawi retract --list`.
    \b
    Examples:
      rawi articles
      rawi articles --source reuters --lang en --since 2025-06-01
      rawi articles --json
    """
    from index.service import FilterError, make_filter

    settings = obj.settings(index=index_dir).index
    try:
        where = make_filter(since, until, source, lang)
    except FilterError as exc:
        raise click.UsageError(str(exc)) from None
    with user_errors():
        from index.service import admitted, indexed_articles

        every = indexed_articles(settings)
    rows = [row for row in every if admitted(row, where)]
    if json_output:
        click.echo(json_line(articles_json(rows, len(every), where)))
    else:
        say("\n".join(articles_lines(rows, len(every), where)))


@main.command("eval", epilog=legend_help())
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--corpus", type=click.Path(path_type=Path), help="Corpus for a JSONL question set [config: corpus.dir].")
@click.option("--paragraphs", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="SQuAD file whose paragraphs form the corpus [default: FILE itself].")
@click.option("--bilingual", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="SQuAD: a parallel file in the other language; the corpus mixes both (paragraph j of "
                   "article i from this file when i + j is even) and both files' questions are asked.")
@click.option("--split", type=click.Choice(["even", "odd"]), is_flag=False, flag_value="even",
              help="SQuAD: index only the even (or odd) articles; the others' questions must be declined.")
@click.option("--json", "json_output", is_flag=True, help="One JSON object on one line.")
@click.option("--features", type=click.Path(dir_okay=False, path_type=Path), help="Write each question's evidence (JSONL) for calibration.")
@click.option("--misses", is_flag=True, help="Also list the questions missed at R@1, each with the passage that came first.")
@click.pass_obj
def evaluate(obj: Context, file: Path, corpus: Path | None, paragraphs: Path | None, bilingual: Path | None,
             split: str | None, json_output: bool, features: Path | None, misses: bool) -> None:
    """Measure answer quality on a question set: R@1, R@5, MRR@10, answers, abstention, latency.

    \b
    FILE is a JSONL question set (the seed format: question, article, passage_contains_any,
    abstain), asked over --corpus, or a SQuAD-format .json file whose paragraphs become the
    corpus, one article each. The corpus is indexed into a folder of its own under the
    index folder's parent (eval/), incrementally, so reruns are quick. Figures are given for
    all questions and per language pair (question -> paragraph; "->none": not in the corpus).
    \b
    Examples:
      rawi eval eval/seed_questions.jsonl
      rawi eval eval/xquad/dev.en.json --paragraphs eval/xquad/dev.ar.json
      rawi eval eval/xquad/dev.ar.json --split --features ar.jsonl
      rawi eval eval/xquad/dev.ar.json --split odd --features ar-held-out.jsonl
      rawi eval eval/xquad/dev.en.json --bilingual eval/xquad/dev.ar.json
      rawi eval eval/seed_questions.jsonl --misses
    """
    from index.service import evaluation_misses, evaluation_reports, prepare_evaluation, run_evaluation, translator_for

    loaded = obj.settings(corpus)
    settings = loaded.index
    if paragraphs and bilingual:
        raise click.UsageError("--paragraphs and --bilingual cannot be combined")
    with user_errors():
        try:
            run = prepare_evaluation(settings, file, paragraphs, split, bilingual)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        results = run_evaluation(run, progress=_progress(json_output), translator=translator_for(loaded.generate))
    if features:
        with features.open("w", encoding="utf-8") as handle:
            for r in results:
                handle.write(json.dumps({"id": r.id, "answerable": r.answerable, "pair": r.pair, **r.evidence}) + "\n")
    reports = evaluation_reports(results)
    missed = evaluation_misses(results) if misses else None
    if json_output:
        click.echo(json_line(eval_json(reports, missed)))
    else:
        say("\n".join(eval_lines(reports, missed)))


@main.command()
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder [config: index.dir].")
@click.pass_obj
def bot(obj: Context, index_dir: Path | None) -> None:
    """Answer questions on Telegram (long polling) until interrupted.

    \b
    The token comes from the environment, never from a file:
      TELEGRAM_BOT_TOKEN=123456:ABC... rawi bot
    The Bot API address is [bot] api_url in the config, or RAWI_TELEGRAM_API_URL.
    Newly published indexes are picked up without a restart.
    """
    from bot.settings import token_problem

    settings = obj.settings(index=index_dir)
    if token_problem(settings.bot.token):  # before the model is loaded: at once
        raise click.ClickException(token_problem(settings.bot.token))
    with user_errors():
        from bot.app import BotError, run
        from index.service import model_for, open_answerer, translator_for

        answerer = open_answerer(settings.index, translator=translator_for(settings.generate))
        logging.getLogger("bot").setLevel(logging.INFO)  # a service says what it serves when it starts
        try:
            run(
                settings.bot, answerer, settings.index.retrieval.k, model_for(settings.generate),
                index_name=settings.index.location,
            )
        except BotError as exc:
            raise click.ClickException(str(exc)) from None


@main.command()
@click.option("--corpus", type=click.Path(path_type=Path), help="Folder of articles [config: corpus.dir].")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder [config: index.dir].")
@click.pass_obj
def watch(obj: Context, corpus: Path | None, index_dir: Path | None) -> None:
    """Keep the index up to date: re-index whenever articles land, change or go.

    \b
    Runs until Ctrl-C. Fetches the [feeds] every interval_minutes, if any are listed. Indexes
    once at start, then again after each burst of changes to article files ([watch]
    debounce_seconds after the last one), logging what it did to standard error. The model
    is loaded once. Questions (`rawi ask -`, the bot) are answered
    from each new index as soon as it is published, without a restart.
    \b
    Examples:
      rawi watch
      rawi watch --corpus news/ --index var/news-index
    """
    import signal
    import time

    settings = obj.settings(corpus, index_dir)

    def say(message: str) -> None:
        click.echo(f"{time.strftime('%H:%M:%S')} {safe(message)}", err=True)  # feeds and file names: outside text

    def terminate(signum, frame):
        raise KeyboardInterrupt

    with user_errors():
        import threading

        from index.service import feed_fetcher, fetch_in_background, open_watcher

        watcher = open_watcher(settings.index, settings.watch, report=say)
        signal.signal(signal.SIGTERM, terminate)
        stop = threading.Event()
        if settings.feeds.urls:  # new articles land in the corpus folder, and the watcher indexes them
            fetcher = feed_fetcher(settings.feeds, settings.index.corpus_dir, report=say)
            fetch_in_background(fetcher, settings.feeds.interval_minutes, stop)
        try:
            watcher.run(stop)
        except KeyboardInterrupt:
            say("stopped")
        finally:
            stop.set()


@main.command()
@click.option("--corpus", type=click.Path(path_type=Path), help="Folder of articles [config: corpus.dir].")
@click.option("--json", "json_output", is_flag=True, help="One line of JSON: feeds, unchanged, written, failed, skipped, unwritten.")
@click.pass_obj
def fetch(obj: Context, corpus: Path | None, json_output: bool) -> None:
    """Fetch the feeds of [feeds] urls: each new entry's page becomes an article file.

    \b
    Files are written under the corpus folder ([feeds] folder), so `rawi index` (or a running
    `rawi watch`, which also fetches every [feeds] interval_minutes) indexes them. A feed or
    page that fails is reported on standard error and tried again next time ([feeds]
    max_tries passes at most); it never stops the others, and nothing is deleted. A file the
    disk refuses makes the exit status 1.
    """
    settings = obj.settings(corpus)
    if not settings.feeds.urls:
        raise click.ClickException("no feeds to fetch: list their addresses in [feeds] urls of config.toml")
    from index.service import feed_fetcher

    with user_errors():
        report = feed_fetcher(settings.feeds, settings.index.corpus_dir,
                              report=lambda m: click.echo(safe(m, lines=False), err=True)).run()  # feed text: sanitized
    problem = ""
    if report.unwritten:  # the local disk, not a feed: the run did not do its job
        where, why = report.unwritten[0]
        problem = f"{len(report.unwritten)} file(s) not written, e.g. {where}: {why}"
    if json_output:  # one JSON object, the failure inside it
        click.echo(json_line(report.to_json() | ({"error": problem} if problem else {})))
        if problem:
            click.echo(f"Error: {safe(problem, lines=False)}", err=True)
            raise click.exceptions.Exit(1)
        return
    click.echo(f"{report.feeds} feed(s): {len(report.written)} new article(s), {report.unchanged} unchanged, "
                   f"{len(report.failed)} failure(s) (tried again next time), {len(report.skipped)} skipped")
    if problem:
        raise click.ClickException(problem)


from .retract import retract as _retract  # noqa: E402 -- a command of its own module

main.add_command(_retract)
