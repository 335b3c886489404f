"""Opaque links: the address holds a random id, what it opens stays on the server.

A summary link or a calendar link may be forwarded, or stay in a phone's history: the link
itself says nothing (no benefit, no commune, no reference, not even encoded), every link
expires, and erasing a conversation deletes its links. Only the sha256 of the id is stored, so
a copy of the database does not give working links either.

    token = create_link("summary", {...}, conversation_id=sender, ttl=timedelta(days=30))
    payload = resolve("summary", token)   # None when unknown, expired or erased
"""

from __future__ import annotations

import contextvars
import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, Index, String, delete, or_
from sqlalchemy.orm import Mapped, mapped_column

from booking.models import UTCDateTime
from core.db import Base, session_scope

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
# The conversation a link is made for, set by the action server around each action (so that
# code building links needs no extra argument) and used to erase the links with the conversation.
current_conversation: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "current_conversation", default=None)


class OpaqueLink(Base):
    __tablename__ = "opaque_links"
    __table_args__ = (Index("ix_opaque_links_conversation", "conversation_id"),
                      Index("ix_opaque_links_reference", "reference"),
                      Index("ix_opaque_links_expires", "expires_at"))

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token
    kind: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    reference: Mapped[str | None] = mapped_column(String(16), nullable=True)  # appointment, if any
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def create_link(kind: str, payload: dict[str, Any], *, ttl: timedelta, conversation_id: str | None = None,
                reference: str | None = None, url: str | None = None) -> str:
    """A new random token for this content (kept server-side until `ttl` or erasure)."""
    token = secrets.token_urlsafe(24)
    now = _now()
    with session_scope(url) as db:
        db.add(OpaqueLink(id=_digest(token), kind=kind, payload=payload, created_at=now, expires_at=now + ttl,
                          conversation_id=conversation_id or current_conversation.get(), reference=reference))
    return token


def resolve(kind: str, token: object, *, max_age: timedelta | None = None,
            url: str | None = None) -> dict[str, Any] | None:
    """The content of a live link of this kind; None when unknown, expired or erased. `max_age`
    shortens the life of the link for this reader (e.g. a page that accepts only recent links)."""
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        return None
    with session_scope(url) as db:
        link = db.get(OpaqueLink, _digest(token))
        if link is None or link.kind != kind:
            return None
        expires = link.expires_at if link.expires_at.tzinfo else link.expires_at.replace(tzinfo=timezone.utc)
        if expires <= _now():
            db.delete(link)
            return None
        if max_age is not None:
            created = link.created_at if link.created_at.tzinfo else link.created_at.replace(tzinfo=timezone.utc)
            if created + max_age <= _now():
                return None
        return dict(link.payload)


def erase_links(*, conversation_id: str | None = None, references: list[str] | None = None,
                url: str | None = None) -> int:
    """Delete the links made in this conversation or for these appointments; returns how many."""
    conditions = []
    if conversation_id:
        conditions.append(OpaqueLink.conversation_id == conversation_id)
    if references:
        conditions.append(OpaqueLink.reference.in_(references))
    if not conditions:
        return 0
    with session_scope(url) as db:
        return db.execute(delete(OpaqueLink).where(or_(*conditions))).rowcount


def purge_expired(now: datetime | None = None, *, url: str | None = None) -> int:
    with session_scope(url) as db:
        return db.execute(delete(OpaqueLink).where(OpaqueLink.expires_at < (now or _now()))).rowcount
