"""Login throttling: after too many failed logins for one account or from one address, refuse to try.

Failures are kept in the database (table `staff_login_failures`, created by the Alembic migrations)
so the limit holds across worker processes and restarts. Keys are salted hashes: the table holds neither e-mail addresses nor IPs.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from sqlalchemy import Index, Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from booking.models import UTCDateTime
from core.db import Base
from core.settings import get_settings

MAX_FAILURES = 5  # per account
# Per address: higher, because a whole office (several social workers) often shares one public IP.
MAX_FAILURES_PER_ADDRESS = 20
WINDOW = timedelta(minutes=15)
# Rows older than this are useless for the count and are pruned when a new failure is stored.
KEEP = timedelta(days=1)


class LoginFailure(Base):
    __tablename__ = "staff_login_failures"
    __table_args__ = (Index("ix_staff_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))  # sha256 of "account:<email>" or "ip:<address>"
    at: Mapped[datetime] = mapped_column(UTCDateTime())


def _key(kind: str, value: str) -> str:
    secret = get_settings().secret_key
    return hashlib.sha256(f"{secret}|{kind}:{value.strip().lower()}".encode()).hexdigest()


def keys_for(email: str, ip: str | None) -> list[tuple[str, int]]:
    """(key, how many failures lock it) for the account and, when known, the address."""
    keys = [(_key("account", email), MAX_FAILURES)]
    if ip:
        keys.append((_key("ip", ip), MAX_FAILURES_PER_ADDRESS))
    return keys


def _now() -> datetime:
    return datetime.now(timezone.utc)


def is_locked(session: Session, email: str, ip: str | None, now: datetime | None = None) -> bool:
    """True when the account or the address had too many failures within WINDOW."""
    now = now or _now()
    for key, limit in keys_for(email, ip):
        count = session.scalar(
            select(func.count()).select_from(LoginFailure)
            .where(LoginFailure.key == key, LoginFailure.at > now - WINDOW)
        )
        if count >= limit:
            return True
    return False


def record_failure(session: Session, email: str, ip: str | None, now: datetime | None = None) -> None:
    now = now or _now()
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - KEEP))
    for key, _limit in keys_for(email, ip):
        session.add(LoginFailure(key=key, at=now))
    session.flush()


def clear_account(session: Session, email: str) -> None:
    """After a successful login the account's count starts again; the address's count is kept."""
    session.execute(delete(LoginFailure).where(LoginFailure.key == _key("account", email)))
