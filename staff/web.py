"""Plumbing shared by the staff pages: templates, errors, the route class (session cookie, CSRF
check on every POST, security headers), the database session and the logged-in user."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, Form, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from booking.models import CHANNEL_LABELS, KIND_LABELS, STATUS_LABELS, StaffUser
from core.db import session_factory
from core.settings import get_settings
from staff import account_state, sessions
from staff.formatting import french_date, french_datetime, short_datetime
from staff.session import CookieSession, password_fingerprint

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
CSRF_FIELD = "csrf_token"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,  # everything a resident typed is shown escaped
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(
    french_date=french_date,
    french_datetime=french_datetime,
    short_datetime=short_datetime,
    status_label=lambda value: STATUS_LABELS.get(value, value),
    kind_label=lambda value: KIND_LABELS.get(value, value),
    channel_label=lambda value: CHANNEL_LABELS.get(value, value),
)
templates = Jinja2Templates(env=_env)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class StaffError(Exception):
    """Stops a request and shows a French error page with this status."""

    def __init__(self, status_code: int, title: str, message: str) -> None:
        super().__init__(title)
        self.status_code = status_code
        self.title = title
        self.message = message


def not_found() -> StaffError:
    return StaffError(404, "Page introuvable",
                      "Cette page n'existe pas, ou elle ne concerne pas votre équipe.")


class LoginRequired(Exception):
    pass


class PasswordChangeRequired(Exception):
    """A temporary password: every page but the password form and logout leads there."""


# Pages open to a user whose password is temporary.
PASSWORD_CHANGE_PATHS = ("/staff/password", "/staff/logout", "/staff/static/staff.css")


def session_of(request: Request) -> CookieSession:
    return request.state.staff_session


def render(request: Request, name: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    session = session_of(request)
    ctx = {
        "user": getattr(request.state, "staff_user", None),
        "csrf_field": CSRF_FIELD,
        "csrf_token": session.csrf_token(),
        "flash": session.take_flash(),
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _error_response(request: Request, exc: StaffError) -> HTMLResponse:
    return render(request, "error.html", {"title": exc.title, "message": exc.message},
                  status_code=exc.status_code)


def _csrf_error() -> StaffError:
    return StaffError(403, "Action refusée",
                      "Ce formulaire a expiré ou ne vient pas de cette application. "
                      "Rechargez la page, puis réessayez.")


class StaffRoute(APIRoute):
    """Every staff route: loads the session, checks the CSRF token of every POST before the
    endpoint runs, turns errors into French pages, saves the session and adds security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            session = CookieSession.load(request)
            request.state.staff_session = session
            try:
                if request.method == "POST":
                    try:
                        form = await request.form()
                    except Exception as exc:  # malformed body
                        raise StaffError(400, "Demande incomplète",
                                         "Le formulaire envoyé n'a pas pu être lu. Réessayez.") from exc
                    if not session.csrf_matches(form.get(CSRF_FIELD)):
                        raise _csrf_error()
                response = await original(request)
            except PasswordChangeRequired:
                session.flash("Choisissez d'abord votre propre mot de passe : celui que vous avez reçu "
                              "est provisoire.", "error")
                response = redirect("/staff/password")
            except LoginRequired:
                target = request.url.path
                if request.url.query:
                    target += "?" + request.url.query
                response = redirect(f"/staff/login?next={quote(target, safe='')}")
            except StaffError as exc:
                response = _error_response(request, exc)
            except RequestValidationError as exc:
                in_path = any(err.get("loc", ("",))[0] == "path" for err in exc.errors())
                error = not_found() if in_path else StaffError(
                    400, "Formulaire incomplet", "Une information manque ou n'est pas valide. Réessayez.")
                response = _error_response(request, error)
            session.save(response)
            for key, value in SECURITY_HEADERS.items():
                response.headers.setdefault(key, value)
            return response

        return handler


def get_db() -> Iterator[Session]:
    db = session_factory(get_settings().database_url)()
    try:
        yield db
    finally:
        db.close()


Db = Annotated[Session, Depends(get_db)]
FormText = Annotated[str, Form()]


def current_user(request: Request, db: Db) -> StaffUser:
    """The logged-in, still active user whose server-side session is open (not logged out, not
    ended by a password change) and whose password has not changed since login."""
    session = session_of(request)
    user_id = session.get("uid")
    user = db.get(StaffUser, user_id) if isinstance(user_id, int) else None
    if (user is None or not user.active or session.get("pw") != password_fingerprint(user.password_hash)
            or not sessions.valid_session(db, session.get("sid"), user.id)):
        if user_id is not None:
            session.clear()
        raise LoginRequired
    request.state.staff_user = user
    if request.url.path not in PASSWORD_CHANGE_PATHS and account_state.must_change_password(db, user.id):
        raise PasswordChangeRequired
    return user


CurrentUser = Annotated[StaffUser, Depends(current_user)]


def admin_user(user: CurrentUser) -> StaffUser:
    if user.role != "admin":
        raise StaffError(403, "Accès réservé",
                         "Cette page est réservée aux administrateurs. "
                         "Si vous en avez besoin, adressez-vous à l'un d'eux.")
    return user


AdminUser = Annotated[StaffUser, Depends(admin_user)]


def safe_next(target: str | None) -> str:
    """Only a path inside the staff app, never another site (open redirect)."""
    if target and target.startswith("/staff/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/staff/requests"
