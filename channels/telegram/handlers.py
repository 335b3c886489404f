"""Telegram updates -> Rasa's REST channel -> Telegram messages.

One `TelegramChannel` per process. Updates are handled concurrently across chats, but each chat
has its own lock (channels/telegram/locks.py, in Redis too with several webhook workers) so that
a resident's messages reach Rasa in the order they were written.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from channels import rasa_rest, routing
from channels.input_limits import (
    MAX_MESSAGE_CHARS,
    PER_SENDER_PER_MINUTE,
    TEXT_SLOW_DOWN,
    TEXT_TOO_LONG,
    RateLimiter,
    clean_text,
)
from channels.telegram import texts
from channels.telegram.buttons import DONE, LRU, SharedButtonStore, chosen_keyboard, title_for
from channels.telegram.locks import ChatLocks
from channels.telegram.replies import Outgoing, build_outgoing, contact_keyboard
from followup.replies import answer_callback
from followup.service import CALLBACK_PREFIX as FOLLOWUP_PREFIX

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
TYPING_REFRESH_SECONDS = 4.0  # Telegram shows "typing…" for about 5 s
GROUP_DECLINE_EVERY_SECONDS = 600  # at most one decline message per group per 10 minutes
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
GROUPS = (filters.ChatType.GROUPS | filters.ChatType.CHANNEL) & filters.UpdateType.MESSAGE
UNSUPPORTED = (
    filters.VOICE | filters.AUDIO | filters.Sticker.ALL | filters.PHOTO | filters.Document.ALL
    | filters.VIDEO | filters.VIDEO_NOTE | filters.ANIMATION
)


def sender_id(chat_id: int) -> str:
    return f"tg-{chat_id}"


def normalise_phone(raw: str) -> str:
    """Telegram gives numbers without '+' (e.g. "33612345678"); send them in international form."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    return "+" + digits if digits else ""


class TelegramChannel:
    def __init__(self, rasa_url: str, rasa_timeout: float | None = None, locks: ChatLocks | None = None) -> None:
        self.rasa_url = rasa_url
        self.rasa_timeout = rasa_timeout
        # Shared by every worker and kept across restarts (database; Redis for the chat locks).
        self.buttons = SharedButtonStore()
        self.locks = locks or ChatLocks.from_env()
        self._contact_keyboard_open: LRU[int, bool] = LRU(10_000)
        self._group_declined: LRU[int, float] = LRU(10_000)
        # Per chat: a flood is refused before it reaches Rasa; the polite warning is sent once
        # per minute at most, so that the bot does not flood back.
        self.limiter = RateLimiter(PER_SENDER_PER_MINUTE)
        self._slow_down_sent: LRU[int, float] = LRU(10_000)

    # ---- wiring -------------------------------------------------------------------------
    def register(self, app: Application) -> None:
        # Order matters: the first matching handler of the group wins.
        app.add_handler(MessageHandler(GROUPS, self.on_group_message))
        app.add_handler(ChatMemberHandler(self.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
        for name, (payload, _desc) in texts.COMMANDS.items():
            app.add_handler(CommandHandler(name, self._command(payload), filters=PRIVATE))
        app.add_handler(MessageHandler(PRIVATE & filters.COMMAND, self.on_unknown_command))
        app.add_handler(MessageHandler(PRIVATE & filters.TEXT, self.on_text))
        app.add_handler(MessageHandler(PRIVATE & filters.LOCATION, self.on_location))
        app.add_handler(MessageHandler(PRIVATE & filters.CONTACT, self.on_contact))
        app.add_handler(MessageHandler(PRIVATE & UNSUPPORTED, self.on_unsupported))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(MessageHandler(PRIVATE, self.on_unsupported))  # anything else (polls, dice…)
        app.add_error_handler(self.on_error)

    @staticmethod
    async def set_commands(app: Application) -> None:
        commands = [BotCommand(name, desc) for name, (_payload, desc) in texts.COMMANDS.items()]
        await app.bot.set_my_commands(commands)

    # ---- the conversation ---------------------------------------------------------------
    async def _keep_typing(self, bot: Any, chat_id: int, first_sent: asyncio.Event) -> None:
        while True:
            try:
                await bot.send_chat_action(chat_id, "typing")
            except TelegramError:
                pass
            first_sent.set()
            await asyncio.sleep(TYPING_REFRESH_SECONDS)

    async def _ask(self, bot: Any, chat_id: int, message: str) -> list[dict[str, Any]] | None:
        first_sent = asyncio.Event()
        typing = asyncio.create_task(self._keep_typing(bot, chat_id, first_sent))
        try:
            return await routing.send_to_rasa(  # the chat's Rasa replica (channels/routing.py)
                self.rasa_url,
                sender_id(chat_id),
                message,
                {"channel": "telegram", "chat_id": chat_id},
                timeout=self.rasa_timeout,
            )
        except rasa_rest.RasaUnavailable:
            return None
        finally:
            # Let the first "typing…" land before the reply, or it would show after it.
            try:
                await asyncio.wait_for(first_sent.wait(), timeout=2)
            except asyncio.TimeoutError:
                pass
            typing.cancel()

    async def _within_limit(self, bot: Any, chat_id: int) -> bool:
        if self.limiter.allow(str(chat_id)):
            return True
        last = self._slow_down_sent.get(chat_id)
        if last is None or time.monotonic() - last >= self.limiter.window:
            self._slow_down_sent.set(chat_id, time.monotonic())
            await self._deliver(bot, chat_id, [Outgoing(text=TEXT_SLOW_DOWN)])
        return False

    async def converse(self, bot: Any, chat_id: int, message: str) -> None:
        """Send one message to Rasa and deliver its replies (or an apology) to the chat."""
        if not await self._within_limit(bot, chat_id):
            return
        async with self.locks.hold(chat_id):
            replies = await self._ask(bot, chat_id, message)
            if message == "/restart":
                self.buttons.forget_chat(chat_id)
                if replies is not None and not build_outgoing(replies, self.buttons, chat_id):
                    replies = await self._ask(bot, chat_id, "/greet")  # restart says nothing: greet
            outgoing = build_outgoing(replies or [], self.buttons, chat_id)
            if not outgoing:
                outgoing = [Outgoing(text=texts.NO_REPLY)]
            await self._deliver(bot, chat_id, outgoing)

    async def _deliver(self, bot: Any, chat_id: int, outgoing: list[Outgoing]) -> None:
        for part in outgoing:
            markup: Any = part.inline
            if part.ask_contact:
                markup = contact_keyboard()
                self._contact_keyboard_open.set(chat_id, True)
            elif markup is None and self._contact_keyboard_open.pop(chat_id):
                markup = ReplyKeyboardRemove()
            try:
                if part.photo:
                    try:
                        await bot.send_photo(chat_id, part.photo)
                    except TelegramError:
                        await bot.send_message(chat_id, part.photo, link_preview_options=NO_PREVIEW)
                else:
                    await bot.send_message(
                        chat_id, part.text, reply_markup=markup, link_preview_options=NO_PREVIEW
                    )
            except TelegramError as exc:  # e.g. the resident blocked the bot: stop this reply
                log.warning("could not deliver a reply: %s", type(exc).__name__)
                return

    # ---- handlers -----------------------------------------------------------------------
    def _command(self, payload: str):  # noqa: ANN202
        async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            await self.converse(context.bot, update.effective_chat.id, payload)

        return handle

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        text = clean_text(update.effective_message.text or "")
        if len(text) > MAX_MESSAGE_CHARS:
            if await self._within_limit(context.bot, update.effective_chat.id):
                await update.effective_message.reply_text(TEXT_TOO_LONG)
            return
        if not text:
            return
        await self.converse(context.bot, update.effective_chat.id, text)

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(
            texts.UNKNOWN_COMMAND.format(commands=texts.command_list())
        )

    async def on_location(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        loc = update.effective_message.location
        payload = "/share_location" + json.dumps({"latitude": loc.latitude, "longitude": loc.longitude})
        await self.converse(context.bot, update.effective_chat.id, payload)

    async def on_contact(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        contact = update.effective_message.contact
        user = update.effective_user
        phone = normalise_phone(contact.phone_number or "")
        # Only the resident's own number (shared with the keyboard button), never a third party's.
        if user is None or contact.user_id != user.id or not phone:
            await update.effective_message.reply_text(texts.NOT_YOUR_CONTACT)
            return
        payload = "/share_contact" + json.dumps({"phone": phone})
        await self.converse(context.bot, update.effective_chat.id, payload)

    async def on_unsupported(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(texts.TEXT_ONLY)

    def _decline_text(self, bot: Any) -> str:
        username = getattr(bot, "username", None)
        return texts.GROUP_DECLINED.format(mention=f" : @{username}" if username else "")

    async def on_group_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat.type == "channel":
            return
        last = self._group_declined.get(chat.id)
        if last is not None and time.monotonic() - last < GROUP_DECLINE_EVERY_SECONDS:
            return
        self._group_declined.set(chat.id, time.monotonic())
        try:
            await context.bot.send_message(chat.id, self._decline_text(context.bot))
        except TelegramError as exc:
            log.warning("could not decline a group: %s", type(exc).__name__)

    async def on_my_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change is None or change.chat.type == "private":
            return
        if change.new_chat_member.status not in ("member", "administrator"):
            return
        # Added to a group or channel: say why in a group, then leave.
        try:
            if change.chat.type != "channel":
                await context.bot.send_message(change.chat.id, self._decline_text(context.bot))
                self._group_declined.set(change.chat.id, time.monotonic())
            await context.bot.leave_chat(change.chat.id)
        except TelegramError as exc:
            log.warning("could not leave a group: %s", type(exc).__name__)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        chat = update.effective_chat
        data = query.data or ""
        if chat is None or chat.type != "private":
            await query.answer()
            return
        if data == DONE:
            await query.answer(texts.ALREADY_ANSWERED)
            return
        # Every press is answered at once, so the client stops its spinner.
        await query.answer()
        if data.startswith(FOLLOWUP_PREFIX + ":"):
            await self.on_followup(context.bot, chat.id, query, data)
            return
        message = query.message if query.message and query.message.is_accessible else None
        title = title_for(message.reply_markup, data) if message else None
        payload = self.buttons.decode(chat.id, data) or title
        if payload is None:
            await self._deliver(context.bot, chat.id, [Outgoing(text=texts.NO_REPLY)])
            return
        if message is not None and title:
            try:  # keep a trace of the answer and stop double presses
                await message.edit_reply_markup(reply_markup=chosen_keyboard(title))
            except TelegramError:
                pass
        await self.converse(context.bot, chat.id, payload)

    async def on_followup(self, bot, chat_id: int, query, data: str) -> None:  # noqa: ANN001
        """An answer to "Avez-vous pu faire la demande ?" (followup/): recorded, then thanked."""
        reply = await asyncio.to_thread(answer_callback, data)  # a database write: off the loop
        if reply is None:
            await self._deliver(bot, chat_id, [Outgoing(text=texts.NO_REPLY)])
            return
        message = query.message if query.message and query.message.is_accessible else None
        if message is not None:
            try:  # the buttons of an answered follow-up are gone: no double answer
                await message.edit_reply_markup(reply_markup=None)
            except TelegramError:
                pass
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=value)]
                                         for label, value in reply.buttons]) if reply.buttons else None
        await self._deliver(bot, chat_id, [Outgoing(text=reply.text, inline=keyboard)])

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # The exception type only: the update may hold personal data.
        log.error("error while handling an update: %s", type(context.error).__name__)
        chat = getattr(update, "effective_chat", None)
        if chat is not None and chat.type == "private":
            try:
                await context.bot.send_message(chat.id, texts.NO_REPLY)
            except TelegramError:
                pass
