"""The status workflow shared by every team a request goes through, transfers between teams and
partners, and an admin's undo. Functions take a Session; callers commit.

Statuses: reçue (new) → prise en charge (contacted) → rendez-vous fait (held) → droits ouverts /
refusés / abandon; "transmise" (transferred) when a team hands the request to another team or
partner (CCAS, CAF, MDS, France Travail, an association). The team holding the request
(`AppointmentRequest.team_id`) changes it; every team it went through keeps read access to its
history. Every change, transfers and undos included, is a StatusChange row (the audit trail).
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from booking import models as m
from booking.labels import benefit_name
from booking.slots import format_local

NOTE_MAX = 2000
REASON_MAX = 300

ALLOWED = {
    "new": ("contacted", "cancelled"),
    "transferred": ("contacted", "cancelled"),
    "contacted": ("held", "no_show", "cancelled"),
    "held": ("rights_opened", "rights_refused", "abandoned"),
    "no_show": ("contacted", "abandoned"),
    "rights_opened": (),
    "rights_refused": (),
    "abandoned": (),
    "cancelled": (),
}
NEEDS_REASON = ("rights_refused", "abandoned")
TRANSFERABLE = ("new", "transferred", "contacted", "held", "no_show")


class WorkflowError(ValueError):
    """A French sentence saying why the change is refused."""


class Conflict(WorkflowError):
    """Someone changed the request meanwhile."""


CONFLICT = "Quelqu'un a changé cette demande entre-temps. Voici son état actuel."


def next_statuses(status: str) -> tuple[str, ...]:
    return ALLOWED.get(status, ())


def can_move(from_status: str, to_status: str) -> bool:
    return to_status in next_statuses(from_status)


def refusal_message(from_status: str, to_status: str) -> str:
    current = m.STATUS_LABELS.get(from_status, from_status)
    if to_status not in m.STATUS_LABELS:
        return "Ce statut n'existe pas. Choisissez un statut dans la liste."
    if not next_statuses(from_status):
        return f"Cette demande est close (« {current} »). Son statut ne peut plus changer."
    wanted = m.STATUS_LABELS[to_status]
    return f"Une demande « {current} » ne peut pas passer à « {wanted} ». Choisissez un statut dans la liste."


def _clean(text: str | None, limit: int, what: str) -> str | None:
    text = (text or "").strip()
    if len(text) > limit:
        raise WorkflowError(f"{what} est trop longue ({len(text)} caractères, {limit} au plus).")
    return text or None


def _guarded_update(db: Session, req: m.AppointmentRequest, from_status: str, from_team: str, **values) -> None:
    """Conditional UPDATE: if another tab or team changed the request meanwhile, nothing is written."""
    changed = db.execute(
        update(m.AppointmentRequest)
        .where(m.AppointmentRequest.id == req.id, m.AppointmentRequest.status == from_status,
               m.AppointmentRequest.team_id == from_team)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise Conflict(CONFLICT)
    db.refresh(req)


def _free_future_slot(db: Session, req: m.AppointmentRequest, now: datetime) -> None:
    if req.slot_start is not None and req.slot_start > now:
        db.execute(m.SlotBooking.__table__.delete().where(m.SlotBooking.request_id == req.id))


def change_status(
    db: Session, req: m.AppointmentRequest, to_status: str, *, user: m.StaffUser, note: str | None = None,
    expected: str | None = None, reason: str | None = None, opened: list[str] | None = None,
    outcome_on: date | None = None, now: datetime | None = None,
) -> m.StatusChange:
    """Move a request along the workflow. A refusal or an abandon needs a reason; "droits ouverts"
    records which benefits and when (default: today)."""
    now = now or datetime.now(timezone.utc)
    note = _clean(note, NOTE_MAX, "La note")
    reason = _clean(reason, REASON_MAX, "La raison")
    from_status = req.status
    if expected and expected != from_status:
        raise Conflict(CONFLICT)
    if not can_move(from_status, to_status):
        raise WorkflowError(refusal_message(from_status, to_status))
    if to_status in NEEDS_REASON and not reason:
        raise WorkflowError("Indiquez la raison en quelques mots : elle sert au suivi du programme.")
    values: dict = {"status": to_status, "updated_at": now}
    if to_status in m.OUTCOME_STATUSES:
        day = outcome_on or now.date()
        if day > now.date():
            raise WorkflowError("La date ne peut pas être dans le futur.")
        values["outcome_on"] = datetime.combine(day, time(12, 0), tzinfo=timezone.utc)
        values["closing_reason"] = reason
    if to_status == "rights_opened":
        values["rights_opened"] = sorted({str(b) for b in (opened or []) if b}) or None
    if to_status == "cancelled":
        values["closing_reason"] = reason
    _guarded_update(db, req, from_status, req.team_id, **values)
    text = note
    if reason:
        text = f"Raison : {reason}" + (f"\n{note}" if note else "")
    if to_status == "rights_opened" and req.rights_opened:
        names = ", ".join(benefit_name(b) for b in req.rights_opened)
        text = f"Droits ouverts : {names}" + (f"\n{note}" if note else "")
    change = m.StatusChange(request_id=req.id, from_status=from_status, to_status=to_status, note=text,
                            by_user_id=user.id, team_id=req.team_id, at=now)
    db.add(change)
    if to_status == "cancelled":
        db.execute(m.SlotBooking.__table__.delete().where(m.SlotBooking.request_id == req.id))
    return change


def transfer_targets(db: Session, current_team_id: str) -> list[m.Team]:
    """Active teams and partners a request can be handed to, CCAS and MDS first, by name."""
    return list(db.scalars(
        select(m.Team).where(m.Team.active.is_(True), m.Team.id != current_team_id).order_by(m.Team.kind, m.Team.name)
    ))


def transfer(
    db: Session, req: m.AppointmentRequest, to_team_id: str, *, user: m.StaffUser, note: str | None = None,
    expected: str | None = None, now: datetime | None = None,
) -> m.RequestTransfer:
    """Hand the request to another team with a note; the resident and the receiving team are told
    through the outbox of `request_transfers` (booking.transfer_notify)."""
    now = now or datetime.now(timezone.utc)
    note = _clean(note, NOTE_MAX, "La note")
    if expected and expected != req.status:
        raise Conflict(CONFLICT)
    if req.status not in TRANSFERABLE:
        raise WorkflowError(refusal_message(req.status, "transferred"))
    target = db.get(m.Team, to_team_id) if to_team_id else None
    if target is None or not target.active or target.id == req.team_id:
        raise WorkflowError("Choisissez l'équipe ou le partenaire qui reprend la demande dans la liste.")
    if not note:
        raise WorkflowError("Écrivez une note pour l'équipe qui reçoit la demande : ce qui a été fait, ce qui reste à faire.")
    from_team, from_status = req.team_id, req.status
    values = {"status": "transferred", "team_id": target.id, "updated_at": now}
    freed = ""
    if req.slot_start is not None and req.slot_start > now:
        # The receiving team agrees on its own meeting: the first team's slot goes back to others.
        _free_future_slot(db, req, now)
        freed = f"\nLe créneau du {format_local(req.slot_start, with_year=True)} est libéré."
        values.update(slot_start=None, kind="other_time")
    _guarded_update(db, req, from_status, from_team, **values)
    moved = m.RequestTransfer(request_id=req.id, from_team_id=from_team, to_team_id=target.id, note=note,
                              by_user_id=user.id, at=now, resident_notify_attempts=0, team_notify_attempts=0)
    db.add(moved)
    db.add(m.StatusChange(request_id=req.id, from_status=from_status, to_status="transferred",
                          note=f"Transmise à {target.name}\n{note}{freed}", by_user_id=user.id, team_id=from_team,
                          at=now))
    return moved


def last_change(db: Session, req: m.AppointmentRequest) -> m.StatusChange | None:
    """The latest change an admin may undo (not the creation, not an undo)."""
    return db.scalar(
        select(m.StatusChange)
        .where(m.StatusChange.request_id == req.id, m.StatusChange.from_status.is_not(None))
        .order_by(m.StatusChange.at.desc(), m.StatusChange.id.desc())
        .limit(1)
    )


def revert_last(db: Session, req: m.AppointmentRequest, *, admin: m.StaffUser, note: str | None,
                now: datetime | None = None) -> m.StatusChange:
    """An admin undoes the last change (a final status or a transfer included); the undo is itself
    a change of the history, with the admin's name and note."""
    if admin.role != "admin":
        raise WorkflowError("Seul un administrateur peut annuler un changement.")
    now = now or datetime.now(timezone.utc)
    note = _clean(note, NOTE_MAX, "La note")
    if not note:
        raise WorkflowError("Dites en quelques mots pourquoi ce changement est annulé.")
    change = last_change(db, req)
    if change is None or change.reverts_id is not None or change.from_status == change.to_status:
        raise WorkflowError("Il n'y a pas de changement à annuler sur cette demande.")
    values: dict = {"status": change.from_status, "updated_at": now}
    if change.to_status in m.OUTCOME_STATUSES or change.to_status == "cancelled":
        values.update(outcome_on=None, closing_reason=None, rights_opened=None)
    if change.to_status == "transferred" and change.team_id and change.team_id != req.team_id:
        values["team_id"] = change.team_id  # the transfer is undone: back to the team that sent it
    _guarded_update(db, req, req.status, req.team_id, **values)
    undo = m.StatusChange(request_id=req.id, from_status=change.to_status, to_status=change.from_status,
                          note=f"Annulation par un administrateur : {note}", by_user_id=admin.id,
                          team_id=req.team_id, reverts_id=change.id, at=now)
    db.add(undo)
    return undo
