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
    """Give each piece its exact span; pieces come in text order and may overlap."""
    cursor = 0
    for seq, piece in enumerate(pieces):
        start = article.text.find(piece, cursor)
        if start < 0:  # cannot happen for substrings in order; guard against library changes
            raise ValueError(f"chunk {seq} of {article.id} is not a substring of the article")
        end = start + len(piece)
        yield Chunk(article.id, seq, piece, start, end)
        cursor = start + 1
