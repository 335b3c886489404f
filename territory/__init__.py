"""Communes of Meurthe-et-Moselle: lookup as residents type them, EPCI, distances."""

from territory.communes import (
    Commune,
    CommuneMatch,
    OutsidePlace,
    TerritoryDataError,
    all_communes,
    commune_by_code,
    communes_with_postcode,
    distance_km,
    epci_of,
    find_commune,
    nearest_commune,
    search_communes,
)

__all__ = [
    "Commune",
    "CommuneMatch",
    "OutsidePlace",
    "TerritoryDataError",
    "all_communes",
    "commune_by_code",
    "communes_with_postcode",
    "distance_km",
    "epci_of",
    "find_commune",
    "nearest_commune",
    "search_communes",
]
