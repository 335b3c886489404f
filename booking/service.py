"""Booking service: book a slot (at most once, enforced by the database), ask for a call-back,
cancel, reschedule, look up by reference. Each public function runs its own transaction."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, selectinload

from booking import models as m
from booking.contacts import clean_first_name, normalize_phone
from booking.errors import (
    InvalidInput,
    RequestClosed,
    RequestNotFound,
    SlotTaken,
    SlotUnavailable,
    UnknownTeam,
)
from booking.labels import benefit_entries
from booking.references import new_reference, normalize_reference
from booking.slots import Slot, free_slots, slot_at, to_utc
from booking.teams import seed_team
from core.db import session_scope
from directory.loader import Directory, get_directory
from directory.schema import Team as DirectoryTeam

log = logging.getLogger(__name__)

ALTERNATIVES = 3
_WRITE_ATTEMPTS = 6  # reference collisions and SQLite "database is locked" are retried
OPEN_STATUSES = ("new", "contacted")


# --- helpers -------------------------------------------------------------------------------------


_TEAM_OFF = "Je ne trouve pas cette équipe. Pouvez-vous choisir à nouveau le lieu du rendez-vous ?"


def _directory_team(team_id: str, directory: Directory) -> DirectoryTeam:
    team = directory.team(team_id)
    if team is None or not team.active:
        raise UnknownTeam(_TEAM_OFF)
    return team


def _ensure_team_row(team: DirectoryTeam, url: str | None, directory: Directory | None = None) -> None:
    """The Team row must exist before requests point to it; seeded on first use if needed. A team
    switched off in the database (the truth after seeding) takes no new request."""
    try:
        with session_scope(url) as s:
            row = seed_team(s, team, directory)
            if not row.active:
                raise UnknownTeam(_TEAM_OFF)
    except IntegrityError:
        pass  # created meanwhile by a concurrent booking


def _alternatives(team: DirectoryTeam, wanted: datetime, url: str | None, directory: Directory, now) -> list[Slot]:
    """Up to 3 free slots, closest in time to the one that was wanted, in chronological order."""
    with session_scope(url) as s:
        free = free_slots(s, team, now=now, directory=directory)
    closest = sorted(free, key=lambda sl: abs((sl.start - wanted).total_seconds()))[:ALTERNATIVES]
    return sorted(closest, key=lambda sl: sl.start)


def _slot_is_booked(team_id: str, start: datetime, url: str | None) -> bool:
    with session_scope(url) as s:
        return (
            s.scalar(select(m.SlotBooking.id).where(m.SlotBooking.team_id == team_id, m.SlotBooking.slot_start == start))
            is not None
        )


def _reference_exists(reference: str, url: str | None) -> bool:
    with session_scope(url) as s:
        return s.scalar(select(m.AppointmentRequest.id).where(m.AppointmentRequest.reference == reference)) is not None


def _is_locked(exc: OperationalError) -> bool:
    return "locked" in str(exc.orig).lower() or "busy" in str(exc.orig).lower()


def _consented(consent: bool, summary, likely_benefits) -> tuple[str | None, list | None]:
    """Summary and benefits are kept only when the resident said yes to sharing them. Benefits are
    stored with their names and estimated amounts (booking.labels), never as bare ids."""
    if not consent:
        return None, None
    if summary is not None and not isinstance(summary, str):
        summary = json.dumps(summary, ensure_ascii=False)
    return summary, (benefit_entries(likely_benefits) or None)


_EXTRA_FIELDS = {"to_check", "urgent_situations", "contact_preference", "best_times", "commune", "prescripteur_name",
                 "consent_recorded", "followup_consent", "parent_request_id", "first_contact_at", "contact_email"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _extra_values(consent: bool, extra: dict) -> dict:
    """The optional fields of a request (issue 15): what to check, urgent situations (with consent
    only, like the summary), contact preference, the volunteer who booked, follow-up consent."""
    unknown = set(extra) - _EXTRA_FIELDS
    if unknown:
        raise TypeError(f"unexpected booking fields: {sorted(unknown)}")
    preference = extra.get("contact_preference")
    if preference not in (None, *m.CONTACT_PREFERENCES):
        raise ValueError(f"unknown contact preference {preference!r}")
    situations = [str(x) for x in extra.get("urgent_situations") or []][:8]
    best_times = " ".join((extra.get("best_times") or "").split())[:200] or None
    prescripteur = " ".join((extra.get("prescripteur_name") or "").split())[:200] or None
    if prescripteur and not extra.get("consent_recorded"):
        raise InvalidInput("Demandez d'abord à la personne si elle est d'accord, puis cochez la case.")
    return {
        "to_check": (benefit_entries(extra.get("to_check")) or None) if consent else None,
        "urgent_situations": (situations or None) if consent else None,
        "contact_preference": preference,
        "best_times": best_times,
        "commune": (str(extra["commune"])[:8] if extra.get("commune") else None),
        "prescripteur_name": prescripteur,
        "consent_recorded_at": datetime.now(timezone.utc) if extra.get("consent_recorded") else None,
        "followup_consent": bool(extra.get("followup_consent")),
        "parent_request_id": extra.get("parent_request_id"),
        "contact_email": _email(extra.get("contact_email")),
    }


def _email(value: object) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    if len(text) > 254 or not _EMAIL.match(text):
        raise InvalidInput("Cette adresse e-mail ne semble pas complète. Pouvez-vous la vérifier ?")
    return text


def _contact(contact_phone, contact_channel: str, telegram_chat_id, phone_required: bool) -> str | None:
    if contact_channel not in m.CONTACT_CHANNELS:
        raise ValueError(f"unknown contact channel {contact_channel!r}")
    if contact_phone in (None, "") and not phone_required and telegram_chat_id:
        return None
    return normalize_phone(contact_phone)


def _new_request(**values) -> m.AppointmentRequest:
    now = datetime.now(timezone.utc)
    first_contact = values.pop("first_contact_at", None) or now
    req = m.AppointmentRequest(status="new", created_at=now, updated_at=now, notify_attempts=0,
                               origin_team_id=values["team_id"], first_contact_at=first_contact, **values)
    req.status_changes.append(m.StatusChange(from_status=None, to_status="new", note=None, at=now))
    return req


def _insert_with_reference(build, url: str | None, on_conflict) -> m.AppointmentRequest:
    """Insert a new request (and its slot booking) with a fresh reference, in one transaction.

    `build(reference)` returns the objects to add; `on_conflict()` is called on an IntegrityError that is
    not a reference collision (it raises SlotTaken)."""
    last_exc: Exception | None = None
    for _ in range(_WRITE_ATTEMPTS):
        reference = new_reference()
        try:
            with session_scope(url) as s:
                objects = build(reference)
                s.add_all(objects)
                s.flush()
                return objects[0]
        except IntegrityError as exc:
            last_exc = exc
            if _reference_exists(reference, url):
                continue  # rare collision of random codes: draw another one
            on_conflict()
            raise
        except OperationalError as exc:
            if not _is_locked(exc):
                raise
            last_exc = exc
    raise RuntimeError("could not store the request") from last_exc


# --- public API ----------------------------------------------------------------------------------


def book_slot(
    *,
    team_id: str,
    slot_start: datetime,
    first_name: str,
    contact_phone: str | None = None,
    contact_channel: str = "web",
    telegram_chat_id: str | int | None = None,
    conversation_id: str | None = None,
    consent_summary: bool = False,
    summary: str | dict | None = None,
    likely_benefits: list[str] | None = None,
    urgent_flag: bool = False,
    now: datetime | None = None,
    url: str | None = None,
    directory: Directory | None = None,
    **extra,
) -> m.AppointmentRequest:
    """Book one slot. `extra` takes the optional fields of _extra_values (to_check, urgent_situations,
    contact_preference, best_times, commune, prescripteur_name, consent_recorded, followup_consent). Raises SlotTaken (with 3 alternatives) if someone else was first,
    SlotUnavailable if the time is not offered, InvalidInput for a bad phone or first name."""
    directory = directory or get_directory()
    team = _directory_team(team_id, directory)
    name = clean_first_name(first_name)
    chat_id = str(telegram_chat_id) if telegram_chat_id not in (None, "") else None
    phone = _contact(contact_phone, contact_channel, chat_id, phone_required=False)
    start = to_utc(slot_start)
    if slot_at(team, start, now=now, directory=directory) is None:
        raise SlotUnavailable(
            "Ce créneau n'est pas proposé. Voici d'autres créneaux libres.",
            _alternatives(team, start, url, directory, now),
        )
    summary, likely_benefits = _consented(consent_summary, summary, likely_benefits)
    optional = _extra_values(bool(consent_summary), extra)
    first_contact = extra.get("first_contact_at")
    _ensure_team_row(team, url, directory)

    def build(reference: str) -> list:
        req = _new_request(
            reference=reference, team_id=team.id, slot_start=start, kind="slot", first_name=name,
            contact_phone=phone, contact_channel=contact_channel, telegram_chat_id=chat_id,
            conversation_id=conversation_id, consent_summary=bool(consent_summary), summary=summary,
            likely_benefits=likely_benefits, urgent_flag=bool(urgent_flag), first_contact_at=first_contact,
            **optional,
        )
        req.slot_booking = m.SlotBooking(team_id=team.id, slot_start=start)
        return [req]

    def on_conflict() -> None:
        if _slot_is_booked(team.id, start, url):
            raise SlotTaken(
                "Désolé, ce créneau vient d'être pris. Voici d'autres créneaux libres.",
                _alternatives(team, start, url, directory, now),
            )

    return _insert_with_reference(build, url, on_conflict)


def book_callback(
    *,
    team_id: str,
    first_name: str,
    contact_phone: str,
    contact_channel: str = "web",
    kind: str = "callback",
    preferred_time_note: str | None = None,
    telegram_chat_id: str | int | None = None,
    conversation_id: str | None = None,
    consent_summary: bool = False,
    summary: str | dict | None = None,
    likely_benefits: list[str] | None = None,
    urgent_flag: bool = False,
    url: str | None = None,
    directory: Directory | None = None,
    **extra,
) -> m.AppointmentRequest:
    """A request to be called back ('callback') or to agree on another time ('other_time')."""
    if kind not in ("callback", "other_time"):
        raise ValueError(f"kind must be callback or other_time, not {kind!r}")
    directory = directory or get_directory()
    team = _directory_team(team_id, directory)
    name = clean_first_name(first_name)
    chat_id = str(telegram_chat_id) if telegram_chat_id not in (None, "") else None
    # A phone number is needed to call back, except for a resident the team answers through Telegram.
    phone = _contact(contact_phone, contact_channel, chat_id, phone_required=not (chat_id and kind == "other_time"))
    note = " ".join((preferred_time_note or "").split())[:300] or None
    summary, likely_benefits = _consented(consent_summary, summary, likely_benefits)
    optional = _extra_values(bool(consent_summary), extra)
    first_contact = extra.get("first_contact_at")
    if conversation_id and (same := _same_recent_callback(conversation_id, kind, team.id, phone, url)) is not None:
        return same
    _ensure_team_row(team, url, directory)

    def build(reference: str) -> list:
        return [
            _new_request(
                reference=reference, team_id=team.id, slot_start=None, kind=kind, first_name=name,
                contact_phone=phone, contact_channel=contact_channel, telegram_chat_id=chat_id,
                conversation_id=conversation_id, preferred_time_note=note,
                consent_summary=bool(consent_summary), summary=summary, likely_benefits=likely_benefits,
                urgent_flag=bool(urgent_flag), first_contact_at=first_contact, **optional,
            )
        ]

    return _insert_with_reference(build, url, lambda: None)


SAME_REQUEST_WINDOW = timedelta(minutes=10)


def _same_recent_callback(conversation_id: str, kind: str, team_id: str, phone: str | None,
                          url: str | None) -> m.AppointmentRequest | None:
    """The same call-back asked again by the same conversation a moment ago: a turn handled once by
    the action server but whose answer never reached the resident (a Rasa replica or the web process
    stopped meanwhile, issue 14) is sent again. It gets the request already made, not a second one."""
    since = datetime.now(timezone.utc) - SAME_REQUEST_WINDOW
    with session_scope(url) as s:
        return s.scalar(
            select(m.AppointmentRequest)
            .where(m.AppointmentRequest.conversation_id == conversation_id, m.AppointmentRequest.kind == kind,
                   m.AppointmentRequest.team_id == team_id, m.AppointmentRequest.contact_phone == phone,
                   m.AppointmentRequest.status == "new", m.AppointmentRequest.created_at >= since)
            .options(selectinload(m.AppointmentRequest.team))
            .order_by(m.AppointmentRequest.id.desc()).limit(1))


def _load(session: Session, reference: str | None, *, for_update: bool = False) -> m.AppointmentRequest | None:
    code = normalize_reference(reference)
    if code is None:
        return None
    query = (
        select(m.AppointmentRequest)
        .where(m.AppointmentRequest.reference == code)
        .options(selectinload(m.AppointmentRequest.slot_booking), selectinload(m.AppointmentRequest.team))
    )
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def find_by_reference(reference: str | None, *, url: str | None = None) -> m.AppointmentRequest | None:
    with session_scope(url) as s:
        return _load(s, reference)


def _contact_matches(req: m.AppointmentRequest, contact: str | int | None) -> bool:
    """The resident proves it is their request with their phone number or their Telegram chat."""
    if contact in (None, ""):
        return False
    if req.telegram_chat_id and str(contact).strip() == req.telegram_chat_id:
        return True
    try:
        return req.contact_phone is not None and normalize_phone(str(contact)) == req.contact_phone
    except InvalidInput:
        return False


_NOT_FOUND = "Je ne trouve pas de rendez-vous avec ce code et ce numéro. Vérifiez le code, il ressemble à AV-7K3P."


def _open_request(session: Session, reference: str, contact) -> m.AppointmentRequest:
    req = _load(session, reference, for_update=True)
    if req is None or not _contact_matches(req, contact):
        raise RequestNotFound(_NOT_FOUND)
    if req.status not in OPEN_STATUSES:
        raise RequestClosed("Ce rendez-vous est déjà annulé ou terminé. Vous pouvez en demander un nouveau.")
    return req


def _set_status(session: Session, req: m.AppointmentRequest, to_status: str, by_user_id: int | None, note: str | None):
    now = datetime.now(timezone.utc)
    req.status_changes.append(
        m.StatusChange(from_status=req.status, to_status=to_status, note=note, by_user_id=by_user_id, at=now)
    )
    req.status = to_status
    req.updated_at = now
    if to_status == "cancelled" and req.slot_booking is not None:
        session.delete(req.slot_booking)  # frees the slot for someone else
        req.slot_booking = None


def cancel(reference: str, *, contact: str | int, url: str | None = None) -> m.AppointmentRequest:
    """Cancel by the resident: reference + the phone number (or Telegram chat) given at booking."""
    with session_scope(url) as s:
        req = _open_request(s, reference, contact)
        _set_status(s, req, "cancelled", None, "Annulé par la personne")
        return req


def reschedule(
    reference: str,
    new_slot_start: datetime,
    *,
    contact: str | int,
    now: datetime | None = None,
    url: str | None = None,
    directory: Directory | None = None,
) -> m.AppointmentRequest:
    """Move a request to another slot of the same team. The old slot is freed in the same transaction;
    if the new one is taken, nothing changes and SlotTaken carries alternatives."""
    directory = directory or get_directory()
    start = to_utc(new_slot_start)
    with session_scope(url) as s:
        req = _open_request(s, reference, contact)
        team_id = req.team_id
    team = _directory_team(team_id, directory)
    if slot_at(team, start, now=now, directory=directory) is None:
        raise SlotUnavailable(
            "Ce créneau n'est pas proposé. Voici d'autres créneaux libres.",
            _alternatives(team, start, url, directory, now),
        )
    try:
        with session_scope(url) as s:
            req = _open_request(s, reference, contact)
            if req.slot_booking is not None:
                req.slot_booking.slot_start = start  # one UPDATE: the unique constraint guards it
            else:
                req.slot_booking = m.SlotBooking(team_id=team.id, slot_start=start)
            note = "Déplacé par la personne" + (f" (avant : {req.slot_start:%Y-%m-%d %H:%M} UTC)" if req.slot_start else "")
            req.slot_start = start
            req.kind = "slot"
            req.updated_at = datetime.now(timezone.utc)
            req.status_changes.append(
                m.StatusChange(from_status=req.status, to_status=req.status, note=note, at=req.updated_at)
            )
            s.flush()
            return req
    except IntegrityError:
        raise SlotTaken(
            "Désolé, ce créneau vient d'être pris. Voici d'autres créneaux libres.",
            _alternatives(team, start, url, directory, now),
        ) from None


def change_status(
    request_id: int, to_status: str, *, by_user_id: int | None = None, note: str | None = None, url: str | None = None
) -> m.AppointmentRequest:
    """Staff changes a status (the staff app checks which transitions are allowed). Cancelling frees
    the slot."""
    if to_status not in m.REQUEST_STATUSES:
        raise ValueError(f"unknown status {to_status!r}")
    with session_scope(url) as s:
        req = s.get(m.AppointmentRequest, request_id, options=[selectinload(m.AppointmentRequest.slot_booking)])
        if req is None:
            raise RequestNotFound("Cette demande n'existe pas.")
        _set_status(s, req, to_status, by_user_id, note)
        return req
