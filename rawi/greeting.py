"""The reply to a greeting or a lone word ("hello", "مرحبا", "Jeddah"): a short answer in the
user's language that says what rawi does, with an example question built on a title from the
user's own index. Nothing is looked up and no model is loaded."""

from __future__ import annotations

from dataclasses import dataclass

from .terminal import json_line, safe

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


def answered(question: str, greeting: bool, articles: list | None) -> Reply:
    """The reply for the index holding ``articles`` (None: no index yet)."""
    from index.service import example_title, language_of

    language = language_of(question)
    found = -1 if articles is None else len(articles)
    return reply(question, greeting, language, example_title(articles or [], language, question), found)


def greet(settings, question: str, greeting: bool, json_output: bool) -> str:
    """What `rawi ask` prints for a greeting: what rawi does, in the question's language, with
    an example built on a title of this index (no model is loaded)."""
    from index.errors import NoIndex
    from index.service import indexed_articles

    try:
        articles: list | None = indexed_articles(settings)
    except NoIndex:
        articles = None
    said = answered(question, greeting, articles)
    if json_output:
        return json_line(said.to_json(question))
    return "\n".join(safe(line, lines=False) for line in said.lines())
