"""The widget's results and errors on a phone (Chromium, 390×844, touch), against a fake Rasa:
tappable phone numbers, link buttons, no keyboard pop-up on taps, the first new message in view,
"Réessayer" and a number to call on errors, distinct accessible names, a <noscript> fallback,
and focus outlines of at least 3:1 on the guide and staff pages. Screenshots in
test-artifacts/widget/."""

from __future__ import annotations

import httpx
import pytest

from tests.test_widget_browser import ARTIFACTS, _contrast, browser, site, wait_bot_says  # noqa: F401

pytestmark = pytest.mark.browser

LONG = "\n".join(f"Ligne {i} d'une longue réponse." for i in range(40))
RESULTS = [
    {"text": "15 aides probables, environ 1 158 € par mois en tout."},
    {"text": "Revenu de solidarité active (RSA)\nEnviron 821 € par mois.\nOù la demander : en ligne sur caf.fr.",
     "buttons": [{"title": "Faire la demande en ligne : RSA", "payload": "Faire la demande en ligne : RSA",
                  "url": "https://www.caf.fr"},
                 {"title": "En savoir plus : RSA", "payload": '/benefit_details{"benefit_id":"rsa"}'}]},
    {"text": "Aide au logement (APL)\nLe montant dépend de votre loyer.",
     "buttons": [{"title": "En savoir plus : APL", "payload": '/benefit_details{"benefit_id":"apl"}'}]},
    {"text": "<img src=x onerror=\"window.pwned=1\"> Pour appeler : CCAS de Nancy au 03 83 85 31 92. "
             "La nuit, appelez le 115, ou le 3114. Rendez-vous le 15 décembre à 9 h.\n" + LONG,
     "buttons": [{"title": "Prendre rendez-vous", "payload": "/book_appointment"},
                 {"title": "Prendre rendez-vous", "payload": "/book_appointment"},
                 {"title": "Parler à quelqu'un", "payload": "/talk_to_person"}]},
]


def _phone_page(browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", is_mobile=True,
                                  has_touch=True)
    return context, context.new_page()


def test_results_on_a_phone_links_numbers_and_no_keyboard(site, browser):  # noqa: F811
    url, rasa = site
    rasa.script["/results"] = RESULTS
    rasa.script["/greet"] = [{"text": "Bonjour ! Je vous aide à connaître vos droits. Par quoi commençons-nous ?",
                              "buttons": [{"title": "Voir mes résultats", "payload": "/results"}]}]
    try:
        context, page = _phone_page(browser)
        page.goto(url + "/")
        page.locator(".av-launcher").tap()
        wait_bot_says(page, "Bonjour")
        assert page.evaluate("document.activeElement.id") != "av-input", "no keyboard when the chat opens"
        page.get_by_role("button", name="Voir mes résultats").tap()
        wait_bot_says(page, "15 aides probables")
        page.wait_for_timeout(400)
        assert page.evaluate("document.activeElement.id") != "av-input", "a tap must not open the keyboard"
        assert page.evaluate("window.pwned") is None and page.locator(".av-log img").count() == 0, "no HTML injection"

        # The first new message is in view (a long reply is read from its start).
        first = page.locator(".av-bot", has_text="15 aides probables").bounding_box()
        log = page.locator(".av-log").bounding_box()
        assert log["y"] - 1 <= first["y"] <= log["y"] + log["height"] / 2
        page.screenshot(path=str(ARTIFACTS / "10-results-phone.png"))

        # Phone numbers are tel: links; amounts and dates are not.
        hrefs = page.locator(".av-log a.av-tel").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        assert hrefs == ["tel:0383853192", "tel:115", "tel:3114"]
        # A link button opens the official service in a new tab.
        link = page.get_by_role("link", name="Faire la demande en ligne : RSA")
        assert link.get_attribute("href") == "https://www.caf.fr" and link.get_attribute("target") == "_blank"
        # Every control has its own accessible name; the same choice twice is shown once.
        names = page.evaluate("""() => [...document.querySelectorAll('#av-panel button, #av-panel a[href]')]
            .filter(e => e.offsetParent !== null)
            .map(e => (e.getAttribute('aria-label') || e.textContent).trim())""")
        assert len(names) == len(set(names)), names
        assert page.get_by_role("button", name="Prendre rendez-vous").count() == 1
        box = page.get_by_role("button", name="En savoir plus : RSA").bounding_box()
        assert box["height"] >= 44
        context.close()
    finally:
        rasa.script.pop("/results", None)
        rasa.script.pop("/greet", None)
        from tests.fakes.fake_rasa import default_script
        rasa.script["/greet"] = default_script()["/greet"]


def test_errors_offer_retry_and_a_number(site, browser):  # noqa: F811
    url, rasa = site
    context, page = _phone_page(browser)
    page.goto(url + "/")
    page.locator(".av-launcher").tap()
    wait_bot_says(page, "Bonjour")
    rasa.down = True
    try:
        page.get_by_label("Votre message").fill("j'ai 40 ans")
        page.get_by_label("Votre message").press("Enter")
        wait_bot_says(page, "ne peut pas répondre pour le moment")
    finally:
        rasa.down = False
    apology = page.locator(".av-bot", has_text="ne peut pas répondre").last
    assert "03 83 29 43 78" in apology.inner_text()
    assert apology.locator("a.av-tel").get_attribute("href") == "tel:0383294378"
    page.screenshot(path=str(ARTIFACTS / "11-error-retry-phone.png"))
    count = len(rasa.received)
    page.get_by_role("button", name="Réessayer").tap()
    wait_bot_says(page, "Vous avez écrit : j'ai 40 ans")
    assert len(rasa.received) == count + 1 and rasa.received[-1]["message"] == "j'ai 40 ans"
    assert page.locator(".av-bot", has_text="ne peut pas répondre").count() == 0, "the apology goes"
    assert page.locator(".av-user", has_text="j'ai 40 ans").count() == 1, "the words are not repeated"
    context.close()


def test_noscript_fallback_gives_a_number(site, browser):  # noqa: F811
    url, _rasa = site
    html = httpx.get(url + "/", timeout=10).text
    assert "<noscript>" in html and 'href="tel:0383294378"' in html
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    page.goto(url + "/")
    fallback = page.locator("noscript p")
    assert fallback.is_visible() and "besoin de JavaScript" in fallback.inner_text()
    page.screenshot(path=str(ARTIFACTS / "12-noscript.png"))
    context.close()


def _focus_ring(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement; const cs = getComputedStyle(el);
        let bg = 'rgba(0, 0, 0, 0)'; let node = el.parentElement;
        while (node && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
            bg = getComputedStyle(node).backgroundColor; node = node.parentElement; }
        return {tag: el.tagName, outline: cs.outlineColor, width: parseFloat(cs.outlineWidth),
                style: cs.outlineStyle, bg: bg === 'rgba(0, 0, 0, 0)' ? 'rgb(255, 255, 255)' : bg,
                halo: cs.boxShadow};
    }""")


@pytest.mark.parametrize("path", ["/guide", "/staff/login"])
def test_focus_outline_contrast_on_guide_and_staff_pages(site, browser, path):  # noqa: F811
    url, _rasa = site
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    page = context.new_page()
    page.goto(url + path)
    seen = 0
    for _ in range(8):
        page.keyboard.press("Tab")
        ring = _focus_ring(page)
        if ring["tag"] in ("BODY", "HTML"):
            continue
        seen += 1
        assert ring["style"] != "none" and ring["width"] >= 2, ring
        # The ring itself, or its white halo, contrasts at least 3:1 with what is around it.
        best = max(_contrast(ring["outline"], ring["bg"]),
                   _contrast("rgb(255, 255, 255)", ring["bg"]) if "255, 255, 255" in ring["halo"] else 0)
        assert best >= 3, (path, ring)
    assert seen, "some control took the focus"
    page.screenshot(path=str(ARTIFACTS / f"13-focus{path.replace('/', '-')}.png"))
    context.close()
