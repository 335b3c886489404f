"""Login throttling. For an account: a progressive delay, never a lock-out (a stranger typing
wrong passwords must not keep a social worker out of her inbox): after FREE_TRIES failures,
each new try must wait 2, 4, 8… seconds after the last failure, at most MAX_DELAY. For an
address (the attacker's, usually): a lock after MAX_FAILURES_PER_ADDRESS failures in WINDOW.

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

FREE_TRIES = 3  # per account, then a delay that doubles
MAX_DELAY = timedelta(seconds=60)
MAX_FAILURES = 5  # kept for callers; the account's delay reaches 4 s at this count
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


def account_delay(failures: int) -> timedelta:
    if failures < FREE_TRIES:
        return timedelta(0)
    return min(MAX_DELAY, timedelta(seconds=2 ** (failures - FREE_TRIES + 1)))


def wait_seconds(session: Session, email: str, ip: str | None, now: datetime | None = None) -> int:
    """How long this login must wait: 0 to try now; the address's lock shows as the rest of WINDOW."""
    now = now or _now()
    wait = timedelta(0)
    account_key = _key("account", email)
    for key, limit in keys_for(email, ip):
        count, last = session.execute(
            select(func.count(), func.max(LoginFailure.at))
            .where(LoginFailure.key == key, LoginFailure.at > now - WINDOW)
        ).one()
        if not count:
            continue
        if last.tzinfo is None:
            last = last.replace(tzinfo=timezone.utc)
        if key == account_key:
            wait = max(wait, last + account_delay(count) - now)
        elif count >= limit:
            wait = max(wait, last + WINDOW - now)
    return max(0, int(wait.total_seconds() + 0.999))


def is_locked(session: Session, email: str, ip: str | None, now: datetime | None = None) -> bool:
    return wait_seconds(session, email, ip, now) > 0


def record_failure(session: Session, email: str, ip: str | None, now: datetime | None = None) -> None:
    now = now or _now()
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - KEEP))
    for key, _limit in keys_for(email, ip):
        session.add(LoginFailure(key=key, at=now))
    session.flush()


def clear_account(session: Session, email: str) -> None:
    """After a successful login the account's count starts again; the address's count is kept."""
    session.execute(delete(LoginFailure).where(LoginFailure.key == _key("account", email)))
