"""The staff web app, mounted at /staff: login, the team's inbox, request detail, status
changes, transfers to another team or partner, CSV export, and the admin pages (teams, users,
undoing a change).

A staff member only ever reaches the requests their team holds, plus (read only) those their team
transferred: every query is filtered by the user's team and any other id answers 404, exactly like
an id that does not exist.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking import labels, transfer_notify, workflow
from booking.models import (
    REQUEST_STATUSES,
    STATUS_LABELS,
    AppointmentRequest,
    StaffUser,
)
from booking.passwords import MIN_LENGTH
from booking.transfer_notify import deliver_transfers_in_background
from privacy import audit
from staff import account_state, accounts, requests_view, sessions, stats_view, throttle
from staff.csv_export import build_csv
from staff.formatting import PARIS
from staff.session import password_fingerprint
from staff.transitions import next_statuses
from staff.web import (
    AdminUser,
    CurrentUser,
    Db,
    FormText,
    StaffRoute,
    not_found,
    redirect,
    render,
    safe_next,
    session_of,
)
from stats import report as stats_report

router = APIRouter(prefix="/staff", route_class=StaffRoute, include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parent / "static"
NOTE_MAX = 2000
FormList = Annotated[list[str] | None, Form()]


@router.get("/static/staff.css")
def stylesheet() -> FileResponse:
    return FileResponse(STATIC_DIR / "staff.css", media_type="text/css",
                        headers={"Cache-Control": "public, max-age=3600"})


@router.get("")
@router.get("/")
def home(request: Request, user: CurrentUser) -> Response:
    return redirect("/staff/requests")


# ---------------------------------------------------------------- login / logout

@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": safe_next(next), "email": "", "error": None})


@router.post("/login")
def login(request: Request, db: Db, email: FormText = "", password: FormText = "", next: FormText = "",
          code: FormText = "") -> Response:
    email = email.strip().lower()
    target = safe_next(next)
    ip = request.client.host if request.client else None

    def refuse(message: str, status_code: int) -> Response:
        return render(request, "login.html", {"next": target, "email": email, "error": message},
                      status_code=status_code)

    if not email or not password:
        return refuse("Indiquez votre adresse e-mail et votre mot de passe.", 400)
    if wait := throttle.wait_seconds(db, email, ip):
        return refuse(accounts.wait_message(wait), 429)
    user, problem = accounts.authenticate(db, email, password)
    secret = account_state.totp_secret(db, user.id) if user is not None else None
    if user is not None and secret and not account_state.totp_matches(secret, code):
        user, problem = None, accounts.WRONG_CODE
    if user is None:
        throttle.record_failure(db, email, ip)
        known = accounts.find_user(db, email)
        audit.record(db, known.id if known else None, "login_failed")
        db.commit()
        return refuse(problem, 401)
    throttle.clear_account(db, email)
    token = sessions.open_session(db, user.id)
    audit.record(db, user.id, "login")
    db.commit()
    session = session_of(request)
    session.clear()  # a fresh session: nothing from before the login is kept
    session.set("uid", user.id)
    session.set("sid", token)
    session.set("pw", password_fingerprint(user.password_hash))
    session.rotate_csrf()
    if account_state.must_change_password(db, user.id):
        return redirect("/staff/password")
    return redirect(target)


@router.post("/logout")
def logout(request: Request, db: Db) -> Response:
    session = session_of(request)
    # The server-side session ends: the same cookie, replayed, opens nothing.
    sessions.close_session(db, session.get("sid"))
    if isinstance(session.get("uid"), int):
        audit.record(db, session.get("uid"), "logout")
    db.commit()
    session.clear()
    session.flash("Vous êtes déconnecté(e). À bientôt.")
    return redirect("/staff/login")


# ---------------------------------------------------------------- own password

def _password_context(db: Session, user: StaffUser, error: str | None) -> dict:
    return {"error": error, "min_length": MIN_LENGTH,
            "temporary": account_state.must_change_password(db, user.id)}


@router.get("/password")
def password_page(request: Request, user: CurrentUser, db: Db) -> Response:
    return render(request, "password.html", _password_context(db, user, None))


@router.post("/password")
def change_password(request: Request, user: CurrentUser, db: Db, current: FormText = "",
                    new: FormText = "", confirm: FormText = "") -> Response:
    error = accounts.check_new_password(new, confirm)
    if not error and new == current:
        error = "Choisissez un mot de passe différent de l'actuel."
    if not accounts.verify(user.password_hash, current):
        error = "Le mot de passe actuel ne correspond pas."
    if error:
        return render(request, "password.html", _password_context(db, user, error), status_code=400)
    accounts.change_own_password(db, user, new)  # ends every session of the account…
    token = sessions.open_session(db, user.id)  # …and opens a new one here only
    audit.record(db, user.id, "password")
    db.commit()
    session = session_of(request)
    session.set("sid", token)
    session.set("pw", password_fingerprint(user.password_hash))
    session.flash("Votre mot de passe est changé.")
    return redirect("/staff/requests")


# ---------------------------------------------------------------- inbox

def _readable_request(db: Session, user: StaffUser, request_id: int) -> tuple[AppointmentRequest, bool]:
    """(request, the user's team holds it). A team reads what it holds and, read only, what it
    transferred; anything else answers 404 exactly like an id that does not exist."""
    item = db.scalar(select(AppointmentRequest).where(
        AppointmentRequest.id == request_id, requests_view.readable_condition(user)))
    if item is None:
        raise not_found()
    return item, user.team_id is not None and item.team_id == user.team_id


def _team_request(db: Session, user: StaffUser, request_id: int) -> AppointmentRequest:
    item, holds = _readable_request(db, user, request_id)
    if not holds:
        raise not_found()
    return item


@router.get("/requests")
def inbox(request: Request, user: CurrentUser, db: Db) -> Response:
    filters = requests_view.Filters.from_query(request.query_params)
    page = requests_view.page_number(request.query_params.get("page"))
    items, has_more = requests_view.list_requests(db, user, filters, page)
    return render(request, "inbox.html", {
        "items": items, "filters": filters, "statuses": REQUEST_STATUSES,
        "page": page, "has_more": has_more, "export_query": filters.query_string(),
        "views": requests_view.VIEWS, "counts": requests_view.view_counts(db, user),
        "team_names": requests_view.team_names(db), "rv": requests_view,
        "to_call": transfer_notify.to_call(db, [i.id for i in items]),
    })


@router.get("/requests/export.csv")
def export_csv(request: Request, user: CurrentUser, db: Db) -> Response:
    filters = requests_view.Filters.from_query(request.query_params)
    items = requests_view.all_requests(db, user, filters)
    header, rows = requests_view.csv_rows(items, requests_view.team_names(db))
    audit.record(db, user.id, "export", detail=f"{len(rows)} lignes")
    db.commit()
    today = datetime.now(PARIS).strftime("%Y-%m-%d")
    filename = f"demandes-{user.team_id or 'toutes-equipes'}-{today}.csv"
    return Response(build_csv(header, rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/requests/{request_id}")
def request_detail(request: Request, request_id: int, user: CurrentUser, db: Db) -> Response:
    item, holds = _readable_request(db, user, request_id)
    consented = item.consent_summary
    last = workflow.last_change(db, item)
    audit.record(db, user.id, "read", request_id=item.id)
    db.commit()
    return render(request, "detail.html", {
        "item": item,
        "holds": holds,
        "summary": item.summary if consented else None,
        "likely_benefits": requests_view.benefit_lines(item.likely_benefits) if consented else [],
        "to_check": labels.benefit_names(item.to_check) if consented else [],
        "urgent_text": requests_view.urgent_text(item),
        "contact_text": requests_view.contact_text(item),
        "phone": requests_view.display_phone(item.contact_phone),
        "history": item.status_changes,
        "transfers": item.transfers,
        "team_names": requests_view.team_names(db),
        "choices": [(s, STATUS_LABELS[s]) for s in next_statuses(item.status)] if holds else [],
        "needs_reason": workflow.NEEDS_REASON,
        "benefit_choices": _benefit_choices(item),
        "targets": workflow.transfer_targets(db, item.team_id) if holds and item.status in workflow.TRANSFERABLE else [],
        "can_revert": user.role == "admin" and last is not None and last.from_status != last.to_status,
        "last_change": last,
        "rights_opened": [labels.benefit_name(b) for b in item.rights_opened or []],
        "note_max": NOTE_MAX,
        "to_call": item.id in transfer_notify.to_call(db, [item.id]),
    })


def _benefit_choices(item: AppointmentRequest) -> list[tuple[str, str]]:
    """The request's likely benefits first (when shared), then the whole catalogue."""
    first = [(e["id"], e["name"]) for e in labels.benefit_entries(item.likely_benefits) if e["id"]]
    seen = {i for i, _n in first}
    return first + [(i, n) for i, n in labels.all_benefits() if i not in seen]


@router.post("/requests/{request_id}/status")
def change_status(request: Request, request_id: int, user: CurrentUser, db: Db, to_status: FormText = "",
                  expected: FormText = "", note: FormText = "", reason: FormText = "",
                  outcome_on: FormText = "", opened: FormList = None) -> Response:
    item = _team_request(db, user, request_id)
    session = session_of(request)
    back = f"/staff/requests/{item.id}"
    opened = opened or []
    from_status = item.status
    try:
        day = date.fromisoformat(outcome_on) if outcome_on else None
    except ValueError:
        session.flash("La date n'est pas valide. Écrivez-la comme 25/11/2026.", "error")
        return redirect(back)
    try:
        workflow.change_status(db, item, to_status, user=user, note=note, expected=expected or None,
                               reason=reason, opened=[str(b) for b in opened], outcome_on=day)
    except workflow.WorkflowError as exc:
        db.rollback()
        session.flash(str(exc), "error")
        return redirect(back)
    audit.record(db, user.id, "status", request_id=item.id, detail=f"{from_status}→{to_status}")
    db.commit()
    session.flash(f"C'est noté : la demande {item.reference} est maintenant « {STATUS_LABELS[to_status]} ».")
    return redirect(back)


@router.post("/requests/{request_id}/transfer")
def transfer_request(request: Request, request_id: int, user: CurrentUser, db: Db, to_team: FormText = "",
                     note: FormText = "", expected: FormText = "") -> Response:
    item = _team_request(db, user, request_id)
    session = session_of(request)
    try:
        moved = workflow.transfer(db, item, to_team, user=user, note=note, expected=expected or None)
    except workflow.WorkflowError as exc:
        db.rollback()
        session.flash(str(exc), "error")
        return redirect(f"/staff/requests/{item.id}")
    audit.record(db, user.id, "transfer", request_id=item.id, detail=f"→{to_team}")
    db.commit()
    deliver_transfers_in_background()
    session.flash(f"C'est noté : la demande {item.reference} est transmise à « {moved.to_team.name} ». "
                  "L'équipe est prévenue. La personne l'est par message quand c'est possible, sinon l'équipe "
                  "qui reçoit l'appelle. Vous gardez l'historique en lecture.")
    return redirect(f"/staff/requests/{item.id}")


@router.post("/requests/{request_id}/informed")
def resident_informed(request: Request, request_id: int, user: CurrentUser, db: Db, informed: FormText = "") -> Response:
    """"Personne prévenue": the team holding a transferred request called the resident."""
    item = _team_request(db, user, request_id)
    session = session_of(request)
    back = f"/staff/requests/{item.id}"
    if informed != "1":
        session.flash("Cochez « personne prévenue » après avoir appelé la personne.", "error")
        return redirect(back)
    if transfer_notify.mark_informed(db, item, user) == 0:
        db.rollback()
        session.flash("La personne était déjà prévenue.")
        return redirect(back)
    audit.record(db, user.id, "informed", request_id=item.id)
    db.commit()
    session.flash("C'est noté : la personne est prévenue. Merci !")
    return redirect(back)


@router.post("/requests/{request_id}/revert")
def revert_change(request: Request, request_id: int, user: AdminUser, db: Db, note: FormText = "") -> Response:
    item, _holds = _readable_request(db, user, request_id)
    session = session_of(request)
    try:
        workflow.revert_last(db, item, admin=user, note=note)
    except workflow.WorkflowError as exc:
        db.rollback()
        session.flash(str(exc), "error")
        return redirect(f"/staff/requests/{item.id}")
    audit.record(db, user.id, "revert", request_id=item.id, detail=f"→{item.status}")
    db.commit()
    session.flash(f"Le dernier changement est annulé : la demande est « {STATUS_LABELS[item.status]} ».")
    return redirect(f"/staff/requests/{item.id}")


# ---------------------------------------------------------------- statistics (anonymous counts, every staff member)

@router.get("/stats")
def stats_page(request: Request, user: CurrentUser) -> Response:
    filters, problems = stats_view.filters_from_query(request.query_params)
    report = stats_report.build_report(filters)
    return render(request, "stats.html", stats_view.page_context(report, problems))


@router.get("/stats/export.csv")
def stats_export(request: Request, user: CurrentUser) -> Response:
    filters, _problems = stats_view.filters_from_query(request.query_params)
    header, rows = stats_report.csv_rows(stats_report.build_report(filters))
    filename = f"statistiques-{datetime.now(PARIS).strftime('%Y-%m-%d')}.csv"
    return Response(build_csv(header, rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# ---------------------------------------------------------------- admin

@router.get("/admin")
def admin_home(request: Request, user: AdminUser) -> Response:
    return redirect("/staff/admin/users")


@router.get("/admin/users")
def admin_users(request: Request, user: AdminUser, db: Db) -> Response:
    return render(request, "admin_users.html", accounts.users_context(db))


@router.post("/admin/users")
def admin_create_user(request: Request, user: AdminUser, db: Db, email: FormText = "", name: FormText = "",
                      team_id: FormText = "", role: FormText = "staff") -> Response:
    try:
        created, password = accounts.create_user(db, email=email, name=name, team_id=team_id or None, role=role)
    except accounts.AccountError as exc:
        ctx = accounts.users_context(db)
        ctx.update(error=str(exc), form={"email": email, "name": name, "team_id": team_id, "role": role})
        return render(request, "admin_users.html", ctx, status_code=400)
    audit.record(db, user.id, "user_create", target_user_id=created.id)
    db.commit()
    return render(request, "admin_password_shown.html", {"target": created, "password": password, "created": True})


def _other_user(db: Session, user_id: int) -> StaffUser:
    target = db.get(StaffUser, user_id)
    if target is None:
        raise not_found()
    return target


@router.post("/admin/users/{user_id}/active")
def admin_toggle_user(request: Request, user_id: int, user: AdminUser, db: Db, active: FormText = "") -> Response:
    target = _other_user(db, user_id)
    session = session_of(request)
    if target.id == user.id:
        session.flash("Vous ne pouvez pas désactiver votre propre compte.", "error")
        return redirect("/staff/admin/users")
    target.active = active == "1"
    if not target.active:
        sessions.close_all(db, target.id)
    audit.record(db, user.id, "user_active", target_user_id=target.id, detail="1" if target.active else "0")
    db.commit()
    word = "réactivé" if target.active else "désactivé"
    session.flash(f"Le compte de {target.name} est {word}.")
    return redirect("/staff/admin/users")


@router.post("/admin/users/{user_id}/password")
def admin_reset_password(request: Request, user_id: int, user: AdminUser, db: Db) -> Response:
    target = _other_user(db, user_id)
    password = accounts.reset_password(db, target)  # ends the target's sessions
    audit.record(db, user.id, "user_reset", target_user_id=target.id)
    if target.id == user.id:
        session = session_of(request)
        session.set("sid", sessions.open_session(db, user.id))
        session.set("pw", password_fingerprint(target.password_hash))
    db.commit()
    return render(request, "admin_password_shown.html", {"target": target, "password": password, "created": False})


@router.post("/admin/users/{user_id}/team")
def admin_assign_team(request: Request, user_id: int, user: AdminUser, db: Db, team_id: FormText = "") -> Response:
    target = _other_user(db, user_id)
    session = session_of(request)
    try:
        accounts.assign_team(db, target, team_id or None)
    except accounts.AccountError as exc:
        session.flash(str(exc), "error")
        return redirect("/staff/admin/users")
    audit.record(db, user.id, "user_team", target_user_id=target.id, detail=target.team_id or "-")
    db.commit()
    team_name = target.team.name if target.team else "aucune équipe"
    session.flash(f"{target.name} est rattaché(e) à : {team_name}.")
    return redirect("/staff/admin/users")


@router.get("/admin/teams")
def admin_teams(request: Request, user: AdminUser, db: Db) -> Response:
    return render(request, "admin_teams.html", accounts.teams_context(db))


@router.post("/admin/teams")
def admin_create_team(request: Request, user: AdminUser, db: Db, team_id: FormText = "",
                      name: FormText = "", kind: FormText = "", phone: FormText = "") -> Response:
    try:
        team = accounts.create_team(db, team_id=team_id, name=name, kind=kind, phone=phone)
    except accounts.AccountError as exc:
        ctx = accounts.teams_context(db)
        ctx.update(error=str(exc), form={"team_id": team_id, "name": name, "kind": kind, "phone": phone})
        return render(request, "admin_teams.html", ctx, status_code=400)
    audit.record(db, user.id, "team_create", detail=team.id)
    db.commit()
    session_of(request).flash(f"L'équipe « {team.name} » est créée.")
    return redirect("/staff/admin/teams")


@router.post("/admin/teams/{team_id}/active")
def admin_toggle_team(request: Request, team_id: str, user: AdminUser, db: Db, active: FormText = "") -> Response:
    team = accounts.get_team(db, team_id)
    if team is None:
        raise not_found()
    team.active = active == "1"
    audit.record(db, user.id, "team_active", detail=f"{team.id}:{'1' if team.active else '0'}")
    db.commit()
    word = "réactivée" if team.active else "désactivée"
    session_of(request).flash(f"L'équipe « {team.name} » est {word}.")
    return redirect("/staff/admin/teams")


@router.get("/admin/audit")
def admin_audit(request: Request, user: AdminUser, db: Db) -> Response:
    entries = audit.recent(db)
    names = {u.id: u.name for u in db.scalars(select(StaffUser))}
    return render(request, "admin_audit.html", {"entries": entries, "names": names,
                                                "labels": audit.ACTION_LABELS})


# ---------------------------------------------------------------- two-factor authentication (admins)

def _totp_context(db: Session, user: StaffUser, pending: str | None, error: str | None = None) -> dict:
    return {"enabled": bool(account_state.totp_secret(db, user.id)), "pending": pending, "error": error,
            "uri": account_state.provisioning_uri(pending, user.email) if pending else None}


@router.get("/totp")
def totp_page(request: Request, user: AdminUser, db: Db) -> Response:
    session = session_of(request)
    pending = None
    if not account_state.totp_secret(db, user.id):
        pending = session.get("totp_pending") or account_state.new_totp_secret()
        session.set("totp_pending", pending)
    return render(request, "totp.html", _totp_context(db, user, pending))


@router.post("/totp")
def totp_change(request: Request, user: AdminUser, db: Db, action: FormText = "", code: FormText = "",
                current: FormText = "") -> Response:
    session = session_of(request)
    if action == "enable":
        pending = session.get("totp_pending")
        if not isinstance(pending, str) or not account_state.totp_matches(pending, code):
            return render(request, "totp.html", _totp_context(db, user, pending, accounts.WRONG_CODE),
                          status_code=400)
        account_state.set_totp_secret(db, user.id, pending)
        audit.record(db, user.id, "totp_on")
        db.commit()
        session.pop("totp_pending")
        session.flash("La double authentification est activée : le code sera demandé à chaque connexion.")
        return redirect("/staff/totp")
    if action == "disable":
        if not accounts.verify(user.password_hash, current):
            return render(request, "totp.html", _totp_context(db, user, None, "Le mot de passe actuel ne "
                                                              "correspond pas."), status_code=400)
        account_state.set_totp_secret(db, user.id, None)
        audit.record(db, user.id, "totp_off")
        db.commit()
        session.flash("La double authentification est retirée.")
    return redirect("/staff/totp")
