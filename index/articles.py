"""Corpus files -> articles.

Each ``.txt`` or ``.md`` file under the corpus directory is one article (read by
``formats/plain.py``, with its front matter); records, feeds and web pages are read by the other
``formats/``. An article's id is its path relative to the corpus directory (POSIX separators). A
file that cannot be read as text is reported in ``skipped`` with the reason; it never stops the
others. A symbolic link is followed only to a file inside the corpus folder: one that leads
outside it is skipped, so no article id can ever name, and no answer ever quote, a file outside
the corpus. Which files are articles (regular files only; unlistable folders, folder links and
names that are not UTF-8 skipped with the reason) and how each is read (non-blocking, capped
while reading) is ``traversal.py``'s job; a loader of another format builds on
``traversal.walk`` and ``read_capped``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .formats import read_other
# The plain-text reader and the Article every format gives (re-exported here).
from .formats.plain import Article, CorpusScan, decode, parse, read_article  # noqa: F401
# Which files are articles and how they are read safely lives in traversal.py (re-exported here).
from .traversal import (  # noqa: F401
    MAX_BYTES, SUFFIXES, TEXT_SUFFIXES, CorpusError, NotText, Skipped, read_capped, walk,
)


def corpus_files(corpus_dir: Path) -> list[tuple[Path, str]]:
    """(path, article id) of every candidate file, sorted by id (see traversal.walk)."""
    return walk(corpus_dir)[0]


def inside(path: Path, root: str) -> bool:
    """Does `path`, its links resolved, lie inside the folder `root` (itself resolved)?"""
    real = os.path.realpath(path)
    return os.path.commonpath([real, root]) == root


def read_file(path: Path, article_id: str) -> CorpusScan:
    """One corpus file -> its articles (one, or many for records and feeds) and its bad records."""
    if path.name.lower().endswith(TEXT_SUFFIXES):
        return CorpusScan([read_article(path, article_id)], [])
    return read_other(path, article_id)


def scan(corpus_dir: Path) -> CorpusScan:
    """Read every article of the corpus; unreadable files are listed in ``skipped``."""
    articles: list[Article] = []
    files, skipped = walk(corpus_dir)
    root = os.path.realpath(corpus_dir)
    taken: dict[str, str] = {}  # article id -> the file that gave it
    for path, article_id in files:
        if not inside(path, root):
            skipped.append(Skipped(article_id, "a link to a file outside the corpus folder (not followed)"))
            continue
        try:
            found = read_file(path, article_id)
            articles += _unclashed(found.articles, article_id, taken, skipped)
            skipped += found.skipped
        except NotText as exc:
            skipped.append(Skipped(article_id, str(exc)))
        except OSError as exc:
            skipped.append(Skipped(article_id, f"cannot read: {exc.strerror or exc}"))
    return CorpusScan(articles, sorted(skipped, key=lambda s: s.path))


def _unclashed(found: list[Article], file_id: str, taken: dict[str, str], skipped: list[Skipped]) -> list[Article]:
    """The articles of one file whose ids no earlier file gave. Ids are unique in the index, and two
    files can name the same one (a file ``a.jsonl#x.md`` and the record ``x.md`` of ``a.jsonl``):
    the first in id order keeps it, the other is skipped with the reason, the rest indexed."""
    kept = []
    for article in found:
        if article.id in taken:
            skipped.append(Skipped(file_id, (
                f"article id {article.id} is also given by {taken[article.id]}, which is indexed instead "
                "(rename one of them)"
            )))
        else:
            taken[article.id] = file_id
            kept.append(article)
    return kept
