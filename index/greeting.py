"""The reply to a greeting or a lone word ("hello", "مرحبا", "Jeddah"), for every client (the CLI's
`rawi ask`, `rawi ask -`, the bot): a short answer in the user's language that says what rawi
does, with an example question built on a title from the user's own index. Nothing is looked up
and no model is loaded. How a client shows it (a terminal line, JSON, Telegram HTML) is its own."""

from __future__ import annotations

from dataclasses import dataclass

MAX_TITLE = 80  # characters of a title quoted in the example

_TEXT = {
    "en": {
        "greeting": "Hello! rawi answers questions about the {n} indexed articles, in Arabic or English, "
                    "citing the passages. For example:",
        "word": "\"{word}\" alone is not a question: ask a whole question, for example:",
        "example": "What do the articles say about “{title}”?",
        "no_index": "Nothing is indexed yet: put articles in the corpus folder and run `rawi index`, then ask "
                    "a question in Arabic or English.",
    },
    "ar": {
        "greeting": "أهلًا! يجيب rawi عن الأسئلة حول المقالات المفهرسة ({n})، بالعربية أو الإنجليزية، "
                    "مع ذكر المقاطع. مثلًا:",
        "word": "«{word}» وحدها ليست سؤالًا: اسأل سؤالًا كاملًا، مثلًا:",
        "example": "ماذا تقول المقالات عن «{title}»؟",
        "no_index": "لم تُفهرس أي مقالة بعد: ضع المقالات في مجلد المقالات وشغّل `rawi index`، ثم اسأل بالعربية "
                    "أو الإنجليزية.",
    },
}


@dataclass(frozen=True)
class Reply:
    text: str  # one line
    example: str  # a question to try ("" when the index holds no titled article)

    def lines(self) -> list[str]:
        return [self.text] + ([f'  rawi ask "{self.example}"'] if self.example else [])

    def to_json(self, question: str) -> dict:
        return {"question": question, "answered": False, "passages": [], "reply": self.text,
                "example": self.example or None}


def shorten(title: str, most: int = MAX_TITLE) -> str:
    if len(title) <= most:
        return title
    cut = title[:most].rsplit(" ", 1)[0]
    return f"{cut}…"


def reply(question: str, greeting: bool, language: str, title: str, articles: int) -> Reply:
    """``title``: from the user's index (``index.listing.example_title``); ``articles``: how many
    it holds (0 or less: no index yet)."""
    text = _TEXT.get(language, _TEXT["en"])
    if articles <= 0:
        return Reply(text["no_index"], "")
    example = text["example"].format(title=shorten(title).replace('"', "'")) if title else ""
    if greeting:
        return Reply(text["greeting"].format(n=articles), example)
    return Reply(text["word"].format(word=shorten(" ".join(question.split()), 40)), example)


def answered(question: str, greeting: bool, articles: list | None, language: str = "", count: int | None = None) -> Reply:
    """The reply for an index holding ``articles`` (None: no index yet): in ``language``, else
    the question's; ``count``: how many articles the index holds, when ``articles`` are only some
    of them (the newest)."""
    from .listing import example_title
    from .question import language_of

    language = language or language_of(question)
    found = -1 if articles is None else len(articles) if count is None else count
    return reply(question, greeting, language, example_title(articles or [], language, question), found)
