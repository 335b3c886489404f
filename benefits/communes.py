"""INSEE code -> (name, EPCI code) for the communes of the 54, read from the territory CSV.

The engine only needs these two facts, so it reads the CSV itself instead of depending on the
`territory` package (which does fuzzy lookups, distances and more).
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

_PROJECT_CSV = Path(__file__).resolve().parent.parent / "territory" / "data" / "communes_54.csv"


def communes_csv_path() -> Path | None:
    for path in (_PROJECT_CSV,):
        if path.exists():
            return path
    return None


@lru_cache(maxsize=1)
def communes() -> dict[str, tuple[str, str, str]]:
    """INSEE code -> (name, epci_code, epci_name)."""
    path = communes_csv_path()
    if path is None:
        return {}
    with path.open(encoding="utf-8") as handle:
        return {
            row["insee_code"]: (row["name"], row["epci_code"], row["epci_name"])
            for row in csv.DictReader(handle)
        }


def commune_name(code: str) -> str:
    row = communes().get(str(code))
    return row[0] if row else str(code)


def epci_of(code: str) -> str:
    """EPCI code of a commune; "" for a commune outside the 54 (matches no EPCI of the 54)."""
    row = communes().get(str(code))
    return row[1] if row else ""


def epci_codes() -> set[str]:
    return {row[1] for row in communes().values()}


def epci_name(code: str) -> str:
    for _name, epci, name in communes().values():
        if epci == code:
            return name
    return code
