"""Choose the team for a resident: the team whose sector covers them, else the nearest one.

Location comes from an INSEE commune code, a postcode or a lat/lon point. Distances run from that point
to the team's places (a place without coordinates counts at its commune's town-hall point, and the
phrase then says "environ").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from directory.geo import commune_by_code, communes_by_postcode, distance_km, nearest_commune
from directory.loader import Directory, get_directory
from directory.schema import WEEKDAYS, Place, Team


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    insee_code: str | None  # None when only a point is known
    approximate: bool  # True when the point is a commune's reference point


@dataclass(frozen=True)
class TeamMatch:
    team: Team
    place: Place
    distance_km: float | None
    covered: bool  # the resident lives in the team's sector
    approximate: bool
    same_commune: bool = False  # the place is in the resident's commune

    @property
    def phrase(self) -> str:
        return describe(self)


class LocationError(ValueError):
    """Raised with a French message when the location cannot be understood."""


def resolve_location(
    commune: str | None = None, postcode: str | None = None, lat: float | None = None, lon: float | None = None
) -> Location:
    if lat is not None and lon is not None:
        point = commune_by_code(commune) if commune else None
        # Without a commune, take the one whose town-hall point is nearest: good enough for sectors.
        point = point or nearest_commune(float(lat), float(lon))
        return Location(float(lat), float(lon), point.insee_code if point else None, approximate=False)
    if commune:
        point = commune_by_code(str(commune))
        if point is None:
            raise LocationError("Je ne trouve pas cette commune en Meurthe-et-Moselle.")
        return Location(point.latitude, point.longitude, point.insee_code, approximate=True)
    if postcode:
        code = re.sub(r"\s+", "", str(postcode))
        found = communes_by_postcode(code)
        if not found:
            raise LocationError("Je ne trouve pas ce code postal en Meurthe-et-Moselle.")
        point = found[0]  # several communes share a postcode: take the most populated one
        return Location(point.latitude, point.longitude, point.insee_code, approximate=True)
    raise LocationError("Dites-moi votre commune ou votre code postal, s'il vous plaît.")


def _place_point(place: Place) -> tuple[float, float, bool] | None:
    if place.latitude is not None and place.longitude is not None:
        return place.latitude, place.longitude, False
    if place.insee_code and (point := commune_by_code(place.insee_code)):
        return point.latitude, point.longitude, True
    return None


def _match(team: Team, directory: Directory, where: Location) -> TeamMatch:
    covered = where.insee_code is not None and where.insee_code in team.sector.communes
    best: tuple[float, Place, bool] | None = None
    for place in directory.places_of(team):
        point = _place_point(place)
        if point is None:
            continue
        km = distance_km(where.latitude, where.longitude, point[0], point[1])
        if best is None or km < best[0]:
            best = (km, place, point[2])
    meeting = directory.meeting_place(team)
    if best is None:
        return TeamMatch(team, meeting, None, covered, True)
    km, place, approximate = best
    # Prefer describing the place where meetings happen when it is as close as the closest place.
    meeting_point = _place_point(meeting)
    if meeting_point is not None:
        meeting_km = distance_km(where.latitude, where.longitude, meeting_point[0], meeting_point[1])
        if meeting_km <= km + 0.05:
            km, place, approximate = meeting_km, meeting, meeting_point[2]
    same = where.insee_code is not None and place.insee_code == where.insee_code
    return TeamMatch(team, place, km, covered, approximate or where.approximate, same)


def find_teams(
    *,
    commune: str | None = None,
    postcode: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    kinds: Iterable[str] | None = None,
    bookable_only: bool = False,
    directory: Directory | None = None,
) -> list[TeamMatch]:
    """All matching teams, best first: teams covering the resident (by priority, then distance),
    then the others by distance."""
    directory = directory or get_directory()
    where = resolve_location(commune, postcode, lat, lon)
    wanted = set(kinds) if kinds else None
    matches = [
        _match(team, directory, where)
        for team in directory.active_teams()
        if (wanted is None or team.kind in wanted) and (team.bookable or not bookable_only)
    ]
    far = float("inf")
    return sorted(
        matches,
        key=lambda m: (
            not m.covered,
            m.team.priority if m.covered else 0,
            m.distance_km if m.distance_km is not None else far,
            m.team.id,
        ),
    )


def nearest_team(**kwargs) -> TeamMatch | None:
    matches = find_teams(**kwargs)
    return matches[0] if matches else None


# --- French phrasing -------------------------------------------------------------------------


def format_distance(km: float, approximate: bool, same_commune: bool = False) -> str:
    if approximate and same_commune and km < 3:
        return "dans votre commune"
    if km < 0.3:
        return "tout près de chez vous"
    if km < 0.95:
        text = f"{int(round(km * 10)) * 100} m"
    elif km < 9.95:
        text = f"{km:.1f}".replace(".", ",").replace(",0", "") + " km"
    else:
        text = f"{round(km)} km"
    return f"à environ {text}" if approximate else f"à {text}"


def _part_of_day(team: Team, day: str) -> str:
    ranges = team.availability.weekly.get(day, []) if team.availability else []
    if ranges and all(r.end.hour < 13 or (r.end.hour == 13 and r.end.minute == 0) for r in ranges):
        return " matin"
    if ranges and all(r.start.hour >= 12 for r in ranges):
        return " après-midi"
    return ""


def describe_when(team: Team) -> str:
    """'le mercredi matin', 'du lundi au vendredi', 'le lundi et le jeudi', or '' when unknown."""
    if team.when_label:
        return team.when_label
    if not team.bookable:
        return ""
    days = [d for d in WEEKDAYS if team.availability.weekly.get(d)]
    if len(days) == 1:
        return f"le {days[0]}{_part_of_day(team, days[0])}"
    idx = [WEEKDAYS.index(d) for d in days]
    if len(days) >= 3 and idx == list(range(idx[0], idx[-1] + 1)):
        return f"du {days[0]} au {days[-1]}"
    items = [f"le {d}" for d in days]
    return ", ".join(items[:-1]) + " et " + items[-1]


def describe(match: TeamMatch) -> str:
    """E.g. 'à environ 1,2 km, au marché de Saint-Max le mercredi matin'."""
    parts = []
    if match.distance_km is not None:
        parts.append(format_distance(match.distance_km, match.approximate, match.same_commune) + ",")
    parts.append(match.place.label)
    when = describe_when(match.team)
    if when:
        parts.append(when)
    return " ".join(parts)
