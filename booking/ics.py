"""An .ics invitation for a booked slot: place, time, what to bring (French text)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ics import Calendar, Event
from ics.alarm import DisplayAlarm

from booking.models import AppointmentRequest
from booking.slots import format_local
from directory.loader import Directory, get_directory

DEFAULT_BRING = ["Une pièce d'identité", "Vos derniers courriers (CAF, CPAM, impôts), si vous en avez"]


def _location(place) -> str:  # noqa: ANN001
    bits = [place.name]
    address = ", ".join(x for x in (place.address, " ".join(filter(None, (place.postcode, place.commune)))) if x)
    if address:
        bits.append(address)
    return " – ".join(bits)


def invitation(request: AppointmentRequest, directory: Directory | None = None) -> str:
    """The calendar file text (text/calendar). Only for requests with a slot."""
    if request.slot_start is None:
        raise ValueError("no slot: nothing to put in a calendar")
    directory = directory or get_directory()
    team = directory.team(request.team_id)
    if team is None:
        raise ValueError(f"unknown team {request.team_id!r}")
    place = directory.meeting_place(team)
    minutes = team.availability.slot_minutes if team.availability else 30
    bring = team.what_to_bring or place.what_to_bring or DEFAULT_BRING
    lines = [
        f"Rendez-vous avec : {team.name}.",
        f"Quand : {format_local(request.slot_start, with_year=True)}.",
        f"Où : {place.label}" + (f". {place.details}" if place.details else "."),
        "À apporter :",
        *[f"- {item}" for item in bring],
        f"Votre code de rendez-vous : {request.reference}.",
        "Pour annuler ou changer, donnez ce code et votre numéro de téléphone.",
    ]
    if team.phone:
        lines.append(f"Téléphone de l'équipe : {team.phone}.")
    event = Event(
        name=f"Rendez-vous – {team.name}",
        created=request.created_at or datetime.now(timezone.utc),
        begin=request.slot_start,
        duration=timedelta(minutes=minutes),
        location=_location(place),
        description="\n".join(lines),
        uid=f"{request.reference.lower()}@avecvous",
        # The reminder for residents who booked on the web: their phone's calendar rings the day
        # before and two hours before (Telegram bookers also get a message, channels/telegram/notifier.py).
        alarms=[DisplayAlarm(trigger=timedelta(days=-1), display_text=f"Demain : rendez-vous avec {team.name}"),
                DisplayAlarm(trigger=timedelta(hours=-2), display_text=f"Rendez-vous avec {team.name}")],
    )
    calendar = Calendar(creator="-//Avec vous pour vos droits//FR")
    calendar.events.add(event)
    return calendar.serialize()


def filename(request: AppointmentRequest) -> str:
    return f"rendez-vous-{request.reference}.ics"
