"""The staff app in a real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright:
log in, open a request, change its status, check it changed. Screenshots go to test-artifacts/staff/."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from staff_fixtures import PASSWORD_A, SCRIPT_NAME, make_app, prepare_database

from core.settings import PROJECT_ROOT, get_settings

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "staff"
TABLET = {"width": 820, "height": 1180}  # a tablet held upright

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path, monkeypatch):
    world = prepare_database(tmp_path, monkeypatch)
    port = _free_port()
    # ws="none": the staff app needs no websockets, and uvicorn's "auto" choice fails to import
    # with the websockets 10.4 that rasa-sdk pins.
    config = uvicorn.Config(make_app(), host="127.0.0.1", port=port, log_level="warning", ws="none")
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
    get_settings.cache_clear()  # the next test reads its own environment again


@pytest.fixture
def page():
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get update && apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport=TABLET, locale="fr-FR", timezone_id="Europe/Paris")
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.dialogs = dialogs
        yield page
        context.close()
        browser.close()


def test_log_in_open_a_request_and_change_its_status(server, page):
    base, world = server
    page.goto(f"{base}/staff/requests")
    assert page.url.startswith(f"{base}/staff/login")  # not logged in: sent to the login page
    page.screenshot(path=str(ARTIFACTS / "01-login.png"), full_page=True)

    page.get_by_label("Adresse e-mail").fill("alice@exemple.fr")
    page.get_by_label("Mot de passe").fill(PASSWORD_A)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}/staff/requests")
    # The stylesheet is allowed by the Content-Security-Policy and applied.
    header_bg = page.eval_on_selector("header.top", "el => getComputedStyle(el).backgroundColor")
    assert header_bg == "rgb(0, 74, 143)"
    # The resident's HTML is shown as text and never runs.
    assert page.get_by_text(SCRIPT_NAME).count() == 1
    assert page.dialogs == []
    assert page.get_by_role("link", name="AV-BBB1").count() == 0  # team B's request is not listed
    page.screenshot(path=str(ARTIFACTS / "02-inbox.png"), full_page=True)

    page.get_by_role("link", name="AV-AAA1").click()
    page.wait_for_url(f"{base}/staff/requests/{world.a_request_id}")
    assert page.locator("#current-status").inner_text().strip() == "Nouvelle demande"
    assert "jeudi 3 décembre 2026 à 14 h 30" in page.content()
    page.screenshot(path=str(ARTIFACTS / "03-detail-before.png"), full_page=True)

    page.get_by_label("Personne contactée").check()
    page.get_by_label("Note").fill("Appel passé, rendez-vous confirmé.")
    page.get_by_role("button", name="Enregistrer le statut").click()
    page.wait_for_load_state()
    assert page.locator("#current-status").inner_text().strip() == "Personne contactée"
    assert page.get_by_role("status").inner_text().startswith("C'est noté")
    assert page.get_by_text("Appel passé, rendez-vous confirmé.").is_visible()
    assert page.get_by_text("par Alice Martin").is_visible()
    page.screenshot(path=str(ARTIFACTS / "04-detail-after.png"), full_page=True)

    # Reload from the server: the change is stored, and the next step offers only allowed statuses.
    page.reload()
    assert page.locator("#current-status").inner_text().strip() == "Personne contactée"
    offered = page.locator("input[name=to_status]").evaluate_all("els => els.map(e => e.value)")
    assert offered == ["held", "no_show", "cancelled"]
    assert page.dialogs == []
