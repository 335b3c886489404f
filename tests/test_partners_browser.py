"""Issue 15 in a real headless Chromium (Playwright): the inbox views and search, a transfer to a
CCAS and its handling by the CCAS, and a volunteer booking for a resident from guide mode.
Screenshots go to test-artifacts/partners/."""

from __future__ import annotations

import threading
import time

import pytest
import uvicorn
from fastapi import FastAPI
from staff_fixtures import PASSWORD_A, prepare_database
from test_staff_browser import CHROMIUM, TABLET, _free_port

from booking.models import AppointmentRequest, StaffUser, Team
from booking.passwords import hash_password
from core.db import session_scope
from core.settings import PROJECT_ROOT, get_settings
from guide import state
from guide.state import Encounter

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "partners"
PHONE = {"width": 390, "height": 844}
PASSWORD_C = "mot-de-passe-ccas-toul"

pytestmark = pytest.mark.browser


def _app() -> FastAPI:
    from guide.booking import router as guide_booking
    from guide.router import router as guide
    from staff.router import router as staff

    app = FastAPI()
    for router in (staff, guide, guide_booking):
        app.include_router(router)
    return app


@pytest.fixture
def server(tmp_path, monkeypatch):
    world = prepare_database(tmp_path, monkeypatch)
    with session_scope(world.url) as db:
        db.add(Team(id="ccas-toul", name="CCAS de Toul", kind="ccas", origin="staff"))
        db.flush()
        db.add(StaffUser(email="chloe@exemple.fr", name="Chloé Roux", role="staff", team_id="ccas-toul",
                         password_hash=hash_password(PASSWORD_C)))
        a1 = db.get(AppointmentRequest, world.a_request_id)
        a1.likely_benefits = [{"id": "aspa", "name": "Minimum vieillesse (ASPA)", "amount": "environ 300 € par mois"}]
        a1.urgent_situations, a1.urgent_flag = ["eviction"], True
        a1.contact_preference, a1.best_times = "phone", "le matin"
    port = _free_port()
    config = uvicorn.Config(_app(), host="127.0.0.1", port=port, log_level="warning", ws="none")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the web app did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", world
    uv.should_exit = True
    thread.join(timeout=10)
    get_settings.cache_clear()


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get update && apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM),
                              args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def _login(context, base: str, email: str, password: str):  # noqa: ANN001, ANN202
    page = context.new_page()
    page.goto(f"{base}/staff/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}/staff/requests")
    return page


def test_inbox_views_transfer_and_handling_by_the_ccas(server, browser):
    base, world = server
    alice_ctx = browser.new_context(viewport=TABLET, locale="fr-FR", timezone_id="Europe/Paris")
    page = _login(alice_ctx, base, "alice@exemple.fr", PASSWORD_A)
    row = page.locator("tr", has_text="AV-AAA1")
    assert "Urgent : Expulsion ou impayés de loyer" in row.inner_text()
    assert "Minimum vieillesse (ASPA) (environ 300 € par mois)" in row.inner_text()
    assert "Appel téléphonique – le matin" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "01-inbox-names.png"), full_page=True)

    page.get_by_role("link", name="À traiter").click()
    assert page.get_by_role("link", name="À traiter").get_attribute("aria-current") == "page"
    page.get_by_label("Rechercher").fill("nadia")
    page.get_by_role("button", name="Filtrer").click()
    assert page.get_by_role("link", name="AV-AAA1").count() == 1
    assert page.get_by_role("link", name="AV-AAA2").count() == 0
    page.screenshot(path=str(ARTIFACTS / "02-inbox-todo-search.png"), full_page=True)

    page.get_by_role("link", name="AV-AAA1").click()
    page.get_by_label("Équipe ou partenaire").select_option("ccas-toul")
    page.get_by_label("Message pour l'équipe qui reçoit").fill("Dossier ASPA à monter, la personne préfère le matin.")
    page.get_by_role("button", name="Transmettre la demande").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text().startswith("C'est noté : la demande AV-AAA1 est transmise")
    assert page.locator("#read-only").is_visible()
    assert page.get_by_role("button", name="Enregistrer le statut").count() == 0
    page.screenshot(path=str(ARTIFACTS / "03-transferred-read-only.png"), full_page=True)

    chloe_ctx = browser.new_context(viewport=TABLET, locale="fr-FR", timezone_id="Europe/Paris")
    chloe = _login(chloe_ctx, base, "chloe@exemple.fr", PASSWORD_C)
    assert chloe.get_by_role("link", name="AV-AAA2").count() == 0  # nothing else of team A
    chloe.get_by_role("link", name="AV-AAA1").click()
    assert "Dossier ASPA à monter" in chloe.content()
    for label in ("Personne contactée", "Rendez-vous tenu"):
        chloe.get_by_label(label).check()
        chloe.get_by_role("button", name="Enregistrer le statut").click()
        chloe.wait_for_load_state()
    chloe.get_by_label("Droits ouverts", exact=True).check()
    chloe.get_by_text("Droits ouverts : lesquels ?").click()
    chloe.get_by_label("Minimum vieillesse (ASPA)").check()
    chloe.get_by_role("button", name="Enregistrer le statut").click()
    chloe.wait_for_load_state()
    assert chloe.locator("#current-status").inner_text().strip() == "Droits ouverts"
    assert chloe.locator("#rights-opened").inner_text().strip() == "Minimum vieillesse (ASPA)"
    chloe.screenshot(path=str(ARTIFACTS / "04-ccas-rights-opened.png"), full_page=True)

    page.reload()  # team A reads the outcome in the history
    assert page.locator("#current-status").inner_text().strip() == "Droits ouverts"
    page.goto(f"{base}/staff/requests?view=sent")
    assert page.get_by_role("link", name="AV-AAA1").count() == 1
    page.screenshot(path=str(ARTIFACTS / "05-sent-view.png"), full_page=True)
    alice_ctx.close()
    chloe_ctx.close()


def test_volunteer_books_for_the_resident_on_a_phone(server, browser):
    base, world = server
    context = browser.new_context(viewport=PHONE, locale="fr-FR", timezone_id="Europe/Paris")
    profile = {"age": 68, "household": "alone", "children_count": 0, "income_monthly": 873.0,
               "income_kinds": ["pension"], "housing": "tenant", "rent": 437.0, "work": "retired",
               "disability": "none", "commune": "54482"}
    context.add_cookies([{"name": state.COOKIE_NAME, "value": state.dump(Encounter(profile=profile, order=list(profile))),
                          "url": f"{base}/guide"}])
    page = context.new_page()
    page.goto(f"{base}/guide/rendez-vous")
    page.screenshot(path=str(ARTIFACTS / "06-guide-booking-form.png"), full_page=True)
    page.locator("input[name=choice]").first.check()
    page.get_by_label("Prénom de la personne").fill("Josiane")
    page.get_by_label("Son numéro de téléphone").fill("06 12 34 56 78")
    page.get_by_label("Votre nom (bénévole)").fill("Martine Bénévole")
    page.get_by_role("button", name="Demander le rendez-vous").click()
    # Consent not ticked: the browser keeps the form (the server refuses it too, see test_guide_booking).
    assert page.locator("input[name=consent]").evaluate("el => el.validity.valueMissing")
    assert page.locator("#reference").count() == 0
    page.get_by_label("La personne est d'accord").check()
    page.get_by_role("button", name="Demander le rendez-vous").click()
    page.wait_for_load_state()
    reference = page.locator("#reference").inner_text().strip()
    assert reference.startswith("AV-")
    width = page.locator("#qr-code").evaluate("img => img.naturalWidth")
    assert width > 0  # the QR code is drawn (allowed by the page's Content-Security-Policy)
    page.screenshot(path=str(ARTIFACTS / "07-guide-booking-qr.png"), full_page=True)
    with session_scope(world.url) as db:
        from sqlalchemy import select  # noqa: PLC0415

        req = db.scalar(select(AppointmentRequest).where(AppointmentRequest.reference == reference))
        assert req.prescripteur_name == "Martine Bénévole" and req.consent_recorded_at is not None
    link = page.locator("#summary-link").get_attribute("href")
    assert link.startswith("http://127.0.0.1:8000/resume/")  # PUBLIC_URL of the tests
    page.goto(link.replace("http://127.0.0.1:8000", base))
    assert reference in page.content()
    context.close()
