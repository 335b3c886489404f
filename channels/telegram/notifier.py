"""Messages the Telegram process sends on its own: staff notifications and appointment reminders.

Reminders go out the day before a booked slot, in the daytime (Paris time), to residents who
booked from Telegram. python-telegram-bot's JobQueue needs the `job-queue` extra (APScheduler),
which the project does not install, so `reminder_loop` is a plain asyncio task run next to the bot.
Which reminders were sent is kept in a small JSON file in the run folder, so a restart does not
send them twice (booking.models has no "reminded" column).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload
from telegram import LinkPreviewOptions
from telegram.error import BadRequest, Forbidden, TelegramError

from channels.telegram.replies import split_text

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
REMINDER_HOURS = (time(9, 0), time(20, 0))  # no message at night
REMINDER_STATUSES = ("new", "contacted")
CHECK_EVERY_SECONDS = 15 * 60


async def send_staff_notification(bot: Any, chat_id: int | str, text: str) -> bool:
    """Send a notification to a staff chat (a team's group or a person). Long texts are split.
    Returns False, without raising, when Telegram refuses (bot removed from the group…)."""
    try:
        for piece in split_text(text):
            await bot.send_message(chat_id, piece, link_preview_options=LinkPreviewOptions(is_disabled=True))
    except TelegramError as exc:
        log.warning("staff notification not sent: %s", type(exc).__name__)
        return False
    return True


@dataclass(frozen=True)
class Reminder:
    key: str  # request id + slot, so a moved appointment gets a new reminder
    chat_id: str
    text: str


def _place_label(team_id: str) -> str | None:
    try:
        from directory.loader import get_directory

        directory = get_directory()
        team = directory.team(team_id)
        return directory.meeting_place(team).label if team else None
    except Exception as exc:  # the directory is optional for a reminder
        log.warning("no place for the reminder: %s", type(exc).__name__)
        return None


def reminder_text(first_name: str, when: str, team_name: str, reference: str,
                  place: str | None = None, team_phone: str | None = None) -> str:
    lines = [
        f"Bonjour {first_name},",
        f"Petit rappel : vous avez rendez-vous demain, {when}, avec {team_name}.",
    ]
    if place:
        lines.append(f"Lieu : {place}.")
    lines.append(f"Votre code de rendez-vous : {reference}.")
    if team_phone:
        lines.append(f"Si vous ne pouvez pas venir, prévenez l'équipe au {team_phone}.")
    else:
        lines.append("Si vous ne pouvez pas venir, écrivez-moi « annuler mon rendez-vous ».")
    return "\n".join(lines)


def due_reminders(session: Any, now: datetime) -> list[Reminder]:
    """Appointments of tomorrow (Paris date) booked by residents reachable on Telegram."""
    from booking.models import AppointmentRequest
    from booking.slots import format_local

    tomorrow = (now.astimezone(PARIS) + timedelta(days=1)).date()
    start = datetime.combine(tomorrow, time(0, 0), PARIS).astimezone(timezone.utc)
    end = start + timedelta(days=1, hours=1)  # DST-safe upper bound, filtered below
    rows = session.scalars(
        select(AppointmentRequest)
        .options(selectinload(AppointmentRequest.team))
        .where(
            AppointmentRequest.kind == "slot",
            AppointmentRequest.telegram_chat_id.is_not(None),
            AppointmentRequest.status.in_(REMINDER_STATUSES),
            AppointmentRequest.slot_start >= start,
            AppointmentRequest.slot_start < end,
        )
        .order_by(AppointmentRequest.slot_start)
    ).all()
    due = []
    for req in rows:
        if req.slot_start.astimezone(PARIS).date() != tomorrow:
            continue
        team = req.team
        text = reminder_text(
            req.first_name,
            format_local(req.slot_start),
            team.name if team else "l'équipe",
            req.reference,
            place=_place_label(req.team_id),
            team_phone=team.phone if team else None,
        )
        due.append(Reminder(f"{req.id}@{req.slot_start.isoformat()}", req.telegram_chat_id, text))
    return due


class SentLog:
    """Keys of reminders already sent, in a JSON file; entries older than a week are dropped."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text())
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def sent(self) -> set[str]:
        return set(self._load())

    def add(self, keys: Iterable[str], now: datetime) -> None:
        data = self._load()
        limit = (now - timedelta(days=7)).isoformat()
        data = {k: v for k, v in data.items() if v >= limit}
        data.update({k: now.isoformat() for k in keys})
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=0, sort_keys=True))
        tmp.replace(self.path)


def in_reminder_hours(now: datetime) -> bool:
    local = now.astimezone(PARIS).time()
    return REMINDER_HOURS[0] <= local < REMINDER_HOURS[1]


async def send_due_reminders(bot: Any, sent_log: SentLog, now: datetime | None = None,
                             database_url: str | None = None) -> int:
    """Send tomorrow's reminders not sent yet. Returns how many were sent."""
    from core.db import session_scope

    now = now or datetime.now(timezone.utc)
    if not in_reminder_hours(now):
        return 0

    def query() -> list[Reminder]:
        with session_scope(database_url) as session:
            return due_reminders(session, now)

    try:
        reminders = await asyncio.to_thread(query)
    except SQLAlchemyError as exc:  # e.g. tables not created yet
        log.warning("reminders: database not readable: %s", type(exc).__name__)
        return 0
    already = sent_log.sent()
    done: list[str] = []
    for reminder in reminders:
        if reminder.key in already:
            continue
        try:
            await bot.send_message(int(reminder.chat_id), reminder.text)
        except (Forbidden, BadRequest) as exc:
            # Blocked bot or deleted chat: retrying will not help, do not try again.
            log.warning("reminder not deliverable: %s", type(exc).__name__)
        except (TelegramError, ValueError) as exc:
            log.warning("reminder not sent, will retry: %s", type(exc).__name__)
            continue
        done.append(reminder.key)
    if done:
        sent_log.add(done, now)
    return len(done)


async def reminder_loop(bot: Any, run_dir: Path, every_seconds: float = CHECK_EVERY_SECONDS) -> None:
    """Check for due reminders now and then every `every_seconds`, until cancelled."""
    sent_log = SentLog(run_dir / "telegram_reminders_sent.json")
    while True:
        try:
            count = await send_due_reminders(bot, sent_log)
            if count:
                log.info("sent %d appointment reminder(s)", count)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # keep the loop alive whatever happens
            log.error("reminder check failed: %s", type(exc).__name__)
        await asyncio.sleep(every_seconds)
