"""Booking service: book, call-back, cancel, reschedule, look-up; input checks; .ics; CLI."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import ics as icslib
import pytest
from booking_support import NOW, db_url, sqlite_database  # noqa: F401  (db_url is a fixture)
from sqlalchemy import func, select

from booking import cli, service
from booking.contacts import clean_first_name, display_phone, normalize_phone
from booking.errors import InvalidInput, RequestClosed, RequestNotFound, SlotTaken, SlotUnavailable
from booking.ics import invitation
from booking.models import AppointmentRequest, SlotBooking, StaffUser, StatusChange
from booking.passwords import hash_password, needs_rehash, verify_password
from booking.references import normalize_reference
from core.db import session_scope

UTC = timezone.utc
TEAM = "avec-vous-saint-max"
SLOT = datetime(2026, 12, 2, 8, 30, tzinfo=UTC)  # Wednesday 2 Dec 2026, 9:30 in Paris
SLOT2 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def book(url, slot=SLOT, **kw):
    values = dict(team_id=TEAM, slot_start=slot, first_name="Awa", contact_phone="06 12 34 56 78",
                  contact_channel="web", now=NOW, url=url)
    values.update(kw)
    return service.book_slot(**values)


@pytest.mark.parametrize("raw", ["06 12 34 56 78", "+33612345678", "0612345678", "06.12.34.56.78", "+33 6 12 34 56 78"])
def test_french_phone_formats_are_accepted(raw):
    assert normalize_phone(raw) == "+33612345678"
    assert display_phone("+33612345678") == "06 12 34 56 78"


@pytest.mark.parametrize("raw", ["", "12", "06 12 34", "bonjour", "00 00 00 00 00"])
def test_invalid_phone_gets_a_french_message(raw):
    with pytest.raises(InvalidInput) as err:
        normalize_phone(raw)
    assert "numéro" in str(err.value)


def test_first_name_is_kept_as_typed_but_trimmed():
    assert clean_first_name("  Marie   Ève ") == "Marie Ève"
    assert clean_first_name("<b>Zoé</b>") == "<b>Zoé</b>"  # escaping is the web layer's job
    with pytest.raises(InvalidInput, match="prénom"):
        clean_first_name("   ")
    with pytest.raises(InvalidInput, match="trop long"):
        clean_first_name("A" * 61)


def test_reference_normalisation():
    assert normalize_reference(" av 7k3p ") == "AV-7K3P"
    assert normalize_reference("AV-7K3P") == "AV-7K3P"
    assert normalize_reference("7k3p") == "AV-7K3P"
    assert normalize_reference("AV-7K3") is None
    assert normalize_reference("AV-0OIL") is None  # confusable characters are never issued


def test_book_slot_stores_request_and_slot(db_url):  # noqa: F811
    req = book(db_url, consent_summary=False, summary="secret", likely_benefits=["rsa"])
    assert re.fullmatch(r"AV-[2-9A-HJKMNP-Z]{4}", req.reference)
    assert req.contact_phone == "+33612345678" and req.status == "new" and req.kind == "slot"
    assert req.summary is None and req.likely_benefits is None  # no consent, nothing kept
    with session_scope(db_url) as s:
        booking = s.scalar(select(SlotBooking))
        assert booking.slot_start == SLOT and booking.request_id == req.id
        assert s.scalar(select(StatusChange.to_status).where(StatusChange.request_id == req.id)) == "new"
    found = service.find_by_reference(req.reference.lower(), url=db_url)
    assert found.id == req.id and found.slot_start == SLOT and found.team.id == TEAM
    assert found.notified_at is None  # waiting in the outbox


def test_consented_summary_is_kept(db_url):  # noqa: F811
    req = book(db_url, consent_summary=True, summary={"age": 67}, likely_benefits=["aspa"])
    assert req.summary == '{"age": 67}'
    # Stored with the catalogue's name (issue 15: staff read names, never ids).
    assert [(b["id"], b["name"]) for b in req.likely_benefits] == [("aspa", "Minimum vieillesse (ASPA)")]


def test_second_booking_of_a_slot_gets_three_alternatives(db_url):  # noqa: F811
    book(db_url)
    with pytest.raises(SlotTaken) as err:
        book(db_url, first_name="Paul", contact_phone="0698765432")
    alternatives = err.value.alternatives
    assert len(alternatives) == 3
    assert SLOT not in [a.start for a in alternatives]
    assert [a.start for a in alternatives] == sorted(a.start for a in alternatives)
    assert "vient d'être pris" in str(err.value)
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(AppointmentRequest)) == 1


def test_times_not_offered_are_refused(tmp_path):
    url = sqlite_database(tmp_path)
    with pytest.raises(SlotUnavailable) as err:
        book(url, slot=datetime(2026, 12, 3, 8, 30, tzinfo=UTC))  # a Thursday
    assert len(err.value.alternatives) == 3
    with pytest.raises(SlotUnavailable):
        book(url, slot=SLOT, now=datetime(2026, 12, 2, 7, 0, tzinfo=UTC))  # 1 h 30 ahead only
    with pytest.raises(InvalidInput):
        book(url, contact_phone="123")


def test_callback_and_other_time(tmp_path):
    url = sqlite_database(tmp_path)
    req = service.book_callback(team_id="mds-grand-nancy-nord-est", first_name="Léa", contact_phone="0612345678",
                                url=url, urgent_flag=True)
    assert req.kind == "callback" and req.slot_start is None and req.urgent_flag
    other = service.book_callback(team_id=TEAM, first_name="Léa", contact_phone="0612345678", kind="other_time",
                                  preferred_time_note="  le jeudi   après 17 h ", url=url)
    assert other.preferred_time_note == "le jeudi après 17 h"
    with pytest.raises(InvalidInput):
        service.book_callback(team_id=TEAM, first_name="Léa", contact_phone="", url=url)


def test_telegram_booking_without_phone(tmp_path):
    url = sqlite_database(tmp_path)
    req = book(url, contact_phone=None, contact_channel="telegram", telegram_chat_id=987654)
    assert req.contact_phone is None and req.telegram_chat_id == "987654"
    assert service.cancel(req.reference, contact=987654, url=url).status == "cancelled"


def test_cancel_checks_contact_and_frees_the_slot(db_url):  # noqa: F811
    req = book(db_url)
    with pytest.raises(RequestNotFound):
        service.cancel(req.reference, contact="0699999999", url=db_url)
    with pytest.raises(RequestNotFound):
        service.cancel("AV-ZZZZ", contact="0612345678", url=db_url)
    cancelled = service.cancel(req.reference, contact="+33 6 12 34 56 78", url=db_url)
    assert cancelled.status == "cancelled"
    with pytest.raises(RequestClosed):
        service.cancel(req.reference, contact="0612345678", url=db_url)
    again = book(db_url, first_name="Paul")  # the slot is free again
    assert again.slot_start == SLOT


def test_reschedule_moves_the_booking(db_url):  # noqa: F811
    first = book(db_url)
    other = book(db_url, slot=SLOT2, first_name="Paul")
    with pytest.raises(SlotTaken):
        service.reschedule(first.reference, SLOT2, contact="0612345678", now=NOW, url=db_url)
    assert service.find_by_reference(first.reference, url=db_url).slot_start == SLOT  # unchanged
    later = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
    moved = service.reschedule(first.reference, later, contact="0612345678", now=NOW, url=db_url)
    assert moved.slot_start == later
    with session_scope(db_url) as s:
        starts = sorted(s.scalars(select(SlotBooking.slot_start)))
    assert starts == [SLOT2, later]
    assert book(db_url, first_name="Zoé").slot_start == SLOT  # the old slot is free
    assert other.reference != first.reference


def test_callback_can_become_a_slot(tmp_path):
    url = sqlite_database(tmp_path)
    req = service.book_callback(team_id=TEAM, first_name="Léa", contact_phone="0612345678", url=url)
    moved = service.reschedule(req.reference, SLOT, contact="0612345678", now=NOW, url=url)
    assert moved.kind == "slot" and moved.slot_start == SLOT


def test_staff_cancellation_frees_the_slot(tmp_path):
    url = sqlite_database(tmp_path)
    req = book(url)
    service.change_status(req.id, "contacted", by_user_id=None, url=url)
    service.change_status(req.id, "cancelled", note="La personne a appelé", url=url)
    with session_scope(url) as s:
        assert s.scalar(select(func.count()).select_from(SlotBooking)) == 0
        history = [c.to_status for c in s.scalars(select(StatusChange).order_by(StatusChange.id))]
    assert history == ["new", "contacted", "cancelled"]


def test_ics_invitation(tmp_path):
    url = sqlite_database(tmp_path)
    req = book(url)
    text = invitation(req)
    event = next(iter(icslib.Calendar(text).events))
    assert event.begin.datetime == SLOT
    assert "Saint-Max" in event.location
    assert "pièce d'identité" in event.description and req.reference in event.description
    assert "mercredi 2 décembre 2026 à 9 h 30" in event.description
    with pytest.raises(ValueError):
        invitation(service.book_callback(team_id=TEAM, first_name="Léa", contact_phone="0612345678", url=url))


def test_passwords():
    hashed = hash_password("un mot de passe solide")
    assert verify_password(hashed, "un mot de passe solide")
    assert not verify_password(hashed, "un autre")
    assert not verify_password("pas-un-hash", "x")
    assert not needs_rehash(hashed)


def test_cli_sync_teams_and_users(tmp_path, capsys):
    url = sqlite_database(tmp_path)
    assert cli.main(["--database-url", url, "sync-teams"]) == 0
    assert re.search(r"\d+ équipe\(s\) à jour", capsys.readouterr().out)
    cli.main(["--database-url", url, "create-user", "Alice@Exemple.fr", "Alice", "--team", TEAM,
              "--password", "mot-de-passe-long"])
    with pytest.raises(SystemExit, match="existe déjà"):
        cli.main(["--database-url", url, "create-user", "alice@exemple.fr", "Alice", "--password", "mot-de-passe-long"])
    with pytest.raises(SystemExit, match="au moins"):
        cli.main(["--database-url", url, "reset-password", "alice@exemple.fr", "--password", "court"])
    cli.main(["--database-url", url, "reset-password", "alice@exemple.fr", "--password", "nouveau-mot-de-passe"])
    with session_scope(url) as s:
        user = s.scalar(select(StaffUser))
        assert user.email == "alice@exemple.fr" and user.team_id == TEAM and user.role == "staff"
        assert verify_password(user.password_hash, "nouveau-mot-de-passe")
    cli.main(["--database-url", url, "list-teams"])
    out = capsys.readouterr().out
    assert "avec-vous-saint-max" in out and "créneaux" in out
