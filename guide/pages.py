"""Rendering the guide pages: the Jinja2 environment, security headers, the state cookie."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from guide import state
from guide.state import Encounter

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,  # what the volunteer typed is shown back escaped
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # The summary link carries a signed token: never send it to another site.
    "Referrer-Policy": "no-referrer",
    # Answers are personal: no copy in a shared cache or the browser's back-forward cache on disk.
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}


def render(name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    html = _env.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


def current_encounter(request: Request) -> Encounter | None:
    return state.load(request.cookies.get(state.COOKIE_NAME))


def save_encounter(response: Response, request: Request, encounter: Encounter) -> Response:
    response.set_cookie(
        state.COOKIE_NAME, state.dump(encounter), max_age=state.MAX_AGE_SECONDS, path=state.COOKIE_PATH,
        httponly=True, samesite="lax", secure=request.url.scheme == "https",
    )
    return response


def forget_encounter(response: Response) -> Response:
    response.delete_cookie(state.COOKIE_NAME, path=state.COOKIE_PATH, httponly=True, samesite="lax")
    return response
