"""Tell the team about each new request: a Telegram message to the team's chat and/or an e-mail.

The request row is the outbox: `notified_at` stays NULL until one channel delivered; failures are
counted and retried later with a growing delay, so a notification problem never loses a booking.
A notification carries the reference, the kind, the urgency and a link to the request in the
staff inbox, never the situation (no name, phone, summary or benefit): a Telegram group or a
mailbox is read by more people, on more devices, than the inbox behind its login.
E-mail goes over TLS (STARTTLS, or SMTP_TLS=tls for implicit TLS); only a relay on this machine
(127.0.0.1) may be reached without it.
Logs carry the request id and the error class, never personal data.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
import threading
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from booking.models import KIND_LABELS, AppointmentRequest
from booking.slots import format_local
from core.db import session_scope
from core.settings import Settings, get_settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
MAX_DELAY = timedelta(hours=1)
CLAIM_FOR = timedelta(minutes=5)  # a sender that crashed mid-send: retried after this


class ChannelError(Exception):
    """A channel failed; the message is safe to log (no personal data)."""


# --- message ------------------------------------------------------------------------------------


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def team_message(req: AppointmentRequest, team_name: str, public_url: str | None = None) -> tuple[str, str]:
    """(subject, text) in French for the team: no personal data, a link to the inbox."""
    urgent = " – URGENT" if req.urgent_flag else ""
    subject = f"Nouvelle demande {req.reference}{urgent}"
    when = KIND_LABELS.get(req.kind, req.kind)
    if req.slot_start is not None:
        when += f" : {format_local(req.slot_start, with_year=True)}"
    base = (public_url or get_settings().public_url).rstrip("/")
    lines = [
        f"Nouvelle demande {req.reference} pour {team_name}.",
        f"Type : {when}.",
    ]
    if req.urgent_flag:
        lines.append("⚠ La personne a décrit une situation qui semble urgente. Rappelez-la vite.")
    lines.append(f"Voir la demande dans l'espace équipe : {base}/staff/requests/{req.id}")
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
    context = ssl.create_default_context()  # certificates and host names are checked
    try:
        if settings.smtp_tls == "tls":
            smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=15, context=context)
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15)
        with smtp:
            if settings.smtp_tls != "tls":
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                elif settings.smtp_host not in LOOPBACK_HOSTS:
                    raise ChannelError("email: the server offers no STARTTLS (refused without TLS)")
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise ChannelError(f"email: {type(exc).__name__}") from None


# --- outbox -------------------------------------------------------------------------------------


def send_to_team(settings: Settings, team, subject: str, text: str) -> tuple[int, list[str]]:  # noqa: ANN001
    """Send on every channel configured for the team: (channels tried, errors)."""
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
    return tried, errors


def _deliver_one(req: AppointmentRequest, settings: Settings) -> tuple[bool, str | None]:
    """Try every configured channel; delivered when at least one worked."""
    team = req.team
    subject, text = team_message(req, team.name, settings.public_url)
    tried, errors = send_to_team(settings, team, subject, text)
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
            # Claimed first (one conditional UPDATE, committed): the web job and the action
            # servers' "right after the booking" runs, in any number of processes, never send the
            # same request twice. A claim left by a crashed sender expires after CLAIM_FOR.
            claimed = s.execute(
                update(AppointmentRequest)
                .where(AppointmentRequest.id == req.id, AppointmentRequest.notified_at.is_(None),
                       or_(AppointmentRequest.notify_next_at.is_(None), AppointmentRequest.notify_next_at <= now))
                .values(notify_next_at=now + CLAIM_FOR)
                .execution_options(synchronize_session=False)
            ).rowcount == 1
            s.commit()
            if not claimed:
                continue
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


def in_background(work, name: str) -> threading.Thread:  # noqa: ANN001 - a callable without arguments
    """Run `work` in a daemon thread; a failure is logged, never raised into the caller."""

    def run() -> None:
        try:
            work()
        except Exception:  # noqa: BLE001 (a background failure must not crash the caller)
            log.exception("%s worker failed", name)

    thread = threading.Thread(target=run, name=f"avecvous-{name}", daemon=True)
    thread.start()
    return thread


def deliver_pending_in_background(*, url: str | None = None) -> threading.Thread:
    """Fire-and-forget after a booking, so the resident never waits for Telegram or SMTP."""
    return in_background(lambda: deliver_pending(url=url), "notify")
