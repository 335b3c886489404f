"""Attacks on the staff app: each must fail (TestClient, temporary SQLite database)."""

from __future__ import annotations

import html
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/staff_fixtures.py
from staff_fixtures import (  # noqa: E402
    PASSWORD_A,
    PASSWORD_ADMIN,
    csrf_of,
    logged_in_client,
    login,
    make_app,
    prepare_database,
)

from booking.models import AppointmentRequest, StaffUser  # noqa: E402
from core.db import session_scope  # noqa: E402
from core.settings import get_settings  # noqa: E402
from privacy import audit  # noqa: E402
from staff import account_state  # noqa: E402
from staff.session import COOKIE_NAME  # noqa: E402

XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "javascript:alert(1)",
       "<svg/onload=alert(1)>", "{{7*7}}", "' onmouseover='alert(1)"]


@pytest.fixture
def world(tmp_path, monkeypatch):
    yield prepare_database(tmp_path, monkeypatch)
    get_settings.cache_clear()


@pytest.fixture
def app(world):
    return make_app()


def _logout(client: TestClient) -> None:
    token = csrf_of(client.get("/staff/requests").text)
    assert client.post("/staff/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303


def test_a_cookie_replayed_after_logout_opens_nothing(app):
    alice = logged_in_client(app, "alice@exemple.fr", PASSWORD_A)
    stolen = alice.cookies.get(COOKIE_NAME)
    _logout(alice)
    thief = TestClient(app)
    thief.cookies.set(COOKIE_NAME, stolen, path="/staff")
    assert thief.get("/staff/requests", follow_redirects=False).status_code == 303


def test_a_password_change_ends_the_sessions_of_other_browsers(app):
    office = logged_in_client(app, "alice@exemple.fr", PASSWORD_A)
    home = logged_in_client(app, "alice@exemple.fr", PASSWORD_A)
    token = csrf_of(home.get("/staff/password").text)
    new = "un-nouveau-mot-de-passe"
    home.post("/staff/password", data={"current": PASSWORD_A, "new": new, "confirm": new, "csrf_token": token})
    assert home.get("/staff/requests", follow_redirects=False).status_code == 200  # this browser stays
    assert office.get("/staff/requests", follow_redirects=False).status_code == 303


def test_a_tampered_session_cookie_is_refused(app):
    alice = logged_in_client(app, "alice@exemple.fr", PASSWORD_A)
    value = alice.cookies.get(COOKIE_NAME)
    forged = TestClient(app)
    forged.cookies.set(COOKIE_NAME, value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"), path="/staff")
    assert forged.get("/staff/requests", follow_redirects=False).status_code == 303


def test_csrf_a_status_change_posted_by_another_site_is_refused(app, world):
    alice = logged_in_client(app, "alice@exemple.fr", PASSWORD_A)
    for data in ({"to_status": "cancelled"}, {"to_status": "cancelled", "csrf_token": "guess"}):
        assert alice.post(f"/staff/requests/{world.a_request_id}/status", data=data).status_code == 403
    with session_scope(world.url) as db:
        assert db.get(AppointmentRequest, world.a_request_id).status == "new"


def test_another_teams_request_by_id_is_404_and_not_audited_as_read(app, world):
    alice = logged_in_client(app, "alice@exemple.fr", PASSWORD_A)
    assert alice.get(f"/staff/requests/{world.b_request_id}").status_code == 404
    assert alice.get(f"/staff/requests/{world.a_request_id}").status_code == 200
    with session_scope(world.url) as db:
        reads = [(e.action, e.request_id) for e in audit.recent(db) if e.action == "read"]
    assert reads == [("read", world.a_request_id)]


def test_audit_log_records_who_read_and_changed_what(app, world):
    alice = logged_in_client(app, "alice@exemple.fr", PASSWORD_A)
    page = alice.get(f"/staff/requests/{world.a_request_id}").text
    alice.post(f"/staff/requests/{world.a_request_id}/status",
               data={"to_status": "contacted", "csrf_token": csrf_of(page)})
    alice.get("/staff/requests/export.csv")
    with session_scope(world.url) as db:
        alice_id = db.scalar(select(StaffUser.id).where(StaffUser.email == "alice@exemple.fr"))
        rows = [(e.user_id, e.action, e.request_id, e.detail) for e in reversed(audit.recent(db))]
    assert (alice_id, "login", None, "") in rows
    assert (alice_id, "read", world.a_request_id, "") in rows
    assert (alice_id, "status", world.a_request_id, "new→contacted") in rows
    assert any(r[1] == "export" for r in rows)
    admin = logged_in_client(app, "admin@exemple.fr", PASSWORD_ADMIN)
    journal = html.unescape(admin.get("/staff/admin/audit").text)
    assert "Changement de statut" in journal and "Alice Martin" in journal
    assert logged_in_client(app, "alice@exemple.fr", PASSWORD_A).get("/staff/admin/audit").status_code == 403


def test_optional_totp_for_admins(app, world):
    admin = logged_in_client(app, "admin@exemple.fr", PASSWORD_ADMIN)
    page = admin.get("/staff/totp").text
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    bad = admin.post("/staff/totp", data={"action": "enable", "code": "000000", "csrf_token": csrf_of(page)})
    assert bad.status_code == 400
    admin.post("/staff/totp", data={"action": "enable", "code": pyotp.TOTP(secret).now(), "csrf_token": csrf_of(page)})
    with session_scope(world.url) as db:
        admin_id = db.scalar(select(StaffUser.id).where(StaffUser.email == "admin@exemple.fr"))
        assert account_state.totp_secret(db, admin_id) == secret
    # The password alone no longer opens the account; password + code does.
    assert login(TestClient(app), "admin@exemple.fr", PASSWORD_ADMIN).status_code == 401
    client = TestClient(app)
    token = csrf_of(client.get("/staff/login").text)
    ok = client.post("/staff/login", data={"email": "admin@exemple.fr", "password": PASSWORD_ADMIN,
                                           "code": pyotp.TOTP(secret).now(), "csrf_token": token},
                     follow_redirects=False)
    assert ok.status_code == 303


class _Tags(HTMLParser):
    """Every element and attribute the browser would build from the page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):  # noqa: ANN001, ANN201
        self.tags.append((tag, attrs))


def injected(page: str) -> list:
    parser = _Tags()
    parser.feed(page)
    return [(t, a) for t, a in parser.tags
            if t in ("script", "img", "svg", "iframe") or any(k.startswith("on") for k, _v in a)
            or any((v or "").strip().lower().startswith("javascript:") for _k, v in a)]


@pytest.mark.parametrize("payload", XSS)
def test_html_typed_by_a_resident_is_escaped_in_every_field_shown_to_staff(app, world, payload):
    with session_scope(world.url) as db:
        item = db.get(AppointmentRequest, world.a_request_id)
        item.first_name = payload[:60]
        item.summary = f"Résumé {payload}"
        item.preferred_time_note = payload
        item.likely_benefits = [{"id": payload, "name": payload}]
        item.conversation_id = payload
        item.telegram_chat_id = payload[:64]
    alice = logged_in_client(app, "alice@exemple.fr", PASSWORD_A)
    for path in ("/staff/requests", f"/staff/requests/{world.a_request_id}"):
        page = alice.get(path).text
        assert injected(page) == [], path
        if payload == "{{7*7}}":
            assert "{{7*7}}" in page  # shown as typed, not evaluated
        assert alice.get(path).headers["content-security-policy"].startswith("default-src 'self'; script-src 'none'")
