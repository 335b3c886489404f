"""Reading a team's requests: filters from the query string, ordering, paging, CSV rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

import phonenumbers
from sqlalchemy import Select, case, select
from sqlalchemy.orm import Session

from booking.models import (
    CHANNEL_LABELS,
    KIND_LABELS,
    REQUEST_STATUSES,
    STATUS_LABELS,
    AppointmentRequest,
)
from staff.formatting import paris_day_bounds_utc, short_datetime

PAGE_SIZE = 50
DATE_FIELDS = {"created": "date de la demande", "slot": "date du rendez-vous"}


def _parse_day(value: str | None) -> tuple[date | None, bool]:
    """(day, ok): an empty value is fine, a malformed one is reported."""
    if not value:
        return None, True
    try:
        return date.fromisoformat(value.strip()), True
    except ValueError:
        return None, False


@dataclass
class Filters:
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    date_field: str = "created"
    problems: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> Filters:
        problems = []
        status = query.get("status", "")
        if status not in REQUEST_STATUSES:
            if status:
                problems.append("Ce statut n'existe pas : toutes les demandes sont affichées.")
            status = ""
        date_field = query.get("date_field", "created")
        if date_field not in DATE_FIELDS:
            date_field = "created"
        date_from, ok_from = _parse_day(query.get("date_from"))
        date_to, ok_to = _parse_day(query.get("date_to"))
        if not (ok_from and ok_to):
            problems.append("Une date n'est pas valide : elle n'a pas été prise en compte.")
        if date_from and date_to and date_from > date_to:
            date_from, date_to = date_to, date_from
        return cls(status, date_from, date_to, date_field, tuple(problems))

    def apply(self, query: Select) -> Select:
        if self.status:
            query = query.where(AppointmentRequest.status == self.status)
        column = AppointmentRequest.slot_start if self.date_field == "slot" else AppointmentRequest.created_at
        if self.date_from:
            query = query.where(column >= paris_day_bounds_utc(self.date_from))
        if self.date_to:
            query = query.where(column < paris_day_bounds_utc(self.date_to, end=True))
        return query

    def query_string(self) -> str:
        has_dates = bool(self.date_from or self.date_to)
        params = {"status": self.status, "date_field": self.date_field if has_dates else "",
                  "date_from": self.date_from.isoformat() if self.date_from else "",
                  "date_to": self.date_to.isoformat() if self.date_to else ""}
        return urlencode({k: v for k, v in params.items() if v})


def page_number(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 10_000))
    except ValueError:
        return 1


def _team_query(team_id: str, filters: Filters) -> Select:
    query = select(AppointmentRequest).where(AppointmentRequest.team_id == team_id)
    # Urgent first, then requests nobody has handled yet, then the most recent.
    return filters.apply(query).order_by(
        AppointmentRequest.urgent_flag.desc(),
        case((AppointmentRequest.status == "new", 0), else_=1),
        AppointmentRequest.created_at.desc(),
        AppointmentRequest.id.desc(),
    )


def list_requests(db: Session, team_id: str, filters: Filters, page: int) -> tuple[list[AppointmentRequest], bool]:
    query = _team_query(team_id, filters).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    items = list(db.scalars(query))
    return items[:PAGE_SIZE], len(items) > PAGE_SIZE


def all_requests(db: Session, team_id: str, filters: Filters) -> list[AppointmentRequest]:
    return list(db.scalars(_team_query(team_id, filters)))


def display_phone(value: str | None) -> str:
    """'+33612345678' -> '06 12 34 56 78' (international format for foreign numbers)."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return value
    fmt = (phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 33
           else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, fmt)


def benefit_names(value: object) -> list[str]:
    """likely_benefits is a JSON list: plain ids/names, or mappings with a name."""
    if not isinstance(value, list):
        return []
    names = []
    for entry in value:
        if isinstance(entry, Mapping):
            label = entry.get("name") or entry.get("id")
            if label:
                names.append(str(label))
        elif entry is not None:
            names.append(str(entry))
    return names


CSV_HEADER = ("Référence", "Reçue le", "Prénom", "Téléphone", "Canal", "Type de demande", "Créneau",
              "Moment souhaité", "Statut", "Urgent", "Résumé (avec accord)", "Droits probables (avec accord)")


def csv_rows(items: Sequence[AppointmentRequest]) -> tuple[Sequence[str], list[list[str]]]:
    rows = []
    for item in items:
        consented = item.consent_summary
        rows.append([
            item.reference,
            short_datetime(item.created_at),
            item.first_name,
            display_phone(item.contact_phone),
            CHANNEL_LABELS.get(item.contact_channel, item.contact_channel),
            KIND_LABELS.get(item.kind, item.kind),
            short_datetime(item.slot_start),
            item.preferred_time_note or "",
            STATUS_LABELS.get(item.status, item.status),
            "oui" if item.urgent_flag else "non",
            (item.summary or "") if consented else "",
            ", ".join(benefit_names(item.likely_benefits)) if consented else "",
        ])
    return CSV_HEADER, rows
