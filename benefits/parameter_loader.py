"""Dated parameters (benefits/parameters/**.yml) read by the catalogue's rules.

One file per figure, in OpenFisca's parameter format (description, metadata with reference and
unit, values per date), so that a figure lives in one place and a reviewer sees its source and
since when it applies. A rule says `{parameter: css.plafond_gratuite_logement}` wherever it needs
a number (or a ceiling table) and the loader puts the value in force today.

The file name gives the parameter's name: `parameters/css/plafond_gratuite_logement.yml` is
`css.plafond_gratuite_logement`. One liberty with OpenFisca's format: a value may also be a
ceiling table of the rule language ({alone: [...], couple: [...], extra_child: ...}), for the
ceilings by household that OpenFisca computes from several parameters.

`openfisca:` names the same parameter in OpenFisca-France (dotted path): when the package is
installed its values are read from there (its YAML, OpenFisca itself is not imported), the local
values being the fallback; so a figure OpenFisca-France keeps is not copied by hand.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

PARAMETERS_DIR = Path(__file__).resolve().parent / "parameters"
PARAMETER_KEY = "parameter"
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Metadata(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    # A list of {title, href} (or of URLs), or OpenFisca's {date: [{title, href}]}.
    reference: Any = Field(min_length=1)
    unit: str = Field(min_length=1)


class DatedValue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    value: Any

    @field_validator("value")
    @classmethod
    def _number_or_table(cls, value: Any) -> Any:
        if value is None or _is_number(value) or isinstance(value, dict):
            return value
        raise ValueError("expects a number, a ceiling table or null (no longer in force)")


class Parameter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str = Field(min_length=1)
    metadata: Metadata
    values: dict[date, DatedValue] = Field(min_length=1)
    openfisca: str | None = Field(default=None, pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    documentation: str | None = None

    def at(self, day: date) -> Any:
        """The value in force on `day` (the latest start date not after it), None if none."""
        found = None
        for start in sorted(self.values):
            if start <= day:
                found = self.values[start].value
        return found


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _openfisca_values(path: str) -> dict[date, DatedValue] | None:
    """The values of an OpenFisca-France parameter, when the package is installed."""
    try:
        spec = importlib.util.find_spec("openfisca_france")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    base = Path(next(iter(spec.submodule_search_locations))) / "parameters"
    file = base.joinpath(*path.split(".")).with_suffix(".yaml")
    if not file.is_file():
        return None
    try:
        data = yaml.load(file.read_text(encoding="utf-8"), Loader=_YamlLoader)  # noqa: S506 - safe loader
        values = data.get("values", {}) if isinstance(data, dict) else {}
        return {date.fromisoformat(str(k)): DatedValue(value=v.get("value")) for k, v in values.items()}
    except (yaml.YAMLError, OSError, ValueError, AttributeError, ValidationError):
        return None


def _name_of(path: Path, root: Path) -> str:
    return ".".join(path.relative_to(root).with_suffix("").parts)


@lru_cache(maxsize=4)
def _load_cached(directory: str) -> tuple[dict[str, Parameter], tuple[str, ...]]:
    root = Path(directory)
    parameters: dict[str, Parameter] = {}
    problems: list[str] = []
    for path in sorted(root.rglob("*.yml")):
        rel = f"benefits/parameters/{path.relative_to(root)}"
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YamlLoader)  # noqa: S506
        except (yaml.YAMLError, OSError) as exc:
            problems.append(f"{rel}: not valid YAML ({exc})".replace("\n", " "))
            continue
        try:
            parameter = Parameter.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(p) for p in error["loc"]) or "(file)"
                problems.append(f"{rel}: {where}: {error['msg']}")
            continue
        if parameter.openfisca:
            official = _openfisca_values(parameter.openfisca)
            if official:
                parameter = parameter.model_copy(update={"values": {**parameter.values, **official}})
        parameters[_name_of(path, root)] = parameter
    return parameters, tuple(problems)


def load_parameters(directory: Path | str | None = None) -> tuple[dict[str, Parameter], list[str]]:
    """(parameters by dotted name, problems found: file and field)."""
    parameters, problems = _load_cached(str(Path(directory or PARAMETERS_DIR).resolve()))
    return parameters, list(problems)


def parameter_value(name: str, day: date | None = None, directory: Path | str | None = None) -> Any:
    """The value of one parameter in force on `day` (today by default); KeyError if unknown."""
    parameters, _problems = load_parameters(directory)
    return parameters[name].at(day or date.today())


def substitute(data: Any, parameters: Mapping[str, Parameter], day: date, where: str,
               problems: list[str]) -> Any:
    """`data` with every `{parameter: name}` replaced by the value in force on `day`; a bad
    reference adds a problem naming `where` (file and field) and leaves a placeholder."""
    if isinstance(data, dict):
        if set(data) == {PARAMETER_KEY}:
            name = data[PARAMETER_KEY]
            parameter = parameters.get(str(name))
            if parameter is None:
                problems.append(f"{where}: unknown parameter '{name}' (no benefits/parameters/"
                                f"{str(name).replace('.', '/')}.yml)")
                return 0
            value = parameter.at(day)
            if value is None:
                problems.append(f"{where}: parameter '{name}' has no value on {day.isoformat()}")
                return 0
            return value
        return {k: substitute(v, parameters, day, f"{where}.{k}", problems) for k, v in data.items()}
    if isinstance(data, list):
        return [substitute(v, parameters, day, f"{where}[{i}]", problems) for i, v in enumerate(data)]
    return data


def clear_cache() -> None:
    _load_cached.cache_clear()
