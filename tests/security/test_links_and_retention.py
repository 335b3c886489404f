"""Attacks on the links given to residents, and what retention leaves behind: each must fail."""

from __future__ import annotations

import base64
import zlib
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from booking.db_setup import upgrade_database
from booking.ics_links import ics_url, reference_from_token
from booking.models import AppointmentRequest, StatusChange, Team
from core.db import session_scope
from core.settings import get_settings
from guide.summary_links import read_summary_token, summary_url
from privacy import links, retention
from privacy.erase import erase_everything

PROFILE = {"age": 34, "household": "single", "children_count": 1, "children_ages": [4], "income_monthly": 640,
           "housing": "tenant", "rent": 450, "work": "unemployed", "disability": "yes_adult", "commune": "54395"}
SENDER = "web-00112233445566778899aabbccddeeff"


@pytest.fixture
def db_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("AVECVOUS_RUN_DIR", str(tmp_path / "run"))
    get_settings.cache_clear()
    upgrade_database(url)
    with session_scope(url) as db:
        db.add(Team(id="equipe-a", name="Équipe A"))
    yield url
    get_settings.cache_clear()


class NoTrackers:
    def erase_sender(self, sender_id: str, up_to: float | None = None) -> int:
        return 0

    def close(self) -> None:
        pass


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1].removesuffix(".ics")


def _decodings(token: str) -> list[str]:
    """Everything an attacker could read from the token: as is, base64, base64 + zlib."""
    out = [token]
    for part in token.split("."):
        try:
            raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except ValueError:
            continue
        out.append(raw.decode("latin-1"))
        try:
            out.append(zlib.decompress(raw).decode("latin-1"))
        except zlib.error:
            pass
    return out


def test_summary_link_says_nothing_about_the_person(db_url):
    token = links.current_conversation.set(SENDER)
    try:
        url = summary_url(PROFILE, "AV-7K3P")
    finally:
        links.current_conversation.reset(token)
    for text in _decodings(_token(url)):
        for secret in ("54395", "AV-7K3P", "aah", "rsa", "rqth", "640", "apl"):
            assert secret not in text.lower()
    data = read_summary_token(_token(url))
    assert data is not None  # the content is on the server


def test_tampered_expired_and_erased_summary_links_open_nothing(db_url, monkeypatch):
    token = links.current_conversation.set(SENDER)
    try:
        url = summary_url(PROFILE)
        other = summary_url(PROFILE)
    finally:
        links.current_conversation.reset(token)
    good = _token(url)
    for bad in (good[:-1] + ("A" if good[-1] != "A" else "B"), good + "x", "", "../../etc/passwd", "a" * 5000):
        assert read_summary_token(bad) is None
    from web.app import create_app

    with TestClient(create_app()) as client:
        assert client.get("/resume/" + good[:-2] + "zz").status_code == 404
        assert client.get("/resume/" + good).status_code == 200
    later = datetime.now(timezone.utc) + timedelta(days=31)
    real_now = links._now
    monkeypatch.setattr(links, "_now", lambda: later)
    assert read_summary_token(good) is None  # expired after 30 days
    monkeypatch.setattr(links, "_now", real_now)
    assert read_summary_token(_token(other)) is not None
    report = erase_everything(SENDER, admin=NoTrackers(), db_url=db_url)
    assert report.links_erased == 1  # the other one was deleted when read expired
    assert read_summary_token(_token(other)) is None  # erased with the conversation


def test_ics_link_is_opaque_expires_and_dies_with_the_request(db_url, monkeypatch):
    slot = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3)
    with session_scope(db_url) as db:
        db.add(AppointmentRequest(reference="AV-ICS1", team_id="equipe-a", kind="slot", slot_start=slot,
                                  first_name="Awa", contact_channel="web", conversation_id=SENDER))
    url = ics_url("AV-ICS1")
    assert all("AV-ICS1" not in text for text in _decodings(_token(url)))
    assert reference_from_token(_token(url)) == "AV-ICS1"
    assert reference_from_token(_token(url)[:-1] + "x") is None
    later = datetime.now(timezone.utc) + timedelta(days=91)
    real_now = links._now
    monkeypatch.setattr(links, "_now", lambda: later)
    assert reference_from_token(_token(url)) is None
    monkeypatch.setattr(links, "_now", real_now)
    fresh = ics_url("AV-ICS1")  # made outside the conversation (no context): found by reference
    erase_everything(SENDER, admin=NoTrackers(), db_url=db_url)
    assert reference_from_token(_token(fresh)) is None


def test_stale_open_requests_are_closed_with_a_reason_then_purged(db_url):
    now = datetime.now(timezone.utc)
    old = now - timedelta(days=100)
    with session_scope(db_url) as db:
        db.add_all([
            AppointmentRequest(reference="AV-OLD1", team_id="equipe-a", kind="callback", first_name="A",
                               contact_channel="phone", created_at=old, updated_at=old),
            AppointmentRequest(reference="AV-NEW1", team_id="equipe-a", kind="callback", first_name="B",
                               contact_channel="phone", created_at=now, updated_at=now),
            AppointmentRequest(reference="AV-FUT1", team_id="equipe-a", kind="slot", first_name="C",
                               contact_channel="phone", created_at=old, updated_at=old,
                               slot_start=now + timedelta(days=2)),
        ])
    assert retention.close_stale_open_requests(90, now=now, dry_run=True, url=db_url) == 1
    assert retention.close_stale_open_requests(90, now=now, url=db_url) == 1
    with session_scope(db_url) as db:
        statuses = dict(db.execute(select(AppointmentRequest.reference, AppointmentRequest.status)).all())
        notes = [c.note for c in db.scalars(select(StatusChange))]
    assert statuses == {"AV-OLD1": "abandoned", "AV-NEW1": "new", "AV-FUT1": "new"}
    assert notes and "90 jours" in notes[0]
    # A year later the closed request goes like every closed one.
    assert retention.purge_requests(365, now=now + timedelta(days=366), url=db_url) == 1


def test_links_and_audit_are_purged_by_the_daily_job(db_url):
    links.create_link("summary", {"x": 1}, ttl=timedelta(seconds=1))
    assert links.purge_expired(datetime.now(timezone.utc) + timedelta(seconds=5)) == 1



def test_guide_cookie_cannot_be_read_forged_or_kept(db_url):
    from guide import state

    encounter = state.Encounter(profile={"income_monthly": 640, "disability": "yes_adult", "commune": "54395"},
                                order=["income_monthly", "disability", "commune"])
    cookie = state.dump(encounter)
    for text in _decodings(cookie):
        assert "640" not in text and "yes_adult" not in text and "54395" not in text
    assert state.load(cookie).profile == encounter.profile
    assert state.load(cookie[:-4] + "AAAA") is None
    assert state.load(cookie, max_age=-1) is None
