"""Database models of the booking domain (SQLAlchemy 2 declarative, shared `Base` from core.db).

Names here are a contract with `staff/` (the staff web app) and `migrations/`: keep them stable.
All datetimes are stored as timezone-aware UTC; display converts to Europe/Paris.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base

# Allowed values, kept as tuples so forms and validation can reuse them.
STAFF_ROLES = ("staff", "admin")
REQUEST_KINDS = ("slot", "callback", "other_time")
CONTACT_CHANNELS = ("telegram", "web", "phone")
REQUEST_STATUSES = ("new", "contacted", "held", "no_show", "cancelled")

# French labels shown to staff (the values above stay English in the database).
STATUS_LABELS = {
    "new": "Nouvelle demande",
    "contacted": "Personne contactée",
    "held": "Rendez-vous tenu",
    "no_show": "Personne absente",
    "cancelled": "Annulé",
}
KIND_LABELS = {
    "slot": "Rendez-vous sur un créneau",
    "callback": "Être rappelé(e)",
    "other_time": "Autre moment à convenir",
}
CHANNEL_LABELS = {"telegram": "Telegram", "web": "Site web", "phone": "Téléphone"}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A datetime always stored as UTC and always read back timezone-aware (UTC).

    SQLite keeps no offset, so values are normalised to naive UTC before storage; this also makes
    the UNIQUE (team_id, slot_start) constraint compare like with like. Naive input is taken as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Team(Base):
    """A team residents can meet. `id` is the directory team id (directory/data/teams/<id>.yml);
    rows are created/updated by `python -m booking.cli sync-teams`."""

    __tablename__ = "teams"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="")
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    telegram_chat_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    notify_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    staff_users: Mapped[list[StaffUser]] = relationship(back_populates="team")
    requests: Mapped[list[AppointmentRequest]] = relationship(back_populates="team")


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="staff")  # one of STAFF_ROLES
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    team: Mapped[Team | None] = relationship(back_populates="staff_users")


class AppointmentRequest(Base):
    """A resident's request: a booked slot, a call-back, or "another time" to agree on."""

    __tablename__ = "appointment_requests"
    __table_args__ = (
        Index("ix_appointment_requests_team_status", "team_id", "status"),
        Index("ix_appointment_requests_notify", "notified_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # e.g. "AV-7K3P"
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"))
    slot_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # UTC
    kind: Mapped[str] = mapped_column(String(16))  # one of REQUEST_KINDS
    first_name: Mapped[str] = mapped_column(String(60))
    contact_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)  # E.164
    contact_channel: Mapped[str] = mapped_column(String(16))  # one of CONTACT_CHANNELS
    telegram_chat_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    conversation_id: Mapped[str | None] = mapped_column(String(128), nullable=True)  # Rasa sender id
    preferred_time_note: Mapped[str | None] = mapped_column(String(300), nullable=True)  # "other_time"
    consent_summary: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)  # only if consent_summary
    likely_benefits: Mapped[list | None] = mapped_column(JSON, nullable=True)  # only if consent_summary
    urgent_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="new")  # one of REQUEST_STATUSES
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Outbox for the team notification: NULL = still to send (retried by booking.notify).
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    notify_attempts: Mapped[int] = mapped_column(Integer, default=0)
    notify_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # retry not before
    notify_last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)  # never personal data

    team: Mapped[Team] = relationship(back_populates="requests")
    status_changes: Mapped[list[StatusChange]] = relationship(
        back_populates="request", order_by="StatusChange.at", cascade="all, delete-orphan"
    )
    slot_booking: Mapped[SlotBooking | None] = relationship(
        back_populates="request", cascade="all, delete-orphan", uselist=False
    )


class StatusChange(Base):
    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("appointment_requests.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)  # None = resident/system
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    request: Mapped[AppointmentRequest] = relationship(back_populates="status_changes")
    by_user: Mapped[StaffUser | None] = relationship()


class SlotBooking(Base):
    """One row per taken slot. The UNIQUE (team_id, slot_start) constraint is what guarantees a slot
    is booked at most once, even with concurrent requests. Cancelling deletes the row."""

    __tablename__ = "slot_bookings"
    __table_args__ = (UniqueConstraint("team_id", "slot_start", name="uq_slot_bookings_team_slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"))
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime())  # UTC
    request_id: Mapped[int] = mapped_column(
        ForeignKey("appointment_requests.id", ondelete="CASCADE"), unique=True
    )

    request: Mapped[AppointmentRequest] = relationship(back_populates="slot_booking")
