"""Text from outside (articles, file names, feeds, a model's reply) made safe to show anywhere.

One sanitizer for every output: the terminal (``rawi/terminal.py``) and Telegram (``bot/render.py``).
It drops every control character (C0 except tab and line breaks, DEL, C1, which includes the 8-bit
CSI), the bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069: "Safe
U+202E gnp.exe" shows as "Safe exe.png"), and U+FEFF, invisible inside a text. Marks that Arabic
text legitimately holds (LRM, RLM, ALM, the zero-width joiners) are kept.
"""

from __future__ import annotations

import re

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
INVISIBLE = "\ufeff"
UNSAFE = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{BIDI_CONTROLS}{INVISIBLE}]")


def safe(text: str, lines: bool = True) -> str:
    """``text`` without unsafe characters (line ends normalised to ``\\n``); with ``lines`` False,
    line breaks become spaces."""
    text = UNSAFE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text if lines else " ".join(text.split("\n"))
