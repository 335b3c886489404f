"""Free slots: recurring availability − booked − French public holidays − less than 2 hours ahead."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timezone

import pytest
from booking_support import sqlite_database

from booking.models import AppointmentRequest, SlotBooking, Team
from booking.slots import candidate_slots, free_slots, is_public_holiday, slot_at
from core.db import session_scope
from directory.loader import DATA_DIR, get_directory, load_directory

UTC = timezone.utc


@pytest.fixture
def friday_directory(tmp_path):
    """The real data plus a team open on Fridays (25 Dec 2026 and 1 Jan 2027 are Fridays)."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    (data / "teams" / "equipe-vendredi.yml").write_text(
        "id: equipe-vendredi\nname: Équipe du vendredi\nkind: other\nplaces: [fs-prefecture-nancy]\n"
        'availability:\n  slot_minutes: 60\n  weekly:\n    vendredi: ["14:00-16:00"]\nsources: [test]\n',
        encoding="utf-8",
    )
    return load_directory(data)


def _local_days(slots):
    return sorted({s.local_start.date() for s in slots})


def test_christmas_and_new_year_are_excluded(friday_directory):
    team = friday_directory.team("equipe-vendredi")
    slots = list(candidate_slots(team, date(2026, 12, 18), date(2027, 1, 15), friday_directory))
    days = _local_days(slots)
    assert date(2026, 12, 25) not in days
    assert date(2027, 1, 1) not in days
    assert days == [date(2026, 12, 18), date(2027, 1, 8), date(2027, 1, 15)]
    assert len(slots) == 6  # two one-hour slots per Friday


def test_alsace_moselle_days_are_not_applied(friday_directory):
    # Good Friday is a holiday in Moselle (57), not in Meurthe-et-Moselle (54).
    assert not is_public_holiday(date(2027, 3, 26))
    assert not is_public_holiday(date(2026, 12, 26))
    team = friday_directory.team("equipe-vendredi")
    days = _local_days(candidate_slots(team, date(2027, 3, 26), date(2027, 3, 26), friday_directory))
    assert days == [date(2027, 3, 26)]


def test_outreach_team_wednesdays_skip_armistice_and_follow_daylight_saving():
    directory = get_directory()
    team = directory.team("avec-vous-saint-max")
    slots = list(candidate_slots(team, date(2026, 11, 1), date(2026, 11, 30), directory))
    assert _local_days(slots) == [date(2026, 11, 4), date(2026, 11, 18), date(2026, 11, 25)]  # not 11 Nov
    assert slots[0].start == datetime(2026, 11, 4, 8, 0, tzinfo=UTC)  # 9:00 in Paris, winter time
    assert slots[0].label == "mercredi 4 novembre à 9 h"
    summer = list(candidate_slots(team, date(2027, 4, 7), date(2027, 4, 7), directory))
    assert summer[0].start == datetime(2027, 4, 7, 7, 0, tzinfo=UTC)  # 9:00 in Paris, summer time
    assert [s.local_start.strftime("%H:%M") for s in summer] == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]


def test_booked_slots_and_short_notice_are_removed(tmp_path):
    url = sqlite_database(tmp_path)
    now = datetime(2026, 12, 2, 7, 45, tzinfo=UTC)  # Wednesday 8:45 in Paris
    with session_scope(url) as s:
        s.add(Team(id="avec-vous-saint-max", name="Équipe"))
        req = AppointmentRequest(reference="AV-2222", team_id="avec-vous-saint-max", kind="slot",
                                 first_name="Awa", contact_channel="web")
        s.add(req)
        s.flush()
        s.add(SlotBooking(team_id="avec-vous-saint-max", slot_start=datetime(2026, 12, 2, 10, 30, tzinfo=UTC),
                          request_id=req.id))
    with session_scope(url) as s:
        slots = free_slots(s, "avec-vous-saint-max", now=now, weeks=1)
    starts = [sl.start for sl in slots]
    # 8:45 + 2 h = 10:45 Paris: the first free slot that day is 11:00; 11:30 is booked.
    assert starts[0] == datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    assert datetime(2026, 12, 2, 10, 30, tzinfo=UTC) not in starts
    assert starts[1] == datetime(2026, 12, 9, 8, 0, tzinfo=UTC)
    assert all(s.start.tzinfo is not None for s in slots)


def test_slot_at_refuses_times_that_are_not_offered():
    now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert slot_at("avec-vous-saint-max", datetime(2026, 12, 2, 8, 30, tzinfo=UTC), now=now) is not None
    assert slot_at("avec-vous-saint-max", datetime(2026, 12, 2, 8, 40, tzinfo=UTC), now=now) is None  # off-grid
    assert slot_at("avec-vous-saint-max", datetime(2026, 12, 3, 8, 30, tzinfo=UTC), now=now) is None  # Thursday
    assert slot_at("avec-vous-saint-max", datetime(2026, 11, 11, 8, 30, tzinfo=UTC),
                   now=datetime(2026, 11, 1, tzinfo=UTC)) is None  # holiday


def test_team_without_known_hours_has_no_slots(tmp_path):
    url = sqlite_database(tmp_path)
    with session_scope(url) as s:
        assert free_slots(s, "mds-grand-nancy-nord-est", now=datetime(2026, 11, 26, tzinfo=UTC)) == []
