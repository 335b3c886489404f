"""Messages of a transfer: the resident is told which team now follows their request, the
receiving team is told a request arrived. `request_transfers` is the outbox (like the requests
for booking.notify): a NULL `*_notified_at` is still to send, failures are retried.

The resident is told on the channel they used (`resident_channel`, chosen at the first delivery):
- "telegram": a message in their chat; "email": an e-mail to the address they left;
- "web": the widget shows it after the greeting when they come back (`widget_notices`);
- "phone": nobody can write to them, so the receiving team's message says "prévenir la personne
  par téléphone" and the staff inbox shows "personne à prévenir" until a staff member ticks
  "personne prévenue" (`mark_informed`). A message that keeps failing falls back to the phone.
Channels are booking.notify's (Telegram Bot API, SMTP). Logs carry ids and error classes, never
personal data.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload

from booking import notify
from booking.contacts import display_phone
from booking.models import AppointmentRequest, RequestTransfer, StaffUser
from core.db import session_scope
from core.settings import Settings, get_settings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10
RESIDENT_CHANNELS = ("telegram", "email", "web", "phone", "none")
WAITING = ("web", "phone")  # told when the resident comes back, or by a staff member's call


def resident_channel(req: AppointmentRequest, settings: Settings | None = None) -> str:
    """How this resident can be told: the chat, their e-mail, the widget, else a phone call."""
    settings = settings or get_settings()
    if req.telegram_chat_id and settings.telegram_token:
        return "telegram"
    if req.contact_email and settings.smtp_host:
        return "email"
    if req.conversation_id and req.contact_channel == "web":
        return "web"
    if req.contact_phone:
        return "phone"
    return "none"


def widget_text(team_name: str, team_phone: str | None) -> str:
    """What the widget shows a returning resident: "Votre demande a été transmise à <équipe> (tél.)"."""
    phone = f" ({team_phone})" if team_phone else ""
    return (f"Votre demande a été transmise à {team_name}{phone}. "
            "Cette équipe va vous contacter. Vous n'avez rien à refaire.")


def resident_message(req: AppointmentRequest, team_name: str, team_phone: str | None) -> str:
    lines = [
        f"Bonjour {req.first_name},",
        f"Votre demande {req.reference} est maintenant suivie par : {team_name}.",
        "Cette équipe va vous contacter. Vous n'avez rien à refaire.",
    ]
    if team_phone:
        lines.append(f"Vous pouvez aussi l'appeler : {team_phone}.")
    return "\n".join(lines)


TEAM_TOLD = {
    "telegram": "La personne est prévenue par un message Telegram.",
    "email": "La personne est prévenue par e-mail.",
    "web": "La personne sera prévenue sur le site quand elle reviendra. Vous pouvez aussi l'appeler.",
    "none": "La personne n'a laissé aucun contact : elle sera informée à son prochain passage.",
}
PHONE_TODO = ("À faire : prévenir la personne par téléphone. Elle ne sait pas encore que sa demande vous est "
              "transmise. Ensuite, cochez « personne prévenue » dans l'espace équipe.")


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
    channel = moved.resident_channel or resident_channel(req)
    lines.append(PHONE_TODO if channel == "phone" else TEAM_TOLD.get(channel, ""))
    lines.append("Voir la demande et son historique dans l'espace équipe.")
    return subject, "\n".join(x for x in lines if x)


def _claim(s, moved: RequestTransfer, column) -> bool:  # noqa: ANN001
    """Mark one message as sent before sending it (a conditional UPDATE, committed): the web job and
    the staff page's "right after the transfer" run, in any number of processes, never send it
    twice. A failed send gives the claim back; a process killed mid-send loses that one message
    (the request and its history stay in the inbox), which beats sending it twice."""
    claimed = s.execute(
        update(RequestTransfer)
        .where(RequestTransfer.id == moved.id, column.is_(None))
        .values({column.key: datetime.now(timezone.utc)})
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    s.commit()
    if claimed:
        s.refresh(moved, [column.key])
    return claimed


def deliver_transfers(*, url: str | None = None, settings: Settings | None = None, limit: int = 50) -> tuple[int, int]:
    """Send the transfer messages still due. Returns (messages delivered, failures)."""
    settings = settings or get_settings()
    url = url or settings.database_url
    delivered = failed = 0
    with session_scope(url) as s:
        due = s.scalars(
            select(RequestTransfer)
            .where(or_(
                (RequestTransfer.resident_notified_at.is_(None)) & (RequestTransfer.resident_notify_attempts < MAX_ATTEMPTS)
                & or_(RequestTransfer.resident_channel.is_(None), RequestTransfer.resident_channel.not_in(WAITING)),
                (RequestTransfer.team_notified_at.is_(None)) & (RequestTransfer.team_notify_attempts < MAX_ATTEMPTS),
            ))
            .options(selectinload(RequestTransfer.request), selectinload(RequestTransfer.to_team),
                     selectinload(RequestTransfer.from_team))
            .order_by(RequestTransfer.id).limit(limit)
        ).all()
        for moved in due:
            req, team = moved.request, moved.to_team
            if moved.resident_channel is None:
                moved.resident_channel = resident_channel(req, settings)
            if (moved.resident_notified_at is None and moved.resident_channel not in WAITING
                    and _claim(s, moved, RequestTransfer.resident_notified_at)):
                try:
                    text = resident_message(req, team.name, team.phone)
                    if moved.resident_channel == "telegram":
                        notify.send_telegram(settings, req.telegram_chat_id, text)
                    elif moved.resident_channel == "email":
                        notify.send_email(settings, req.contact_email, f"Votre demande {req.reference}",
                                          text + "\n\nAvec vous pour vos droits")
                    moved.resident_notified_at = datetime.now(timezone.utc)
                    delivered += 1
                except notify.ChannelError as exc:
                    moved.resident_notified_at = None  # the claim is given back: retried later
                    moved.resident_notify_attempts += 1
                    failed += 1
                    log.warning("transfer %s: resident message failed (%s)", moved.id, type(exc).__name__)
                    if moved.resident_notify_attempts >= MAX_ATTEMPTS and req.contact_phone:
                        moved.resident_channel = "phone"  # the team calls instead
            if moved.team_notified_at is None and _claim(s, moved, RequestTransfer.team_notified_at):
                subject, text = team_message(req, moved)
                tried, errors = notify.send_to_team(settings, team, subject, text)
                if tried == 0 or len(errors) < tried:
                    moved.team_notified_at = datetime.now(timezone.utc)
                    delivered += 1
                else:
                    moved.team_notified_at = None
                    moved.team_notify_attempts += 1
                    failed += 1
                    log.warning("transfer %s: team message failed (%s)", moved.id, "; ".join(errors))
            s.commit()
    return delivered, failed


def widget_notices(conversation_id: str, *, url: str | None = None,
                   settings: Settings | None = None) -> list[str]:
    """For a resident back on the widget: each transfer of their requests not yet shown, once
    (a conditional UPDATE, so two tabs or two processes do not both show it)."""
    if not conversation_id:
        return []
    settings = settings or get_settings()
    texts: list[str] = []
    with session_scope(url or settings.database_url) as s:
        waiting = s.scalars(
            select(RequestTransfer).join(AppointmentRequest, RequestTransfer.request_id == AppointmentRequest.id)
            .where(AppointmentRequest.conversation_id == conversation_id,
                   RequestTransfer.resident_notified_at.is_(None))
            .options(selectinload(RequestTransfer.request), selectinload(RequestTransfer.to_team))
            .order_by(RequestTransfer.id)
        ).all()
        for moved in waiting:
            if (moved.resident_channel or resident_channel(moved.request, settings)) != "web":
                continue
            if moved.request.team_id != moved.to_team_id:
                continue  # transferred again (or undone) since: the latest transfer speaks
            taken = s.execute(
                update(RequestTransfer)
                .where(RequestTransfer.id == moved.id, RequestTransfer.resident_notified_at.is_(None))
                .values(resident_notified_at=datetime.now(timezone.utc), resident_channel="web")
                .execution_options(synchronize_session=False)
            ).rowcount
            if taken == 1:
                texts.append(widget_text(moved.to_team.name, moved.to_team.phone))
    return texts


def to_call(db: Session, request_ids: list[int]) -> set[int]:
    """The requests whose resident must still be told of a transfer by phone ("personne à prévenir")."""
    if not request_ids:
        return set()
    return set(db.scalars(
        select(RequestTransfer.request_id).where(RequestTransfer.request_id.in_(request_ids),
                                                 RequestTransfer.resident_channel == "phone",
                                                 RequestTransfer.resident_notified_at.is_(None))))


def mark_informed(db: Session, req: AppointmentRequest, user: StaffUser, *, now: datetime | None = None) -> int:
    """A staff member of the team holding the request ticks "personne prévenue"; returns how many
    transfers it settles (0 when there was nobody to call)."""
    return db.execute(
        update(RequestTransfer)
        .where(RequestTransfer.request_id == req.id, RequestTransfer.resident_channel == "phone",
               RequestTransfer.resident_notified_at.is_(None))
        .values(resident_notified_at=now or datetime.now(timezone.utc), resident_informed_by_id=user.id)
        .execution_options(synchronize_session=False)
    ).rowcount


def deliver_transfers_in_background(*, url: str | None = None) -> threading.Thread:
    return notify.in_background(lambda: deliver_transfers(url=url), "transfer-notify")
