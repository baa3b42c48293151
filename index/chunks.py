"""Article -> chunks: passages of whole sentences, sized in encoder tokens, with exact spans.

The splitting is langchain-text-splitters' ``RecursiveCharacterTextSplitter`` (separators tried
in turn: paragraph, line and sentence ends of both languages (``. ! ? ؟ …``, never the Arabic
comma ``،``, which would cut facts in half), then spaces, then characters; pieces merged up to
``max_tokens`` encoder tokens with ``overlap_tokens`` of overlap), re-done here on character
offsets: the library returns strings only, and finding where a repeated piece came from
afterwards is a search that grew super-linearly on runs of one character or pattern (16 KB of
``x``: 222 s with the writer lock held). Working on spans gives each chunk its exact place by
construction, in linear time; token counts are remembered per distinct piece, so a run of one
character costs one tokenizer call. ``tests/test_chunks.py`` holds the output to the library's,
piece for piece.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from typing import Callable

from .formats.plain import Article
from .settings import ChunkSettings

SENTENCE_END = r"(?<=[.!?؟۔…])\s+"
SEPARATORS = [r"\n\s*\n", r"\n", SENTENCE_END, r"\s+", ""]

Span = tuple[int, int]


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
        self.settings = settings
        self.count_tokens = count_tokens

    def split(self, article: Article) -> list[Chunk]:
        spans = _Splitter(article.text, self.settings, self.count_tokens).split()
        return [Chunk(article.id, seq, article.text[a:b], a, b) for seq, (a, b) in enumerate(spans)]


class _Splitter:
    """RecursiveCharacterTextSplitter(separators=SEPARATORS, is_separator_regex=True,
    keep_separator="end", strip_whitespace=True), step for step, on (start, end) spans of one text."""

    def __init__(self, text: str, settings: ChunkSettings, count_tokens: TokenCounter) -> None:
        self.text = text
        self.size, self.overlap = settings.max_tokens, settings.overlap_tokens
        self.count_tokens = count_tokens
        self._lengths: dict[str, int] = {}

    def length(self, span: Span) -> int:
        piece = self.text[span[0] : span[1]]
        found = self._lengths.get(piece)
        if found is None:
            found = self._lengths[piece] = self.count_tokens(piece)
        return found

    def split(self) -> list[Span]:
        spans = self._split((0, len(self.text)), SEPARATORS)
        # With an overlap close to the budget the merge can emit one span twice in a row (as the
        # library does: "x\n\n" with 8 tokens and 7 of overlap): the repeat is the same passage.
        return [span for n, span in enumerate(spans) if n == 0 or span != spans[n - 1]]

    def _split(self, span: Span, separators: list[str]) -> list[Span]:
        text = self.text[span[0] : span[1]]
        separator, rest = separators[-1], []
        for i, candidate in enumerate(separators):
            if not candidate:
                separator = candidate
                break
            if re.search(candidate, text):
                separator, rest = candidate, separators[i + 1 :]
                break
        chunks: list[Span] = []
        good: list[Span] = []
        for piece in _pieces(text, separator, span[0]):
            if self.length(piece) < self.size:
                good.append(piece)
                continue
            if good:
                chunks += self._merge(good)
                good = []
            chunks += self._split(piece, rest) if rest else [piece]
        if good:
            chunks += self._merge(good)
        return chunks

    def _merge(self, pieces: list[Span]) -> list[Span]:
        """Consecutive pieces -> chunks of at most `size` tokens, each starting with up to `overlap`
        tokens of the one before (langchain's ``_merge_splits`` with an empty separator)."""
        joiner = self.length((0, 0))
        chunks: list[Span] = []
        current: deque[Span] = deque()
        total = 0
        for piece in pieces:
            size = self.length(piece)
            if total + size + (joiner if current else 0) > self.size and current:
                self._emit(current, chunks)
                while total > self.overlap or (total + size + (joiner if current else 0) > self.size and total > 0):
                    total -= self.length(current[0]) + (joiner if len(current) > 1 else 0)
                    current.popleft()
            current.append(piece)
            total += size + (joiner if len(current) > 1 else 0)
        self._emit(current, chunks)
        return chunks

    def _emit(self, current: deque[Span], chunks: list[Span]) -> None:
        """The pieces in `current` are contiguous: their chunk is one span, whitespace stripped."""
        if not current:
            return
        start, end = current[0][0], current[-1][1]
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        if start < end:
            chunks.append((start, end))


def _pieces(text: str, separator: str, offset: int) -> list[Span]:
    """``text`` cut after each match of `separator` (kept at the end of its piece), or into characters."""
    if not separator:
        return [(offset + i, offset + i + 1) for i in range(len(text))]
    pieces, cut = [], 0
    for match in re.finditer(separator, text):
        if match.end() > cut:
            pieces.append((offset + cut, offset + match.end()))
        cut = match.end()
    if cut < len(text):
        pieces.append((offset + cut, offset + len(text)))
    return pieces
