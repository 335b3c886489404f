"""Load and cross-check the directory data files. Adding a territory = adding files, no code."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from directory.schema import Place, Team

DATA_DIR = Path(__file__).resolve().parent / "data"
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~10x faster
_lock = threading.Lock()
_cached: Directory | None = None


class DirectoryError(ValueError):
    """A data file is wrong; the message names the file and the field."""


@dataclass(frozen=True)
class Directory:
    teams: dict[str, Team] = field(default_factory=dict)
    places: dict[str, Place] = field(default_factory=dict)

    def team(self, team_id: str) -> Team | None:
        return self.teams.get(team_id)

    def places_of(self, team: Team) -> list[Place]:
        return [self.places[p] for p in team.places]

    def meeting_place(self, team: Team) -> Place:
        """The place where slots of the team happen."""
        if team.availability and team.availability.place:
            return self.places[team.availability.place]
        return self.places[team.places[0]]

    def active_teams(self) -> list[Team]:
        return [t for t in self.teams.values() if t.active]


def _format_error(path: Path, err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(fichier)"
        msg = e["msg"].removeprefix("Value error, ")
        lines.append(f"{path}: champ « {where} » : {msg}")
    return "\n".join(lines)


def _read(path: Path, model: type):
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 (safe loader)
    except yaml.YAMLError as exc:
        raise DirectoryError(f"{path}: YAML illisible : {exc}") from exc
    if not isinstance(raw, dict):
        raise DirectoryError(f"{path}: le fichier doit contenir des champs « nom: valeur »")
    try:
        obj = model.model_validate(raw)
    except ValidationError as exc:
        raise DirectoryError(_format_error(path, exc)) from exc
    if obj.id != path.stem:
        raise DirectoryError(f"{path}: champ « id » : {obj.id!r} doit être le nom du fichier ({path.stem!r})")
    return obj


def load_directory(data_dir: Path | str | None = None) -> Directory:
    base = Path(data_dir) if data_dir else DATA_DIR
    places = {p.id: p for p in (_read(f, Place) for f in sorted((base / "places").glob("*.yml")))}
    teams: dict[str, Team] = {}
    for path in sorted((base / "teams").glob("*.yml")):
        team = _read(path, Team)
        for i, place_id in enumerate(team.places):
            if place_id not in places:
                raise DirectoryError(
                    f"{path}: champ « places.{i} » : le lieu {place_id!r} n'existe pas dans {base / 'places'}"
                )
        if team.availability and team.availability.place and team.availability.place not in team.places:
            raise DirectoryError(
                f"{path}: champ « availability.place » : {team.availability.place!r} n'est pas un lieu de l'équipe"
            )
        teams[team.id] = team
    return Directory(teams=teams, places=places)


def get_directory() -> Directory:
    """The project's directory, loaded once per process (thread-safe)."""
    global _cached
    if _cached is None:
        with _lock:
            if _cached is None:
                _cached = load_directory()
    return _cached


def reload_directory() -> Directory:
    """Drop the cached directory (after data files changed) and load it again."""
    global _cached
    with _lock:
        _cached = load_directory()
    return _cached
