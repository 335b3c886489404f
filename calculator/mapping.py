"""calculator/benefits.yml: which OpenFisca variable computes which catalogue benefit.

Plain Python + PyYAML (loaded by the calculator process and by the client). Validated on load:
a wrong field raises MappingError naming the file, the id and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

MAPPING_PATH = Path(__file__).resolve().parent / "benefits.yml"
ENTITIES = ("famille", "individu", "menage")
PERIODS = ("month", "year")
KINDS = ("monthly", "yearly", "one_off", "eligibility", "cost")
FIELDS = {"variable", "entity", "period", "kind", "unless", "with_unborn"}


class MappingError(ValueError):
    pass


@dataclass(frozen=True)
class Computed:
    id: str            # catalogue id
    variable: str      # OpenFisca variable
    entity: str = "famille"
    period: str = "month"
    kind: str = "monthly"
    unless: str | None = None
    with_unborn: bool = False   # computed with the expected baby in the family (prime à la naissance)

    @property
    def has_amount(self) -> bool:
        return self.kind in ("monthly", "yearly", "one_off")


def _check(path: Path, benefit_id: object, spec: object, ids: set[str]) -> Computed:
    where = f"{path.name}: {benefit_id}"
    if not isinstance(benefit_id, str) or not benefit_id:
        raise MappingError(f"{path.name}: every key must be a catalogue id (text), got {benefit_id!r}")
    if not isinstance(spec, dict):
        raise MappingError(f"{where}: expected a mapping with at least 'variable', got {spec!r}")
    unknown = set(spec) - FIELDS
    if unknown:
        raise MappingError(f"{where}: unknown field(s) {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(FIELDS))})")
    variable = spec.get("variable")
    if not isinstance(variable, str) or not variable.isidentifier():
        raise MappingError(f"{where}: field 'variable' must be an OpenFisca variable name, got {variable!r}")
    for field, allowed in (("entity", ENTITIES), ("period", PERIODS), ("kind", KINDS)):
        if field in spec and spec[field] not in allowed:
            raise MappingError(f"{where}: field '{field}' must be one of {', '.join(allowed)}, got {spec[field]!r}")
    if not isinstance(spec.get("with_unborn", False), bool):
        raise MappingError(f"{where}: field 'with_unborn' must be true or false, got {spec['with_unborn']!r}")
    unless = spec.get("unless")
    if unless is not None and unless not in ids:
        raise MappingError(f"{where}: field 'unless' names {unless!r}, which is not an id of this file")
    return Computed(id=benefit_id, **spec)


def parse_mapping(data: object, path: Path = MAPPING_PATH) -> dict[str, Computed]:
    if not isinstance(data, dict) or not data:
        raise MappingError(f"{path.name}: expected a mapping of catalogue id -> OpenFisca variable")
    ids = {k for k in data if isinstance(k, str)}
    return {benefit_id: _check(path, benefit_id, spec, ids) for benefit_id, spec in data.items()}


@lru_cache(maxsize=4)
def load_mapping(path: str | None = None) -> dict[str, Computed]:
    file = Path(path) if path else MAPPING_PATH
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MappingError(f"{file.name}: cannot read ({exc})") from exc
    return parse_mapping(data, file)
