"""Database rows of the follow-up: one row per message to send, and the lease that makes the
periodic job run in one web process at a time.

A follow-up holds no message text: the resident's answer is one value of ANSWERS, plus a reason
chosen from REASONS (never free text), so the rows can feed anonymous statistics.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from booking.models import UTCDateTime, utcnow
from core.db import Base

CHANNELS = ("telegram", "email", "web")
STEPS = (6, 30)  # days after the booking or the simulation
ANSWERS = ("yes", "not_yet", "need_help", "no")
ANSWER_LABELS = {
    "yes": "Oui",
    "not_yet": "Pas encore",
    "need_help": "J'ai besoin d'aide",
    "no": "Non",
}
REASONS = ("too_complicated", "missing_documents", "no_answer", "not_eligible", "changed_mind", "other")
REASON_LABELS = {
    "too_complicated": "C'est trop compliqué",
    "missing_documents": "Il me manque des papiers",
    "no_answer": "Je n'ai pas eu de réponse",
    "not_eligible": "On m'a dit que je n'y ai pas droit",
    "changed_mind": "Je ne le souhaite plus",
    "other": "Autre raison",
}


class FollowUp(Base):
    __tablename__ = "followups"
    __table_args__ = (Index("ix_followups_due", "sent_at", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # in buttons and e-mail links
    batch: Mapped[str] = mapped_column(String(32), index=True)  # the 6- and 30-day messages of one consent
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment_requests.id", ondelete="SET NULL"), nullable=True)
    step: Mapped[int] = mapped_column(Integer)  # one of STEPS
    channel: Mapped[str] = mapped_column(String(16))  # one of CHANNELS
    telegram_chat_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    conversation_id: Mapped[str | None] = mapped_column(String(128), nullable=True)  # widget, on return
    first_name: Mapped[str | None] = mapped_column(String(60), nullable=True)
    commune: Mapped[str | None] = mapped_column(String(8), nullable=True)  # INSEE code, for "besoin d'aide"
    benefits: Mapped[list | None] = mapped_column(JSON, nullable=True)  # benefit ids the resident may ask for
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)  # never personal data
    answer: Mapped[str | None] = mapped_column(String(16), nullable=True)  # one of ANSWERS
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)  # one of REASONS
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment_requests.id", ondelete="SET NULL"), nullable=True)  # "besoin d'aide"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class JobLease(Base):
    """One row per periodic job: the process holding an unexpired lease runs it, others skip.
    Taken with a conditional UPDATE, so it works the same on SQLite and PostgreSQL."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)
