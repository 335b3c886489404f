"""Rasa buttons as Telegram inline keyboards, within the 64-byte callback data limit.

A payload that fits is carried in the callback data itself ("p|/start_check"), so it still works
after a restart. A longer one ('/inform{"housing":"social_tenant"}' with more slots) gets a short
key ("k|42"): `SharedButtonStore` (what the bridge uses) keeps it in the database, per chat, the
newest 50 of each chat, so any webhook worker and a restarted process can read it back;
`ButtonStore` is the in-memory LRU it falls back to when the database cannot be written ("m|7").
A long-forgotten button can miss, and the handler then falls back to the button's title (which
Rasa's NLU understands).
"""

from __future__ import annotations

import ipaddress
import itertools
import logging
from collections import OrderedDict
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from channels.telegram.state import TelegramButton
from channels.telegram.texts import CHOSEN_PREFIX
from core.db import session_scope

log = logging.getLogger(__name__)

CALLBACK_LIMIT = 64  # bytes, Telegram's limit for callback_data
INLINE_PREFIX = "p|"
KEY_PREFIX = "k|"
MEMORY_PREFIX = "m|"  # SharedButtonStore's in-memory fallback
DONE = "d|"  # the "✓ chosen answer" button left after a press

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A small bounded mapping: the least recently used entries go first."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        if key not in self._data:
            return None
        self._data.move_to_end(key)
        return self._data[key]

    def set(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def pop(self, key: K) -> V | None:
        return self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)


class ButtonStore:
    def __init__(self, max_chats: int = 10_000, per_chat: int = 50) -> None:
        self._chats: LRU[int, LRU[str, str]] = LRU(max_chats)
        self._per_chat = per_chat
        self._counter = itertools.count(1)

    def encode(self, chat_id: int, payload: str) -> str:
        inline = INLINE_PREFIX + payload
        if len(inline.encode("utf-8")) <= CALLBACK_LIMIT:
            return inline
        keys = self._chats.get(chat_id)
        if keys is None:
            keys = LRU(self._per_chat)
            self._chats.set(chat_id, keys)
        key = str(next(self._counter))
        keys.set(key, payload)
        return KEY_PREFIX + key

    def decode(self, chat_id: int, data: str) -> str | None:
        """The payload behind callback data, or None if unknown (forgotten, foreign, malformed)."""
        if data.startswith(INLINE_PREFIX):
            return data[len(INLINE_PREFIX):] or None
        if data.startswith(KEY_PREFIX):
            keys = self._chats.get(chat_id)
            return keys.get(data[len(KEY_PREFIX):]) if keys else None
        return None

    def forget_chat(self, chat_id: int) -> None:
        self._chats.pop(chat_id)


class SharedButtonStore:
    """Long payloads in the `telegram_buttons` table (channels/telegram/state.py)."""

    def __init__(self, database_url: str | None = None, per_chat: int = 50) -> None:
        self.database_url = database_url
        self.per_chat = per_chat
        self._fallback = ButtonStore()

    def encode(self, chat_id: int, payload: str) -> str:
        inline = INLINE_PREFIX + payload
        if len(inline.encode("utf-8")) <= CALLBACK_LIMIT:
            return inline
        try:
            return KEY_PREFIX + str(self._store(str(chat_id), payload))
        except SQLAlchemyError as exc:
            log.warning("button store: database not writable (%s): kept in memory", type(exc).__name__)
            return MEMORY_PREFIX + self._fallback.encode(chat_id, payload)[len(KEY_PREFIX):]

    def _store(self, chat: str, payload: str) -> int:
        with session_scope(self.database_url) as s:
            same = s.scalar(select(TelegramButton.id).where(TelegramButton.chat_id == chat,
                                                            TelegramButton.payload == payload))
            if same is not None:
                return same
            row = TelegramButton(chat_id=chat, payload=payload)
            s.add(row)
            s.flush()
            keep = select(TelegramButton.id).where(TelegramButton.chat_id == chat).order_by(
                TelegramButton.id.desc()).limit(self.per_chat)
            s.execute(delete(TelegramButton).where(TelegramButton.chat_id == chat, TelegramButton.id.not_in(keep))
                      .execution_options(synchronize_session=False))
            return row.id

    def decode(self, chat_id: int, data: str) -> str | None:
        if data.startswith(MEMORY_PREFIX):
            return self._fallback.decode(chat_id, KEY_PREFIX + data[len(MEMORY_PREFIX):])
        if not data.startswith(KEY_PREFIX):
            return self._fallback.decode(chat_id, data)  # inline payloads
        key = data[len(KEY_PREFIX):]
        if not key.isdigit() or len(key) > 18:
            return None
        try:
            with session_scope(self.database_url) as s:
                return s.scalar(select(TelegramButton.payload).where(TelegramButton.id == int(key),
                                                                     TelegramButton.chat_id == str(chat_id)))
        except SQLAlchemyError as exc:
            log.warning("button store: database not readable (%s)", type(exc).__name__)
            return None

    def forget_chat(self, chat_id: int) -> None:
        self._fallback.forget_chat(chat_id)
        try:
            with session_scope(self.database_url) as s:
                s.execute(delete(TelegramButton).where(TelegramButton.chat_id == str(chat_id)))
        except SQLAlchemyError as exc:
            log.warning("button store: database not writable (%s)", type(exc).__name__)


def public_url(url: Any) -> bool:
    """Telegram refuses URL buttons to local addresses (127.0.0.1, localhost, a name without a dot)."""
    if not isinstance(url, str):
        return False
    parsed = urlsplit(url)
    host = (parsed.hostname or "").lower()
    if parsed.scheme not in ("http", "https") or "." not in host or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_private and not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True  # a host name


def inline_keyboard(store: ButtonStore, chat_id: int, buttons: list[dict[str, Any]]) -> InlineKeyboardMarkup:
    """Two buttons per row when every title is short (oui/non), else one per row for phones.
    A button with a public `url` opens it (a link to an official service, an agenda file)."""
    items = [
        InlineKeyboardButton(b["title"], url=b["url"]) if public_url(b.get("url"))
        else InlineKeyboardButton(b["title"], callback_data=store.encode(chat_id, b["payload"]))
        for b in buttons
    ]
    per_row = 2 if all(len(b["title"]) <= 16 for b in buttons) else 1
    return InlineKeyboardMarkup([items[i:i + per_row] for i in range(0, len(items), per_row)])


def chosen_keyboard(title: str) -> InlineKeyboardMarkup:
    label = CHOSEN_PREFIX + title
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=DONE)]])


def title_for(markup: Any, data: str) -> str | None:
    """The title of the button carrying `data` in a message's inline keyboard, if any."""
    rows = getattr(markup, "inline_keyboard", None) or ()
    for row in rows:
        for button in row:
            if getattr(button, "callback_data", None) == data:
                return button.text
    return None
