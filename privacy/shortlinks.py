"""Short links for the summary handed over in guide mode: `/r/<8 characters>`, short enough for a
volunteer to dictate and a resident to type, encoded in the QR code too.

The code uses 29 characters that cannot be confused when read aloud or written by hand (no 0/O,
1/I/L, U/V), is read without regard to case, spaces or dashes, and expires after a week (the
summary it opens stays readable for its own 30 days). Like privacy.links, a copy of the database
gives no working link: the row is keyed by the sha256 of the code, and the summary's token is
stored masked with a key derived from the code.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import Index, String, delete
from sqlalchemy.orm import Mapped, mapped_column

from booking.models import UTCDateTime
from core.db import Base, session_scope

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"  # no 0 O 1 I L U V
LENGTH = 8
TTL = timedelta(days=7)
PREFIX = "/r/"
_TARGET = re.compile(r"^/resume/[A-Za-z0-9_-]{20,64}$")


class ShortLink(Base):
    __tablename__ = "short_links"
    __table_args__ = (Index("ix_short_links_expires", "expires_at"),
                      Index("ix_short_links_reference", "reference"))

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the code
    target: Mapped[str] = mapped_column(String(200))  # hex of the summary path, masked with the code
    reference: Mapped[str | None] = mapped_column(String(16), nullable=True)  # appointment, for erasure
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


def normalize(code: object) -> str | None:
    """'abcd-2345', 'ABCD 2345' -> 'ABCD2345'; None when it cannot be a code."""
    if not isinstance(code, str) or len(code) > 40:
        return None
    plain = re.sub(r"[\s\-.]", "", code).upper()
    if len(plain) != LENGTH or any(ch not in ALPHABET for ch in plain):
        return None
    return plain


def _digest(code: str) -> str:
    return hashlib.sha256(f"short-link:{code}".encode()).hexdigest()


def _mask(code: str, data: bytes) -> bytes:
    key = hashlib.shake_256(f"short-link-key:{code}".encode()).digest(len(data))
    return bytes(a ^ b for a, b in zip(data, key, strict=True))


def display(code: str) -> str:
    """'ABCD2345' -> 'ABCD 2345', easier to dictate."""
    return f"{code[:4]} {code[4:]}"


def create(target: str, *, reference: str | None = None, ttl: timedelta = TTL, now: datetime | None = None,
           url: str | None = None) -> str:
    """A new code for this summary path (`/resume/<token>`)."""
    if not _TARGET.match(target):
        raise ValueError("a short link opens a summary path")
    now = now or datetime.now(timezone.utc)
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        with session_scope(url) as db:
            if db.get(ShortLink, _digest(code)) is not None:
                continue  # one chance in 10^11: draw again
            db.add(ShortLink(id=_digest(code), target=_mask(code, target.encode()).hex(), reference=reference,
                             created_at=now, expires_at=now + ttl))
        return code


def resolve(code: object, *, now: datetime | None = None, url: str | None = None) -> str | None:
    """The summary path of a live code; None when malformed, unknown or expired."""
    plain = normalize(code)
    if plain is None:
        return None
    now = now or datetime.now(timezone.utc)
    with session_scope(url) as db:
        row = db.get(ShortLink, _digest(plain))
        if row is None:
            return None
        expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=timezone.utc)
        if expires <= now:
            db.delete(row)
            return None
        target = _mask(plain, bytes.fromhex(row.target)).decode("utf-8", errors="replace")
    return target if _TARGET.match(target) else None


def erase(references: list[str], *, url: str | None = None) -> int:
    if not references:
        return 0
    with session_scope(url) as db:
        return db.execute(delete(ShortLink).where(ShortLink.reference.in_(references))).rowcount


def purge_expired(now: datetime | None = None, *, url: str | None = None) -> int:
    with session_scope(url) as db:
        return db.execute(delete(ShortLink).where(ShortLink.expires_at < (now or datetime.now(timezone.utc)))).rowcount
