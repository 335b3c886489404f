"""The Telegram process: `python -m channels.telegram`.

Long polling by default (TELEGRAM_MODE=polling). With TELEGRAM_MODE=webhook, Telegram posts updates
to TELEGRAM_WEBHOOK_URL, checked against TELEGRAM_SECRET_TOKEN; the process listens on
TELEGRAM_WEBHOOK_LISTEN (host:port, default 127.0.0.1:8443) behind the site's reverse proxy.
python-telegram-bot's own webhook server needs the `webhooks` extra (tornado), which is not
installed, so the webhook endpoint is a tiny Starlette app served by uvicorn.

Several processes (scale topology): polling stays one process (Telegram gives updates to one
getUpdates caller). Webhook mode runs TELEGRAM_WEBHOOK_WORKERS uvicorn workers on the same
port, each with its own bot; their state is shared: button payloads and sent reminders in the
database, chat locks in Redis (REDIS_HOST, required with more than one worker), reminders checked
under a job lease. Every Bot API call goes through PTB's AIORateLimiter (Telegram's flood limits,
and a 429 "retry after" is waited out and retried), so a six-message results screen is never cut.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import re
import signal
import sys
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import AIORateLimiter, Application

from channels.telegram.handlers import ALLOWED_UPDATES, TelegramChannel
from channels.telegram.notifier import reminder_loop
from core.settings import Settings, get_settings
from privacy.logging_filter import install_redaction

log = logging.getLogger("channels.telegram")

SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 256 * 1024  # a text update is a few KB; nothing we accept needs more


RATE_LIMIT_RETRIES = 5  # a 429 is retried this many times, after the delay Telegram asks for


def rate_limiter() -> AIORateLimiter:
    """Telegram's limits (30 messages/s overall, 20/min per group), and retries after a 429."""
    return AIORateLimiter(max_retries=RATE_LIMIT_RETRIES)


def prepare_database(settings: Settings) -> None:
    """Tables of the bridge's state (as the web process does at start; a no-op when up to date)."""
    from booking.db_setup import upgrade_database

    try:
        upgrade_database(settings.database_url)
    except Exception as exc:  # noqa: BLE001 - e.g. another worker upgrading at the same moment
        log.warning("database upgrade at start failed (%s): using it as it is", type(exc).__name__)


def build_application(settings: Settings, *, webhook: bool = False) -> Application:
    channel = TelegramChannel(settings.rasa_url)

    async def post_init(app: Application) -> None:
        await channel.set_commands(app)
        if os.environ.get("TELEGRAM_REMINDERS", "on") != "off":
            app.bot_data["reminders"] = asyncio.create_task(reminder_loop(app.bot, settings.run_dir))

    async def post_shutdown(app: Application) -> None:
        task = app.bot_data.pop("reminders", None)
        if task is not None:
            task.cancel()

    builder = (
        Application.builder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_api_base_url)
        .concurrent_updates(True)
        .rate_limiter(rate_limiter())
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if webhook:
        builder = builder.updater(None)
    app = builder.build()
    channel.register(app)
    return app


def webhook_asgi_app(application: Application, path: str, secret: str):  # noqa: ANN201
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def receive(request: Request) -> PlainTextResponse:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return PlainTextResponse("forbidden", status_code=403)
        declared = request.headers.get("content-length", "")
        if not declared.isdigit() or int(declared) > MAX_UPDATE_BYTES:  # Telegram always declares it
            return PlainTextResponse("too large", status_code=413)
        try:
            data = await request.json()
            update = Update.de_json(data, application.bot)
        except Exception:
            return PlainTextResponse("bad update", status_code=400)
        await application.update_queue.put(update)
        return PlainTextResponse("ok")

    return Starlette(routes=[Route(path, receive, methods=["POST"])])


async def run_webhook(application: Application, settings: Settings) -> None:
    import uvicorn

    class Server(uvicorn.Server):
        # uvicorn re-raises SIGTERM after serving, which would kill the process before the bot
        # shuts down cleanly: signals are handled below instead.
        @contextlib.contextmanager
        def capture_signals(self):  # noqa: ANN202
            yield

    url = settings.telegram_webhook_url
    secret = settings.telegram_secret_token
    host, _, port = os.environ.get("TELEGRAM_WEBHOOK_LISTEN", "127.0.0.1:8443").rpartition(":")
    path = urlsplit(url).path or "/"
    server = Server(
        uvicorn.Config(webhook_asgi_app(application, path, secret), host=host or "127.0.0.1",
                       port=int(port), log_level="warning", access_log=False, ws="none")
    )
    async with application:
        await application.post_init(application)
        await application.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
        await application.start()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
        log.info("Telegram webhook mode, listening on %s:%s%s", host, port, path)
        try:
            await server.serve()  # returns once should_exit is set
        finally:
            await application.stop()
            await application.post_shutdown(application)


def webhook_worker_app():  # noqa: ANN201 - a Starlette app, one per uvicorn worker
    """`uvicorn --factory channels.telegram.app:webhook_worker_app --workers N`: each worker
    builds its bot in the app's lifespan (setWebhook is the same call from each: idempotent)."""
    from starlette.applications import Starlette
    from starlette.routing import Mount

    settings = get_settings()
    application = build_application(settings, webhook=True)
    inner = webhook_asgi_app(application, urlsplit(settings.telegram_webhook_url).path or "/",
                             settings.telegram_secret_token)

    @contextlib.asynccontextmanager
    async def lifespan(_app):  # noqa: ANN001, ANN202
        install_redaction()
        logging.getLogger("httpx").setLevel(logging.WARNING)
        async with application:
            await application.post_init(application)
            await application.bot.set_webhook(settings.telegram_webhook_url,
                                              secret_token=settings.telegram_secret_token,
                                              allowed_updates=ALLOWED_UPDATES)
            await application.start()
            try:
                yield
            finally:
                await application.stop()
                await application.post_shutdown(application)

    return Starlette(routes=[Mount("/", app=inner)], lifespan=lifespan)


def run_webhook_workers(settings: Settings, workers: int) -> int:
    import uvicorn

    if not os.environ.get("REDIS_HOST"):
        print("TELEGRAM_WEBHOOK_WORKERS > 1 needs REDIS_HOST (the chat locks shared by the workers).",
              file=sys.stderr)
        return 2
    host, _, port = os.environ.get("TELEGRAM_WEBHOOK_LISTEN", "127.0.0.1:8443").rpartition(":")
    log.info("Telegram webhook mode, %d workers on %s:%s", workers, host, port)
    uvicorn.run("channels.telegram.app:webhook_worker_app", factory=True, workers=workers,
                host=host or "127.0.0.1", port=int(port), log_level="warning", access_log=False, ws="none")
    return 0


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_redaction()
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = get_settings()
    if not settings.telegram_token:
        print("TELEGRAM_BOT_TOKEN is not set: the Telegram process cannot start.", file=sys.stderr)
        return 2
    mode = settings.telegram_mode
    if mode == "polling":
        prepare_database(settings)
        application = build_application(settings)
        log.info("Telegram long polling, Rasa at %s", settings.rasa_url)
        application.run_polling(allowed_updates=ALLOWED_UPDATES, timeout=10)
        return 0
    if mode == "webhook":
        if not settings.telegram_webhook_url:
            print("TELEGRAM_WEBHOOK_URL must be set in webhook mode.", file=sys.stderr)
            return 2
        if not SECRET_RE.match(settings.telegram_secret_token):
            print("TELEGRAM_SECRET_TOKEN must be set (1-256 characters A-Z a-z 0-9 _ -) "
                  "in webhook mode.", file=sys.stderr)
            return 2
        prepare_database(settings)
        workers = int(os.environ.get("TELEGRAM_WEBHOOK_WORKERS") or 1)
        if workers > 1:
            return run_webhook_workers(settings, workers)
        asyncio.run(run_webhook(build_application(settings, webhook=True), settings))
        return 0
    print(f"TELEGRAM_MODE must be 'polling' or 'webhook', not {mode!r}.", file=sys.stderr)
    return 2
