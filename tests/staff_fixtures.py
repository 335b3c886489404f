"""Shared set-up for the staff web tests: a temporary SQLite database built by the project's
migrations, two teams with their requests, and a logged-in client helper."""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from booking import passwords
from booking.db_setup import upgrade_database
from booking.models import AppointmentRequest, SlotBooking, StaffUser, Team
from booking.passwords import hash_password
from core.db import session_scope
from core.settings import get_settings

PASSWORD_A = "mot-de-passe-equipe-a"
PASSWORD_B = "mot-de-passe-equipe-b"
PASSWORD_ADMIN = "mot-de-passe-admin-1"
SCRIPT_NAME = "<script>alert(1)</script>"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@lru_cache(maxsize=1)
def _migrated_template() -> Path:
    """One empty database migrated with upgrade_database, copied for each test (faster than migrating each time)."""
    path = Path(tempfile.mkdtemp(prefix="staff-tests-")) / "template.db"
    upgrade_database(f"sqlite:///{path}")
    return path


@dataclass
class World:
    url: str
    a_request_id: int      # team A, new, consented summary, slot booked
    a_script_id: int       # team A, first name with HTML, formula-like phone note
    b_request_id: int      # team B


def prepare_database(tmp_path, monkeypatch) -> World:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'staff.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("AVECVOUS_RUN_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("AVECVOUS_SECRET_KEY", "secret-for-tests-only-0123456789")
    monkeypatch.setenv("PUBLIC_URL", "http://127.0.0.1:8000")
    get_settings.cache_clear()
    # Still argon2, with light parameters: the production cost (~0.1 s a hash, far more on a busy
    # CI machine) would make the suite slow without testing anything more.
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    shutil.copyfile(_migrated_template(), tmp_path / "staff.db")
    with session_scope(url) as db:
        db.add_all([Team(id="equipe-a", name="Équipe A"), Team(id="equipe-b", name="Équipe B")])
        db.flush()
        db.add_all([
            StaffUser(email="alice@exemple.fr", name="Alice Martin", role="staff", team_id="equipe-a",
                      password_hash=hash_password(PASSWORD_A)),
            StaffUser(email="bruno@exemple.fr", name="Bruno Petit", role="staff", team_id="equipe-b",
                      password_hash=hash_password(PASSWORD_B)),
            StaffUser(email="admin@exemple.fr", name="Admin Dupont", role="admin", team_id=None,
                      password_hash=hash_password(PASSWORD_ADMIN)),
        ])
        slot = datetime(2026, 12, 3, 13, 30, tzinfo=timezone.utc)  # 14 h 30 in Paris (winter time)
        a1 = AppointmentRequest(
            reference="AV-AAA1", team_id="equipe-a", kind="slot", slot_start=slot, first_name="Nadia",
            contact_phone="+33612345678", contact_channel="telegram", consent_summary=True,
            summary="Vit seule, petite retraite.", likely_benefits=[{"id": "aspa", "name": "Minimum vieillesse (ASPA)"}],
            created_at=datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc),
        )
        a2 = AppointmentRequest(
            reference="AV-AAA2", team_id="equipe-a", kind="other_time", first_name=SCRIPT_NAME,
            contact_phone="+33698765432", contact_channel="web", consent_summary=False,
            summary="Texte secret sans accord", preferred_time_note="=HYPERLINK(\"http://x\")",
            urgent_flag=True, created_at=datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc),
        )
        b1 = AppointmentRequest(
            reference="AV-BBB1", team_id="equipe-b", kind="callback", first_name="Bernadette",
            contact_phone="+33611112222", contact_channel="phone",
            created_at=datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc),
        )
        db.add_all([a1, a2, b1])
        db.flush()
        db.add(SlotBooking(team_id="equipe-a", slot_start=slot, request_id=a1.id))
        return World(url, a1.id, a2.id, b1.id)


def make_app() -> FastAPI:
    from staff.router import router

    app = FastAPI()
    app.include_router(router)
    return app


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: TestClient, email: str, password: str):  # noqa: ANN201
    token = csrf_of(client.get("/staff/login").text)
    return client.post("/staff/login", data={"email": email, "password": password, "csrf_token": token},
                       follow_redirects=False)


def logged_in_client(app: FastAPI, email: str, password: str) -> TestClient:
    client = TestClient(app)
    response = login(client, email, password)
    assert response.status_code == 303, response.text
    return client


def post(client: TestClient, path: str, **data):  # noqa: ANN201
    """A staff form post with the page's CSRF token, redirects not followed."""
    data["csrf_token"] = csrf_of(client.get("/staff/requests").text)
    return client.post(path, data=data, follow_redirects=False)


def page_text(client: TestClient, path: str) -> str:
    import html  # noqa: PLC0415 - csrf_of's parameter is named html

    return html.unescape(client.get(path).text)
