"""What the volunteer sees at the end of an encounter: the likely benefits with their reason,
what to say, what to bring, who to see. Built from the engine's evaluation and the directory."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from benefits import BenefitResult, evaluate, load_catalogue
from benefits.engine import human_contacts
from bot.results_text import conclusion
from directory.contact import phone_contact
from directory.nearest import LocationError, describe_when, nearest_team
from guide.wording import talking_points

TO_CHECK_SHOWN = 5




@dataclass(frozen=True)
class BenefitCard:
    id: str
    name: str
    reason: str            # why it seems possible (volunteer page only: may quote the answers)
    sentence: str          # the first sentence of the catalogue summary, plain words
    amount_text: str
    where: str | None
    online: str | None
    decided_by: str | None
    phone: str | None


@dataclass(frozen=True)
class WhoToSee:
    name: str
    phrase: str                     # "à environ 1,2 km, au marché de Saint-Max le mercredi matin"
    place: str | None = None        # place name and details
    address: str | None = None
    when: str = ""
    phone: str | None = None
    phone_note: str | None = None
    description: str | None = None
    bookable: bool = False
    place_name: str | None = None
    what_to_bring: list[str] = field(default_factory=list)


def first_sentence(text: str) -> str:
    text = " ".join((text or "").split())
    match = re.search(r"^(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


def card(result: BenefitResult) -> BenefitCard:
    how = result.how_to_apply
    phone = how.phone or (result.administrator.phone if result.administrator else None)
    return BenefitCard(
        id=result.id,
        name=result.name,
        reason=result.reasons[0] if result.reasons else "",
        sentence=first_sentence(result.summary),
        amount_text=result.amount_text,
        where=how.where,
        online=how.online,
        decided_by=how.decided_by,
        phone=phone,
    )


# --- what to bring -----------------------------------------------------------------------------


def _key(document: str) -> str:
    text = unicodedata.normalize("NFKD", document.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _covered_by(key: str, others: list[str]) -> bool:
    """"piece d identite" is covered by "piece d identite ou titre de sejour" (a wider wording)."""
    return any(other != key and (other.startswith(key + " ou ") or other.startswith(key + " si "))
               for other in others)


def documents_to_bring(results: list[Any]) -> list[str]:
    """The documents of these benefits (results or catalogue entries: anything with a
    `how_to_apply`), once each, the most needed first."""
    counts: Counter[str] = Counter()
    wording: dict[str, str] = {}
    first_seen: dict[str, int] = {}
    for result in results:
        for document in result.how_to_apply.documents:
            key = _key(document)
            if not key:
                continue
            counts[key] += 1
            wording.setdefault(key, document.strip())
            first_seen.setdefault(key, len(first_seen))
    keys = list(counts)
    kept = [k for k in keys if not _covered_by(k, keys)]
    for key in keys:  # the wider wording also counts the needs of the one it covers
        if key not in kept:
            for other in kept:
                if other.startswith(key + " "):
                    counts[other] += counts[key]
                    first_seen[other] = min(first_seen[other], first_seen[key])
                    break
    kept.sort(key=lambda k: (-counts[k], first_seen[k]))
    return [wording[k] for k in kept]


# --- who to see --------------------------------------------------------------------------------


def _place_text(name: str, details: str | None) -> str:
    return f"{name} ({details.rstrip('.')})" if details else name


def who_to_see(commune: Any) -> WhoToSee:
    """The team that covers the person's commune (else the nearest); without a commune, the
    people the engine names (the Département's social services)."""
    match = None
    if isinstance(commune, str) and commune != "unknown":
        try:
            match = nearest_team(commune=commune)
        except LocationError:
            match = None
    if match is not None:
        team, place = match.team, match.place
        address = ", ".join(p for p in (place.address, " ".join(x for x in (place.postcode, place.commune) if x))
                            if p) or None
        # Always a number to call: the team's, a place's, the CCAS or the town hall (never made up).
        contact = phone_contact(commune, match)
        phone, note = (contact.phone, contact.note if contact.name.startswith(team.name) else
                       f"{contact.name}{', ' + contact.note if contact.note else ''}") if contact else (None, None)
        return WhoToSee(
            name=team.name,
            phrase=match.phrase,
            place=_place_text(place.name, place.details),
            address=address,
            when=describe_when(team) or (place.opening_hours_text or ""),
            phone=phone,
            phone_note=note,
            description=team.description,
            bookable=team.bookable,
            place_name=place.name,
            what_to_bring=list(team.what_to_bring or place.what_to_bring),
        )
    known = {"commune": commune} if isinstance(commune, str) and commune != "unknown" else {}
    contact = human_contacts(load_catalogue(), known)[0]
    return WhoToSee(name=contact.name, phrase="", address=contact.address, phone=contact.phone,
                    description=contact.note)


# --- the volunteer's results page ---------------------------------------------------------------


@dataclass
class VolunteerResults:
    conclusion: str                      # "3 aides probables, environ 540 € par mois en tout."
    likely: list[BenefitCard]
    to_check: list[BenefitCard]
    more_to_check: int
    talking_points: list[str]
    to_check_points: list[str]
    documents: list[str]
    who: WhoToSee
    likely_results: list[BenefitResult]   # for the statistics


def volunteer_results(profile: dict[str, Any], national: dict[str, Any] | None = None) -> VolunteerResults:
    """`national`: OpenFisca's verdicts (calculator.client), None to answer from the rules alone."""
    evaluation = evaluate(profile, national=national)
    likely = evaluation.likely
    unknown = evaluation.unknown
    points = talking_points()
    documents = documents_to_bring(likely)
    who = who_to_see(profile.get("commune"))
    if not documents:
        documents = list(who.what_to_bring)
    return VolunteerResults(
        conclusion=conclusion(likely),
        likely=[card(r) for r in likely],
        to_check=[card(r) for r in unknown[:TO_CHECK_SHOWN]],
        more_to_check=max(0, len(unknown) - TO_CHECK_SHOWN),
        talking_points=list(points.general if likely else points.no_likely),
        to_check_points=list(points.to_check),
        documents=documents,
        who=who,
        likely_results=likely,
    )
