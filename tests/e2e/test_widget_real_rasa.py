"""The web widget in a real browser (Debian's Chromium) against the real Rasa: from the demo page
through the questionnaire to the results and a booking, with a reload mid-way."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright import sync_api

from core.settings import PROJECT_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "widget-real"
TYPED = {"age": "68", "household": None, "children_count": None, "children_ages": "jsp",
         "income_monthly": "sept cent vingt euros", "income_kinds": "ma retraite",
         "income_pension": "sept cent vingt euros", "housing": None,
         "rent": "450", "work": "retraitee", "disability": None, "commune": "nancy", "situations": "aucune",
         "current_benefits": "aucune", "scholarship": "non", "disability_who": "moi",
         "health_cover": "une mutuelle"}
BUTTON_FOR = {"household": "Seul", "children_count": "Aucun", "housing": "Locataire", "disability": "Pas de handicap"}


def _sender(page) -> str:
    # The server issues the conversation id in a signed HttpOnly cookie ("<sender>.<time>.<sig>").
    for cookie in page.context.cookies():
        if cookie["name"].endswith("avecvous_chat"):
            return cookie["value"].split(".")[0]
    return None


def _requested(stack, sender: str):  # noqa: ANN202
    return stack.tracker(sender)["slots"]["requested_slot"]


def _wait_reply(page, before: int) -> None:
    page.wait_for_function(f"document.querySelectorAll('.av-bot').length > {before}", timeout=60_000)
    page.wait_for_timeout(300)


def _bots(page) -> int:
    return page.locator(".av-bot").count()


def test_demo_page_to_booking_in_chromium(stack):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--headless", "--no-sandbox", "--disable-gpu",
                                          "--disable-background-networking"])
        page = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR",
                                   is_mobile=True, has_touch=True).new_page()
        page.goto(stack.web_url + "/")
        page.locator(".av-launcher").click()
        page.locator(".av-bot .av-text", has_text="Bonjour").last.wait_for(timeout=60_000)
        sender = _sender(page)
        assert sender, "the widget keeps its sender id"
        n = _bots(page)
        page.get_by_role("button", name="Trouver mes aides").click()
        _wait_reply(page, n)
        reloaded = False
        for _ in range(14):
            requested = _requested(stack, sender)
            if requested is None:
                break
            n = _bots(page)
            if TYPED.get(requested) is None:
                page.get_by_role("button", name=BUTTON_FOR[requested], exact=False).first.click()
            else:
                box = page.get_by_label("Votre message")
                box.fill(TYPED[requested])
                box.press("Enter")
            _wait_reply(page, n)
            if not reloaded and requested == "household":
                page.reload()  # mid-way: the conversation is still there
                page.locator(".av-bot").first.wait_for(timeout=30_000)
                assert _sender(page) == sender and _bots(page) >= n + 1
                reloaded = True
        assert _requested(stack, sender) is None and reloaded
        page.screenshot(path=str(ARTIFACTS / "01-results.png"), full_page=True)
        assert page.locator(".av-bot", has_text="ASPA").count() >= 1

        n = _bots(page)
        page.get_by_role("button", name="Prendre rendez-vous").last.click()
        _wait_reply(page, n)
        if _requested(stack, sender) == "commune":
            n = _bots(page)
            page.get_by_label("Votre message").fill("Nancy")
            page.get_by_label("Votre message").press("Enter")
            _wait_reply(page, n)
        n = _bots(page)
        page.get_by_role("button", name=re.compile("décembre|janvier")).first.click()
        _wait_reply(page, n)
        for typed in ("Mireille", "06 11 22 33 44"):
            n = _bots(page)
            page.get_by_label("Votre message").fill(typed)
            page.get_by_label("Votre message").press("Enter")
            _wait_reply(page, n)
        n = _bots(page)
        page.get_by_role("button", name="Oui, envoyer le résumé").click()
        _wait_reply(page, n)
        followup = page.locator(".av-bot", has_text="Dans quelques jours")
        if followup.count():  # the follow-up question, unless it came after the results
            n = _bots(page)
            page.locator(".av-bot").last.get_by_role("button", name="Oui").click()
            _wait_reply(page, n)
        n = _bots(page)
        page.get_by_role("button", name="Confirmer").click()  # the recap: nothing is written before
        _wait_reply(page, n)
        confirmation = page.locator(".av-bot", has_text="Votre référence").last
        confirmation.wait_for(timeout=30_000)
        assert re.search(r"AV-[2-9A-Z]{4}", confirmation.inner_text())
        page.screenshot(path=str(ARTIFACTS / "02-booking-confirmed.png"), full_page=True)
        browser.close()


def test_rasa_port_is_not_needed_by_the_browser(stack):
    page = httpx.get(stack.web_url + "/", timeout=30).text
    assert str(stack.rasa_port) not in page and "/widget/avecvous.js" in page
    assert Path(PROJECT_ROOT / "channels" / "web" / "static" / "avecvous.js").exists()
