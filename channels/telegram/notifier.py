"""Messages the Telegram process sends on its own: staff notifications and appointment reminders.

Reminders go out the day before a booked slot, in the daytime (Paris time), to residents who
booked from Telegram. python-telegram-bot's JobQueue needs the `job-queue` extra (APScheduler),
which the project does not install, so `reminder_loop` is a plain asyncio task run next to the bot.
Which reminders were sent is kept in the database (`telegram_reminders_sent`): a row is inserted
before sending, so a restart or a second webhook worker never sends one twice, and the check runs
under a job lease (core/jobs.py) in one process at a time.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import selectinload
from telegram import LinkPreviewOptions
from telegram.error import BadRequest, Forbidden, TelegramError

from channels.telegram.replies import split_text
from channels.telegram.state import TelegramReminderSent

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
REMINDER_HOURS = (time(9, 0), time(20, 0))  # no message at night
REMINDER_STATUSES = ("new", "contacted")
CHECK_EVERY_SECONDS = 15 * 60
REMINDER_JOB = "telegram-reminders"


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
    """Reminders already sent, one database row each. `claim` inserts the row (True: ours to send,
    False: already sent or being sent elsewhere); `release` gives it back after a failure worth
    retrying. Rows older than a week are dropped."""

    def __init__(self, database_url: str | None = None) -> None:
        self.database_url = database_url

    def claim(self, key: str, now: datetime) -> bool:
        from core.db import session_scope

        try:
            with session_scope(self.database_url) as s:
                s.add(TelegramReminderSent(key=key, sent_at=now))
        except IntegrityError:
            return False
        return True

    def release(self, key: str) -> None:
        from core.db import session_scope

        with session_scope(self.database_url) as s:
            s.execute(delete(TelegramReminderSent).where(TelegramReminderSent.key == key))

    def sent(self) -> set[str]:
        from core.db import session_scope

        with session_scope(self.database_url) as s:
            return set(s.scalars(select(TelegramReminderSent.key)))

    def forget_old(self, now: datetime) -> None:
        from core.db import session_scope

        with session_scope(self.database_url) as s:
            s.execute(delete(TelegramReminderSent).where(TelegramReminderSent.sent_at < now - timedelta(days=7)))


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
    done = 0
    for reminder in reminders:
        try:
            if not await asyncio.to_thread(sent_log.claim, reminder.key, now):
                continue  # sent already (or right now by another process)
        except SQLAlchemyError as exc:
            log.warning("reminders: sent log not writable: %s", type(exc).__name__)
            return done
        try:
            await bot.send_message(int(reminder.chat_id), reminder.text)
        except (Forbidden, BadRequest) as exc:
            # Blocked bot or deleted chat: retrying will not help, do not try again.
            log.warning("reminder not deliverable: %s", type(exc).__name__)
        except (TelegramError, ValueError) as exc:
            log.warning("reminder not sent, will retry: %s", type(exc).__name__)
            await asyncio.to_thread(sent_log.release, reminder.key)
            continue
        done += 1
    if done:
        await asyncio.to_thread(sent_log.forget_old, now)
    return done


async def reminder_loop(bot: Any, run_dir: Path | None = None, every_seconds: float = CHECK_EVERY_SECONDS,
                        database_url: str | None = None) -> None:
    """Check for due reminders now and then every `every_seconds`, until cancelled. With several
    Telegram workers, the check runs in the one holding the job lease (core/jobs.py)."""
    from core import jobs

    sent_log = SentLog(database_url)
    every = timedelta(seconds=every_seconds)
    while True:
        try:
            if await asyncio.to_thread(jobs.claim, REMINDER_JOB, url=database_url):
                try:
                    count = await send_due_reminders(bot, sent_log, database_url=database_url)
                finally:
                    await asyncio.to_thread(jobs.finish, REMINDER_JOB, every=every, url=database_url)
                if count:
                    log.info("sent %d appointment reminder(s)", count)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # keep the loop alive whatever happens
            log.error("reminder check failed: %s", type(exc).__name__)
        await asyncio.sleep(min(every_seconds, 60))
