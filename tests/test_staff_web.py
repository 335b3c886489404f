"""The staff web app through FastAPI's TestClient, on a temporary SQLite database."""

from __future__ import annotations

import csv
import html
import io
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from staff_fixtures import (
    PASSWORD_A,
    PASSWORD_ADMIN,
    PASSWORD_B,
    SCRIPT_NAME,
    csrf_of,
    logged_in_client,
    login,
    make_app,
    prepare_database,
)

from booking.models import AppointmentRequest, SlotBooking, StaffUser, StatusChange
from core.db import session_scope
from core.settings import get_settings
from staff import throttle
from staff.csv_export import build_csv, safe_cell
from staff.formatting import french_datetime


@pytest.fixture
def world(tmp_path, monkeypatch):
    yield prepare_database(tmp_path, monkeypatch)
    get_settings.cache_clear()  # the next test reads its own environment again


@pytest.fixture
def app(world):
    return make_app()


@pytest.fixture
def alice(app):
    return logged_in_client(app, "alice@exemple.fr", PASSWORD_A)


@pytest.fixture
def admin(app):
    return logged_in_client(app, "admin@exemple.fr", PASSWORD_ADMIN)


def status_of(world, request_id: int) -> str:
    with session_scope(world.url) as db:
        return db.get(AppointmentRequest, request_id).status


def post_status(client: TestClient, request_id: int, to_status: str, note: str = "", expected: str = ""):
    token = csrf_of(client.get("/staff/requests").text)
    return client.post(f"/staff/requests/{request_id}/status",
                       data={"to_status": to_status, "note": note, "expected": expected, "csrf_token": token},
                       follow_redirects=False)


# ---------------------------------------------------------------- login

@pytest.mark.parametrize("path", ["/staff/requests", "/staff/requests/1", "/staff/requests/export.csv",
                                  "/staff/admin/users", "/staff/password", "/staff"])
def test_not_logged_in_is_sent_to_login(app, path):
    response = TestClient(app).get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/login?next=")


def test_login_page_is_french_and_session_cookie_is_httponly_lax(app):
    response = TestClient(app).get("/staff/login")
    assert response.status_code == 200
    assert 'lang="fr"' in response.text and "Mot de passe" in response.text
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/staff" in cookie


def test_login_then_redirected_to_the_page_asked(app):
    client = TestClient(app)
    token = csrf_of(client.get("/staff/login?next=/staff/password").text)
    response = client.post("/staff/login", data={"email": "ALICE@exemple.fr ", "password": PASSWORD_A,
                                                 "next": "/staff/password", "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/staff/password"


def test_login_never_redirects_to_another_site(app):
    client = TestClient(app)
    token = csrf_of(client.get("/staff/login").text)
    response = client.post("/staff/login", data={"email": "alice@exemple.fr", "password": PASSWORD_A,
                                                 "next": "//evil.example/staff/", "csrf_token": token},
                           follow_redirects=False)
    assert response.headers["location"] == "/staff/requests"


def test_wrong_password_is_refused(app):
    client = TestClient(app)
    response = login(client, "alice@exemple.fr", "pas-le-bon-mot-de-passe")
    assert response.status_code == 401
    assert "ne correspond pas" in response.text
    assert client.get("/staff/requests", follow_redirects=False).status_code == 303


def test_unknown_email_gets_the_same_answer(app):
    response = login(TestClient(app), "personne@exemple.fr", "peu-importe-1234")
    assert response.status_code == 401 and "ne correspond pas" in response.text


def test_failures_delay_the_account_progressively_but_never_lock_its_owner_out(app, monkeypatch):
    client = TestClient(app)
    for _ in range(throttle.FREE_TRIES):
        assert login(client, "alice@exemple.fr", "mauvais-mot-de-passe").status_code == 401
    delayed = login(client, "alice@exemple.fr", PASSWORD_A)  # even the right password waits…
    assert delayed.status_code == 429 and "attendre 2 secondes" in html.unescape(delayed.text)
    assert client.get("/staff/requests", follow_redirects=False).status_code == 303
    # Another account from the same address is not delayed by this alone.
    assert login(TestClient(app), "bruno@exemple.fr", PASSWORD_B).status_code == 303
    later = throttle._now() + timedelta(seconds=3)
    monkeypatch.setattr(throttle, "_now", lambda: later)
    assert login(client, "alice@exemple.fr", PASSWORD_A).status_code == 303  # …but only seconds


def test_many_failures_from_one_address_lock_every_account_from_it(app):
    client = TestClient(app)
    for i in range(throttle.MAX_FAILURES_PER_ADDRESS):
        assert login(client, f"essai{i}@exemple.fr", "mauvais-mot-de-passe").status_code in (401, 429)
    response = login(client, "bruno@exemple.fr", PASSWORD_B)
    assert response.status_code == 429 and "15 minutes" in response.text


def test_lock_is_per_account_and_per_address_and_expires(world):
    now = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)
    with session_scope(world.url) as db:
        for _ in range(throttle.MAX_FAILURES):
            throttle.record_failure(db, "alice@exemple.fr", "10.0.0.1", now=now)
        assert throttle.is_locked(db, "alice@exemple.fr", "10.0.0.2", now=now)       # same account, delayed
        assert throttle.wait_seconds(db, "alice@exemple.fr", "10.0.0.2", now=now) == 8  # 2, 4, 8… seconds
        assert not throttle.is_locked(db, "alice@exemple.fr", "10.0.0.2", now=now + timedelta(seconds=9))
        assert not throttle.is_locked(db, "bruno@exemple.fr", "10.0.0.1", now=now)   # address: below its limit
        for i in range(throttle.MAX_FAILURES_PER_ADDRESS - throttle.MAX_FAILURES):
            throttle.record_failure(db, f"x{i}@exemple.fr", "10.0.0.1", now=now)
        assert throttle.is_locked(db, "bruno@exemple.fr", "10.0.0.1", now=now)       # same address
        assert not throttle.is_locked(db, "bruno@exemple.fr", "10.0.0.2", now=now)   # neither
        later = now + throttle.WINDOW + timedelta(seconds=1)
        assert not throttle.is_locked(db, "alice@exemple.fr", "10.0.0.1", now=later)


def test_success_resets_the_account_counter(app, world):
    client = TestClient(app)
    for _ in range(throttle.FREE_TRIES - 1):
        login(client, "alice@exemple.fr", "mauvais-mot-de-passe")
    assert login(client, "alice@exemple.fr", PASSWORD_A).status_code == 303
    with session_scope(world.url) as db:
        assert not throttle.is_locked(db, "alice@exemple.fr", None)


def test_logout_ends_the_session(alice):
    token = csrf_of(alice.get("/staff/requests").text)
    response = alice.post("/staff/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert alice.get("/staff/requests", follow_redirects=False).status_code == 303


def test_a_forged_cookie_is_ignored(app, alice):
    cookie = alice.cookies.get("avecvous_staff")
    forged = TestClient(app)
    forged.cookies.set("avecvous_staff", cookie[:-3] + "AAA", path="/staff")
    assert forged.get("/staff/requests", follow_redirects=False).status_code == 303


# ---------------------------------------------------------------- CSRF

@pytest.mark.parametrize("token", [None, "", "faux-jeton"])
def test_status_change_without_the_right_csrf_token_is_403(alice, world, token):
    data = {"to_status": "contacted", "note": "", "expected": "new"}
    if token is not None:
        data["csrf_token"] = token
    response = alice.post(f"/staff/requests/{world.a_request_id}/status", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert "Action refusée" in response.text and "Rechargez la page" in response.text
    assert status_of(world, world.a_request_id) == "new"


def test_login_and_logout_forms_need_the_csrf_token_too(app, alice):
    response = TestClient(app).post("/staff/login", data={"email": "alice@exemple.fr", "password": PASSWORD_A})
    assert response.status_code == 403
    assert alice.post("/staff/logout", data={}).status_code == 403
    assert alice.get("/staff/requests", follow_redirects=False).status_code == 200


def test_token_of_another_session_is_refused(app, alice, world):
    other = TestClient(app)
    other_token = csrf_of(other.get("/staff/login").text)
    response = alice.post(f"/staff/requests/{world.a_request_id}/status",
                          data={"to_status": "contacted", "csrf_token": other_token})
    assert response.status_code == 403
    assert status_of(world, world.a_request_id) == "new"


def test_admin_form_without_token_is_403(admin, world):
    response = admin.post("/staff/admin/users", data={"email": "x@exemple.fr", "team_id": "equipe-a"})
    assert response.status_code == 403
    with session_scope(world.url) as db:
        assert db.scalar(select(StaffUser).where(StaffUser.email == "x@exemple.fr")) is None


# ---------------------------------------------------------------- team isolation

def test_team_a_never_sees_team_b_in_the_list(alice, app):
    page = alice.get("/staff/requests").text
    assert "AV-AAA1" in page and "AV-AAA2" in page
    assert "AV-BBB1" not in page and "Bernadette" not in page
    bruno = logged_in_client(app, "bruno@exemple.fr", PASSWORD_B)
    page_b = bruno.get("/staff/requests").text
    assert "AV-BBB1" in page_b and "AV-AAA1" not in page_b


def test_guessing_another_teams_id_gives_404(alice, world):
    response = alice.get(f"/staff/requests/{world.b_request_id}")
    assert response.status_code == 404
    assert "Bernadette" not in response.text and "Page introuvable" in response.text
    assert alice.get("/staff/requests/999999").status_code == 404
    assert alice.get("/staff/requests/abc").status_code == 404


def test_export_has_only_the_own_team(alice):
    body = alice.get("/staff/requests/export.csv").content.decode("utf-8-sig")
    assert "AV-AAA1" in body and "AV-BBB1" not in body and "Bernadette" not in body


def test_status_change_on_another_teams_request_is_404_and_changes_nothing(alice, world):
    response = post_status(alice, world.b_request_id, "contacted", note="intrusion")
    assert response.status_code == 404
    assert status_of(world, world.b_request_id) == "new"
    with session_scope(world.url) as db:
        assert db.scalars(select(StatusChange).where(StatusChange.request_id == world.b_request_id)).all() == []


# ---------------------------------------------------------------- inbox and detail

def test_inbox_lists_urgent_first_with_french_labels(alice):
    page = alice.get("/staff/requests").text
    assert page.index("AV-AAA2") < page.index("AV-AAA1")  # urgent before the older non-urgent one
    assert "Urgent" in page and "Nouvelle demande" in page and "Telegram" in page


def test_inbox_filters_by_status_and_dates(alice, world):
    post_status(alice, world.a_request_id, "contacted")
    contacted = alice.get("/staff/requests?status=contacted").text
    assert "AV-AAA1" in contacted and "AV-AAA2" not in contacted
    by_creation = alice.get("/staff/requests?date_from=2026-11-24&date_to=2026-11-30").text
    assert "AV-AAA2" in by_creation and "AV-AAA1" not in by_creation
    by_slot = alice.get("/staff/requests?date_field=slot&date_from=2026-12-03&date_to=2026-12-03").text
    assert "AV-AAA1" in by_slot and "AV-AAA2" not in by_slot
    bad = alice.get("/staff/requests?date_from=demain&status=nimporte")
    assert bad.status_code == 200 and "date n'est pas valide" in html.unescape(bad.text)


def test_html_typed_by_a_resident_is_escaped(alice, world):
    for path in ("/staff/requests", f"/staff/requests/{world.a_script_id}"):
        page = alice.get(path).text
        assert SCRIPT_NAME not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_detail_shows_contact_slot_summary_and_benefits_when_consented(alice, world):
    page = alice.get(f"/staff/requests/{world.a_request_id}").text
    assert "Nadia" in page and "06 12 34 56 78" in page
    assert "jeudi 3 décembre 2026 à 14 h 30" in page  # 13:30 UTC shown in Paris time
    assert "Vit seule, petite retraite." in page and "Minimum vieillesse (ASPA)" in page


def test_detail_hides_summary_without_consent(alice, world):
    page = alice.get(f"/staff/requests/{world.a_script_id}").text
    assert "Texte secret sans accord" not in page
    assert "pas accepté de partager" in page


def test_status_change_with_note_is_recorded_and_shown(alice, world):
    response = post_status(alice, world.a_request_id, "contacted", note="Rappel le <b>lundi</b>", expected="new")
    assert response.status_code == 303
    page = alice.get(f"/staff/requests/{world.a_request_id}").text
    assert "est maintenant « Personne contactée »" in page
    assert "Alice Martin" in page and "Rappel le &lt;b&gt;lundi&lt;/b&gt;" in page
    assert status_of(world, world.a_request_id) == "contacted"
    assert post_status(alice, world.a_request_id, "held").status_code == 303
    assert status_of(world, world.a_request_id) == "held"
    with session_scope(world.url) as db:
        changes = db.scalars(select(StatusChange).where(StatusChange.request_id == world.a_request_id)
                             .order_by(StatusChange.id)).all()
        assert [(c.from_status, c.to_status) for c in changes] == [("new", "contacted"), ("contacted", "held")]
        assert changes[0].note == "Rappel le <b>lundi</b>" and changes[1].note is None


@pytest.mark.parametrize("target", ["held", "no_show", "new", "inconnu"])
def test_impossible_transition_is_refused_politely(alice, world, target):
    response = post_status(alice, world.a_request_id, target)
    assert response.status_code == 303
    page = html.unescape(alice.get(f"/staff/requests/{world.a_request_id}").text)
    assert "ne peut pas passer" in page or "n'existe pas" in page
    assert status_of(world, world.a_request_id) == "new"


def test_closed_request_cannot_change_again(alice, world):
    post_status(alice, world.a_request_id, "cancelled")
    post_status(alice, world.a_request_id, "contacted")
    page = alice.get(f"/staff/requests/{world.a_request_id}").text
    assert "est close" in page
    assert status_of(world, world.a_request_id) == "cancelled"


def test_stale_form_does_not_overwrite_a_newer_status(alice, world):
    post_status(alice, world.a_request_id, "contacted", expected="new")
    response = post_status(alice, world.a_request_id, "cancelled", expected="new")
    assert response.status_code == 303
    assert "entre-temps" in alice.get(f"/staff/requests/{world.a_request_id}").text
    assert status_of(world, world.a_request_id) == "contacted"


def test_cancelling_frees_the_slot(alice, world):
    post_status(alice, world.a_request_id, "cancelled", note="La personne a annulé")
    with session_scope(world.url) as db:
        assert db.scalar(select(SlotBooking).where(SlotBooking.request_id == world.a_request_id)) is None


def test_pages_carry_security_headers(alice):
    headers = alice.get("/staff/requests").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"


# ---------------------------------------------------------------- CSV export

def test_csv_export_for_french_excel(alice):
    response = alice.get("/staff/requests/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert header[0] == "Référence" and "Prénom" in header and "Statut" in header
    by_ref = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert set(by_ref) == {"AV-AAA1", "AV-AAA2"}
    nadia = by_ref["AV-AAA1"]
    assert nadia["Prénom"] == "Nadia" and nadia["Téléphone"] == "06 12 34 56 78"
    assert nadia["Créneau"] == "03/12/2026 14:30" and nadia["Statut"] == "Nouvelle demande"
    assert nadia["Droits probables (avec accord)"] == "Minimum vieillesse (ASPA)"
    other = by_ref["AV-AAA2"]
    assert other["Moment souhaité"] == "'=HYPERLINK(\"http://x\")"   # formula neutralised
    assert other["Résumé (avec accord)"] == ""                       # no consent, no summary
    assert other["Prénom"] == SCRIPT_NAME and other["Urgent"] == "oui"


def test_csv_export_follows_filters(alice):
    body = alice.get("/staff/requests/export.csv?status=new&date_from=2026-11-24").content.decode("utf-8-sig")
    assert "AV-AAA2" in body and "AV-AAA1" not in body


@pytest.mark.parametrize("value", ["=1+1", "+33 6", "-2", "@SUM(A1)", "\tx"])
def test_formula_like_cells_are_prefixed(value):
    assert safe_cell(value) == "'" + value


def test_plain_cells_are_kept_and_separator_is_quoted():
    assert safe_cell("Nadia") == "Nadia" and safe_cell(None) == "" and safe_cell(3) == "3"
    text = build_csv(["a", "b"], [["x;y", "ok"]]).decode("utf-8-sig")
    assert text == 'a;b\r\n"x;y";ok\r\n'


# ---------------------------------------------------------------- admin

@pytest.mark.parametrize("path", ["/staff/admin/users", "/staff/admin/teams", "/staff/admin"])
def test_admin_pages_are_forbidden_to_staff(alice, path):
    response = alice.get(path)
    assert response.status_code == 403 and "réservée aux administrateurs" in response.text


def test_admin_actions_are_forbidden_to_staff(alice, world):
    token = csrf_of(alice.get("/staff/requests").text)
    response = alice.post("/staff/admin/users", data={"email": "new@exemple.fr", "team_id": "equipe-a",
                                                      "csrf_token": token})
    assert response.status_code == 403
    with session_scope(world.url) as db:
        bruno = db.scalar(select(StaffUser).where(StaffUser.email == "bruno@exemple.fr"))
        assert db.scalar(select(StaffUser).where(StaffUser.email == "new@exemple.fr")) is None
    assert alice.post(f"/staff/admin/users/{bruno.id}/active", data={"active": "0", "csrf_token": token}
                      ).status_code == 403
    assert alice.post(f"/staff/admin/users/{bruno.id}/team", data={"team_id": "equipe-a", "csrf_token": token}
                      ).status_code == 403
    with session_scope(world.url) as db:
        bruno = db.get(StaffUser, bruno.id)
        assert bruno.active and bruno.team_id == "equipe-b"


def test_admin_creates_a_user_who_can_log_in(admin, app):
    token = csrf_of(admin.get("/staff/admin/users").text)
    response = admin.post("/staff/admin/users", data={"email": "Chloe@Exemple.fr", "name": "Chloé",
                                                      "team_id": "equipe-b", "role": "staff", "csrf_token": token})
    assert response.status_code == 200
    password = response.text.split('id="temporary-password">')[1].split("<")[0]
    chloe = logged_in_client(app, "chloe@exemple.fr", password)
    # The temporary password must be changed first: every page leads to the password form.
    page = chloe.get("/staff/requests")
    assert "provisoire" in html.unescape(page.text) and 'action="/staff/password"' in page.text
    token = csrf_of(page.text)
    chloe.post("/staff/password", data={"current": password, "new": "mon-propre-mot-de-passe",
                                        "confirm": "mon-propre-mot-de-passe", "csrf_token": token})
    assert "AV-BBB1" in chloe.get("/staff/requests").text


def test_admin_create_user_refuses_bad_input_politely(admin):
    token = csrf_of(admin.get("/staff/admin/users").text)
    dup = admin.post("/staff/admin/users", data={"email": "alice@exemple.fr", "team_id": "equipe-a",
                                                 "csrf_token": token})
    assert dup.status_code == 400 and "existe déjà" in dup.text
    bad = admin.post("/staff/admin/users", data={"email": "pas-un-email", "team_id": "equipe-a", "csrf_token": token})
    assert bad.status_code == 400 and "pas valide" in bad.text
    no_team = admin.post("/staff/admin/users", data={"email": "z@exemple.fr", "csrf_token": token})
    assert no_team.status_code == 400 and "rattaché" in no_team.text


def _user_id(world, email: str) -> int:
    with session_scope(world.url) as db:
        return db.scalar(select(StaffUser.id).where(StaffUser.email == email))


def test_admin_deactivates_a_user_whose_session_then_ends(admin, alice, app, world):
    token = csrf_of(admin.get("/staff/admin/users").text)
    response = admin.post(f"/staff/admin/users/{_user_id(world, 'alice@exemple.fr')}/active",
                          data={"active": "0", "csrf_token": token})
    assert response.status_code == 200 and "désactivé" in response.text
    assert alice.get("/staff/requests", follow_redirects=False).status_code == 303
    refused = login(TestClient(app), "alice@exemple.fr", PASSWORD_A)
    assert refused.status_code == 401 and "désactivé" in refused.text


def test_admin_resets_a_password_old_one_and_old_sessions_stop(admin, alice, app, world):
    token = csrf_of(admin.get("/staff/admin/users").text)
    response = admin.post(f"/staff/admin/users/{_user_id(world, 'alice@exemple.fr')}/password",
                          data={"csrf_token": token})
    new_password = response.text.split('id="temporary-password">')[1].split("<")[0]
    assert alice.get("/staff/requests", follow_redirects=False).status_code == 303
    assert login(TestClient(app), "alice@exemple.fr", PASSWORD_A).status_code == 401
    assert login(TestClient(app), "alice@exemple.fr", new_password).status_code == 303


def test_admin_assigns_a_team(admin, app, world):
    token = csrf_of(admin.get("/staff/admin/users").text)
    admin.post(f"/staff/admin/users/{_user_id(world, 'alice@exemple.fr')}/team",
               data={"team_id": "equipe-b", "csrf_token": token})
    alice = logged_in_client(app, "alice@exemple.fr", PASSWORD_A)
    page = alice.get("/staff/requests").text
    assert "AV-BBB1" in page and "AV-AAA1" not in page
    assert alice.get(f"/staff/requests/{world.a_request_id}").status_code == 404


def test_admin_creates_and_deactivates_a_team(admin):
    token = csrf_of(admin.get("/staff/admin/teams").text)
    response = admin.post("/staff/admin/teams", data={"team_id": "ccas-toul", "name": "CCAS de Toul",
                                                      "csrf_token": token})
    assert "L'équipe « CCAS de Toul » est créée." in html.unescape(response.text)
    bad = admin.post("/staff/admin/teams", data={"team_id": "Pas Bon!", "name": "X", "csrf_token": token})
    assert bad.status_code == 400 and "minuscules" in bad.text
    response = admin.post("/staff/admin/teams/ccas-toul/active", data={"active": "0", "csrf_token": token})
    assert "désactivée" in response.text


def test_user_changes_own_password(alice, app):
    token = csrf_of(alice.get("/staff/password").text)
    short = alice.post("/staff/password", data={"current": PASSWORD_A, "new": "court", "confirm": "court",
                                                "csrf_token": token})
    assert short.status_code == 400 and "au moins" in short.text
    ok = alice.post("/staff/password", data={"current": PASSWORD_A, "new": "un-nouveau-secret-42",
                                             "confirm": "un-nouveau-secret-42", "csrf_token": token})
    assert ok.status_code == 200 and "mot de passe est changé" in ok.text
    assert alice.get("/staff/requests", follow_redirects=False).status_code == 200  # still logged in here
    assert login(TestClient(app), "alice@exemple.fr", "un-nouveau-secret-42").status_code == 303


# ---------------------------------------------------------------- formatting

def test_french_paris_dates_across_daylight_saving():
    assert french_datetime(datetime(2026, 7, 1, 6, 5, tzinfo=timezone.utc)) == "mercredi 1er juillet 2026 à 8 h 05"
    assert french_datetime(datetime(2026, 1, 15, 23, 30, tzinfo=timezone.utc)) == "vendredi 16 janvier 2026 à 0 h 30"
