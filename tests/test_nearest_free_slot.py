"""When the usual team has no free slot soon, the nearest team that has one is offered (with the
call-back), instead of the call-back only (issue 15)."""

from __future__ import annotations

from booking_support import NOW, sqlite_database
from sqlalchemy import select

from booking import service
from booking.models import AppointmentRequest, SlotBooking, Team
from booking.slots import free_slots, nearest_free_slot
from core.db import session_scope
from directory.loader import get_directory
from directory.nearest import find_teams

NANCY = "54395"


def _fill(url: str, team_id: str) -> int:
    """Book every free slot of the team for the coming weeks (like twenty residents would)."""
    with session_scope(url) as s:
        slots = free_slots(s, team_id, now=NOW)
    for slot in slots:
        service.book_slot(team_id=team_id, slot_start=slot.start, first_name="Awa", contact_phone="0612345678",
                          now=NOW, url=url)
    return len(slots)


def test_full_team_gives_way_to_the_nearest_team_with_a_free_slot(tmp_path):
    url = sqlite_database(tmp_path)
    first = find_teams(commune=NANCY, bookable_only=True)[0].team.id
    with session_scope(url) as s:
        offer = nearest_free_slot(s, commune=NANCY, now=NOW)
    assert offer.match.team.id == first  # free slots: the usual team

    assert _fill(url, first) > 0
    with session_scope(url) as s:
        assert free_slots(s, first, now=NOW) == []
        offer = nearest_free_slot(s, commune=NANCY, now=NOW)
    assert offer is not None and offer.match.team.id != first
    assert offer.first_slot.start >= NOW
    assert get_directory().team(offer.match.team.id).bookable


def test_team_switched_off_in_the_database_is_not_offered(tmp_path):
    url = sqlite_database(tmp_path)
    first = find_teams(commune=NANCY, bookable_only=True)[0].team.id
    service.book_callback(team_id=first, first_name="Awa", contact_phone="0612345678", url=url)
    with session_scope(url) as s:
        s.get(Team, first).active = False
    with session_scope(url) as s:
        offer = nearest_free_slot(s, commune=NANCY, now=NOW)
        assert offer is None or offer.match.team.id != first
        assert s.scalar(select(AppointmentRequest.id)) and s.scalar(select(SlotBooking.id)) is None
