"""`rawi ask`'s reply to a greeting or a lone word ("hello", "مرحبا", "Jeddah"): the reply of
index/greeting.py (shared with the bot and `rawi ask -`), printed for a terminal or as JSON.
Nothing is looked up and no model is loaded."""

from __future__ import annotations

from index.service import greeting_reply as answered

from .terminal import json_line, safe


def greet(settings, question: str, greeting: bool, json_output: bool) -> str:
    """What `rawi ask` prints for a greeting: what rawi does, in the question's language, with
    an example built on a title of this index (no model is loaded)."""
    from index.errors import NoIndex
    from index.service import indexed_articles

    try:
        articles: list | None = indexed_articles(settings)
    except NoIndex:
        articles = None
    said = answered(question, greeting, articles)
    if json_output:
        return json_line(said.to_json(question))
    return "\n".join(safe(line, lines=False) for line in said.lines())
