"""Schema of the directory data files (directory/data/teams/*.yml, directory/data/places/*.yml).

Validated by pydantic on load; errors name the file and the field (see directory/loader.py).
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
INSEE_PATTERN = r"^(\d{5}|2[AB]\d{3})$"

# French day names as written in the data files, in calendar order (Monday = 0, like date.weekday()).
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
Weekday = Literal["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]

TEAM_KINDS = ("outreach", "mds", "ccas", "france_services", "centre_social", "other")

_RANGE = re.compile(r"^\s*(\d{1,2})[:hH](\d{2})\s*-\s*(\d{1,2})[:hH](\d{2})\s*$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeRange(Strict):
    start: time
    end: time

    @classmethod
    def parse(cls, value: object) -> TimeRange:
        if isinstance(value, TimeRange):
            return value
        m = _RANGE.match(str(value))
        if not m:
            raise ValueError(f"plage horaire illisible {value!r} : écrivez par exemple \"09:00-12:00\"")
        h1, m1, h2, m2 = (int(x) for x in m.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError(f"heure impossible dans {value!r}")
        start, end = time(h1, m1), time(h2, m2)
        if end <= start:
            raise ValueError(f"dans {value!r}, la fin doit être après le début")
        return cls(start=start, end=end)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


RangeField = Annotated[TimeRange, BeforeValidator(TimeRange.parse)]


class Availability(Strict):
    """Recurring weekly availability: meeting slots of `slot_minutes` inside each time range."""

    slot_minutes: int = Field(30, ge=5, le=240)
    place: str | None = None  # a place id of the team; default: the team's first place
    weekly: dict[Weekday, list[RangeField]] = Field(default_factory=dict)
    valid_from: date | None = None
    valid_until: date | None = None
    closed_dates: list[date] = Field(default_factory=list)  # on top of public holidays
    note: str | None = None

    @field_validator("weekly", mode="before")
    @classmethod
    def _parse_ranges(cls, value: object) -> object:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError("attendu : un jour par ligne, par exemple  mercredi: [\"09:00-12:00\"]")
        # A single range may be written without brackets: mercredi: "09:00-12:00".
        return {day: [ranges] if isinstance(ranges, str) else ranges for day, ranges in value.items()}


class Sector(Strict):
    communes: list[str] = Field(default_factory=list)  # INSEE codes
    neighbourhoods: list[str] = Field(default_factory=list)
    source: str | None = None

    @field_validator("communes")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not re.match(INSEE_PATTERN, str(code)):
                raise ValueError(f"code INSEE invalide {code!r} (5 chiffres, par exemple \"54395\")")
        return [str(c) for c in value]


class Notifications(Strict):
    telegram_chat_id: str | None = None
    email: str | None = None

    @field_validator("telegram_chat_id", mode="before")
    @classmethod
    def _chat_id(cls, value: object) -> object:
        if value is None or value == "":
            return None
        value = str(value).strip()
        if not re.match(r"^(-?\d+|@[A-Za-z0-9_]{5,})$", value):
            raise ValueError("identifiant de conversation Telegram invalide (un nombre, ou @nom_du_canal)")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
            raise ValueError(f"adresse e-mail invalide {value!r}")
        return value or None


class Place(Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=2)
    kind: str
    label: str = Field(min_length=2)  # French fragment used in sentences: "au marché de Saint-Max"
    details: str | None = None
    address: str | None = None
    postcode: str | None = None
    commune: str | None = None
    insee_code: str | None = Field(None, pattern=INSEE_PATTERN)
    latitude: float | None = Field(None, ge=41.0, le=51.5)
    longitude: float | None = Field(None, ge=-5.5, le=10.0)
    coord_source: str | None = None
    opening_hours_text: str | None = None
    phone: str | None = None
    email: str | None = None
    what_to_bring: list[str] = Field(default_factory=list)
    source: str = Field(min_length=3)
    confidence: str | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _coords_together(self) -> Place:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude et longitude vont ensemble : remplissez les deux ou aucune")
        if self.latitude is not None and not self.coord_source:
            raise ValueError("coord_source : dites d'où viennent les coordonnées")
        return self


class Team(Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=2)
    kind: Literal["outreach", "mds", "ccas", "france_services", "centre_social", "other"]
    description: str | None = None
    members: str | None = None
    places: list[str] = Field(min_length=1)
    sector: Sector = Field(default_factory=Sector)
    priority: int = Field(50, ge=0, le=1000)  # lower wins among teams covering the same commune
    phone: str | None = None
    phone_note: str | None = None
    email: str | None = None
    availability: Availability | None = None
    availability_source: str | None = None
    when_label: str | None = None  # overrides the computed "le mercredi matin"
    what_to_bring: list[str] = Field(default_factory=list)
    notifications: Notifications = Field(default_factory=Notifications)
    sources: list[str] = Field(min_length=1)
    active: bool = True

    @property
    def bookable(self) -> bool:
        """True when residents can pick a slot (some weekly availability is known)."""
        return bool(self.availability and any(self.availability.weekly.values()))
