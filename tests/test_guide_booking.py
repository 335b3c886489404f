"""A volunteer books for the resident from guide mode (issue 15): the volunteer's name recorded as
prescripteur, the consent asked out loud and recorded, the summary handed over by QR code / link."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from booking.db_setup import upgrade_database
from booking.models import AppointmentRequest
from core.db import session_scope
from core.settings import get_settings
from guide import state
from guide.booking import router as booking_router
from guide.router import router as guide_router
from guide.state import Encounter

PROFILE = {"age": 68, "household": "alone", "children_count": 0, "income_monthly": 873.0,
           "income_kinds": ["pension"], "housing": "tenant", "rent": 437.0, "work": "retired",
           "disability": "none", "commune": "54482"}  # Saint-Max


@pytest.fixture
def db_url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'guide.db'}"
    upgrade_database(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("AVECVOUS_RUN_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("AVECVOUS_SECRET_KEY", "secret-for-guide-tests-0123456789")
    monkeypatch.setenv("PUBLIC_URL", "https://droits.example.org")
    get_settings.cache_clear()
    monkeypatch.setattr("booking.notify.deliver_pending_in_background", lambda **kw: None)
    yield url
    get_settings.cache_clear()


@pytest.fixture
def client(db_url) -> TestClient:
    app = FastAPI()
    app.include_router(guide_router)
    app.include_router(booking_router)
    client = TestClient(app)
    client.cookies.set(state.COOKIE_NAME, state.dump(Encounter(profile=dict(PROFILE), order=list(PROFILE))),
                       path=state.COOKIE_PATH)
    return client


def choices(page: str) -> list[str]:
    return re.findall(r'name="choice" value="([^"]+)"', page)


def form(choice: str, **extra) -> dict:
    data = {"volunteer": "Martine Bénévole", "first_name": "Josiane", "phone": "06 12 34 56 78",
            "choice": choice, "preference": "phone", "best_times": "le matin", "consent": "1", "share": "1"}
    data.update(extra)
    return data


def test_volunteer_books_a_slot_with_recorded_consent_and_gets_a_qr_code(client, db_url):
    page = client.get("/guide/rendez-vous").text
    assert "Demandez l'accord de la personne, à voix haute" in html.unescape(page)
    slot = next(c for c in choices(page) if not c.startswith("callback|"))
    done = client.post("/guide/rendez-vous", data=form(slot))
    assert done.status_code == 200
    reference = re.search(r'id="reference">([^<]+)<', done.text).group(1)
    assert re.search(r'src="data:image/svg\+xml', done.text)  # the QR code, drawn in the page
    link = html.unescape(re.search(r'id="summary-link" href="([^"]+)"', done.text).group(1))
    assert link.startswith("https://droits.example.org/resume/")
    assert unquote(re.search(r'src="(data:image/svg[^"]+)"', done.text).group(1)).count("<path") >= 1
    with session_scope(db_url) as s:
        req = s.scalar(select(AppointmentRequest).where(AppointmentRequest.reference == reference))
        assert req.prescripteur_name == "Martine Bénévole" and req.consent_recorded_at is not None
        assert req.contact_preference == "phone" and req.best_times == "le matin" and req.commune == "54482"
        assert req.likely_benefits and all(b["name"] for b in req.likely_benefits)
        assert req.consent_summary and req.summary  # the resident agreed to share it
    # The link opens the resident's summary, with the reference.
    summary = client.get(link.replace("https://droits.example.org", ""))
    assert summary.status_code == 200 and reference in summary.text


def test_without_consent_nothing_is_booked(client, db_url):
    page = client.get("/guide/rendez-vous").text
    refused = client.post("/guide/rendez-vous", data=form(choices(page)[0], consent=""))
    assert refused.status_code == 200 and "Cochez la case seulement si elle est d'accord" in html.unescape(refused.text)
    missing_name = client.post("/guide/rendez-vous", data=form(choices(page)[0], volunteer=" "))
    assert "Écrivez votre nom" in missing_name.text
    with session_scope(db_url) as s:
        assert s.scalar(select(AppointmentRequest.id)) is None


def test_callback_and_a_bad_phone(client, db_url):
    page = client.get("/guide/rendez-vous").text
    callback = next(c for c in choices(page) if c.startswith("callback|"))
    bad = client.post("/guide/rendez-vous", data=form(callback, phone="12"))
    assert bad.status_code == 200 and "error" in bad.text
    ok = client.post("/guide/rendez-vous", data=form(callback, share=""))
    assert "va rappeler la personne" in html.unescape(ok.text)
    with session_scope(db_url) as s:
        req = s.scalar(select(AppointmentRequest))
        assert req.kind == "callback" and req.consent_summary is False and req.likely_benefits is None
    forged = client.post("/guide/rendez-vous", data=form("n-importe|quoi"))
    assert forged.status_code == 200 and "error" in forged.text


def test_without_commune_the_volunteer_is_asked_for_it(client):
    client.cookies.set(state.COOKIE_NAME, state.dump(Encounter(profile={"age": 40}, order=["age"])),
                       path=state.COOKIE_PATH)
    response = client.get("/guide/rendez-vous", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/guide/question?q=commune"


def test_follow_up_by_e_mail_is_scheduled_with_consent(client, db_url):
    from followup.models import FollowUp  # noqa: PLC0415

    page = client.get("/guide/rendez-vous").text
    missing = client.post("/guide/rendez-vous", data=form(choices(page)[0], followup="1"))
    assert "adresse e-mail" in html.unescape(missing.text)
    done = client.post("/guide/rendez-vous", data=form(choices(page)[0], followup="1", email="josiane@exemple.fr"))
    assert done.status_code == 200
    with session_scope(db_url) as s:
        rows = s.scalars(select(FollowUp).order_by(FollowUp.step)).all()
        req = s.scalar(select(AppointmentRequest))
        assert [(r.step, r.channel, r.email, r.request_id) for r in rows] == [
            (6, "email", "josiane@exemple.fr", req.id), (30, "email", "josiane@exemple.fr", req.id)]
        assert req.followup_consent
        assert req.contact_email == "josiane@exemple.fr", "a transfer is told by e-mail too"


def test_without_the_follow_up_box_nothing_is_planned_and_a_bad_e_mail_is_refused_politely(client, db_url):
    from followup.models import FollowUp  # noqa: PLC0415

    page = client.get("/guide/rendez-vous").text
    wrong = client.post("/guide/rendez-vous", data=form(choices(page)[0], email="josiane@exemple"))
    assert wrong.status_code == 200 and "ne semble pas complète" in html.unescape(wrong.text)
    done = client.post("/guide/rendez-vous", data=form(choices(page)[0]))
    assert done.status_code == 200
    with session_scope(db_url) as s:
        assert s.scalars(select(FollowUp)).all() == []
        req = s.scalar(select(AppointmentRequest))
        assert req.followup_consent is False and req.contact_email is None


def test_cli_runs_the_follow_up_job(db_url, capsys):
    from booking import cli  # noqa: PLC0415

    assert cli.main(["--database-url", db_url, "followups"]) == 0
    assert "message(s) de suivi envoyé(s)" in capsys.readouterr().out
