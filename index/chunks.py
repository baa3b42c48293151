"""Article -> chunks: passages of whole sentences, sized in encoder tokens, with exact spans.

langchain-text-splitters does the splitting; its default separators hold no sentence
punctuation and it counts characters, so rawi gives it paragraph, line and sentence ends of
both languages (``. ! ? ؟ …``, never the Arabic comma ``،``, which would cut facts in half)
and the encoder's token count as the length. langchain's types stay inside this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .articles import Article
from .settings import ChunkSettings

SENTENCE_END = r"(?<=[.!?؟۔…])\s+"
SEPARATORS = [r"\n\s*\n", r"\n", SENTENCE_END, r"\s+", ""]


@dataclass(frozen=True)
class Chunk:
    article_id: str
    seq: int
    text: str
    start: int  # character offsets into Article.text: text == article.text[start:end]
    end: int


TokenCounter = Callable[[str], int]


class Chunker:
    """Splits articles into overlapping passages of at most ``max_tokens`` encoder tokens."""

    def __init__(self, settings: ChunkSettings, count_tokens: TokenCounter) -> None:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.settings = settings
        self._splitter = RecursiveCharacterTextSplitter(
            separators=SEPARATORS,
            is_separator_regex=True,
            keep_separator="end",
            chunk_size=settings.max_tokens,
            chunk_overlap=settings.overlap_tokens,
            length_function=count_tokens,
            strip_whitespace=True,
        )

    def split(self, article: Article) -> list[Chunk]:
        pieces = self._splitter.split_text(article.text)
        return list(locate(article, pieces))


def locate(article: Article, pieces: list[str]):
    """Give each piece its exact span; pieces come in text order and may overlap.

    A piece can occur more than once (a repeated phrase, a run of one character), so its place is
    not simply its next occurrence. The pieces are laid out as the splitter made them: the first
    starts at the text's first non-space character and the last ends at its last; each starts
    after the one before starts, no later than where that one ends (after whitespace: nothing
    falls between them), and ends after it ends (an overlap only repeats the end of the one
    before). The first such layout found, earliest places first, is used; should the library
    ever break these rules, each piece goes to its next occurrence.
    """
    starts = _layout(article.text, pieces)
    if starts is None:
        starts = list(_next_occurrences(article, pieces))
    for seq, (piece, start) in enumerate(zip(pieces, starts)):
        yield Chunk(article.id, seq, piece, start, start + len(piece))


def _candidates(text: str, piece: str, previous_start: int, previous_end: int):
    """Where `piece` can start after a piece at [previous_start, previous_end), earliest first."""
    follow = previous_end
    while follow < len(text) and text[follow].isspace():
        follow += 1
    start = text.find(piece, previous_start + 1)
    while 0 <= start <= follow:
        if start + len(piece) > previous_end:
            yield start
        start = text.find(piece, start + 1)


def _layout(text: str, pieces: list[str]) -> list[int] | None:
    """Depth-first search over the candidates; a dead end (piece, start) is never tried twice."""
    if not pieces:
        return []
    first = len(text) - len(text.lstrip())
    last = len(text.rstrip())
    stack = [iter([first] if text.startswith(pieces[0], first) else [])]
    starts: list[int] = []
    dead: set[tuple[int, int]] = set()
    while stack:
        level = len(stack) - 1  # choosing the start of pieces[level]; starts holds those before it
        start = next(stack[-1], None)
        if start is None:
            stack.pop()
            if starts:
                dead.add((level - 1, starts.pop()))
            continue
        if (level, start) in dead:
            continue
        end = start + len(pieces[level])
        if level + 1 == len(pieces):
            if end == last:
                return [*starts, start]
            dead.add((level, start))
            continue
        starts.append(start)
        stack.append(_candidates(text, pieces[level + 1], start, end))
    return None


def _next_occurrences(article: Article, pieces: list[str]):
    cursor = 0
    for seq, piece in enumerate(pieces):
        start = article.text.find(piece, cursor)
        if start < 0:  # cannot happen for substrings in order; guard against library changes
            raise ValueError(f"chunk {seq} of {article.id} is not a substring of the article")
        yield start
        cursor = start + 1
