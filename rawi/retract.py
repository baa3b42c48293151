"""`rawi retract`: take an article out of the index and the corpus folder for good, list the
retracted ones, or undo a retraction (index/retraction.py does the work; this is the command)."""

from __future__ import annotations

from pathlib import Path

import click

from .terminal import json_line, safe, say


@click.command()
@click.argument("name", required=False)
@click.option("--undo", is_flag=True, help="Put a retracted article back (NAME: its file, id or link) and index it.")
@click.option("--list", "listing", is_flag=True, help="List the retracted articles, oldest first.")
@click.option("--corpus", type=click.Path(path_type=Path), help="Folder of articles [config: corpus.dir].")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder [config: index.dir].")
@click.option("--json", "json_output", is_flag=True, help="With --list: one JSON object on one line.")
@click.pass_context
def retract(ctx: click.Context, name: str | None, undo: bool, listing: bool, corpus: Path | None,
            index_dir: Path | None, json_output: bool) -> None:
    """Take the article NAME out for good: out of the index and the corpus folder, and never
    fetched again by `rawi fetch` or `rawi watch`, even if its feed lists it anew.

    \b
    NAME is an article's id (as `rawi articles` lists it), its file, or the end of its id. The
    file is moved, never deleted, to <corpus>/.rawi-retracted/files/, and the article's link
    and text are recorded in <corpus>/.rawi-retracted/retracted.json; then the index is
    updated. A file holding several articles (.jsonl, a saved feed) is retracted whole.
    \b
    Examples:
      rawi retract feeds/example.com/2025-06-03-port-closes.md
      rawi retract --list
      rawi retract --undo feeds/example.com/2025-06-03-port-closes.md
    """
    if listing and (name or undo):
        raise click.UsageError("--list takes no NAME and no --undo")
    if not listing and not name:
        raise click.UsageError("name the article to retract: its id (see `rawi articles`) or its file")
    if json_output and not listing:
        raise click.UsageError("--json goes with --list")
    from index.errors import RetractionError

    settings = ctx.obj.settings(corpus, index_dir).index
    try:
        if listing:
            return _list(settings.corpus_dir, json_output)
        indexed = _indexed(settings)
        done = _undo(settings.corpus_dir, name or "") if undo else _retract(settings, indexed, name or "")
    except RetractionError as exc:
        raise click.ClickException(str(exc)) from None
    say(safe(done, lines=False))
    if indexed is None:
        return  # no index yet: nothing to update
    index_command = ctx.find_root().command.get_command(ctx, "index")  # type: ignore[attr-defined]
    try:
        ctx.invoke(index_command, corpus=corpus, index_dir=index_dir, json_output=False, rebuild=False, wait=False)
    except click.ClickException as exc:
        raise click.ClickException(f"the index is not updated yet ({exc.message}): run `rawi index`") from None


def _indexed(settings) -> list | None:
    """The index's articles (metadata), or None when there is no index yet."""
    from index.errors import NoIndex
    from index.service import indexed_articles

    from .cli import user_errors

    with user_errors():
        try:
            return indexed_articles(settings)
        except NoIndex:
            return None


def _retract(settings, indexed: list | None, name: str) -> str:
    from index.service import retract_article

    file, record = retract_article(settings, indexed, name, Path.cwd())
    title = f" ({record.titles[0]})" if len(record.titles) == 1 else f" ({len(record.titles)} articles)"
    kept = f"kept in {record.kept}" if record.kept else "its file was gone already"
    return f"retracted {file}{title}: {kept}; `rawi retract --undo {file}` takes it back"


def _undo(corpus: Path, name: str) -> str:
    from index.service import restore_article

    record = restore_article(corpus, name)
    title = f" ({record.titles[0]})" if len(record.titles) == 1 else ""
    return f"restored {record.file}{title}"


def _list(corpus: Path, json_output: bool) -> None:
    from index.service import retracted_articles

    every = retracted_articles(corpus)
    if json_output:
        click.echo(json_line({"retracted": [r.to_json() for r in every], "count": len(every)}))
        return
    if not every:
        say(f"no retracted articles in {corpus}")
        return
    lines = [f"{len(every)} retracted article file(s) in {corpus}; `rawi retract --undo FILE` takes one back:"]
    for r in every:
        title = r.titles[0] if len(r.titles) == 1 else f"{len(r.titles)} articles"
        link = f" <{r.links[0]}>" if r.links else ""
        lines.append(f"{r.when[:10]}  {r.file}  {title}{link}")
    say(safe("\n".join(lines), lines=True))
