"""The resident's one-page summary: the rights worth checking, what to bring, who to see, the
appointment. Only rights and what to do: never the person's answers (someone else may read the
paper), so it is built from benefit ids, a commune and an appointment reference, not a profile.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import SQLAlchemyError

from benefits import evaluate, load_catalogue
from booking.slots import PARIS, format_local
from directory.loader import get_directory
from guide.results import WhoToSee, documents_to_bring, first_sentence, who_to_see

log = logging.getLogger(__name__)

MAX_RIGHTS = 4        # one A4 page, easy to read; the others are counted ("et 3 autres aides")
MAX_TO_CHECK = 3
MAX_DOCUMENTS = 6
OPEN_STATUSES = ("new", "contacted")
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre")


@dataclass(frozen=True)
class Right:
    name: str
    sentence: str
    what_to_do: str
    online: str | None


@dataclass(frozen=True)
class Appointment:
    reference: str
    when: str | None        # "mercredi 2 décembre à 9 h 30"; None for a call-back
    team: str
    place: str | None
    phone: str | None
    note: str
    place_name: str | None = None   # to say the place once when it is the team's usual one


@dataclass
class Summary:
    rights: list[Right]
    to_check: bool          # no likely benefit: these are to check with a person
    more: int               # likely benefits not printed
    documents: list[str]
    who: WhoToSee
    appointment: Appointment | None
    date: str


@dataclass(frozen=True)
class SummaryData:
    """What a summary is made of; this is all a summary link carries."""

    likely: list[str]
    check: list[str]
    commune: str | None
    reference: str | None = None

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"l": self.likely, "c": self.check}
        if self.commune:
            data["m"] = self.commune
        if self.reference:
            data["r"] = self.reference
        return data

    @classmethod
    def from_data(cls, data: Any) -> SummaryData | None:
        if not isinstance(data, dict):
            return None
        likely, check = data.get("l"), data.get("c")
        commune, reference = data.get("m"), data.get("r")
        if not isinstance(likely, list) or not isinstance(check, list):
            return None
        if not all(isinstance(x, str) for x in likely + check):
            return None
        if commune is not None and not isinstance(commune, str):
            return None
        if reference is not None and not isinstance(reference, str):
            return None
        return cls(likely, check, commune, reference)


def summary_data(profile: dict[str, Any], reference: str | None = None) -> SummaryData:
    """The benefits worth checking for this profile (evaluated now), without the answers."""
    evaluation = evaluate(profile if isinstance(profile, dict) else {})
    commune = profile.get("commune") if isinstance(profile, dict) else None
    return SummaryData(
        likely=[r.id for r in evaluation.likely],
        check=[r.id for r in evaluation.unknown[:MAX_TO_CHECK]],
        commune=commune if isinstance(commune, str) and commune != "unknown" else None,
        reference=(reference or "").strip() or None,
    )


def french_date(moment: datetime) -> str:
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"{day} {_MONTHS[moment.month - 1]} {moment.year}"


def _what_to_do(entry: Any, to_check: bool) -> str:
    # Only the first sentence: the rest of `where` is detail for the person who helps.
    where = first_sentence(entry.how_to_apply.where or "")
    if len(where) > 1 and not where[1].isupper():  # "En ligne..." -> "en ligne...", but keep "CCAS..."
        where = where[0].lower() + where[1:]
    if to_check:
        return "À faire : en parler à l'équipe, un point doit être vérifié avec vous."
    if where:
        return f"À faire : {where}" if where.endswith((".", "!", "?")) else f"À faire : {where}."
    return "À faire : demandez à l'équipe de vous aider à faire la demande."


def _site(url: str | None) -> str | None:
    """"caf.fr" for https://www.caf.fr/allocataires/...: short enough to copy from paper."""
    if not url:
        return None
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or None


def _right(entry: Any, to_check: bool) -> Right:
    return Right(name=entry.name, sentence=first_sentence(entry.summary),
                 what_to_do=_what_to_do(entry, to_check), online=_site(entry.how_to_apply.online))


def find_appointment(reference: str | None) -> Appointment | None:
    """The open appointment with this reference, or None (unknown, cancelled, database down)."""
    if not reference:
        return None
    try:
        from booking.service import find_by_reference

        request = find_by_reference(reference)
    except (SQLAlchemyError, OSError):
        log.warning("appointment lookup failed for a summary", exc_info=True)
        return None
    if request is None or request.status not in OPEN_STATUSES:
        return None
    team = get_directory().team(request.team_id)
    place = phone = place_name = None
    team_name = request.team.name if request.team else request.team_id
    if team is not None:
        meeting = get_directory().meeting_place(team)
        place = meeting.name + (f", {meeting.address}" if meeting.address else "") + \
            (f" ({meeting.details.rstrip('.')})" if meeting.details else "")
        phone = team.phone or meeting.phone
        team_name = team.name
        place_name = meeting.name
    if request.kind == "slot" and request.slot_start is not None:
        when = format_local(request.slot_start)
        note = "Venez quelques minutes avant l'heure, avec vos papiers."
    else:
        when = None
        note = "L'équipe vous appellera pour choisir un moment avec vous."
    return Appointment(reference=request.reference, when=when, team=team_name, place=place,
                       phone=phone, note=note, place_name=place_name)


def build_summary(data: SummaryData, now: datetime | None = None) -> Summary:
    catalogue = load_catalogue()
    likely = [catalogue.by_id[i].entry for i in data.likely if i in catalogue.by_id]
    to_check = not likely
    shown = likely[:MAX_RIGHTS] if likely else [catalogue.by_id[i].entry for i in data.check
                                                  if i in catalogue.by_id][:MAX_TO_CHECK]
    who = who_to_see(data.commune)
    documents = documents_to_bring(likely) or list(who.what_to_bring)
    moment = (now or datetime.now(PARIS)).astimezone(PARIS)
    return Summary(
        rights=[_right(entry, to_check) for entry in shown],
        to_check=to_check,
        more=max(0, len(likely) - MAX_RIGHTS),
        documents=documents[:MAX_DOCUMENTS],
        who=who,
        appointment=find_appointment(data.reference),
        date=french_date(moment),
    )
