"""Small async handlers: each reads one kind of update and answers it.

Retrieval is CPU work (tens of milliseconds, longer under load), so it runs on a small thread
pool and the event loop keeps serving other chats. Updates are handled concurrently, but one
chat's questions are answered in the order they were asked (a lock per chat), so a follow-up
always sees the question before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import weakref
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import (
    BotCommand, CallbackQuery, Chat, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message,
    MessageEntity,
    ReplyParameters, Update, User,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from index.errors import FilterError, NoContent, QuestionError
from index.service import MAX_QUESTION_CHARS, Desk, Reader, clean, is_small_talk, language_of

from . import render, stream
from .callbacks import Callbacks, FullArticle, More, Page
from .context import Conversations
from .limits import QuestionLimit
from .settings import BotSettings

if TYPE_CHECKING:
    from index.service import Answer, Generator

log = logging.getLogger(__name__)

T = TypeVar("T")
Context = ContextTypes.DEFAULT_TYPE
TYPING_EVERY = 4.5  # seconds; Telegram shows "typing..." for about 5
MAX_ARTICLE_BUTTONS = 3
# "Full article" sends at most this many parts (a 1 MB article is ~260 messages at one a second), then a note.
MAX_ARTICLE_PARTS = 5
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # a preview card would push the passages down


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def user_language(user: User | None) -> str:
    code = (user.language_code or "") if user else ""
    return "ar" if code.lower().startswith("ar") else "en"


def pick_language(text: str, user: User | None) -> str:
    """The language of the question; for text without letters, the language of the user's app."""
    return language_of(text) if _has_letters(text) else user_language(user)


def question_problem(text: str) -> tuple[str, dict] | None:
    """Why `text` cannot be asked (an interface-string key and its values), or None."""
    cleaned = clean(text)
    if not cleaned or not any(ch.isalnum() for ch in cleaned):
        return "empty", {}
    if len(cleaned) > MAX_QUESTION_CHARS:
        return "too_long", {"n": len(cleaned), "max": MAX_QUESTION_CHARS}
    return None


class Rawi:
    """The bot's state (the index's front door, limits, conversations, buttons) and its handlers."""

    def __init__(
        self, answerer: Reader, settings: BotSettings, k: int = 3, generator: Generator | None = None,
        index_name: str = "",
    ) -> None:
        self.desk = Desk(answerer, generator)  # the front door of index/; a generator when [generate] is enabled
        self.index_name = index_name or "its index"  # named in the start-up line
        self.settings = settings
        self.k = settings.passages or k
        self.conversations = Conversations(settings.context_chats, settings.context_minutes * 60)
        self.limit = QuestionLimit(settings.questions_per_minute)
        self.callbacks = Callbacks()
        self.executor = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="rawi-retrieval")
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self.journal: Any = None  # bot/journal.py, set by app.build_application (None: no journal)
        self.fatal = ""  # why the bot must stop (the token was refused while running); app.run raises it
        self.on_fatal: Callable[[], Any] = lambda: None

    def unauthorized(self) -> None:
        """The Bot API answered HTTP 401: the token was revoked. Stop (once) so a supervisor can act."""
        if not self.fatal:
            self.fatal = "the Bot API refused the token (HTTP 401) while running: check TELEGRAM_BOT_TOKEN with @BotFather"
            log.error("%s; stopping", self.fatal)
            self.on_fatal()

    # -- plumbing --------------------------------------------------------------------------

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking index work on the retrieval threads."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def chat_lock(self, chat_id: int) -> asyncio.Lock:
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[chat_id] = lock
        return lock

    @contextlib.asynccontextmanager
    async def typing(self, bot: Any, chat_id: int) -> AsyncIterator[None]:
        """Show "typing..." in the chat until the block ends (renewed every few seconds)."""

        async def keep_typing() -> None:
            while True:
                with contextlib.suppress(TelegramError):
                    await bot.send_chat_action(chat_id, ChatAction.TYPING)
                await asyncio.sleep(TYPING_EVERY)

        task = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def reply(self, message: Message, html: str, markup: InlineKeyboardMarkup | None = None) -> Message:
        return await message.get_bot().send_message(
            message.chat_id, html, parse_mode=ParseMode.HTML, reply_markup=markup,
            reply_parameters=ReplyParameters(message.message_id, allow_sending_without_reply=True),
            link_preview_options=NO_PREVIEW,
        )

    async def say(self, bot: Any, chat_id: int, html: str, markup: InlineKeyboardMarkup | None = None) -> Message:
        return await bot.send_message(
            chat_id, html, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=NO_PREVIEW,
        )

    def addressed(self, message: Message, bot_id: int, username: str) -> tuple[bool, str]:
        """In a group: is the message for the bot (a mention or a reply to it), and its text without the mention."""
        text = message.text or message.caption or ""
        reply = message.reply_to_message
        addressed = bool(reply and reply.from_user and reply.from_user.id == bot_id)
        entities = message.entities or message.caption_entities or ()
        if any(e.type == MessageEntity.TEXT_MENTION and e.user and e.user.id == bot_id for e in entities):
            addressed = True
        if username:
            mention = re.compile(rf"@{re.escape(username)}\b", re.IGNORECASE)
            if mention.search(text):
                addressed = True
                text = mention.sub(" ", text)
        return addressed, text

    # -- access ----------------------------------------------------------------------------

    async def gate(self, update: Update, context: Context) -> None:
        """Runs before every handler: updates from chats off the allow-list go no further."""
        chat = update.effective_chat
        allowed = self.settings.allowed_chats
        if not allowed or (chat is not None and chat.id in allowed):
            return
        if update.callback_query:
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer(render.text(user_language(update.effective_user), "not_allowed"))
        elif chat is not None and chat.type == Chat.PRIVATE and update.message and update.effective_user:
            ok, _, _ = self.limit.check(update.effective_user.id)
            if ok:
                await self.say(context.bot, chat.id, render.escape(render.text(user_language(update.effective_user), "not_allowed")))
        raise ApplicationHandlerStop

    # -- commands --------------------------------------------------------------------------

    async def start(self, update: Update, context: Context) -> None:
        """What rawi does, a question to try built on the user's own index, and how to ask."""
        lang = user_language(update.effective_user)
        said = await self.run(self.desk.greeting, "", True, lang)
        await self.say(context.bot, update.effective_chat.id, render.help_text(lang, example=said.example))

    help = start

    async def new(self, update: Update, context: Context) -> None:
        chat_id = update.effective_chat.id
        async with self.chat_lock(chat_id):
            self.conversations.clear(chat_id)
        await self.say(context.bot, chat_id, render.escape(render.text(user_language(update.effective_user), "new")))

    async def sources(self, update: Update, context: Context) -> None:
        lang = user_language(update.effective_user)
        sources = await self.run(self.desk.sources, 5)
        await self.say(context.bot, update.effective_chat.id, render.render_sources(sources, lang))

    async def unknown_command(self, update: Update, context: Context) -> None:
        if update.effective_chat.type == Chat.PRIVATE:
            await self.start(update, context)

    # -- questions -------------------------------------------------------------------------

    async def question(self, update: Update, context: Context) -> None:
        message, chat, user = update.effective_message, update.effective_chat, update.effective_user
        if message is None or chat is None:
            return
        text = message.text or ""
        if chat.type != Chat.PRIVATE:
            addressed, text = self.addressed(message, context.bot.id, context.bot.username or "")
            if not addressed:
                return
        lang = pick_language(text, user)
        if not await self._within_limit(message, user, lang):
            return
        problem = question_problem(text)
        if problem:
            key, values = problem
            await self.reply(message, render.escape(render.text(lang, key, **values)))
            return
        if is_small_talk(text):  # "hi" is no follow-up to the last question: what rawi does, a question to try
            said = await self.run(self.desk.greeting, text, True, lang)
            await self.reply(message, render.help_text(lang, full=False, example=said.example))
            return
        async with self.chat_lock(chat.id):
            asked = self.conversations.question(chat.id, text)
            async with self.typing(context.bot, chat.id):
                try:
                    answer = await self.run(self.desk.ask, asked, self.k, 0)
                except FilterError as exc:
                    await self.reply(message, render.escape(render.text(lang, "bad_filter", reason=exc)))
                    return
                except NoContent:  # a lone word, a word repeated: nothing to look up; a question on it to try
                    said = await self.run(self.desk.greeting, text, False, lang)
                    await self.reply(message, render.lone_word(said) if said.example else render.help_text(lang, full=False))
                    return
                except QuestionError:
                    await self.reply(message, render.escape(render.text(lang, "empty")))
                    return
            await self.send_first_page(context.bot, chat.id, answer, lang, asked, message)

    async def not_text(self, update: Update, context: Context) -> None:
        """Stickers, photos, voice...: in private chats, and in groups when addressed to the bot."""
        message, chat, user = update.effective_message, update.effective_chat, update.effective_user
        if message is None or chat is None:
            return
        if chat.type != Chat.PRIVATE:
            addressed, _ = self.addressed(message, context.bot.id, context.bot.username or "")
            if not addressed:
                return
        lang = pick_language(message.caption or "", user)
        if await self._within_limit(message, user, lang):
            await self.reply(message, render.escape(render.text(lang, "text_only")))

    async def _within_limit(self, message: Message, user: User | None, lang: str) -> bool:
        if user is None:
            return True
        ok, wait, tell = self.limit.check(user.id)
        if not ok and tell:
            await self.reply(message, render.escape(render.text(lang, "slow_down", s=wait)))
        return ok

    async def send_answer(
        self, bot: Any, chat_id: int, answer: Answer, lang: str, asked: str, offset: int,
        reply_to: Message | None = None, lead: str = "",
    ) -> list[Message]:
        """Send an answer's page; `lead` (the short answer block) goes above the first passage."""
        reserve = render.LEAD_RESERVE if lead else 0
        messages = render.render_answer(answer, lang, first_number=offset + 1, limit=render.MAX_MESSAGE - reserve)
        markup = self.keyboard(answer, lang, chat_id, asked, offset) if answer.answered else None
        sent = []
        for i, html in enumerate(messages):
            keyboard = markup if i == len(messages) - 1 else None
            if i == 0:
                html = render.with_lead(lead, html) if answer.answered else html
            if i == 0 and reply_to is not None:
                sent.append(await self.reply(reply_to, html, keyboard))
            else:
                sent.append(await self.say(bot, chat_id, html, keyboard))
        return sent

    async def send_first_page(self, bot: Any, chat_id: int, answer: Answer, lang: str, asked: str, reply_to: Message) -> None:
        """The first page of an answer, with its short answer above the passages: extracted by
        rules, or written by the model while the passages are already there (bot/stream.py)."""
        extracted = self.desk.extracted(answer)
        writing = self.desk.writes(answer)
        lead = render.short_answer_html(extracted, lang, writing="" if writing else None)
        sent = await self.send_answer(bot, chat_id, answer, lang, asked, 0, reply_to=reply_to, lead=lead)
        if not writing or not sent:
            return
        request = await self.run(self.desk.request, answer)
        first = sent[0]
        body = render.render_answer(answer, lang, limit=render.MAX_MESSAGE - render.LEAD_RESERVE)[0]
        live = stream.LiveAnswer(bot, sent, body, first.reply_markup if len(sent) == 1 else None, lang, extracted,
                                 NO_PREVIEW)
        await stream.write_into(live, self.desk.generator, request)

    def keyboard(self, answer: Answer, lang: str, chat_id: int, asked: str, offset: int) -> InlineKeyboardMarkup | None:
        rows = []
        articles: list[tuple[int, str]] = []
        for number, passage in enumerate(answer.passages, offset + 1):
            if passage.article_id not in [a for _, a in articles]:
                articles.append((number, passage.article_id))
        articles = articles[:MAX_ARTICLE_BUTTONS]
        if articles:
            buttons = [
                InlineKeyboardButton(
                    render.text(lang, "full") if len(articles) == 1 else f"{render.text(lang, 'full')} [{number}]",
                    callback_data=self.callbacks.article(lang, article_id),
                )
                for number, article_id in articles
            ]
            rows.append(buttons)
        if answer.has_more:
            page = Page(chat_id, asked, offset + len(answer.passages), lang)
            rows.append([InlineKeyboardButton(render.text(lang, "more"), callback_data=self.callbacks.more(page))])
        return InlineKeyboardMarkup(rows) if rows else None

    # -- buttons ---------------------------------------------------------------------------

    async def button(self, update: Update, context: Context) -> None:
        query: CallbackQuery = update.callback_query  # type: ignore[assignment]  # registered for these only
        chat = update.effective_chat
        user = update.effective_user
        if chat is None or query.message is None:
            await query.answer(render.text(user_language(user), "expired"))
            return
        action = self.callbacks.parse(query.data, chat.id)
        if action is None:
            await query.answer(render.text(user_language(user), "expired"))
            return
        if user is not None:
            ok, wait, _ = self.limit.check(user.id)
            if not ok:
                await query.answer(render.text(action.lang, "slow_down", s=wait))
                return
        if isinstance(action, FullArticle):
            await self.full_article(query, context, chat.id, action)
        elif isinstance(action, More):
            await self.more(query, context, chat.id, action)

    async def full_article(self, query: CallbackQuery, context: Context, chat_id: int, action: FullArticle) -> None:
        article = await self.run(self.desk.article, action.article_id)
        if article is None:
            await query.answer(render.text(action.lang, "no_article"))
            return
        await query.answer()
        parts = render.render_article(article, action.lang)
        for part in parts[:MAX_ARTICLE_PARTS]:
            if not context.application.running:  # shutting down: unsent parts of an article are dropped, questions are not
                return
            await self.say(context.bot, chat_id, part)
        if len(parts) > MAX_ARTICLE_PARTS and context.application.running:
            note = render.text(action.lang, "article_cut", n=len(parts) - MAX_ARTICLE_PARTS)
            await self.say(context.bot, chat_id, f"<i>{render.escape(note)}</i>")

    async def more(self, query: CallbackQuery, context: Context, chat_id: int, action: More) -> None:
        page = action.page
        await query.answer()
        async with self.chat_lock(chat_id):
            async with self.typing(context.bot, chat_id):
                answer = await self.run(self.desk.ask, page.question, self.k, page.offset)
            # The "more" button has been used: keep only the article buttons on the old message.
            old = query.message.reply_markup if isinstance(query.message, Message) else None
            if old is not None:
                kept = [row for row in old.inline_keyboard if not any(b.callback_data == query.data for b in row)]
                with contextlib.suppress(TelegramError):
                    await query.edit_message_reply_markup(InlineKeyboardMarkup(kept) if kept else None)
            if not answer.passages:
                await self.say(context.bot, chat_id, render.escape(render.text(page.lang, "no_more")))
                return
            await self.send_answer(context.bot, chat_id, answer, page.lang, page.question, page.offset)

    # -- errors ----------------------------------------------------------------------------

    async def error(self, update: object, context: Context) -> None:
        """Log first; then, if a person is waiting, tell them politely. Never raises."""
        if update is None and isinstance(context.error, TelegramError):
            # A failed getUpdates: transport.LoggedRequest logged it once; polling goes on by itself.
            log.debug("polling: %s; polling goes on", context.error)
            return
        log.error("update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        try:
            from index.errors import USER_ERRORS

            message = update.effective_message
            lang = pick_language((message.text or "") if message else "", update.effective_user)
            key = "unavailable" if isinstance(context.error, USER_ERRORS) else "error"
            if update.callback_query:
                with contextlib.suppress(TelegramError):
                    await update.callback_query.answer()
            await self.say(context.bot, update.effective_chat.id, render.escape(render.text(lang, key)))
        except Exception:  # the apology failed too (network down, chat gone): the log says enough
            log.warning("could not tell chat %s about the error", update.effective_chat.id, exc_info=True)

    # -- lifecycle -------------------------------------------------------------------------

    async def post_init(self, application: Any) -> None:
        """Queue the questions an earlier run received and never answered (the journal), then
        publish the command menu in both languages (best effort: a failure does not stop the bot)."""
        if self.journal is not None:
            for data in self.journal.open():
                await application.update_queue.put(Update.de_json(data, application.bot))
        for lang, code in (("en", None), ("ar", "ar")):
            commands = [BotCommand(name, render.text(lang, f"cmd_{name}")) for name in ("help", "sources", "new")]
            try:
                await application.bot.set_my_commands(commands, language_code=code)
            except TelegramError as exc:
                log.warning("could not set the command menu (%s): %s", lang, exc)
        await self.announce(application)

    async def announce(self, application: Any) -> None:
        """One line at start: which bot, which index, how many articles (or why none yet)."""
        from index.errors import USER_ERRORS

        name = f"@{application.bot.username}" if application.bot.username else "the bot"
        try:
            sources = await self.run(self.desk.sources, 0)
        except USER_ERRORS as exc:
            log.warning("rawi bot %s started; %s is not available yet (%s)", name, self.index_name, exc)
            return
        log.info(
            "rawi bot %s answering from %s: %d articles, %d passages",
            name, self.index_name, sources.articles, sources.passages,
        )

    async def post_shutdown(self, application: Any) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        if self.journal is not None:
            self.journal.close()
