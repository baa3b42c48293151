"""Answers, articles and interface strings -> Telegram HTML messages, each under the length limit.

Every piece of text from an article or a person is escaped; the only tags produced are <b>, <a>
and <blockquote>, always closed within the message that opens them. Telegram counts a message's
length in UTF-16 code units after parsing the tags; to stay clear of the limit whatever the
text holds, the budget here is the length of the HTML source itself, which is never shorter.
Long replies are split between passages (or paragraphs of an article), and a single block too
long for one message is cut at a space, each piece carrying its own balanced tags.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from index.service import UNSAFE, readable, safe, shown_date

MAX_MESSAGE = 4096

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "no_answer": "The articles don't say. I found nothing in them that answers this question, so I won't guess.",
        "near_miss": "I found nothing that answers this with confidence. The closest passage is in {language} "
                     "and may answer it; please check it:",
        "lang_ar": "Arabic",
        "lang_en": "English",
        "more": "More passages ▸",
        "full": "Full article",
        "article_n": "Article {n}",
        "weak": "loosely related",
        "no_more": "No more passages for this question.",
        "empty": "Please send your question in words, in Arabic or English.",
        "too_long": "That message is {n:,} characters long; please ask in fewer than {max:,}.",
        "text_only": "I can only read text. Please type your question.",
        "slow_down": "You're asking faster than I can answer well. Please wait {s} seconds, then ask again.",
        "error": "Sorry, something went wrong on my side. Please try again in a moment.",
        "expired": "This button has expired. Please ask the question again.",
        "no_article": "That article is no longer in the index.",
        "not_allowed": "Sorry, this bot is not open to this chat.",
        "new": "Starting afresh: your next question won't build on the previous one.",
        "part": "part {i} of {n}",
        "article_cut": "The article goes on for {n} more parts, too long to send here.",
        "sources_none": "I have not read any articles yet.",
        "cmd_help": "How to ask, with examples",
        "cmd_sources": "What I have read",
        "cmd_new": "Start a new topic",
        "sources": "Articles I have read: {articles:,} ({passages:,} passages). The newest:",
        "by_source": "By source (articles, first and last date):",
        "no_source": "(no source)",
        "no_source_match": "I have no article from “{source}”, so I cannot answer from it. The sources I have read: {known}.",
        "no_date_match": "I have no article published {span}. My dated articles run from {first} to {last}.",
        "older": "Nothing on this was published {span}. Older articles answer it",
        "older_newest": "; the newest on it, from {date}, comes first",
        "no_dated": "I have no article published {span}: none of my articles has a date I can read.",
        "unavailable": "The article index is not available right now. Please try again later.",
        "bad_filter": "I could not use that filter: {reason}. Write dates as since:2025-06-01, languages as lang:ar or lang:en.",
        "extracted": "Extracted by rules from passage {n}.",
        "generated": "Written by {model} from the passages below, and checked against them.",
        "writing": "Writing a short answer from the passages below…",
        "start": (
            "<b>rawi</b> answers questions about the news articles it has read, in Arabic or English. "
            "It quotes the passages that answer, the answering sentence in bold, and names each article. "
            "When the articles don't say, it tells you so."
        ),
        "ask_like": "Ask, for example:",
        "help": (
            "\n\nA short follow-up (“and China?”) builds on your previous question.\n"
            "Narrow a question with since:YYYY-MM-DD until:YYYY-MM-DD source:NAME lang:ar|en, e.g.\n"
            "• since:2025-06-01 source:Reuters What happened in Gaza?\n"
            "“latest”, “today”, “yesterday”, “this week” count from the newest article; the newest comes first.\n"
            "/sources: what I have read\n"
            "/new: start a new topic\n"
            "/help: this message\n"
            "In a group, mention me or reply to one of my messages."
        ),
    },
    "ar": {
        "no_answer": "لا تذكر المقالات ذلك: لم أجد فيها ما يجيب عن هذا السؤال، ولن أخمّن.",
        "near_miss": "لم أجد ما يجيب عن هذا بثقة. أقرب مقطع وجدته مكتوب {language} وقد يجيب عنه، فتحقّق منه:",
        "lang_ar": "بالعربية",
        "lang_en": "بالإنجليزية",
        "more": "◂ مقاطع أخرى",
        "full": "المقال كاملًا",
        "article_n": "المقال {n}",
        "weak": "صلة ضعيفة",
        "no_more": "لا توجد مقاطع أخرى لهذا السؤال.",
        "empty": "أرسل سؤالك بالكلمات، بالعربية أو بالإنجليزية، من فضلك.",
        "too_long": "طول هذه الرسالة {n:,} حرفًا؛ اطرح سؤالك في أقل من {max:,} حرف من فضلك.",
        "text_only": "أقرأ النصوص فقط. اكتب سؤالك من فضلك.",
        "slow_down": "أسئلتك أسرع مما أستطيع الإجابة عنه بعناية. انتظر {s} ثانية ثم اسأل من جديد من فضلك.",
        "error": "عذرًا، حدث خطأ من جهتي. حاول مرة أخرى بعد قليل من فضلك.",
        "expired": "انتهت صلاحية هذا الزر. اطرح السؤال من جديد من فضلك.",
        "no_article": "لم يعد هذا المقال موجودًا في الفهرس.",
        "not_allowed": "عذرًا، هذا البوت غير متاح في هذه المحادثة.",
        "new": "بداية جديدة: لن أبني سؤالك التالي على ما سبقه.",
        "part": "الجزء {i} من {n}",
        "article_cut": "يستمر المقال في {n} أجزاء أخرى، وهو أطول من أن يُرسل هنا.",
        "sources_none": "لم أقرأ أي مقال بعد.",
        "cmd_help": "طريقة السؤال، مع أمثلة",
        "cmd_sources": "ما قرأته",
        "cmd_new": "موضوع جديد",
        "sources": "عدد المقالات التي قرأتها: {articles:,} (عدد المقاطع: {passages:,}). أحدثها:",
        "by_source": "حسب المصدر (عدد المقالات، وأول تاريخ وآخره):",
        "no_source": "(بلا مصدر)",
        "no_source_match": "ليس لديّ أي مقال من «{source}»، فلا أستطيع الإجابة منه. المصادر التي قرأتها: {known}.",
        "no_date_match": "ليس لديّ أي مقال منشور في هذه الفترة ({span}). مقالاتي المؤرخة من {first} إلى {last}.",
        "older": "لم يُنشر شيء عن هذا الموضوع في الفترة المطلوبة ({span})، وتجيب عنه مقالات أقدم",
        "older_newest": "، أحدثها من {date} ويأتي أولًا",
        "no_dated": "ليس لديّ أي مقال منشور في هذه الفترة ({span})، فلا تاريخ مقروءًا لأي من مقالاتي.",
        "unavailable": "فهرس المقالات غير متاح الآن. حاول لاحقًا من فضلك.",
        "bad_filter": "لم أستطع استخدام هذا القيد: {reason}. اكتب التاريخ هكذا since:2025-06-01 واللغة lang:ar أو lang:en.",
        "extracted": "مستخرج آليًا من المقطع {n}.",
        "generated": "كتبه {model} من المقاطع أدناه، وجرى التحقق منه مقابلها.",
        "writing": "جارٍ كتابة إجابة قصيرة من المقاطع أدناه…",
        "start": (
            "<b>راوي</b> يجيب عن أسئلتك حول الأخبار التي قرأها، بالعربية أو بالإنجليزية. "
            "يقتبس المقاطع التي تجيب، والجملة المجيبة بخط عريض، ويذكر كل مقال. "
            "وإن لم تذكر المقالات الجواب قال ذلك بصراحة."
        ),
        "ask_like": "اسأل مثلًا:",
        "help": (
            "\n\nالسؤال القصير التالي («والصين؟») يُبنى على سؤالك السابق.\n"
            "لتضييق السؤال: since:YYYY-MM-DD until:YYYY-MM-DD source:الاسم lang:ar|en، مثلًا:\n"
            "• lang:ar since:2025-06-01 ما آخر الأخبار؟\n"
            "«آخر» و«أحدث» و«اليوم» و«أمس» و«هذا الأسبوع» تُحسب من أحدث مقال، والأحدث أولًا.\n"
            "/sources: ما قرأته\n"
            "/new: موضوع جديد\n"
            "/help: هذه الرسالة\n"
            "في المجموعات، اذكرني أو رُدّ على إحدى رسائلي."
        ),
    },
}


def text(lang: str, key: str, **values) -> str:
    """An interface string in `lang` ("ar" or "en"), plain text (escape it before use in HTML)."""
    return TEXT["ar" if lang == "ar" else "en"][key].format(**values)


def tg_len(value: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(value.encode("utf-16-le")) // 2


def escape(value: str) -> str:
    """Text for a message: made safe as for a terminal (no NUL, no bidi override turning
    "gnp.exe" around: ``index/safe_text.py``), then HTML-escaped. All text reaches HTML here."""
    return html.escape(safe(value), quote=False)


def safe_url(url: str) -> str | None:
    """The url if Telegram would accept it as a link (http or https, a host, no spaces), else None."""
    url = (url or "").strip()
    if not url or UNSAFE.search(url) or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.hostname else None


MAX_TITLE = 300


def title_html(title: str, url: str) -> str:
    """The title, linked when the url is one Telegram accepts, else in bold; very long ones cut."""
    title = " ".join((title or "").split()) or "—"
    if len(title) > MAX_TITLE:
        title = title[: MAX_TITLE - 1] + "…"
    link = safe_url(url)
    if link:
        return f'<a href="{html.escape(link, quote=True)}">{escape(title)}</a>'
    return f"<b>{escape(title)}</b>"


# ---------------------------------------------------------------------------------------------
# Splitting


def _fit(render: Callable[[int, int], str], start: int, end: int, budget: int, source: str) -> int:
    """The largest cut in (start, end] whose rendering fits the budget, moved back to a space."""
    low, high = start + 1, end
    if tg_len(render(start, low)) > budget:  # cannot happen for budgets above a few characters
        return low
    while low < high:
        middle = (low + high + 1) // 2
        if tg_len(render(start, middle)) <= budget:
            low = middle
        else:
            high = middle - 1
    if low < end:
        space = max(source.rfind(ch, start + 1, low + 1) for ch in (" ", "\n"))
        if space > start + (low - start) // 2:  # do not cut a piece too short for a space
            low = space
    return low


def split_text(source: str, render: Callable[[int, int], str], budget: int) -> list[str]:
    """Render source[a:b] pieces, each within budget, cut at spaces where possible."""
    pieces, start = [], 0
    while start < len(source):
        end = len(source) if tg_len(render(start, len(source))) <= budget else _fit(render, start, len(source), budget, source)
        pieces.append(render(start, end))
        start = end
        while start < len(source) and source[start] in " \n":
            start += 1
    return pieces


def pack(blocks: Sequence[str], limit: int = MAX_MESSAGE, separator: str = "\n\n") -> list[str]:
    """Join whole blocks into messages under the limit (every block must already fit alone)."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}{separator}{block}" if current else block
        if tg_len(candidate) <= limit:
            current = candidate
        else:
            if current:
                messages.append(current)
            current = block
    if current:
        messages.append(current)
    return messages


# ---------------------------------------------------------------------------------------------
# Answers


def _passage_renderer(passage) -> Callable[[int, int], str]:
    """Render passage.text[a:b] with the answering sentence (where it falls inside) in bold."""
    body = passage.text
    bold_start, bold_end = passage.sentence_start, passage.sentence_end

    def render(a: int, b: int) -> str:
        s, e = max(a, bold_start), min(b, bold_end)
        if s >= e:
            return escape(body[a:b])
        return f"{escape(body[a:s])}<b>{escape(body[s:e])}</b>{escape(body[e:b])}"

    return render


def filter_note(note, lang: str) -> str:
    """Why a filtered question found nothing (index/notes.py), in the person's language."""
    if note.kind == "older":
        newest = text(lang, "older_newest", date=note.known[0]) if note.known else ""
        return text(lang, "older", span=note.value) + newest + ":"
    if note.kind == "source":
        known = "، ".join(note.known[:12]) if lang == "ar" else ", ".join(note.known[:12])
        return text(lang, "no_source_match", source=note.value, known=known or "—")
    if not note.known:
        return text(lang, "no_dated", span=note.value)
    return text(lang, "no_date_match", span=note.value, first=note.known[0], last=note.known[-1])


def article_line(passage) -> str:
    """The article's title (linked), then its source and date (one readable form, published.py):
    a news answer needs its date."""
    details = _details(getattr(passage, "source", ""), shown_date(getattr(passage, "published_at", ""),
                                                                   getattr(passage, "published", "")))
    copies = getattr(passage, "also_in", ())  # syndicated copies of the cited article
    also = "; ".join(" · ".join(x for x in (source, readable(date)) if x) for source, date, _ in copies)
    details += f"\n{escape('also in: ' + also)}" if also else ""
    return title_html(passage.title, passage.url) + (f"\n<i>{details}</i>" if details else "")


def _details(*values: str) -> str:
    return " · ".join(escape(" ".join(v.split())[:200]) for v in values if v and v.strip())


def passage_blocks(passage, number: int, limit: int = MAX_MESSAGE, titled: bool = True, lang: str = "en") -> list[str]:
    """One passage as HTML blocks: its number (after the article's title and date, unless
    ``titled`` is False: the article was named above), then the passage quoted (cut if huge).
    A weak passage, shown only to fill up the page, says so."""
    number_html = f"<b>[{number}]</b>"
    if getattr(passage, "weak", False):
        number_html += f" <i>({escape(text(lang, 'weak'))})</i>"
    heading = f"{number_html} {article_line(passage)}" if titled else number_html
    body = _stripped(passage)
    budget = limit - tg_len(heading) - tg_len("\n<blockquote></blockquote>")
    pieces = split_text(body.text, _passage_renderer(body), budget) if body.text else [""]
    blocks = [f"{heading}\n<blockquote>{pieces[0]}</blockquote>"]
    blocks += [f"<b>[{number}]</b>\n<blockquote>{piece}</blockquote>" for piece in pieces[1:]]  # continued
    return blocks


class _Stripped:
    __slots__ = ("text", "sentence_start", "sentence_end")

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text, self.sentence_start, self.sentence_end = text, start, end


def _stripped(passage) -> _Stripped:
    """The passage as shown under its title (``Passage.shown``: no first line repeating the
    title), without leading/trailing whitespace, the sentence offsets moved to match."""
    if hasattr(passage, "shown"):
        passage = passage.shown()
    raw = passage.text or ""
    lead = len(raw) - len(raw.lstrip())
    text_ = raw.strip()
    start = min(max(passage.sentence_start - lead, 0), len(text_))
    end = min(max(passage.sentence_end - lead, start), len(text_))
    return _Stripped(text_, start, end)


def render_answer(answer, lang: str, first_number: int = 1, limit: int = MAX_MESSAGE) -> list[str]:
    """An Answer as messages: numbered cited passages, or one honest sentence that cites nothing."""
    note = getattr(answer, "note", None)
    if note is not None and note.replaces_answer:
        return [escape(filter_note(note, lang))]
    near = getattr(answer, "near", None)
    if not answer.answered and near is not None and answer.passages:  # close, in the other language
        language = text(lang, f"lang_{near.language}") if near.language in ("ar", "en") else near.language
        lead = f"<i>{escape(text(lang, 'near_miss', language=language))}</i>"
        return pack([lead, *passage_blocks(answer.passages[0], first_number, limit, lang=lang)], limit)
    if not answer.answered or not answer.passages:
        return [escape(text(lang, "no_answer"))]
    blocks = [f"<i>{escape(filter_note(note, lang))}</i>"] if note is not None else []  # older than asked
    for group in by_article(list(enumerate(answer.passages, first_number))):
        for i, (number, passage) in enumerate(group):
            blocks.extend(passage_blocks(passage, number, limit, titled=i == 0, lang=lang))
    return pack(blocks, limit)


def by_article(numbered: list) -> list[list]:
    """(number, passage) pairs grouped by article, in the order each article is first cited:
    one title per article, however many of its passages answer."""
    groups: dict[str, list] = {}
    for number, passage in numbered:
        groups.setdefault(passage.article_id, []).append((number, passage))
    return list(groups.values())


# ---------------------------------------------------------------------------------------------
# The short answer above the passages (index/short.py): extracted, being written, or written.

LEAD_RESERVE = 1800  # room kept in the first message for the short answer block


def short_answer_html(short, lang: str, writing: str | None = None) -> str:
    """The block above the passages: the checked text so far while the model writes (`writing`),
    else the short answer (a generated one, or one extracted by rules), marked as such; "" for none."""
    parts = []
    if writing is not None:
        if writing:
            parts.append(escape(writing))
        elif short is not None and short.kind == "extracted":
            parts.append(f"<b>{escape(short.text)}</b> [{short.citations[0]}]")
        parts.append(f"<i>{escape(text(lang, 'writing'))}</i>")
    elif short is not None and short.kind == "generated":
        parts += [f"<b>{escape(short.text)}</b>", f"<i>{escape(text(lang, 'generated', model=short.model))}</i>"]
    elif short is not None and short.kind == "extracted":
        n = short.citations[0]
        parts += [f"<b>{escape(short.text)}</b> [{n}]", f"<i>{escape(text(lang, 'extracted', n=n))}</i>"]
    return "\n".join(parts)


def with_lead(lead: str, message: str) -> str:
    """A message with the short answer block above it."""
    return f"{lead}\n\n{message}" if lead else message


# ---------------------------------------------------------------------------------------------
# Articles and sources


def render_article(article, lang: str, limit: int = MAX_MESSAGE) -> list[str]:
    """A whole article in parts: title (linked), source and date, then its paragraphs."""
    details = _details(article.source, shown_date(getattr(article, "published_at", ""), article.published))
    header = title_html(article.title, article.url) + (f"\n{details}" if details else "")
    budget = limit - 64  # room for the "part 2 of 3" line added below
    blocks = [header]
    title = " ".join((article.title or "").split())
    paragraphs = [p.strip() for p in (article.text or "").split("\n") if p.strip()]
    if paragraphs and " ".join(paragraphs[0].split()) == title:
        paragraphs = paragraphs[1:]  # the title line of the text: already the header
    for paragraph in paragraphs:
        if paragraph:
            blocks.extend(split_text(paragraph, lambda a, b, p=paragraph: escape(p[a:b]), budget))
    parts = pack(blocks, budget, separator="\n")
    if len(parts) > 1:
        parts = [f"{part}\n\n<i>{escape(text(lang, 'part', i=i, n=len(parts)))}</i>" for i, part in enumerate(parts, 1)]
    return parts


def render_sources(sources, lang: str, limit: int = MAX_MESSAGE) -> str:
    if not sources.articles:
        return escape(text(lang, "sources_none"))
    lines = [escape(text(lang, "sources", articles=sources.articles, passages=sources.passages))]
    for number, row in enumerate(sources.newest, 1):
        date = shown_date(row.published_at, row.published)
        when = f" ({escape(date)})" if date else ""
        lines.append(f"{number}. {title_html(row.title, row.url)}{when}")
    by_source = getattr(sources, "by_source", [])
    if by_source:
        lines += ["", escape(text(lang, "by_source"))]
    for stats in by_source:
        name = " ".join(stats.source.split())[:100] or text(lang, "no_source")
        span = f", {readable(stats.first)} – {readable(stats.last)}" if stats.first else ""
        lines.append(f"• {escape(name)}: {stats.articles:,}{escape(span)}")
    return pack(lines, limit, separator="\n")[0]


def help_text(lang: str, full: bool = True, example: str = "") -> str:
    """The /start and /help message (full), or the reply to a greeting: what rawi does, then
    ``example``, a question built on a title of the user's own index (index/greeting.py), to copy."""
    tried = f"\n\n{escape(text(lang, 'ask_like'))}\n<code>{escape(example)}</code>" if example else ""
    return text(lang, "start") + tried + (escape(text(lang, "help")) if full else "")


def lone_word(said) -> str:
    """The reply to a lone word ("Jeddah"): it is not a question, and a question on it to copy
    (``said``: index.greeting.Reply)."""
    return f"{escape(said.text)}\n<code>{escape(said.example)}</code>"

