"""Messages of a transfer: the resident is told which team now follows their request, the
receiving team is told a request arrived. `request_transfers` is the outbox (like the requests
for booking.notify): a NULL `*_notified_at` is still to send, failures are retried.

Channels are booking.notify's (Telegram Bot API, SMTP). A resident without Telegram has no
channel here: the row is marked done and the receiving team's message says to call them.
Logs carry ids and error classes, never personal data.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from booking import notify
from booking.contacts import display_phone
from booking.models import AppointmentRequest, RequestTransfer
from core.db import session_scope
from core.settings import Settings, get_settings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10


def resident_message(req: AppointmentRequest, team_name: str, team_phone: str | None) -> str:
    lines = [
        f"Bonjour {req.first_name},",
        f"Votre demande {req.reference} est maintenant suivie par : {team_name}.",
        "Cette équipe va vous contacter. Vous n'avez rien à refaire.",
    ]
    if team_phone:
        lines.append(f"Vous pouvez aussi l'appeler : {team_phone}.")
    return "\n".join(lines)


def team_message(req: AppointmentRequest, moved: RequestTransfer) -> tuple[str, str]:
    urgent = " – URGENT" if req.urgent_flag else ""
    subject = f"Demande transmise {req.reference}{urgent}"
    lines = [
        f"La demande {req.reference} vous est transmise par {moved.from_team.name}.",
        f"Note de l'équipe : {moved.note}" if moved.note else "",
        f"Prénom : {req.first_name}",
    ]
    if req.contact_phone:
        lines.append(f"Téléphone : {display_phone(req.contact_phone)}")
    if not req.telegram_chat_id:
        lines.append("La personne n'a pas pu être prévenue par message : appelez-la pour vous présenter.")
    lines.append("Voir la demande et son historique dans l'espace équipe.")
    return subject, "\n".join(x for x in lines if x)


def deliver_transfers(*, url: str | None = None, settings: Settings | None = None, limit: int = 50) -> tuple[int, int]:
    """Send the transfer messages still due. Returns (messages delivered, failures)."""
    settings = settings or get_settings()
    url = url or settings.database_url
    delivered = failed = 0
    with session_scope(url) as s:
        due = s.scalars(
            select(RequestTransfer)
            .where(or_(
                (RequestTransfer.resident_notified_at.is_(None)) & (RequestTransfer.resident_notify_attempts < MAX_ATTEMPTS),
                (RequestTransfer.team_notified_at.is_(None)) & (RequestTransfer.team_notify_attempts < MAX_ATTEMPTS),
            ))
            .options(selectinload(RequestTransfer.request), selectinload(RequestTransfer.to_team),
                     selectinload(RequestTransfer.from_team))
            .order_by(RequestTransfer.id).limit(limit)
        ).all()
        for moved in due:
            req, team = moved.request, moved.to_team
            if moved.resident_notified_at is None:
                ok = True
                if req.telegram_chat_id and settings.telegram_token:
                    try:
                        notify.send_telegram(settings, req.telegram_chat_id, resident_message(req, team.name, team.phone))
                    except notify.ChannelError as exc:
                        ok = False
                        log.warning("transfer %s: resident message failed (%s)", moved.id, exc)
                if ok:
                    moved.resident_notified_at = datetime.now(timezone.utc)
                    delivered += 1
                else:
                    moved.resident_notify_attempts += 1
                    failed += 1
            if moved.team_notified_at is None:
                subject, text = team_message(req, moved)
                tried, errors = notify.send_to_team(settings, team, subject, text)
                if tried == 0 or len(errors) < tried:
                    moved.team_notified_at = datetime.now(timezone.utc)
                    delivered += 1
                else:
                    moved.team_notify_attempts += 1
                    failed += 1
                    log.warning("transfer %s: team message failed (%s)", moved.id, "; ".join(errors))
            s.commit()
    return delivered, failed


def deliver_transfers_in_background(*, url: str | None = None) -> threading.Thread:
    return notify.in_background(lambda: deliver_transfers(url=url), "transfer-notify")
