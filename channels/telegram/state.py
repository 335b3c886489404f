"""The Telegram bridge's state in the database, shared by every webhook worker and kept across
restarts: the long button payloads (callback data is limited to 64 bytes) and the appointment
reminders already sent. No telegram import here: the tables are managed by the migrations."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from booking.models import UTCDateTime
from core.db import Base


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class TelegramButton(Base):
    """A payload too long for callback data, behind a short key ("k|<id>") valid for its chat."""

    __tablename__ = "telegram_buttons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[str] = mapped_column(String(32), index=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TelegramReminderSent(Base):
    """One row per reminder (request id + slot): inserted before sending, so it goes out once."""

    __tablename__ = "telegram_reminders_sent"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
