"""What an index holds, article by article (`rawi articles`, and the example question of a greeting).

Read through the store's ``Reader`` only (no model): every article's id, then their metadata
without the text, newest first (undated last), then by id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .filters import ArticleFilter, matching_sources
from .normalize import tokens
from .published import end_of

if TYPE_CHECKING:  # light to import: the front door (service.py) names these functions
    from .store import ArticleRow, Backend, Reader


def indexed_articles(backend: Backend) -> list[ArticleRow]:
    """``all_articles`` of the backend's published generation (NoIndex when there is none)."""
    reader = backend.open_reader()
    try:
        return all_articles(reader)
    finally:
        reader.close()


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


def admitted(row: ArticleRow, where: ArticleFilter) -> bool:
    """Does ``where`` (dates, a part of the source's name, language) let this article through?
    The same rules as the search's (``ArticleFilter.sql``): an undated article passes no date filter."""
    if where.since and row.published_at < where.since.isoformat():
        return False
    if where.until and not (row.published_at and row.published_at <= end_of(where.until)):
        return False
    if where.source and not matching_sources(where.source, [row.source]):
        return False
    return not where.language or row.language == where.language


def filters_json(where: ArticleFilter | None) -> dict:
    """The filters applied, as JSON (null for those not given)."""
    where = where or ArticleFilter()
    return {"since": where.since.isoformat() if where.since else None,
            "until": where.until.isoformat() if where.until else None,
            "source": where.source or None, "lang": where.language or None}
