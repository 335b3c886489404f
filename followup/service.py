"""Follow-up scheduling and answers: with the resident's consent (at booking or at the end of a
simulation), "Avez-vous pu faire la demande ?" about 6 and 30 days later on the channel they used.

- Rows are in the database (`followups`), so scheduling survives restarts.
- `run_due` sends what is due under a database lease (followup.lease) *and* claims each row with
  a conditional UPDATE before sending, so a message goes out once even with several processes.
- An answer is one closed value (plus a closed reason after "non"); "besoin d'aide" creates a
  call-back request for the nearest team, linked to the first request when there was one.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select, update

from booking import service as booking_service
from booking.errors import BookingError
from booking.labels import benefit_names
from booking.models import AppointmentRequest, Team
from core.db import session_scope
from directory.loader import Directory, get_directory
from followup import lease
from followup.models import ANSWERS, CHANNELS, REASONS, STEPS, FollowUp

log = logging.getLogger(__name__)

JOB_NAME = "followups"
MAX_ATTEMPTS = 8
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CALLBACK_PREFIX = "fu"  # Telegram callback data: "fu:<token>:<answer>" or "fu:<token>:no:<reason>"


class FollowUpError(ValueError):
    """A French sentence for the resident."""


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(timezone.utc)


def schedule(
    *, channel: str, telegram_chat_id: str | int | None = None, email: str | None = None,
    conversation_id: str | None = None, first_name: str | None = None, commune: str | None = None,
    benefits: list | None = None, request_id: int | None = None, now: datetime | None = None,
    url: str | None = None,
) -> list[FollowUp]:
    """Plan the 6- and 30-day messages. Call it only after the resident said yes."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown follow-up channel {channel!r}")
    chat_id = str(telegram_chat_id) if telegram_chat_id not in (None, "") else None
    if channel == "telegram" and not chat_id:
        raise ValueError("a Telegram follow-up needs the chat id")
    if channel == "email":
        email = (email or "").strip()
        if not _EMAIL.match(email) or len(email) > 254:
            raise FollowUpError("Cette adresse e-mail ne semble pas complète. Pouvez-vous la vérifier ?")
    if channel == "web" and not conversation_id:
        raise ValueError("a widget follow-up needs the conversation id")
    start = _now(now)
    batch = secrets.token_hex(8)
    ids = [b["id"] if isinstance(b, dict) else str(b) for b in (benefits or [])][:10]
    rows = [
        FollowUp(token=secrets.token_urlsafe(12), batch=batch, request_id=request_id, step=step, channel=channel,
                 telegram_chat_id=chat_id, email=email if channel == "email" else None,
                 conversation_id=conversation_id, first_name=(first_name or None) and first_name[:60],
                 commune=commune, benefits=ids or None, due_at=start + timedelta(days=step), attempts=0,
                 created_at=start)
        for step in STEPS
    ]
    with session_scope(url) as s:
        s.add_all(rows)
    return rows


def schedule_for_request(request_id: int, *, now: datetime | None = None, url: str | None = None) -> list[FollowUp]:
    """After a booking whose resident accepted the follow-up: same channel as the booking.

    Once per consent: a request that has its follow-ups already gets no more, and the follow-ups
    a resident accepted earlier in the same conversation (at the end of the simulation) are
    linked to the request instead of planning new ones."""
    with session_scope(url) as s:
        req = s.get(AppointmentRequest, request_id)
        if req is None or not req.followup_consent:
            return []
        mine = list(s.scalars(select(FollowUp).where(FollowUp.request_id == req.id)))
        if mine:
            return mine
        if req.conversation_id:
            earlier = list(s.scalars(select(FollowUp).where(
                FollowUp.conversation_id == req.conversation_id, FollowUp.request_id.is_(None),
                FollowUp.answered_at.is_(None), FollowUp.sent_at.is_(None))))
            if earlier:
                for row in earlier:
                    row.request_id = req.id
                    row.first_name = row.first_name or (req.first_name or None)
                    row.commune = row.commune or req.commune
                return earlier
        if req.telegram_chat_id:
            channel = "telegram"
        elif req.conversation_id and req.contact_channel == "web":
            channel = "web"
        else:
            return []  # a phone number only: the team follows up itself
        values = dict(channel=channel, telegram_chat_id=req.telegram_chat_id, conversation_id=req.conversation_id,
                      first_name=req.first_name, commune=req.commune or None,
                      benefits=[b.get("id") for b in req.likely_benefits or [] if isinstance(b, dict)],
                      request_id=req.id)
    return schedule(now=now, url=url, **values)


# --- sending ----------------------------------------------------------------------------------


Sender = Callable[[FollowUp], None]  # raises on failure (the error class is logged, never the text)


@dataclass
class RunReport:
    ran: bool  # False: another process holds the lease
    sent: int = 0
    failed: int = 0


def _claim(s, row_id: int, now: datetime) -> bool:  # noqa: ANN001
    return s.execute(
        update(FollowUp).where(FollowUp.id == row_id, FollowUp.sent_at.is_(None)).values(sent_at=now)
    ).rowcount == 1


def run_due(senders: dict[str, Sender], *, now: datetime | None = None, url: str | None = None,
            holder: str = lease.PROCESS_ID, limit: int = 100) -> RunReport:
    """Send the follow-ups that are due, once, in the process that holds the lease."""
    now = _now(now)
    if not lease.acquire(JOB_NAME, holder=holder, now=now, url=url):
        return RunReport(ran=False)
    report = RunReport(ran=True)
    try:
        with session_scope(url) as s:
            ids = list(s.scalars(
                select(FollowUp.id).where(FollowUp.sent_at.is_(None), FollowUp.due_at <= now,
                                          FollowUp.answered_at.is_(None), FollowUp.attempts < MAX_ATTEMPTS)
                .order_by(FollowUp.due_at).limit(limit)))
        for row_id in ids:
            with session_scope(url) as s:
                if not _claim(s, row_id, now):
                    continue  # taken by another process meanwhile
                s.commit()
                row = s.get(FollowUp, row_id)
                send = senders.get(row.channel)
                try:
                    if send is not None:
                        send(row)
                    report.sent += 1
                    s.flush()
                    _forget_contacts_when_done(s, row.batch)
                except Exception as exc:  # noqa: BLE001 - a channel failure is retried later
                    row.sent_at = None
                    row.attempts += 1
                    row.last_error = type(exc).__name__[:200]
                    row.due_at = now + min(timedelta(minutes=5 * 2**row.attempts), timedelta(hours=12))
                    report.failed += 1
                    log.warning("follow-up %s: sending failed (%s)", row_id, type(exc).__name__)
    finally:
        lease.release(JOB_NAME, holder=holder, url=url)
    return report


def _forget_contacts_when_done(s, batch: str) -> None:  # noqa: ANN001
    """Once nothing is left to send for a consent, its rows keep only the anonymous answer."""
    left = s.scalar(select(FollowUp.id).where(FollowUp.batch == batch, FollowUp.sent_at.is_(None)).limit(1))
    if left is None:
        s.execute(update(FollowUp).where(FollowUp.batch == batch)
                  .values(telegram_chat_id=None, email=None, first_name=None)
                  .execution_options(synchronize_session=False))


def pending_for_conversation(conversation_id: str, *, now: datetime | None = None,
                             url: str | None = None) -> FollowUp | None:
    """The widget, when the resident comes back: the due, unanswered follow-up of this conversation."""
    now = _now(now)
    with session_scope(url) as s:
        row = s.scalar(select(FollowUp).where(
            FollowUp.conversation_id == conversation_id, FollowUp.channel == "web", FollowUp.due_at <= now,
            FollowUp.answered_at.is_(None)).order_by(FollowUp.due_at.desc()).limit(1))
        if row is not None and row.sent_at is None:
            row.sent_at = now
        return row


def benefit_labels(row: FollowUp) -> list[str]:
    return benefit_names(row.benefits or [])


# --- answers ----------------------------------------------------------------------------------


@dataclass
class AnswerResult:
    followup: FollowUp
    request: AppointmentRequest | None = None  # created for "besoin d'aide"
    team_name: str | None = None
    ask_reason: bool = False  # "non": ask why (closed list)


def find(token: str, *, url: str | None = None) -> FollowUp | None:
    if not token or len(token) > 32:
        return None
    with session_scope(url) as s:
        return s.scalar(select(FollowUp).where(FollowUp.token == token))


def record_answer(token: str, answer: str, *, reason: str | None = None, now: datetime | None = None,
                  url: str | None = None, directory: Directory | None = None) -> AnswerResult:
    """Record the resident's answer (the first one counts; a reason may follow a "non")."""
    if answer not in ANSWERS or (reason is not None and reason not in REASONS):
        raise FollowUpError("Je n'ai pas compris votre réponse. Choisissez un des boutons, s'il vous plaît.")
    now = _now(now)
    with session_scope(url) as s:
        row = s.scalar(select(FollowUp).where(FollowUp.token == token).with_for_update())
        if row is None:
            raise FollowUpError("Ce lien de suivi n'est plus valable. Merci quand même !")
        if row.answered_at is not None:
            if row.answer == "no" and reason and row.reason is None:
                row.reason = reason
            return AnswerResult(row)
        row.answer, row.reason, row.answered_at = answer, reason, now
        if row.sent_at is None:
            row.sent_at = now  # answered from the widget or a link before the job ran
        if answer in ("yes", "no", "need_help"):
            # Settled (or handed to a team): the later message of the same consent is not sent.
            s.execute(delete(FollowUp).where(FollowUp.batch == row.batch, FollowUp.sent_at.is_(None),
                                             FollowUp.id != row.id))
        snapshot = {k: getattr(row, k) for k in ("id", "request_id", "commune", "telegram_chat_id", "first_name",
                                                 "benefits", "created_at", "conversation_id")}
        s.flush()
        _forget_contacts_when_done(s, row.batch)
    result = AnswerResult(row, ask_reason=answer == "no" and reason is None)
    if answer == "need_help":
        created, team_name = _help_request(snapshot, url=url, directory=directory or get_directory())
        if created is not None:
            with session_scope(url) as s:
                s.execute(update(FollowUp).where(FollowUp.id == snapshot["id"])
                          .values(created_request_id=created.id))
            result.request, result.team_name = created, team_name
    return result


def _help_team(snapshot: dict, parent: AppointmentRequest | None, directory: Directory) -> str | None:
    from directory.nearest import LocationError, nearest_team  # noqa: PLC0415

    commune = snapshot.get("commune") or (parent.commune if parent else None)
    if commune:
        try:
            match = nearest_team(commune=commune, directory=directory)
        except LocationError:
            match = None
        if match is not None:
            return match.team.id
    if parent is not None and directory.team(parent.team_id):
        return parent.team_id
    return None


def _help_request(snapshot: dict, *, url: str | None, directory: Directory):  # noqa: ANN202
    """A call-back request for the nearest team, carrying what the resident already shared."""
    with session_scope(url) as s:
        parent = s.get(AppointmentRequest, snapshot["request_id"]) if snapshot["request_id"] else None
        parent_values = None
        if parent is not None:
            parent_values = dict(phone=parent.contact_phone, channel=parent.contact_channel,
                                 first_name=parent.first_name, consent=parent.consent_summary,
                                 benefits=parent.likely_benefits, first_contact=parent.first_contact_at,
                                 summary=parent.summary)
        team_id = _help_team(snapshot, parent, directory)
        team_name = s.get(Team, team_id).name if team_id and s.get(Team, team_id) else None
    if team_id is None:
        log.warning("follow-up %s: no team for the help request", snapshot["id"])
        return None, None
    if team_name is None:
        team_name = directory.team(team_id).name
    chat_id = snapshot.get("telegram_chat_id")
    phone = parent_values["phone"] if parent_values else None
    common = dict(
        team_id=team_id, first_name=(parent_values or {}).get("first_name") or snapshot.get("first_name") or "Inconnu",
        telegram_chat_id=chat_id, conversation_id=snapshot.get("conversation_id"),
        consent_summary=bool(parent_values and parent_values["consent"]),
        summary=parent_values["summary"] if parent_values else None,
        likely_benefits=(parent_values["benefits"] if parent_values else None) or snapshot.get("benefits"),
        preferred_time_note="Besoin d'aide pour faire la demande (réponse au message de suivi).",
        url=url, directory=directory, commune=snapshot.get("commune"),
        parent_request_id=snapshot["request_id"],
        first_contact_at=(parent_values or {}).get("first_contact") or snapshot.get("created_at"),
    )
    channel = "telegram" if chat_id else ((parent_values or {}).get("channel") or "web")
    try:
        created = booking_service.book_callback(kind="callback" if phone else "other_time", contact_phone=phone,
                                                contact_channel=channel, **common)
    except BookingError:
        log.warning("follow-up %s: help request refused", snapshot["id"])
        return None, None
    return created, team_name


def parse_callback(data: str) -> tuple[str, str, str | None] | None:
    """'fu:<token>:<answer>[:<reason>]' -> (token, answer, reason) for the Telegram hook."""
    parts = (data or "").split(":")
    if len(parts) not in (3, 4) or parts[0] != CALLBACK_PREFIX:
        return None
    return parts[1], parts[2], parts[3] if len(parts) == 4 else None


def callback_data(token: str, answer: str, reason: str | None = None) -> str:
    return ":".join(x for x in (CALLBACK_PREFIX, token, answer, reason) if x)
