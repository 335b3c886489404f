"""Guide mode for volunteers (/guide) and the resident's printable summary (/guide/resume,
/resume/{token}).

The assistant speaks to the volunteer ("Demandez à la personne si elle vit seule"), one question
per page, in the engine's order (the same as the chatbot), with a tip for delicate questions; any
answer can be corrected; after 8 answers come the results, with an offer to refine them. The
encounter lives in a signed cookie only: nothing is stored on the server.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from calculator import client as calculator
from guide import counting, pages
from guide.encounter import (
    UNKNOWN,
    answered_count,
    button_title,
    can_ask,
    current_question,
    go_back,
    more_questions,
    progress,
    question_by_id,
    read_answer,
    recap,
    visible_buttons,
    why,
)
from guide.encounter import apply_answer as store_answer
from guide.results import volunteer_results
from guide.state import FIRST_RESULTS_AFTER, REFINE_BUDGET, Encounter
from guide.summary import build_summary, summary_data
from guide.summary_links import read_summary_token
from guide.wording import guide_questions

router = APIRouter(include_in_schema=False)

STATIC_FILES = {"guide.css": "text/css", "resume.css": "text/css", "print.js": "text/javascript"}
NO_ENCOUNTER = "Aucune rencontre n'est en cours, ou elle a expiré. Vous pouvez en commencer une nouvelle."
EXAMPLES = {
    "age": "Par exemple : 67, ou « né en 1958 »",
    "count": "Par exemple : 2, ou « aucun »",
    "ages_list": "Par exemple : 3, 7 et 12",
    "amount": "Par exemple : 1 200 €, ou « mille deux cents »",
    "choice": "Ou notez sa réponse avec ses mots",
    "multi_choice": "Par exemple : salaire et chômage",
    "yes_no": "Oui ou non",
    "commune": "Par exemple : Vandœuvre, ou 54500",
}


@router.get("/guide/static/{name}")
def static_file(name: str) -> Response:
    if name not in STATIC_FILES:
        return pages.render("notice.html", {"title": "Page introuvable", "message": "Cette page n'existe pas.",
                                            "has_encounter": False}, status_code=404)
    return FileResponse(pages.STATIC_DIR / name, media_type=STATIC_FILES[name],
                        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})


@router.get("/guide")
def start_page(request: Request, fin: int = 0) -> Response:
    encounter = pages.current_encounter(request)
    return pages.render("start.html", {
        "has_encounter": encounter is not None and bool(encounter.profile),
        "ended": bool(fin),
        "first_results_after": FIRST_RESULTS_AFTER,
    })


@router.post("/guide/start")
def start(request: Request) -> Response:
    encounter = Encounter()
    counting.encounter_started()
    return pages.save_encounter(pages.redirect("/guide/question"), request, encounter)


def _no_encounter(status_code: int = 200) -> Response:
    return pages.render("notice.html", {"title": "Pas de rencontre en cours", "message": NO_ENCOUNTER,
                                        "has_encounter": False}, status_code=status_code)


def _question_page(request: Request, encounter: Encounter, question, *, error: str = "",  # noqa: ANN001
                   text: str = "", candidates: list[tuple[str, str]] | None = None,
                   status_code: int = 200) -> Response:
    wording = guide_questions()[question.id]
    correcting = question.id in encounter.profile
    count = answered_count(encounter.profile)
    refining = encounter.budget > FIRST_RESULTS_AFTER
    buttons = [(str(b.value), button_title(question, b.value)) for b in visible_buttons(question, encounter.profile)]
    if question.type == "yes_no" and not buttons:
        buttons = [("oui", "Oui"), ("non", "Non")]
    current = None
    if correcting:
        current = next((line.value for line in recap(encounter) if line.question_id == question.id), None)
    selected = encounter.profile.get(question.id) if question.type == "multi_choice" else None
    return pages.render("question.html", {
        "question": question,
        "wording": wording,
        "buttons": buttons,
        "candidates": candidates or [],
        "selected": [str(v) for v in selected] if isinstance(selected, list) else [],
        "correcting": correcting,
        "current": current,
        "error": error,
        "text": text,
        "example": EXAMPLES.get(question.type, ""),
        "number": count if correcting else count + 1,
        "answered": count,
        "total": FIRST_RESULTS_AFTER,
        "progress": progress(encounter),
        "why": why(question.id),
        "can_go_back": bool(encounter.history) and not correcting,
        "refining": refining,
        "recap": recap(encounter),
        "has_encounter": True,
    }, status_code=status_code)


@router.get("/guide/question")
def question_page(request: Request, q: str | None = None) -> Response:
    encounter = pages.current_encounter(request)
    if encounter is None:
        return _no_encounter()
    if q:
        question = question_by_id(q)
        if question is None or not can_ask(question, encounter.profile):
            return pages.redirect("/guide/question")
        return _question_page(request, encounter, question)
    question = current_question(encounter)
    if question is None:
        return pages.redirect("/guide/resultats")
    return _question_page(request, encounter, question)


@router.post("/guide/answer")
async def answer(request: Request) -> Response:
    encounter = pages.current_encounter(request)
    if encounter is None:
        return _no_encounter(status_code=409)
    form = await request.form()
    question = question_by_id(str(form.get("question") or ""))
    if question is None or not can_ask(question, encounter.profile):
        return pages.redirect("/guide/question")
    buttons = [str(v) for v in form.getlist("choice") + form.getlist("choices")]
    text = str(form.get("text") or "")
    outcome = read_answer(question, encounter.profile, buttons=buttons, text=text,
                          unknown=form.get("unknown") == "1")
    if not outcome.ok:
        # 200, not 422: this is a normal step of the conversation, shown like any other page.
        return _question_page(request, encounter, question, error=outcome.error, text=text[:300],
                              candidates=outcome.candidates)
    store_answer(encounter, question.id, outcome.updates)
    calculator.prefetch(encounter.profile)  # OpenFisca starts now; the results page finds it cached
    return pages.save_encounter(pages.redirect("/guide/question"), request, encounter)


@router.post("/guide/retour")
def previous_question(request: Request) -> Response:
    """ "Question précédente": the latest answer is undone and asked again."""
    encounter = pages.current_encounter(request)
    if encounter is None:
        return _no_encounter(status_code=409)
    go_back(encounter)
    return pages.save_encounter(pages.redirect("/guide/question"), request, encounter)


@router.post("/guide/preciser")
def refine(request: Request) -> Response:
    encounter = pages.current_encounter(request)
    if encounter is None:
        return _no_encounter(status_code=409)
    encounter.budget = REFINE_BUDGET
    return pages.save_encounter(pages.redirect("/guide/question"), request, encounter)


@router.get("/guide/resultats")
def results_page(request: Request) -> Response:
    encounter = pages.current_encounter(request)
    if encounter is None:
        return _no_encounter()
    if not encounter.profile:
        return pages.redirect("/guide/question")
    results = volunteer_results(encounter.profile, calculator.results_sync(encounter.profile))
    first_time = not encounter.finished
    if first_time:
        counting.encounter_finished(encounter.profile, results.likely_results)
        encounter.finished = True
    response = pages.render("results.html", {
        "results": results,
        "can_refine": more_questions(encounter.profile),
        "ask_commune": encounter.profile.get("commune") in (None, UNKNOWN),
        "answered": answered_count(encounter.profile),
        "recap": recap(encounter),
        "has_encounter": True,
    })
    return pages.save_encounter(response, request, encounter) if first_time else response


@router.post("/guide/terminer")
def end(request: Request) -> Response:
    """Forget the encounter (the next person must not see these answers)."""
    return pages.forget_encounter(pages.redirect("/guide?fin=1"))


@router.get("/guide/resume")
def summary_from_encounter(request: Request) -> Response:
    encounter = pages.current_encounter(request)
    if encounter is None:
        return _no_encounter()
    summary = build_summary(summary_data(encounter.profile))
    return pages.render("resume.html", {"summary": summary, "back": "/guide/resultats"})


@router.get("/resume/{token}")
def summary_from_link(token: str) -> Response:
    data = read_summary_token(token)
    if data is None:
        return pages.render("notice.html", {
            "title": "Lien expiré",
            "message": "Ce lien n'est plus valable. Il dure 30 jours. Demandez un nouveau résumé dans le chat, "
                       "ou à l'équipe.",
            "has_encounter": False,
        }, status_code=404)
    return pages.render("resume.html", {"summary": build_summary(data), "back": None})
