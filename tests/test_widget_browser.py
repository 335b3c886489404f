"""The chat widget in a real browser (Debian's Chromium driven by Playwright), against the web app
served by uvicorn and a fake Rasa. Screenshots go to test-artifacts/widget/."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from core.settings import PROJECT_ROOT
from tests.fakes.fake_rasa import HOUSING_SOCIAL, FakeRasa

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "widget"
SENDER_RE = re.compile(r"^web-[0-9a-f]{32}$")

if not Path(CHROMIUM).exists():
    pytest.skip("Chromium missing: apt-get install -y chromium", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web")
    port = _free_port()
    with FakeRasa() as rasa:
        env = dict(os.environ, RASA_URL=rasa.url, AVECVOUS_RUN_DIR=str(tmp),
                   DATABASE_URL=f"sqlite:///{tmp / 'web.db'}")
        log = (tmp / "web.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "web.app:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--ws", "none", "--log-level", "warning"],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    if httpx.get(url + "/", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None:
                    raise RuntimeError((tmp / "web.log").read_text())
                time.sleep(0.1)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            yield url, rasa
        finally:
            proc.terminate()
            proc.wait(10)
            log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


def bubbles(page) -> list[str]:
    return page.locator(".av-log > li .av-text").all_inner_texts()


def wait_bot_says(page, text: str) -> None:
    page.locator(".av-bot .av-text", has_text=text).last.wait_for(timeout=10_000)


def test_conversation_reload_and_restart_on_a_phone(site, browser):
    url, rasa = site
    rasa.received.clear()
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.goto(url + "/")
    launcher = page.get_by_role("button", name="Vos droits : posez vos questions")
    launcher.wait_for()
    page.screenshot(path=str(ARTIFACTS / "01-page-mobile.png"))

    launcher.click()
    dialog = page.get_by_role("dialog", name="Avec vous pour vos droits")
    dialog.wait_for()
    wait_bot_says(page, "Bonjour")
    first = rasa.received[0]
    assert first["message"] == "/greet" and first["metadata"] == {"channel": "web"}
    assert SENDER_RE.match(first["sender"])
    page.screenshot(path=str(ARTIFACTS / "02-greeting-mobile.png"))

    page.get_by_role("button", name="Connaître mes droits").click()
    wait_bot_says(page, "Où habitez-vous ?")
    assert page.get_by_role("button", name="Connaître mes droits").count() == 0, "old choices removed"
    assert page.locator(".av-user .av-text").last.inner_text() == "Connaître mes droits"
    page.get_by_role("button", name="Locataire HLM").click()
    wait_bot_says(page, "Quel âge avez-vous ?")
    assert rasa.messages()[-1] == HOUSING_SOCIAL

    page.get_by_label("Votre message").fill("J'ai 34 ans")
    page.get_by_label("Votre message").press("Enter")
    wait_bot_says(page, "Vous avez écrit : J'ai 34 ans")
    live = page.locator("[aria-live='polite']")
    page.wait_for_function("document.querySelector('[aria-live=polite]').textContent.includes('34 ans')")
    assert "Vous avez écrit" in live.text_content()
    before = bubbles(page)
    assert len(before) == 8
    page.screenshot(path=str(ARTIFACTS / "03-conversation-mobile.png"))

    # Reload mid-way: same transcript, still open, same sender.
    page.reload()
    dialog.wait_for()
    assert bubbles(page) == before
    count = len(rasa.received)
    page.get_by_label("Votre message").fill("encore moi")
    page.get_by_label("Votre message").press("Enter")
    wait_bot_says(page, "Vous avez écrit : encore moi")
    assert len(rasa.received) == count + 1, "no new greeting after reload"
    assert rasa.received[-1]["sender"] == first["sender"]
    page.screenshot(path=str(ARTIFACTS / "04-after-reload-mobile.png"))

    # Rasa down: a polite apology in the conversation, no crash.
    rasa.down = True
    try:
        page.get_by_label("Votre message").fill("allo ?")
        page.get_by_label("Votre message").press("Enter")
        wait_bot_says(page, "ne peut pas répondre pour le moment")
    finally:
        rasa.down = False

    # Recommencer: /restart, transcript cleared, greeting again.
    page.get_by_role("button", name="Recommencer").click()
    wait_bot_says(page, "Bonjour")
    assert rasa.messages()[-2:] == ["/restart", "/greet"]
    assert bubbles(page) == [
        "Bonjour ! Je vous aide à connaître vos droits. Par quoi commençons-nous ?"
    ]
    page.reload()
    dialog.wait_for()
    assert len(bubbles(page)) == 1
    page.screenshot(path=str(ARTIFACTS / "05-restarted-mobile.png"))

    page.get_by_role("button", name="Fermer la conversation").click()
    assert dialog.is_hidden()
    assert page.evaluate("document.activeElement.className") == "av-launcher"
    context.close()


def _focused(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement;
        const cs = getComputedStyle(el);
        return {tag: el.tagName, id: el.id, cls: el.className, text: (el.textContent || '').trim(),
                outline: cs.outlineStyle, width: parseFloat(cs.outlineWidth)};
    }""")


def _tab_to(page, predicate, limit: int = 15) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = _focused(page)
        if predicate(info):
            return info
    raise AssertionError(f"never reached the element with Tab; last focus: {_focused(page)}")


def test_keyboard_only(site, browser):
    url, rasa = site
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    page = context.new_page()
    page.goto(url + "/")
    page.locator(".av-launcher").wait_for()

    info = _tab_to(page, lambda f: f["cls"] == "av-launcher")
    assert info["outline"] != "none" and info["width"] >= 2, "visible focus"
    page.keyboard.press("Enter")
    wait_bot_says(page, "Bonjour")
    assert _focused(page)["id"] == "av-input", "focus goes to the message field"

    info = _tab_to(page, lambda f: f["text"] == "Connaître mes droits")
    assert info["outline"] != "none" and info["width"] >= 2
    page.screenshot(path=str(ARTIFACTS / "06-keyboard-focus.png"))
    page.keyboard.press("Enter")
    wait_bot_says(page, "Où habitez-vous ?")
    # After a choice, the focus lands on the first new choice: Enter answers again.
    assert _focused(page)["text"] == "Locataire HLM"
    page.keyboard.press("Enter")
    wait_bot_says(page, "Quel âge avez-vous ?")
    assert rasa.messages()[-1] == HOUSING_SOCIAL
    assert _focused(page)["id"] == "av-input"
    page.keyboard.type("34")
    page.keyboard.press("Enter")
    wait_bot_says(page, "Vous avez écrit : 34")

    # The focus stays in the dialog (Tab cycles), Recommencer works from the keyboard.
    info = _tab_to(page, lambda f: f["text"] == "Recommencer")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('.av-log > li').length === 1")
    wait_bot_says(page, "Bonjour")
    for _ in range(12):
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('#av-panel')"), "focus left the dialog"
    page.keyboard.press("Escape")
    assert _focused(page)["cls"] == "av-launcher"
    page.screenshot(path=str(ARTIFACTS / "07-keyboard-closed.png"))
    context.close()


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(fg: str, bg: str) -> float:
    a, b = (tuple(int(x) for x in re.findall(r"\d+", c)[:3]) for c in (fg, bg))
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_accessibility_basics_and_contrast(site, browser):
    url, _rasa = site
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    page = context.new_page()
    page.goto(url + "/")
    page.locator(".av-launcher").click()
    wait_bot_says(page, "Bonjour")
    page.get_by_role("button", name="Connaître mes droits").click()
    wait_bot_says(page, "Où habitez-vous ?")

    panel = page.locator("#av-panel")
    assert panel.get_attribute("role") == "dialog" and panel.get_attribute("aria-modal") == "true"
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator(".av-root").get_attribute("lang") == "fr"
    assert page.get_by_role("group", name="Réponses proposées").count() == 1
    assert page.locator("[aria-live='polite']").count() == 1
    assert page.get_by_label("Votre message").get_attribute("maxlength") == "1000"
    # Screen readers hear who speaks.
    assert page.locator(".av-bot .av-sr").first.text_content() == "L'assistant : "
    assert page.locator(".av-user .av-sr").first.text_content() == "Vous : "

    pairs = page.evaluate("""() => {
        const pick = (sel) => { const el = document.querySelector(sel); const cs = getComputedStyle(el);
            return [sel, cs.color, cs.backgroundColor]; };
        return [pick('.av-bot'), pick('.av-user'), pick('.av-choice'), pick('.av-send'),
                pick('.av-restart'), pick('.av-title'), pick('.av-input')];
    }""")
    for sel, fg, bg in pairs:
        if bg == "rgba(0, 0, 0, 0)":
            bg = "rgb(255, 255, 255)"
        assert _contrast(fg, bg) >= 4.5, (sel, fg, bg)
    # Touch targets of at least 44 px for the answers.
    box = page.get_by_role("button", name="Locataire HLM").bounding_box()
    assert box["height"] >= 44
    # Mobile first: the dialog covers the screen on a phone.
    pbox = panel.bounding_box()
    assert pbox["width"] == 390 and pbox["height"] == 844
    context.close()

