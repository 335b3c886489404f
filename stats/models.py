"""The anonymous counters table.

One row per (week, territory, commune, channel, mode, metric, key) with a count. Deliberately
absent: any sender or conversation id, any timestamp finer than the week, any free text. The
values of every dimension come from short closed lists (checked in stats/record.py), so nothing a
resident typed can land here.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base

UNKNOWN = "inconnu"  # territory or commune not given (or outside the département)

CHANNELS = ("web", "telegram", "guide", "rest", "shell")
MODES = ("self", "guide")

# metric -> what its `key` holds ("" when the metric has no key).
METRICS = {
    "conversation_started": "",
    "conversation_finished": "",
    "question_asked": "question id (optional)",
    "benefit_likely": "benefit id",
    "theme_likely": "benefit category",
    "appointment_requested": "request kind (optional): slot, callback, other_time",
}

# The columns that make a cell: the UPSERT conflicts on exactly these.
DIMENSIONS = ("week", "territory", "commune", "channel", "mode", "metric", "key")


class StatCount(Base):
    __tablename__ = "stat_counts"
    __table_args__ = (
        UniqueConstraint(*DIMENSIONS, name="uq_stat_counts_cell"),
        Index("ix_stat_counts_metric_week", "metric", "week"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[date] = mapped_column(Date)  # Monday of the ISO week (Europe/Paris)
    territory: Mapped[str] = mapped_column(String(16))  # EPCI SIREN code, or "inconnu"
    commune: Mapped[str] = mapped_column(String(8))  # INSEE code, or "inconnu"
    channel: Mapped[str] = mapped_column(String(16))  # one of CHANNELS
    mode: Mapped[str] = mapped_column(String(8))  # one of MODES
    metric: Mapped[str] = mapped_column(String(32))  # one of METRICS
    key: Mapped[str] = mapped_column(String(64), default="")  # see METRICS
    count: Mapped[int] = mapped_column(Integer, default=0)
