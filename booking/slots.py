"""Free meeting slots of a team: recurring availability − booked slots − French public holidays −
slots less than 2 hours ahead. Times are computed in Europe/Paris and handled/stored in UTC."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.models import SlotBooking
from directory.loader import Directory, get_directory
from directory.schema import WEEKDAYS, Team

PARIS = ZoneInfo("Europe/Paris")
MIN_NOTICE = timedelta(hours=2)
DEFAULT_WEEKS = 4

_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)


@dataclass(frozen=True)
class Slot:
    team_id: str
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC
    place_id: str

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(PARIS)

    @property
    def label(self) -> str:
        """'mercredi 2 décembre à 9 h 30'."""
        return format_local(self.start)


def format_local(moment: datetime, with_year: bool = False) -> str:
    local = moment.astimezone(PARIS)
    day = "1er" if local.day == 1 else str(local.day)
    year = f" {local.year}" if with_year else ""
    hour = f"{local.hour} h" + (f" {local.minute:02d}" if local.minute else "")
    return f"{WEEKDAYS[local.weekday()]} {day} {_MONTHS[local.month - 1]}{year} à {hour}"


_holidays_lock = threading.Lock()


@lru_cache(maxsize=16)
def _holidays_of(year: int) -> holidays.HolidayBase:
    # No subdivision: the extra Alsace-Moselle days (Good Friday, 26 December) do not apply in the 54.
    return holidays.France(years=year)


def _holidays(year: int) -> holidays.HolidayBase:
    with _holidays_lock:  # built once per year even when many threads ask at the same time
        return _holidays_of(year)


def is_public_holiday(day: date) -> bool:
    return day in _holidays(day.year)


def to_utc(moment: datetime) -> datetime:
    """Aware -> UTC; naive is taken as UTC (the database convention)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def candidate_slots(team: Team, first_day: date, last_day: date, directory: Directory) -> Iterator[Slot]:
    """Every slot of the recurring availability between two local dates (inclusive), holidays excluded."""
    avail = team.availability
    if not avail or not any(avail.weekly.values()):
        return
    place_id = directory.meeting_place(team).id
    step = timedelta(minutes=avail.slot_minutes)
    closed = set(avail.closed_dates)
    day = first_day
    while day <= last_day:
        usable = (
            (avail.valid_from is None or day >= avail.valid_from)
            and (avail.valid_until is None or day <= avail.valid_until)
            and day not in closed
            and not is_public_holiday(day)
        )
        for rng in avail.weekly.get(WEEKDAYS[day.weekday()], []) if usable else []:
            start = datetime.combine(day, rng.start, tzinfo=PARIS)
            end_of_range = datetime.combine(day, rng.end, tzinfo=PARIS)
            while start + step <= end_of_range:
                yield Slot(team.id, start.astimezone(timezone.utc), (start + step).astimezone(timezone.utc), place_id)
                start += step
        day += timedelta(days=1)


def booked_starts(session: Session, team_id: str, start: datetime, end: datetime) -> set[datetime]:
    rows = session.scalars(
        select(SlotBooking.slot_start).where(
            SlotBooking.team_id == team_id, SlotBooking.slot_start >= start, SlotBooking.slot_start <= end
        )
    )
    return {to_utc(r) for r in rows}


def _team(team: Team | str, directory: Directory) -> Team:
    if isinstance(team, Team):
        return team
    found = directory.team(team)
    if found is None:
        raise KeyError(f"unknown team {team!r}")
    return found


def free_slots(
    session: Session,
    team: Team | str,
    *,
    weeks: int = DEFAULT_WEEKS,
    now: datetime | None = None,
    limit: int | None = None,
    directory: Directory | None = None,
) -> list[Slot]:
    """The free slots of a team for the coming `weeks`, earliest first."""
    directory = directory or get_directory()
    team = _team(team, directory)
    now = to_utc(now or datetime.now(timezone.utc))
    earliest = now + MIN_NOTICE
    first_day = now.astimezone(PARIS).date()
    last_day = first_day + timedelta(weeks=weeks)
    candidates = [s for s in candidate_slots(team, first_day, last_day, directory) if s.start >= earliest]
    if not candidates:
        return []
    taken = booked_starts(session, team.id, candidates[0].start, candidates[-1].start)
    free = [s for s in candidates if s.start not in taken]
    return free[:limit] if limit else free


def slot_at(
    team: Team | str, start: datetime, *, now: datetime | None = None, directory: Directory | None = None
) -> Slot | None:
    """The slot starting at `start` if it exists in the team's availability and is not too soon
    (booked or not); None otherwise."""
    directory = directory or get_directory()
    team = _team(team, directory)
    start = to_utc(start)
    now = to_utc(now or datetime.now(timezone.utc))
    if start < now + MIN_NOTICE:
        return None
    day = start.astimezone(PARIS).date()
    return next((s for s in candidate_slots(team, day, day, directory) if s.start == start), None)


def next_days_with_slots(slots: list[Slot]) -> list[date]:
    """Local dates that have at least one free slot, in order (for "which day suits you?")."""
    seen: list[date] = []
    for s in slots:
        d = s.local_start.date()
        if d not in seen:
            seen.append(d)
    return seen



@dataclass(frozen=True)
class SlotOffer:
    """A team near the resident with a free slot soon: offered next to the call-back."""

    match: object  # directory.nearest.TeamMatch
    first_slot: Slot


def nearest_free_slot(
    session: Session,
    *,
    commune: str | None = None,
    postcode: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    within_days: int = 14,
    max_km: float = 25.0,
    exclude_team: str | None = None,
    now: datetime | None = None,
    directory: Directory | None = None,
) -> SlotOffer | None:
    """The best team (sector first, then distance: directory.nearest.find_teams) that has a free
    slot within `within_days`, no further than `max_km`. When the usual team is full, the bot
    offers this one *and* the call-back, so nobody is left with the call-back only. Teams switched
    off in the database are skipped."""
    from booking.teams import is_bookable_row  # noqa: PLC0415 (booking.teams imports this module's package)
    from directory.nearest import find_teams  # noqa: PLC0415

    directory = directory or get_directory()
    now = to_utc(now or datetime.now(timezone.utc))
    limit = now + timedelta(days=within_days)
    for match in find_teams(commune=commune, postcode=postcode, lat=lat, lon=lon, bookable_only=True,
                            directory=directory):
        if match.team.id == exclude_team or not is_bookable_row(session, match.team.id):
            continue
        if match.distance_km is not None and match.distance_km > max_km and not match.covered:
            continue
        weeks = max(1, -(-within_days // 7))
        free = [s for s in free_slots(session, match.team, weeks=weeks, now=now, directory=directory)
                if s.start <= limit]
        if free:
            return SlotOffer(match, free[0])
    return None
