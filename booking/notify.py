"""Tell the team about each new request: a Telegram message to the team's chat and/or an e-mail.

The request row is the outbox: `notified_at` stays NULL until one channel delivered; failures are
counted and retried later with a growing delay, so a notification problem never loses a booking.
The summary and likely benefits are included only when the resident consented.
Logs carry the request id and the error class, never personal data.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import threading
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from booking.contacts import display_phone
from booking.models import CHANNEL_LABELS, KIND_LABELS, AppointmentRequest
from booking.slots import format_local
from core.db import session_scope
from core.settings import Settings, get_settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
MAX_DELAY = timedelta(hours=1)


class ChannelError(Exception):
    """A channel failed; the message is safe to log (no personal data)."""


# --- message ------------------------------------------------------------------------------------


def _benefit_name(item) -> str:  # noqa: ANN001
    """Benefits may be stored as ids or as {"id": ..., "name": ...}."""
    if isinstance(item, dict):
        return str(item.get("name") or item.get("id") or "")
    return str(item)


def team_message(req: AppointmentRequest, team_name: str) -> tuple[str, str]:
    """(subject, text) in French for the team."""
    urgent = " – URGENT" if req.urgent_flag else ""
    subject = f"Nouvelle demande {req.reference}{urgent}"
    when = KIND_LABELS.get(req.kind, req.kind)
    if req.slot_start is not None:
        when += f" : {format_local(req.slot_start, with_year=True)}"
    lines = [
        f"Nouvelle demande {req.reference} pour {team_name}.",
        f"Type : {when}.",
    ]
    if req.preferred_time_note:
        lines.append(f"Moment souhaité : {req.preferred_time_note}")
    lines.append(f"Prénom : {req.first_name}")
    if req.contact_phone:
        lines.append(f"Téléphone : {display_phone(req.contact_phone)}")
    lines.append(f"Contact par : {CHANNEL_LABELS.get(req.contact_channel, req.contact_channel)}")
    if req.urgent_flag:
        lines.append("⚠ La personne a décrit une situation qui semble urgente. Rappelez-la vite.")
    if req.consent_summary and (req.summary or req.likely_benefits):
        if req.summary:
            lines.append(f"Résumé (partagé avec l'accord de la personne) : {req.summary}")
        if req.likely_benefits:
            lines.append("Droits possibles : " + ", ".join(_benefit_name(b) for b in req.likely_benefits))
    else:
        lines.append("La personne n'a pas partagé le résumé de sa situation.")
    lines.append("Voir la demande dans l'espace équipe.")
    return subject, "\n".join(lines)


# --- channels -----------------------------------------------------------------------------------


async def _telegram_send(settings: Settings, chat_id: str, text: str) -> None:
    # Imported here: the domain stays importable without the Telegram stack being loaded.
    from telegram import Bot  # noqa: PLC0415
    from telegram.error import TelegramError  # noqa: PLC0415
    from telegram.request import HTTPXRequest  # noqa: PLC0415

    request = HTTPXRequest(connect_timeout=5, read_timeout=10, write_timeout=10)
    bot = Bot(settings.telegram_token, base_url=settings.telegram_api_base_url, request=request)
    try:
        async with bot:
            await bot.send_message(chat_id=chat_id, text=text)
    except TelegramError as exc:
        raise ChannelError(f"telegram: {type(exc).__name__}") from None
    except Exception as exc:  # network errors of any kind
        raise ChannelError(f"telegram: {type(exc).__name__}") from None


def send_telegram(settings: Settings, chat_id: str, text: str) -> None:
    asyncio.run(_telegram_send(settings, chat_id, text))


def send_email(settings: Settings, to: str, subject: str, text: str) -> None:
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(text)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
            if settings.smtp_user:
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls()
                    smtp.ehlo()
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise ChannelError(f"email: {type(exc).__name__}") from None


# --- outbox -------------------------------------------------------------------------------------


def _deliver_one(req: AppointmentRequest, settings: Settings) -> tuple[bool, str | None]:
    """Try every configured channel; delivered when at least one worked."""
    team = req.team
    subject, text = team_message(req, team.name)
    tried, errors = 0, []
    if team.telegram_chat_id and settings.telegram_token:
        tried += 1
        try:
            send_telegram(settings, team.telegram_chat_id, text)
        except ChannelError as exc:
            errors.append(str(exc))
    if team.notify_email and settings.smtp_host:
        tried += 1
        try:
            send_email(settings, team.notify_email, subject, text)
        except ChannelError as exc:
            errors.append(str(exc))
    if tried == 0:
        return True, "aucun canal configuré pour cette équipe"
    return len(errors) < tried, "; ".join(errors) or None


def deliver_pending(
    *, url: str | None = None, settings: Settings | None = None, now: datetime | None = None, limit: int = 50
) -> tuple[int, int]:
    """Send what is due in the outbox. Returns (delivered, failed)."""
    settings = settings or get_settings()
    now = now or datetime.now(timezone.utc)
    with session_scope(url) as s:
        due = s.scalars(
            select(AppointmentRequest)
            .where(
                AppointmentRequest.notified_at.is_(None),
                AppointmentRequest.notify_attempts < MAX_ATTEMPTS,
                or_(AppointmentRequest.notify_next_at.is_(None), AppointmentRequest.notify_next_at <= now),
            )
            .options(selectinload(AppointmentRequest.team))
            .order_by(AppointmentRequest.id)
            .limit(limit)
        ).all()
        delivered = failed = 0
        for req in due:
            ok, error = _deliver_one(req, settings)
            req.notify_last_error = error[:200] if error else None
            if ok:
                req.notified_at = datetime.now(timezone.utc)
                delivered += 1
                if error:
                    log.warning("request %s: partly notified (%s)", req.id, error)
            else:
                req.notify_attempts += 1
                req.notify_next_at = now + min(timedelta(minutes=2**req.notify_attempts), MAX_DELAY)
                failed += 1
                log.warning("request %s: notification failed, attempt %s (%s)", req.id, req.notify_attempts, error)
            s.commit()  # keep each outcome even if a later one crashes
        return delivered, failed


def deliver_pending_in_background(*, url: str | None = None) -> threading.Thread:
    """Fire-and-forget after a booking, so the resident never waits for Telegram or SMTP."""

    def run() -> None:
        try:
            deliver_pending(url=url)
        except Exception:  # noqa: BLE001 (a background failure must not crash the caller)
            log.exception("notification worker failed")

    thread = threading.Thread(target=run, name="avecvous-notify", daemon=True)
    thread.start()
    return thread
