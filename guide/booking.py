"""A volunteer books for the resident in front of them, from guide mode (/guide/rendez-vous).

The volunteer's name is recorded as prescripteur; the resident's consent is asked out loud (the
page gives the sentence to read) and recorded with the time; the resident leaves with the
reference and the summary on their phone, by QR code (segno, an SVG in the page) or a short link
`/r/<code>` the volunteer can dictate (privacy/shortlinks.py; the QR code encodes it too).
When the usual team has no free slot soon, the nearest team that has one is offered too, next to
the call-back (booking.slots.nearest_free_slot). Nothing of the encounter is stored but the request.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from benefits import evaluate
from booking import service
from booking.errors import BookingError
from booking.models import CONTACT_PREFERENCE_LABELS
from booking.slots import Slot, format_local, free_slots, nearest_free_slot
from core.db import session_scope
from core.settings import get_settings
from directory.loader import get_directory
from directory.nearest import LocationError, find_teams
from followup import service as followup_service
from guide import pages
from guide.encounter import UNKNOWN
from guide.summary_links import summary_url
from privacy import shortlinks

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

CALLBACK = "callback"
SLOTS_SHOWN = 6
NAME_MAX = 120
NO_ENCOUNTER = "Aucune rencontre n'est en cours, ou elle a expiré. Vous pouvez en commencer une nouvelle."
GUIDE_PREFERENCES = ("phone", "sms", "visit")
FORM_FIELDS = ("volunteer", "first_name", "phone", "choice", "preference", "best_times", "consent", "share",
               "followup", "email")


def _choices(commune: str) -> dict[str, Any]:
    """The team for the commune, its next free slots, and when it has none soon, the nearest
    team with a free slot. Call-back is always offered."""
    try:
        teams = find_teams(commune=commune)
    except LocationError:
        return {"team": None, "slots": [], "other": None}
    team = teams[0].team if teams else None
    slots: list[Slot] = []
    other = None
    with session_scope(_db_url()) as s:
        if team is not None and team.bookable:
            slots = free_slots(s, team, limit=SLOTS_SHOWN)
        if not slots:
            other = nearest_free_slot(s, commune=commune, exclude_team=team.id if team else None)
    return {"team": team, "slots": slots, "other": other}


def _db_url() -> str:
    return get_settings().database_url


def _slot_value(slot: Slot) -> str:
    return f"{slot.team_id}|{slot.start.isoformat()}"


def _form_page(encounter, ctx: dict[str, Any], *, error: str = "", form: dict | None = None,  # noqa: ANN001
               status_code: int = 200) -> Response:
    directory = get_directory()
    other = ctx["other"]
    return pages.render("booking.html", {
        "team": ctx["team"],
        "slots": [(_slot_value(s), s.label) for s in ctx["slots"]],
        "other": None if other is None else {
            "team": other.match.team.name, "phrase": other.match.phrase,
            "value": _slot_value(other.first_slot), "label": other.first_slot.label,
        },
        "place": directory.meeting_place(ctx["team"]).name if ctx["team"] else "",
        "preferences": [(p, CONTACT_PREFERENCE_LABELS[p]) for p in GUIDE_PREFERENCES],
        "error": error,
        "form": {**dict.fromkeys(FORM_FIELDS, ""), **(form or {})},
        "has_encounter": True,
    }, status_code=status_code)


def _commune_of(encounter) -> str | None:  # noqa: ANN001
    commune = encounter.profile.get("commune")
    return commune if isinstance(commune, str) and commune != UNKNOWN else None


@router.get("/guide/rendez-vous")
async def booking_form(request: Request) -> Response:
    encounter = pages.current_encounter(request)
    if encounter is None:
        return pages.render("notice.html", {"title": "Pas de rencontre en cours", "message": NO_ENCOUNTER,
                                            "has_encounter": False})
    commune = _commune_of(encounter)
    if commune is None:
        return pages.redirect("/guide/question?q=commune")
    ctx = await run_in_threadpool(_choices, commune)
    return _form_page(encounter, ctx)


def _book(encounter, form: dict[str, str]) -> Any:  # noqa: ANN001, ANN401
    profile = encounter.profile
    evaluation = evaluate(profile)
    consent_summary = form["share"] == "1"
    common = dict(
        first_name=form["first_name"], contact_phone=form["phone"], contact_channel="phone",
        consent_summary=consent_summary,
        summary=None, likely_benefits=list(evaluation.likely) if consent_summary else None,
        to_check=[r for r in evaluation.unknown if r.to_check] if consent_summary else None,
        contact_preference=form["preference"] or None, best_times=form["best_times"], commune=_commune_of(encounter),
        prescripteur_name=form["volunteer"], consent_recorded=form["consent"] == "1", url=_db_url(),
        followup_consent=form["followup"] == "1", contact_email=form["email"] or None,
    )
    if consent_summary:
        from benefits.profile_summary import profile_summary  # noqa: PLC0415
        from territory import commune_by_code  # noqa: PLC0415

        commune = commune_by_code(common["commune"]) if common["commune"] else None
        common["summary"] = "\n".join(profile_summary(profile, commune.name if commune else None))
    choice = form["choice"]
    if choice.startswith(CALLBACK + "|"):
        return service.book_callback(team_id=choice.split("|", 1)[1], kind="callback", **common)
    team_id, _sep, start = choice.partition("|")
    return service.book_slot(team_id=team_id, slot_start=datetime.fromisoformat(start), **common)


@router.post("/guide/rendez-vous")
async def book(request: Request, volunteer: Annotated[str, Form()] = "", first_name: Annotated[str, Form()] = "",
               phone: Annotated[str, Form()] = "", choice: Annotated[str, Form()] = "",
               preference: Annotated[str, Form()] = "", best_times: Annotated[str, Form()] = "",
               consent: Annotated[str, Form()] = "", share: Annotated[str, Form()] = "",
               followup: Annotated[str, Form()] = "", email: Annotated[str, Form()] = "") -> Response:
    encounter = pages.current_encounter(request)
    if encounter is None:
        return pages.render("notice.html", {"title": "Pas de rencontre en cours", "message": NO_ENCOUNTER,
                                            "has_encounter": False}, status_code=409)
    commune = _commune_of(encounter)
    if commune is None:
        return pages.redirect("/guide/question?q=commune")
    form = {"volunteer": " ".join(volunteer.split())[:NAME_MAX], "first_name": first_name[:NAME_MAX],
            "phone": phone[:40], "choice": choice[:120], "preference": preference if preference in GUIDE_PREFERENCES else "",
            "best_times": best_times[:200], "consent": consent, "share": share, "followup": followup,
            "email": email.strip()[:254]}
    error = ""
    if not form["volunteer"]:
        error = "Écrivez votre nom : l'équipe saura qui a pris le rendez-vous."
    elif consent != "1":
        error = "Lisez la phrase à la personne. Cochez la case seulement si elle est d'accord."
    elif not form["choice"] or "|" not in form["choice"]:
        error = "Choisissez un créneau ou « être rappelé(e) »."
    elif followup == "1" and not form["email"]:
        error = "Pour le message de suivi, notez l'adresse e-mail de la personne, ou décochez la case."
    if error:
        ctx = await run_in_threadpool(_choices, commune)
        return _form_page(encounter, ctx, error=error, form=form)
    try:
        req = await run_in_threadpool(_book, encounter, form)
    except BookingError as exc:
        ctx = await run_in_threadpool(_choices, commune)
        return _form_page(encounter, ctx, error=exc.message, form=form)
    except ValueError:
        ctx = await run_in_threadpool(_choices, commune)
        return _form_page(encounter, ctx, error="Ce créneau n'est pas valable. Choisissez-en un dans la liste.",
                          form=form)
    try:
        from booking.notify import deliver_pending_in_background  # noqa: PLC0415
        from stats.record import record  # noqa: PLC0415

        deliver_pending_in_background(url=_db_url())
        record("appointment_requested", key="slot" if req.slot_start else req.kind, channel="guide", mode="guide",
               commune=commune)
    except Exception:  # noqa: BLE001 - the request is stored; a notification problem is retried later
        log.exception("guide booking: after-booking steps failed")
    if followup == "1":
        try:
            await run_in_threadpool(lambda: followup_service.schedule(
                channel="email", email=form["email"], first_name=req.first_name, commune=commune,
                benefits=[b["id"] for b in req.likely_benefits or []], request_id=req.id, url=_db_url()))
        except followup_service.FollowUpError:
            log.info("guide booking: follow-up e-mail refused")  # the booking stands; no address logged
    link = summary_url(encounter.profile, req.reference)
    short = await run_in_threadpool(_short_link, link, req.reference)
    team = get_directory().team(req.team_id)
    return pages.render("booking_done.html", {
        "reference": req.reference,
        "team": team.name if team else req.team_id,
        "when": format_local(req.slot_start) if req.slot_start else None,
        "link": link,
        "short": short,
        "qr": segno.make(short["url"] if short else link, error="l").svg_data_uri(scale=5, border=2),
        "has_encounter": True,
    })


def _short_link(link: str, reference: str) -> dict[str, str] | None:
    """The short link of the summary: its full address (in the QR code) and what the volunteer
    reads aloud ('avecvous.example.org/r/ABCD 2345'); None if it could not be stored (the long
    link is shown instead)."""
    base = get_settings().public_url.rstrip("/")
    path = link[len(base):] if link.startswith(base) else link
    try:
        code = shortlinks.create(path, reference=reference, url=_db_url())
    except Exception:  # noqa: BLE001 - the booking stands; the long link still works
        log.exception("guide booking: short link not stored")
        return None
    host = base.split("://", 1)[-1]
    return {"url": f"{base}{shortlinks.PREFIX}{code}", "host": host, "code": shortlinks.display(code),
            "days": str(shortlinks.TTL.days)}


SHORT_LINK_GONE = (f"Ce code ne marche plus : il a expiré au bout de {shortlinks.TTL.days} jours, ou il contient une faute de frappe. "
                   "Vérifiez les 8 caractères, ou demandez un nouveau résumé à la personne qui vous a aidé(e) "
                   "ou à l'équipe de votre rendez-vous.")


@router.get("/r/{code}")
async def short_link(code: str) -> Response:
    """A short link read aloud or scanned: to the summary, or a polite page when it is gone."""
    target = await run_in_threadpool(lambda: shortlinks.resolve(code, url=_db_url()))
    if target is None:
        return pages.render("short_link.html", {"title": "Ce code n'est plus valable", "message": SHORT_LINK_GONE,
                                                "has_encounter": False}, status_code=404)
    return pages.redirect(target)
