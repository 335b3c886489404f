"""Issue 15 in a real headless Chromium (Playwright): the follow-up consent said out loud in guide
booking with the short link to dictate, and the "Personne à prévenir" flag of a transferred request
until a staff member ticks "personne prévenue". Screenshots go to test-artifacts/partners/."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from test_partners_browser import ARTIFACTS, PASSWORD_C, PHONE, _login, browser, server  # noqa: F401 - fixtures
from test_staff_browser import TABLET

from booking.models import AppointmentRequest, RequestTransfer
from core.db import session_scope
from followup.models import FollowUp
from guide import state
from guide.state import Encounter

pytestmark = pytest.mark.browser


def test_volunteer_records_the_follow_up_consent_and_dictates_the_short_link(server, browser):  # noqa: F811
    base, world = server
    context = browser.new_context(viewport=PHONE, locale="fr-FR", timezone_id="Europe/Paris")
    profile = {"age": 68, "household": "alone", "children_count": 0, "income_monthly": 873.0,
               "income_kinds": ["pension"], "housing": "tenant", "rent": 437.0, "work": "retired",
               "disability": "none", "commune": "54482"}
    context.add_cookies([{"name": state.COOKIE_NAME, "value": state.dump(Encounter(profile=profile, order=list(profile))),
                          "url": f"{base}/guide"}])
    page = context.new_page()
    page.goto(f"{base}/guide/rendez-vous")
    page.locator("input[name=choice]").first.check()
    page.get_by_label("Prénom de la personne").fill("Josiane")
    page.get_by_label("Son numéro de téléphone").fill("06 12 34 56 78")
    page.get_by_label("Votre nom (bénévole)").fill("Martine Bénévole")
    page.get_by_label("La personne est d'accord").check()
    page.get_by_label("Oui, par e-mail").check()
    page.get_by_role("button", name="Demander le rendez-vous").click()
    page.wait_for_load_state()
    # Ticked without an address: the page says what is missing and keeps every answer.
    assert "notez l'adresse e-mail" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Oui, par e-mail").is_checked()
    assert page.get_by_label("Prénom de la personne").input_value() == "Josiane"
    page.screenshot(path=str(ARTIFACTS / "08-guide-follow-up-needs-email.png"), full_page=True)
    page.get_by_label("Son adresse e-mail").fill("josiane@exemple.fr")
    page.locator("input[name=choice]").first.check()
    page.get_by_role("button", name="Demander le rendez-vous").click()
    page.wait_for_load_state()
    reference = page.locator("#reference").inner_text().strip()
    short = page.locator("#short-link")
    assert short.is_visible() and short.inner_text().startswith("127.0.0.1:8000/r/")
    size = float(short.locator("strong").evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))
    assert size >= 28, f"large enough to read aloud ({size}px)"
    box_qr, box_short = page.locator("#qr-code").bounding_box(), short.bounding_box()
    assert box_short["y"] > box_qr["y"] + box_qr["height"] - 1, "under the QR code"
    page.screenshot(path=str(ARTIFACTS / "09-guide-short-link.png"), full_page=True)
    with session_scope(world.url) as db:
        req = db.scalar(select(AppointmentRequest).where(AppointmentRequest.reference == reference))
        assert req.followup_consent and req.contact_email == "josiane@exemple.fr"
        assert [r.step for r in db.scalars(select(FollowUp).where(FollowUp.request_id == req.id))] == [6, 30]
    # The resident types what was dictated, in lower case with the space.
    code = short.locator("strong").inner_text().strip().lower()
    page.goto(f"{base}/r/{code}")
    assert "/resume/" in page.url and reference in page.content()
    page.goto(f"{base}/r/ZZZZ ZZZZ")
    assert page.get_by_role("heading", level=1).inner_text() == "Ce code n'est plus valable"
    page.screenshot(path=str(ARTIFACTS / "10-short-link-gone.png"), full_page=True)
    context.close()


def test_personne_a_prevenir_until_personne_prevenue_is_ticked(server, browser):  # noqa: F811
    base, world = server
    with session_scope(world.url) as db:
        req = db.get(AppointmentRequest, world.a_request_id)
        req.team_id, req.status, req.telegram_chat_id, req.contact_channel = "ccas-toul", "transferred", None, "phone"
        db.add(RequestTransfer(request_id=req.id, from_team_id="equipe-a", to_team_id="ccas-toul",
                               note="Dossier ASPA.", at=datetime.now(timezone.utc), resident_channel="phone",
                               resident_notify_attempts=0, team_notify_attempts=0,
                               team_notified_at=datetime.now(timezone.utc)))
    context = browser.new_context(viewport=TABLET, locale="fr-FR", timezone_id="Europe/Paris")
    page = _login(context, base, "chloe@exemple.fr", PASSWORD_C)
    row = page.locator("tr", has_text="AV-AAA1")
    assert row.locator(".badge-to-call").inner_text() == "Personne à prévenir"
    page.screenshot(path=str(ARTIFACTS / "11-inbox-personne-a-prevenir.png"), full_page=True)
    page.get_by_role("link", name="AV-AAA1").click()
    assert page.locator("#to-call").is_visible() and "06 12 34 56 78" in page.locator("#to-call").inner_text()
    page.locator("#to-call").get_by_role("button", name="Enregistrer").click()
    assert page.get_by_label("Personne prévenue").evaluate("el => el.validity.valueMissing")  # tick first
    page.get_by_label("Personne prévenue").check()
    page.locator("#to-call").get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    assert "la personne est prévenue" in page.get_by_role("status").first.inner_text()
    assert page.locator("#to-call").count() == 0
    page.screenshot(path=str(ARTIFACTS / "12-personne-prevenue.png"), full_page=True)
    page.goto(f"{base}/staff/requests")
    assert page.locator("tr", has_text="AV-AAA1").locator(".badge-to-call").count() == 0
    context.close()
