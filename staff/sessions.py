"""Server-side staff sessions: the cookie carries a random token, the database its sha256.

Logging out deletes the row, so a copied cookie replayed afterwards opens nothing; a password
change or reset, a deactivation, deletes every row of the account. A session also ends after
MAX_AGE, or after IDLE without a request.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import ForeignKey, Index, String, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from booking.models import UTCDateTime
from core.db import Base

MAX_AGE = timedelta(hours=10)  # a working day
IDLE = timedelta(hours=2)
# last_seen_at is written at most this often: not one write per page.
TOUCH_EVERY = timedelta(minutes=5)


class StaffSession(Base):
    __tablename__ = "staff_sessions"
    __table_args__ = (Index("ix_staff_sessions_user", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(db: Session, user_id: int, now: datetime | None = None) -> str:
    """A new session for the user; returns the token to put in the cookie (never stored)."""
    now = now or _now()
    db.execute(delete(StaffSession).where(StaffSession.created_at < now - MAX_AGE))
    token = secrets.token_urlsafe(32)
    db.add(StaffSession(id=_digest(token), user_id=user_id, created_at=now, last_seen_at=now))
    db.flush()
    return token


def valid_session(db: Session, token: object, user_id: int, now: datetime | None = None) -> bool:
    if not isinstance(token, str) or not token:
        return False
    now = now or _now()
    row = db.get(StaffSession, _digest(token))
    if row is None or row.user_id != user_id:
        return False
    if row.created_at < now - MAX_AGE or row.last_seen_at < now - IDLE:
        db.delete(row)
        db.commit()
        return False
    if row.last_seen_at < now - TOUCH_EVERY:
        row.last_seen_at = now
        db.commit()
    return True


def close_session(db: Session, token: object) -> None:
    if isinstance(token, str) and token:
        db.execute(delete(StaffSession).where(StaffSession.id == _digest(token)))


def close_all(db: Session, user_id: int) -> int:
    """Ends every session of the account (password changed or reset, account deactivated)."""
    return db.execute(delete(StaffSession).where(StaffSession.user_id == user_id)).rowcount
