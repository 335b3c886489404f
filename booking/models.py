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
# The workflow shared by every team a request goes through (staff/transitions.py says which
# moves are allowed): reçue, prise en charge, transmise, rendez-vous fait, then an outcome.
REQUEST_STATUSES = (
    "new", "contacted", "transferred", "held", "no_show",
    "rights_opened", "rights_refused", "abandoned", "cancelled",
)
FINAL_STATUSES = ("rights_opened", "rights_refused", "abandoned", "cancelled")
OUTCOME_STATUSES = ("rights_opened", "rights_refused", "abandoned")
TEAM_ORIGINS = ("directory", "staff")  # who created the row; the database is the truth after that
CONTACT_PREFERENCES = ("phone", "sms", "telegram", "email", "visit")

# French labels shown to staff (the values above stay English in the database).
STATUS_LABELS = {
    "new": "Nouvelle demande",
    "contacted": "Personne contactée",
    "transferred": "Transmise à une autre équipe",
    "held": "Rendez-vous tenu",
    "no_show": "Personne absente",
    "rights_opened": "Droits ouverts",
    "rights_refused": "Droits refusés",
    "abandoned": "Abandon",
    "cancelled": "Annulé",
}
CONTACT_PREFERENCE_LABELS = {
    "phone": "Appel téléphonique",
    "sms": "SMS",
    "telegram": "Message Telegram",
    "email": "E-mail",
    "visit": "Passer sur place",
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
    """A team residents can meet or a partner requests are transferred to (CCAS, CAF, MDS...).

    The directory (directory/data/teams/<id>.yml) only *seeds* rows: `python -m booking.cli
    sync-teams` creates the teams it does not find and never touches an existing row, so a team
    created or switched off in /staff/admin/teams stays as the admin left it."""

    __tablename__ = "teams"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="")
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    telegram_chat_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    notify_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # "directory" when seeded from the YAML, "staff" when created in the admin page or the CLI.
    origin: Mapped[str] = mapped_column(String(16), default="staff", server_default="directory")
    commune: Mapped[str | None] = mapped_column(String(8), nullable=True)  # INSEE code, for transfers
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    staff_users: Mapped[list[StaffUser]] = relationship(back_populates="team")
    requests: Mapped[list[AppointmentRequest]] = relationship(
        back_populates="team", foreign_keys="AppointmentRequest.team_id")


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
    urgent_situations: Mapped[list | None] = mapped_column(JSON, nullable=True)  # ids of urgent/data/situations.yml
    to_check: Mapped[list | None] = mapped_column(JSON, nullable=True)  # benefit ids a person must check (consent)
    contact_preference: Mapped[str | None] = mapped_column(String(16), nullable=True)  # CONTACT_PREFERENCES
    best_times: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # An e-mail the resident chose to leave (guide mode): news of the request (a transfer) and the follow-up.
    contact_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    commune: Mapped[str | None] = mapped_column(String(8), nullable=True)  # INSEE code (nearest team)
    # Booked by a volunteer in guide mode on behalf of the resident in front of them.
    prescripteur_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    consent_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    followup_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Partners: the team it was first booked with, and a request born from another (follow-up).
    origin_team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"), nullable=True)
    parent_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment_requests.id", ondelete="SET NULL"), nullable=True)
    first_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Outcome: reason of a refusal/abandon, when the outcome happened, which rights were opened.
    closing_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    outcome_on: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    rights_opened: Mapped[list | None] = mapped_column(JSON, nullable=True)  # benefit ids
    status: Mapped[str] = mapped_column(String(16), default="new")  # one of REQUEST_STATUSES
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Outbox for the team notification: NULL = still to send (retried by booking.notify).
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    notify_attempts: Mapped[int] = mapped_column(Integer, default=0)
    notify_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # retry not before
    notify_last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)  # never personal data

    team: Mapped[Team] = relationship(back_populates="requests", foreign_keys=[team_id])
    status_changes: Mapped[list[StatusChange]] = relationship(
        back_populates="request", order_by="StatusChange.at", cascade="all, delete-orphan"
    )
    slot_booking: Mapped[SlotBooking | None] = relationship(
        back_populates="request", cascade="all, delete-orphan", uselist=False
    )
    transfers: Mapped[list[RequestTransfer]] = relationship(
        back_populates="request", order_by="RequestTransfer.at", cascade="all, delete-orphan"
    )


class StatusChange(Base):
    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("appointment_requests.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)  # None = resident/system
    team_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the team that acted
    reverts_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # an admin undid that change
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


class RequestTransfer(Base):
    """A request handed from one team to another, with a note. The receiving team becomes the
    owner (`AppointmentRequest.team_id`); every earlier team keeps read access to the history."""

    __tablename__ = "request_transfers"
    __table_args__ = (Index("ix_request_transfers_from_team", "from_team_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("appointment_requests.id", ondelete="CASCADE"), index=True)
    from_team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"))
    to_team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Outbox of the message telling the resident (NULL = still to send, retried by booking.notify).
    resident_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resident_notify_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Outbox of the message telling the receiving team.
    team_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    team_notify_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # How the resident is told (booking.transfer_notify.RESIDENT_CHANNELS), set at the first delivery:
    # "web" waits for the widget (shown after the greeting), "phone" for a staff member who ticks
    # "personne prévenue" (then resident_informed_by_id says who).
    resident_channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    resident_informed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)

    request: Mapped[AppointmentRequest] = relationship(back_populates="transfers")
    from_team: Mapped[Team] = relationship(foreign_keys=[from_team_id])
    to_team: Mapped[Team] = relationship(foreign_keys=[to_team_id])
    by_user: Mapped[StaffUser | None] = relationship(foreign_keys=[by_user_id])
