"""The Telegram Application: built from BotSettings and an Answerer, handlers registered, long polling.

    rawi bot                    # TELEGRAM_BOT_TOKEN in the environment
    RAWI_TELEGRAM_API_URL=http://127.0.0.1:8081/bot rawi bot    # a Bot API server of your own

The token is part of every request URL, so the `httpx` logger (which logs each URL at INFO)
is kept at WARNING; failed calls are logged by `transport.LoggedRequest`, by method name only.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.ext import (
    Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler, MessageHandler, TypeHandler, filters,
)

from .handlers import Rawi
from .intake import Intake, is_placeholder
from .journal import Journal
from .limits import Throttle
from .settings import BotSettings
from .redact import redact
from .transport import LoggedRequest

if TYPE_CHECKING:
    from index.service import Generator, Reader

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
CONCURRENT_UPDATES = 64


class MissingToken(ValueError):
    """No token: the bot cannot log in."""


class BotError(RuntimeError):
    """The bot cannot start; the message is one line for the user and never holds the token."""


def quiet_http_logs() -> None:
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def file_url(api_url: str) -> str:
    """The file-download base URL that goes with a Bot API base URL (".../bot" -> ".../file/bot")."""
    return api_url[: -len("bot")] + "file/bot" if api_url.endswith("/bot") else api_url


class JournaledApplication(Application):
    """An Application that tells the journal when an update has been handled (answered, or apologised for)."""

    async def process_update(self, update: object) -> None:
        await super().process_update(update)  # handler errors are caught inside and go to the error handler
        journal = self.bot_data.get("journal")
        if journal is not None and isinstance(update, Update) and not is_placeholder(update):
            journal.done(update.update_id)


def build_application(
    settings: BotSettings, answerer: Reader, k: int = 3, generator: Generator | None = None, index_name: str = ""
) -> Application:
    if not settings.token:
        raise MissingToken("no bot token: set TELEGRAM_BOT_TOKEN (from @BotFather) in the environment")
    quiet_http_logs()
    rawi = Rawi(answerer, settings, k, generator, index_name)
    journal = Journal(settings.journal) if settings.journal is not None else None
    application = (
        ApplicationBuilder()
        .application_class(JournaledApplication)
        .token(settings.token)
        .base_url(settings.api_url)
        .base_file_url(file_url(settings.api_url))
        .rate_limiter(Throttle(settings.messages_per_second, settings.chat_messages_per_second, settings.chat_burst))
        .concurrent_updates(CONCURRENT_UPDATES)
        # A long poll's read timeout is this plus the poll's own timeout (python-telegram-bot adds it).
        .request(LoggedRequest(connection_pool_size=256, read_timeout=settings.request_timeout,
                               on_unauthorized=rawi.unauthorized))
        .get_updates_request(LoggedRequest(connection_pool_size=1, read_timeout=settings.request_timeout,
                                           intake=Intake(journal), on_unauthorized=rawi.unauthorized))
        .post_init(rawi.post_init)
        .post_shutdown(rawi.post_shutdown)
        .build()
    )
    register(application, rawi)
    application.bot_data["rawi"] = rawi
    application.bot_data["journal"] = journal
    rawi.journal = journal
    rawi.on_fatal = application.stop_running
    return application


def register(application: Application, rawi: Rawi) -> None:
    application.add_handler(TypeHandler(Update, rawi.gate), group=-1)
    application.add_handler(CommandHandler(["start", "help"], rawi.start))
    application.add_handler(CommandHandler("sources", rawi.sources))
    application.add_handler(CommandHandler("new", rawi.new))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.COMMAND, rawi.unknown_command))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, rawi.question))
    # An edited question is asked again: the person fixed a typo and waits for the answer.
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.TEXT & ~filters.COMMAND, rawi.question))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL, rawi.not_text))
    application.add_handler(CallbackQueryHandler(rawi.button))
    application.add_error_handler(rawi.error)


def run(
    settings: BotSettings, answerer: Reader, k: int = 3, generator: Generator | None = None, index_name: str = ""
) -> None:
    """Long-poll Telegram until interrupted (Ctrl-C or SIGTERM); once started, one INFO line
    says which bot answers from which index (see ``Rawi.announce``)."""
    application = build_application(settings, answerer, k, generator, index_name)
    # Log in (getMe) before run_polling: its start-up loop would log a rejected token's error,
    # whose message python-telegram-bot writes with the token in it, as a traceback.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # run_polling carries on in this loop (and closes it)
    try:
        loop.run_until_complete(application.initialize())
        application.run_polling(allowed_updates=ALLOWED_UPDATES, timeout=settings.poll_timeout, drop_pending_updates=False)
        rawi: Rawi = application.bot_data["rawi"]
        if rawi.fatal:
            raise BotError(rawi.fatal)
    except InvalidToken:  # python-telegram-bot's message quotes the token itself
        raise BotError("the Bot API refused the token in TELEGRAM_BOT_TOKEN: check it with @BotFather") from None
    except NetworkError as exc:  # getMe never got an answer: the start-up's first call
        raise BotError(f"cannot reach the Bot API ({unreachable(exc, settings.api_url)})") from None
    except TelegramError as exc:  # at start-up (getMe, deleteWebhook); once polling, errors are retried
        raise BotError(f"could not start the bot: {redact(exc.message)}") from None
    except OSError as exc:  # the journal's folder cannot be written (read-only, a file in the way...)
        raise BotError(f"could not open the bot's journal {settings.journal} ({exc.strerror or exc})") from None
    finally:
        if not loop.is_closed():
            loop.close()


def unreachable(error: BaseException, api_url: str) -> str:
    """Why the Bot API at ``api_url`` could not be reached, in a few words (never the token)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(api_url)
    where = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    causes: list[BaseException] = []
    seen: BaseException | None = error
    while seen is not None and len(causes) < 10:
        causes.append(seen)
        seen = seen.__cause__ or seen.__context__
    text = " ".join(str(c) for c in causes).lower()
    if any(isinstance(c, socket.gaierror) for c in causes) or "name or service not known" in text \
            or "name resolution" in text or "nodename nor servname" in text:
        return f"DNS lookup failed for {parts.hostname}"
    if isinstance(error, TimedOut):
        return f"no answer from {where} in time"
    if any(isinstance(c, ConnectionRefusedError) for c in causes) or "all connection attempts failed" in text \
            or "connection refused" in text:
        return f"connection refused by {where}"
    return f"{where}: {redact(getattr(error, 'message', '') or type(error).__name__)}"


async def serve(application: Application, stop: asyncio.Event, poll_timeout: int | None = None) -> None:
    """Poll inside an already running event loop until `stop` is set (for tests and benchmarks).

    The same steps as `Application.run_polling`, which owns the event loop and the signals; like
    it, a failed getUpdates goes to the error handlers (with no update) and polling goes on.
    """

    def polling_error(error: Exception) -> None:
        application.create_task(application.process_error(error=error, update=None))

    application.bot_data["rawi"].on_fatal = stop.set
    async with application:
        if application.post_init:
            await application.post_init(application)
        await application.start()
        await application.updater.start_polling(
            allowed_updates=ALLOWED_UPDATES, timeout=poll_timeout if poll_timeout is not None else 30, poll_interval=0,
            error_callback=polling_error,
        )
        try:
            await stop.wait()
        finally:
            await application.updater.stop()
            await application.stop()
    if application.post_shutdown:
        await application.post_shutdown(application)
