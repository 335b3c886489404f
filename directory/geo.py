"""Commune points and distances for the directory.

Uses the `territory.communes` module when it is there (commune_by_code / distance_km); otherwise reads
the communes CSV directly. Only this file knows where commune coordinates come from.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import lru_cache

from core.settings import PROJECT_ROOT

_CSV_CANDIDATES = (PROJECT_ROOT / "territory" / "data" / "communes_54.csv",)


@dataclass(frozen=True)
class CommunePoint:
    insee_code: str
    name: str
    postcodes: tuple[str, ...]
    latitude: float
    longitude: float
    population: int


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0088  # mean Earth radius, km
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    try:
        from territory.communes import distance_km as territory_distance  # noqa: PLC0415
    except ImportError:
        return haversine_km(lat1, lon1, lat2, lon2)
    try:
        return float(territory_distance(lat1, lon1, lat2, lon2))
    except TypeError:  # a different signature: keep our own formula
        return haversine_km(lat1, lon1, lat2, lon2)


@lru_cache(maxsize=1)
def _communes() -> dict[str, CommunePoint]:
    path = next((p for p in _CSV_CANDIDATES if p.exists()), None)
    if path is None:
        raise FileNotFoundError("communes_54.csv introuvable (territory/data ou référence partagée)")
    out = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if not row.get("latitude"):
                continue
            out[row["insee_code"]] = CommunePoint(
                insee_code=row["insee_code"],
                name=row["name"],
                postcodes=tuple(p.strip() for p in row["postcodes"].replace(";", " ").split() if p.strip()),
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                population=int(row["population"] or 0),
            )
    return out


def commune_by_code(code: str) -> CommunePoint | None:
    return _communes().get(str(code).strip())


def communes_by_postcode(postcode: str) -> list[CommunePoint]:
    """Communes sharing a postcode, most populated first."""
    postcode = str(postcode).strip()
    found = [c for c in _communes().values() if postcode in c.postcodes]
    return sorted(found, key=lambda c: -c.population)


def nearest_commune(lat: float, lon: float) -> CommunePoint | None:
    """The commune whose reference point is nearest (an approximation near commune borders)."""
    points = _communes().values()
    return min(points, key=lambda c: haversine_km(lat, lon, c.latitude, c.longitude), default=None)
