"""What `rawi ask` and `rawi sources` print: JSON for programs, lines for people.

Dates: JSON gives each article's date in ISO 8601 (``published``: its ``published.sortable``
stamp, "" when it could not be read, with ``published_as_written`` beside it); a person is shown
one readable form ("26 Nov 2026"), or, for an undated article, the date as written.
"""

from __future__ import annotations

from .terminal import highlight, isolate, safe


def answer_json(answer, short=None) -> dict:
    return answer_json_short(answer_json_plain(answer), short)


def answer_json_plain(answer) -> dict:
    """``score`` is the one the passages are ranked by; ``cosine`` the passage's alone; ``weak``
    marks a passage that would not answer on its own, shown only to fill up to k. ``filters``:
    those applied (given, written into the question, or a source it names); ``note``: why a
    filter found nothing. ``filters`` is always there: null for each filter not applied."""
    record = {
        "question": answer.question,
        "answered": answer.answered,
        "passages": [
            {
                "article": p.article_id, "title": p.title, "url": p.url, "published": p.published_at,
                "published_as_written": p.published, "source": p.source, "text": p.text, "sentence": p.sentence,
                "score": p.score, "cosine": p.cosine, "weak": p.weak,
                "also_in": [{"source": s, "published": d, "url": u} for s, d, u in p.also_in],
            }
            for p in answer.passages
        ],
    }
    from index.service import filters_json

    record["filters"] = filters_json(getattr(answer, "where", None))
    if getattr(answer, "note", None) is not None:
        record["note"] = answer.note.to_json()
    if getattr(answer, "near", None) is not None:
        record["near_miss"] = answer.near.to_json()  # not answered, but passages[0] came close
    return record


def answer_json_short(record: dict, short) -> dict:
    """Add the short answer to an answer's JSON: "answer": {text, citations, model, checked, kind}."""
    if short is None:
        return record
    if short.kind == "abstained":
        record["answered"] = False
    record["answer"] = short.to_json()
    return record


def short_answer_lines(short, lang: str = "en") -> list[str]:
    """The short answer block printed above the passages (empty when there is none)."""
    if short is None or short.kind == "abstained":
        return []
    if short.kind == "extracted":
        cites = "".join(f"[{n}]" for n in short.citations)
        return [f"Answer (extracted from {cites}, by rules): {safe(short.text, lines=False)}", ""]
    model = safe(short.model, lines=False)
    return [f"Answer: {safe(short.text)}", f"  (written by {model} from the passages below, checked against them)", ""]


def render_with_short(answer, short, tty: bool = False) -> str:
    """The answer as printed: the short answer above the passages; a model's "no answer" declines."""
    if short is not None and short.kind == "abstained":
        import dataclasses

        declined = render_answer(dataclasses.replace(answer, answered=False), tty)
        return f"{declined}\n(the model {safe(short.model, lines=False)} read the passages and found no answer in them)"
    return "\n".join(short_answer_lines(short) + [render_answer(answer, tty)])


def render_answer(answer, tty: bool = False) -> str:
    """The answer for a person: each passage under its title, date and source, the answering
    sentence highlighted in place (bold on a terminal, between ** otherwise)."""
    note = getattr(answer, "note", None)
    if note is not None and note.replaces_answer:
        return safe(note.text(), lines=False)  # a filter matched nothing: not "no answer"
    near = getattr(answer, "near", None)
    if not answer.answered and near is not None and answer.passages:  # close, in the other language
        return "\n".join([near.text(), *_passage_lines(answer.passages[0], 1, tty)])
    if not answer.answered:
        lines = ["The articles don't answer this question."]
        if answer.passages:
            first = answer.passages[0]
            lines.append(f"(closest passage: {isolate(_title(first))} [{safe(first.article_id, lines=False)}])")
        return "\n".join(lines)
    lines = [safe(note.text(), lines=False), ""] if note is not None else []  # older than the days asked
    for number, p in enumerate(answer.passages, 1):
        lines.extend(_passage_lines(p, number, tty))
        lines.append("")
    return "\n".join(lines).rstrip()


def _title(passage) -> str:
    return safe(" ".join(passage.title.split()), lines=False) or "(untitled)"


def _passage_lines(p, number: int, tty: bool) -> list[str]:
    weak = "; weak: only fills up to k" if p.weak else ""
    lines = [f"[{number}] {isolate(_title(p))}  ({safe(p.article_id, lines=False)}, score {p.score:.3f}{weak})"]
    from index.service import readable, shown_date

    when = shown_date(p.published_at, p.published)
    about = " · ".join(safe(" ".join(v.split()), lines=False) for v in (when, p.source, p.url) if v and v.strip())
    if about:
        lines.append(f"    {isolate(about)}")
    also = "; ".join(" · ".join(x for x in (source, readable(date)) if x) for source, date, _ in p.also_in)
    if also:  # syndicated copies of the cited article
        lines.append(f"    also in: {isolate(safe(also, lines=False))}")
    p = p.shown()
    offset = 0
    for line in p.text.split("\n"):
        start, end = max(p.sentence_start - offset, 0), min(p.sentence_end - offset, len(line))
        shown = highlight(line, start, end, tty) if start < end else safe(line)
        if line.strip():
            lines.append(f"    {shown.strip()}")
        offset += len(line) + 1
    return lines


def undated_line(undated: list) -> str:
    """`rawi index`'s one-line warning about the articles whose date it could not read."""
    first = undated[0]
    more = f" and {len(undated) - 1} more" if len(undated) > 1 else ""
    return safe(
        f"warning: {len(undated)} article(s) with a date rawi cannot read, kept undated (no date filter or "
        f"\"today\" finds them): {first.article} ({first.published!r}){more}; `rawi index --json` lists them",
        lines=False,
    )


def articles_json(rows: list, total: int, where) -> dict:
    """`rawi articles --json`: each article (newest first), how many passed the filters of how many."""
    from index.service import filters_json

    return {
        "articles": [
            {"id": r.id, "title": r.title, "published": r.published_at, "published_as_written": r.published,
             "source": r.source, "language": r.language, "url": r.url}
            for r in rows
        ],
        "count": len(rows), "total": total, "filters": filters_json(where),
    }


def articles_lines(rows: list, total: int, where) -> list[str]:
    """`rawi articles` for a person: id, date, language, source and title, one article a line."""
    from index.service import shown_date

    lines = []
    for r in rows:
        cells = [r.id, shown_date(r.published_at, r.published) or "undated", r.language or "?",
                 " ".join(r.source.split()) or "(no source)"]
        title = isolate(safe(" ".join(r.title.split()), lines=False) or "(untitled)")
        lines.append("  ".join(isolate(safe(c, lines=False)) for c in cells) + f"  {title}")
    shown = plural(total, "article") if len(rows) == total else f"{len(rows)} of {plural(total, 'article')}"
    applied = where.describe() if where else ""
    lines.append(f"{shown}{f' ({applied})' if applied else ''}")
    return lines


def plural(count: int, noun: str) -> str:
    """ "1 article", "2 articles", "0 articles"."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def sources_json(stats: list) -> dict:
    return {"sources": [s.to_json() for s in stats], "articles": sum(s.articles for s in stats)}


def sources_lines(stats: list) -> list[str]:
    """`rawi sources` for a person: each source, its article count and date range, most articles first."""
    from index.service import readable

    if not stats:
        return ["The index holds no articles."]
    lines = []
    for s in stats:
        name = isolate(safe(" ".join(s.source.split()), lines=False)) if s.source.strip() else "(no source)"
        span = f"{readable(s.first)} to {readable(s.last)}" if s.first else "no readable date"
        undated = f", {s.undated} undated" if s.undated and s.first else ""
        lines.append(f"{name}: {plural(s.articles, 'article')}, {span}{undated}")
    return lines
