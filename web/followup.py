"""The follow-up answer page for e-mail links (and any channel without buttons): /suivi/<token>.
The token is the only key; the page shows one question and buttons, nothing personal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import jinja2
from fastapi import APIRouter, Form
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from core.settings import get_settings
from followup import messages, service

router = APIRouter(include_in_schema=False)
_env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
                          autoescape=True)
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"}


def _url() -> str:
    return get_settings().database_url  # explicit: the engine cache is keyed by URL


def _page(status: int = 200, **ctx) -> HTMLResponse:
    ctx.setdefault("message", None)
    ctx.setdefault("question", None)
    ctx.setdefault("choices", [])
    ctx.setdefault("field", "answer")
    ctx.setdefault("token", "")
    return HTMLResponse(_env.get_template("followup.html").render(**ctx), status_code=status, headers=HEADERS)


@router.get("/suivi/{token}")
async def followup_page(token: str) -> HTMLResponse:
    row = await run_in_threadpool(service.find, token, url=_url())
    if row is None:
        return _page(404, message="Ce lien de suivi n'est plus valable. Merci quand même !")
    if row.answered_at is not None:
        return _page(message="Merci, votre réponse est bien enregistrée.")
    question = messages.question(row.first_name, row.step, service.benefit_labels(row))
    return _page(question=question, choices=messages.buttons(), token=token)


@router.post("/suivi/{token}")
async def followup_answer(token: str, answer: Annotated[str, Form()] = "",
                          reason: Annotated[str, Form()] = "") -> HTMLResponse:
    try:
        result = await run_in_threadpool(service.record_answer, token, answer, reason=reason or None, url=_url())
    except service.FollowUpError as exc:
        known = await run_in_threadpool(service.find, token, url=_url())
        return _page(400 if known else 404, message=str(exc))
    if result.ask_reason:
        return _page(question=messages.reason_question(), choices=messages.reason_buttons(), field="reason",
                     token=token)
    reference = result.request.reference if result.request else None
    return _page(message=messages.thanks(result.followup.answer, result.team_name, reference))
