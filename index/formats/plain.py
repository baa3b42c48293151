"""Plain-text articles, and the Article that every corpus format gives.

Each ``.txt`` or ``.md`` file is one article. A file may open with front matter::

    ---
    title: ...
    url: https://...
    published: 2025-06-04
    source: ...
    ---

otherwise the title is the first non-empty line. Text is decoded from UTF-8 (with or without
a BOM), UTF-16/32 with a BOM, or, failing that, whatever charset-normalizer detects (older
Arabic news is often Windows-1256). Line ends are normalized to ``\\n``. The other formats
(``formats/``) build on ``Article``, ``CorpusScan`` and ``decode`` from here; this module imports
only ``traversal.py``, so nothing of the corpus scan (``articles.py``) can import its way back.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..traversal import NotText, Skipped, read_capped

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_META_KEYS = ("title", "url", "published", "source", "language")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str
    sha256: str
    url: str = ""
    published: str = ""
    source: str = ""
    language: str = ""  # as the file gives it ("ar", "en"); detected at index time otherwise


@dataclass(frozen=True)
class CorpusScan:
    articles: list[Article]
    skipped: list[Skipped]


def decode(raw: bytes) -> str:
    """Bytes of a corpus file -> text with ``\\n`` line ends, or NotText with the reason."""
    text = _decode_bytes(raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise NotText("binary file (contains NUL bytes)")
    if not text.strip():
        raise NotText("empty file (no text)")
    return text


def _decode_bytes(raw: bytes) -> str:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise NotText(f"invalid {encoding} text after its byte-order mark") from exc
    if b"\x00" in raw:
        raise NotText("binary file (contains NUL bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return _detect(raw)


def _detect(raw: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None or not _looks_like_text(str(best)):
        raise NotText("not text in any known encoding (binary file?)")
    return str(best)


def _looks_like_text(text: str) -> bool:
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    return controls <= len(text) // 100


def parse(article_id: str, text: str, sha256: str) -> Article:
    """Split front matter from the body and pick the title."""
    meta: dict[str, str] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        meta = _front_matter(match.group(1))
        text = text[match.end() :]
    if not text.strip():
        raise NotText("empty file (front matter but no text)")
    if article_id.lower().endswith(".md"):
        text = join_soft_wraps(text, keep_first="title" not in meta)
    title = meta.get("title") or next(line.strip() for line in text.splitlines() if line.strip())
    return Article(
        id=article_id,
        title=title,
        text=text,
        sha256=sha256,
        url=meta.get("url", ""),
        published=meta.get("published", ""),
        source=meta.get("source", ""),
        language=meta.get("language", ""),
    )


# Lines that start a block of their own in Markdown (a heading, a list item, a quote, a table
# row, a fence, a rule or a setext underline): never joined to the line before or after.
_BLOCK_LINE = re.compile(r"\s{0,3}(?:#|[-*+]\s|\d{1,9}[.)]\s|>|\||```|~~~|[-=_*]{3,}\s*$)")
_SENTENCE_END = r"[.!?؟۔…][\"'”’»)\]]*"
_ENDS = re.compile(_SENTENCE_END + r"\s*$")
_RUNS_ON = re.compile(r"[,،;:]\s*$")
_ENDS_INSIDE = re.compile(_SENTENCE_END + r"\s+\S")
# sentences.HEADING_MAX_WORDS: a longer line without final punctuation is prose cut short. Not
# imported: this reader imports nothing outside formats/ and traversal (sentences.py needs numpy,
# and a corpus scan runs without it, e.g. as another user with the system's Python).
_HEADING_MAX_WORDS = 16


def join_soft_wraps(text: str, keep_first: bool = False) -> str:
    """A Markdown paragraph wrapped at a fixed width, its lines joined where a sentence runs on.

    In Markdown a single line break inside a paragraph is a space ("Officials said\n140 ships
    had waited"): read as a break, the sentence that answers would be cut in two, and a wrapped
    line that does not end like a sentence would pass for a heading. Kept apart: a line that
    ends a sentence (a paragraph a line, as some outlets write), a short line with no sentence
    in it that the next line does not continue in lower case (a subheading: "Next steps"),
    block lines, blank lines, a hard break (two trailing spaces or a backslash), and, with
    ``keep_first``, the first line (the title of a file whose front matter names none)."""
    lines = text.split("\n")
    first = next((n for n, line in enumerate(lines) if line.strip()), 0) if keep_first else -1
    joined = [lines[0]]
    for n, (before, line) in enumerate(zip(lines, lines[1:])):
        if n != first and _runs_on(before, line):
            joined[-1] = f"{joined[-1].rstrip()} {line.strip()}"
        else:
            joined.append(line)
    return "\n".join(joined)


def _runs_on(before: str, line: str) -> bool:
    if not before.strip() or not line.strip() or before.endswith(("  ", "\\")):
        return False
    if _BLOCK_LINE.match(before) or _BLOCK_LINE.match(line) or _ENDS.search(before):
        return False
    return bool(_RUNS_ON.search(before) or _ENDS_INSIDE.search(before) or len(before.split()) > _HEADING_MAX_WORDS
                or "a" <= line.lstrip()[0] <= "z")


def _front_matter(block: str) -> dict[str, str]:
    meta = {}
    for line in block.splitlines():
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if sep and key in _META_KEYS:
            meta[key] = _unquote(value.strip())
    return meta


def _unquote(value: str) -> str:
    """YAML's rule for a scalar: quotes that open and close the whole value are dropped (with
    their escapes: a backslash inside double quotes, ``''`` inside single ones); any other quote
    is part of the text and stays (``Minister: "we will not resign"``)."""
    inner = value[1:-1]
    if len(value) >= 2 and value[0] == value[-1] == '"' and '"' not in re.sub(r"\\.", "", inner):
        return re.sub(r"\\(.)", r"\1", inner)
    if len(value) >= 2 and value[0] == value[-1] == "'" and "'" not in inner.replace("''", ""):
        return inner.replace("''", "'")
    return value


def read_article(path: Path, article_id: str) -> Article:
    """One file -> Article; raises NotText or OSError with a reason (see traversal.read_capped)."""
    raw = read_capped(path)
    return parse(article_id, decode(raw), hashlib.sha256(raw).hexdigest())
