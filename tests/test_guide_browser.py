"""Guide mode in a real browser (Debian's Chromium driven by Playwright) on a phone-sized screen,
against the guide router served by uvicorn: an encounter, a correction, the results, the printable
summary. Screenshots and the summary as PDF go to test-artifacts/guide/."""

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

from booking.db_setup import upgrade_database
from core.settings import PROJECT_ROOT

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "guide"
PHONE = {"width": 390, "height": 844}

if not Path(CHROMIUM).exists():
    pytest.skip("Chromium missing: apt-get install -y chromium", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")

# Only the guide router, as web/app.py will include it.
SERVER = """
import sys
import uvicorn
from fastapi import FastAPI
from guide.router import router
app = FastAPI()
app.include_router(router)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), ws="none", log_level="warning")
"""

# How the volunteer answers each question the engine asks (typed, a button, ticked boxes).
INCOME, RENT = 873, 437
ANSWERS = {
    "age": ("text", "68"),
    "household": ("button", "Seul(e)"),
    "children_count": ("button", "Aucun"),
    "income_monthly": ("text", f"{INCOME} euros"),
    "income_kinds": ("boxes", ["Retraite"]),
    "income_pension": ("text", f"{INCOME} euros"),  # one amount per kind of income
    "housing": ("text", "je suis locataire"),
    "rent": ("text", f"{RENT}"),
    "work": ("button", "Retraité(e)"),
    "disability": ("button", "Pas de handicap"),
    "commune": ("text", "Saint-Max"),
    "situations": ("boxes", ["Aucune"]),
    "health_cover": ("button", "Non, aucune"),
    "current_benefits": ("boxes", ["Aucune"]),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("guide")
    url_db = f"sqlite:///{tmp / 'guide.db'}"
    upgrade_database(url_db)
    port = _free_port()
    env = dict(os.environ, AVECVOUS_RUN_DIR=str(tmp), DATABASE_URL=url_db,
               AVECVOUS_SECRET_KEY="secret-for-guide-browser-0123456789",
               PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])))
    log = (tmp / "web.log").open("w")
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], cwd=PROJECT_ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(url + "/guide", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError((tmp / "web.log").read_text())
            time.sleep(0.1)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        yield url
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


def _question_id(page) -> str | None:
    field = page.locator("form.typed input[name=question]")
    return field.get_attribute("value") if field.count() else None


def _answer(page, how: tuple[str, object]) -> None:
    kind, value = how
    if kind == "text":
        page.fill("#reponse", str(value))
        page.locator("form.typed button[type=submit]").click()
    elif kind == "button":
        page.locator("form.choices button", has_text=re.compile(rf"^\s*{re.escape(str(value))}\s*$")).click()
    else:
        for title in value:
            page.locator("form.checks label", has_text=title).locator("input").check()
        page.locator("form.checks button[type=submit]").click()
    page.wait_for_load_state()


def _pdf_pages(path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", path.read_bytes()))


def test_encounter_correction_results_and_printable_summary(site, browser):
    context = browser.new_context(viewport=PHONE, locale="fr-FR")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(site + "/guide")
        page.screenshot(path=str(ARTIFACTS / "01-accueil.png"), full_page=True)
        page.get_by_role("button", name="Commencer une rencontre").click()
        page.wait_for_url("**/guide/question")
        assert page.locator("h1.ask").inner_text().startswith("Demandez")
        page.screenshot(path=str(ARTIFACTS / "02-premiere-question.png"), full_page=True)

        asked: list[str] = []
        corrected = tip_seen = False
        while (question_id := _question_id(page)) is not None and len(asked) < 30:
            if question_id in ("income_pension", "income_monthly") and not tip_seen:
                tip = page.locator("aside.tip")
                assert tip.is_visible() and "estimation suffit" in tip.inner_text()
                page.screenshot(path=str(ARTIFACTS / "03-conseil-question-delicate.png"), full_page=True)
                tip_seen = True
            if len(asked) == 4 and not corrected:
                # A typed answer that cannot be read gets a polite message, on the same question.
                page.fill("#reponse", "???")
                page.locator("form.typed button[type=submit]").click()
                page.wait_for_load_state()
                assert page.get_by_role("alert").is_visible()
                assert _question_id(page) == question_id
                # Go back and correct the age, then the questions go on.
                page.get_by_role("link", name="Corriger : Âge").click()
                page.wait_for_url("**/guide/question?q=age")
                assert "Réponse actuelle" in page.inner_text("main")
                page.screenshot(path=str(ARTIFACTS / "04-correction.png"), full_page=True)
                page.fill("#reponse", "72")
                page.locator("form.typed button[type=submit]").click()
                page.wait_for_url("**/guide/question")
                assert "72 ans" in page.locator("section.recap").inner_text()
                assert _question_id(page) not in asked
                corrected = True
                continue
            asked.append(question_id)
            _answer(page, ANSWERS[question_id])
            if page.url.endswith("/guide/resultats") and page.get_by_role("button", name=re.compile("Préciser")).count():
                page.screenshot(path=str(ARTIFACTS / "05-premiers-resultats.png"), full_page=True)
                page.get_by_role("button", name=re.compile("Préciser")).click()
                page.wait_for_url("**/guide/question")
        assert corrected and page.url.endswith("/guide/resultats")

        main = page.inner_text("main")
        assert re.search(r"\d+ aides (probables, environ [\d\u202f]+ € par mois en tout|semblent possibles)", main)
        assert re.search(r"Téléphone : 0\d( \d\d){4}", main), "always a number to call"
        assert "Expliquez que" in main and "À apporter" in main
        assert "Équipe « Avec vous pour vos droits »" in main
        page.screenshot(path=str(ARTIFACTS / "06-resultats.png"), full_page=True)

        page.get_by_role("link", name="Imprimer le résumé pour la personne").click()
        page.wait_for_url("**/guide/resume")
        summary = page.inner_text("main")
        assert "Les aides à vérifier pour vous" in summary
        assert "À apporter" in summary and "Qui voir" in summary
        assert str(INCOME) not in summary and str(RENT) not in summary and "72 ans" not in summary
        # The print button is a progressive enhancement: shown by the script, hidden on paper.
        assert page.get_by_role("button", name="Imprimer").is_visible()
        page.screenshot(path=str(ARTIFACTS / "07-resume-ecran.png"), full_page=True)
        page.emulate_media(media="print")
        assert not page.get_by_role("button", name="Imprimer").is_visible()
        pdf = ARTIFACTS / "resume.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
        assert pdf.read_bytes().startswith(b"%PDF")
        assert _pdf_pages(pdf) == 1, "the summary must fit on one A4 page"
        assert not errors, errors
    finally:
        context.close()
