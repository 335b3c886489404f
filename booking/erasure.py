"""Erasing a resident's appointment requests when they ask ("effacer mes données")."""

from __future__ import annotations

from sqlalchemy import delete, false, or_, select, text

from booking.models import AppointmentRequest
from core.db import session_scope


def erase_conversation(conversation_id: str, *, url: str | None = None) -> int:
    """Delete every request made from this conversation (slots are freed with them).

    Returns how many were erased. Staff lose the request: that is what the resident asked for."""
    if not conversation_id:
        return 0
    with session_scope(url) as session:
        requests = session.scalars(
            select(AppointmentRequest).where(AppointmentRequest.conversation_id == conversation_id)
        ).all()
        # Follow-ups of this conversation or of its requests go too (followup/models.py).
        from followup.models import FollowUp  # noqa: PLC0415 (followup imports booking)

        ids = [r.id for r in requests]
        session.execute(delete(FollowUp).where(
            or_(FollowUp.conversation_id == conversation_id, FollowUp.request_id.in_(ids) if ids else false())))
        for request in requests:
            session.delete(request)
        erased = len(requests)
    if erased and session.bind.dialect.name == "sqlite":
        # Deleted rows also live in the write-ahead log until a checkpoint: fold it in now.
        with session.bind.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    return erased
