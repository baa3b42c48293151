"""Text for a person's terminal: no control sequences from articles, direction kept, a highlight.

Articles and file names are data from outside: an escape sequence in a title could recolour,
retitle or rewrite the terminal it is printed to. ``safe`` (``index/safe_text.py``, shared with the
bot) drops every control character except the line breaks and tabs asked for, and the
bidirectional embeddings, overrides and isolates, so that the isolates added by ``isolate``
always pair up.
"""

from __future__ import annotations

import json
import re

from index.service import BIDI_CONTROLS, INVISIBLE, safe

_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
FSI, PDI, LRM = "\u2068", "\u2069", "\u200e"
BOLD, RESET = "\x1b[1;33m", "\x1b[0m"  # our own sequences: added after `safe`
MARK_OPEN, MARK_CLOSE = "**", "**"  # the highlight when the output is not a terminal


def has_rtl(text: str) -> bool:
    return bool(_RTL.search(text))


def isolate(text: str) -> str:
    """Right-to-left text isolated from what follows it (FSI ... PDI, then LRM), so that in a
    bidi-aware terminal "(file, score)" after an Arabic title keeps its place."""
    return f"{FSI}{text}{PDI}{LRM}" if has_rtl(text) else text


def unmarked(text: str) -> str:
    """``text`` without the isolates ``isolate`` added: for output that is not a terminal (a file,
    a pipe), where they are invisible bytes in the way. Article text holds no FSI or PDI (``safe``
    drops them), so every FSI, and every PDI with its LRM, is one of ours."""
    return text.replace(FSI, "").replace(PDI + LRM, "")


def say(text: str) -> None:
    """Print ``text`` for a person: with its direction isolates on a terminal, without elsewhere."""
    import sys

    import click

    click.echo(text if sys.stdout.isatty() else unmarked(text))


def highlight(text: str, start: int, end: int, tty: bool) -> str:
    """``text`` with text[start:end] in bold colour on a terminal, between plain markers otherwise."""
    opening, closing = (BOLD, RESET) if tty else (MARK_OPEN, MARK_CLOSE)
    return f"{safe(text[:start])}{opening}{safe(text[start:end])}{closing}{safe(text[end:])}"


def json_line(value: object) -> str:
    """One line of JSON, readable (non-ASCII kept) yet safe on a terminal: JSON escapes C0
    controls itself; C1 controls, bidi controls and U+FEFF are escaped here too (still valid JSON)."""
    text = json.dumps(value, ensure_ascii=False)
    return re.sub(f"[\\x7f-\\x9f{BIDI_CONTROLS}{INVISIBLE}]", lambda m: f"\\u{ord(m.group()):04x}", text)

