"""Dates shown to staff: converted to Europe/Paris and written the French way."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

_DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
_MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"]


def to_paris(value: datetime) -> datetime:
    """Naive datetimes are stored in UTC (SQLite drops the zone), so read them as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(PARIS)


def _time(value: datetime) -> str:
    return f"{value.hour} h {value.minute:02d}"


def french_date(value: date | datetime | None) -> str:
    """'mardi 3 décembre 2026' (a datetime is first moved to Paris time)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = to_paris(value).date()
    day = "1er" if value.day == 1 else str(value.day)
    return f"{_DAYS[value.weekday()]} {day} {_MONTHS[value.month - 1]} {value.year}"


def french_datetime(value: datetime | None) -> str:
    """'mardi 3 décembre 2026 à 14 h 30', in Paris time."""
    if value is None:
        return "—"
    local = to_paris(value)
    return f"{french_date(local.date())} à {_time(local)}"


def short_datetime(value: datetime | None) -> str:
    """'03/12/2026 14:30', in Paris time: for tables and the CSV export."""
    if value is None:
        return ""
    return to_paris(value).strftime("%d/%m/%Y %H:%M")


def paris_day_bounds_utc(day: date, end: bool = False) -> datetime:
    """The UTC instant where a Paris calendar day starts (or, with end=True, where the next one starts)."""
    local = datetime(day.year, day.month, day.day, tzinfo=PARIS)
    if end:
        local = datetime.fromordinal(day.toordinal() + 1).replace(tzinfo=PARIS)
    return local.astimezone(timezone.utc)
