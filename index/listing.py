"""What an index holds, article by article (`rawi articles`, and the example question of a greeting).

Read through the store's ``Reader`` only (no model): every article's id, then their metadata
without the text, newest first (undated last), then by id.
"""

from __future__ import annotations

from .normalize import tokens
from .store import ArticleRow, Reader


def all_articles(reader: Reader) -> list[ArticleRow]:
    """Every article of the published generation, text left out: newest first, undated last."""
    rows = list(reader.article_meta(list(reader.article_hashes())).values())
    rows.sort(key=lambda row: row.id)
    rows.sort(key=lambda row: row.published_at, reverse=True)  # "" (undated) sorts last
    return rows


def example_title(articles: list[ArticleRow], language: str, words: str = "") -> str:
    """A title to build an example question on: one in ``language`` sharing a term with ``words``
    if any, else any in ``language``, else any at all (newest first); "" when none has a title."""
    wanted = set(tokens(words))
    titled = [row for row in articles if " ".join(row.title.split())]
    in_language = [row for row in titled if row.language == language]
    for group in ([r for r in in_language if wanted & set(tokens(r.title))],
                  [r for r in titled if wanted & set(tokens(r.title))], in_language, titled):
        if group:
            return " ".join(group[0].title.split())
    return ""

