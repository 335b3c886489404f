"""Reading a team's requests: filters from the query string (views "à traiter", "en retard",
"transmises", search, team, status, dates), ordering, paging, CSV rows with names.

Who reads what: a staff member reads the requests their team holds, and (read only) those their
team transferred to another team; an admin reads every team's requests (to undo a change)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlencode

import phonenumbers
from sqlalchemy import Select, and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from booking import labels
from booking.models import (
    CHANNEL_LABELS,
    CONTACT_PREFERENCE_LABELS,
    KIND_LABELS,
    REQUEST_STATUSES,
    STATUS_LABELS,
    AppointmentRequest,
    RequestTransfer,
    StaffUser,
    Team,
)
from booking.references import normalize_reference
from staff.formatting import paris_day_bounds_utc, short_datetime

PAGE_SIZE = 50
VIEWS = {
    "": "Toutes",
    "todo": "À traiter",
    "late": "En retard",
    "sent": "Transmises par mon équipe",
}
TODO_STATUSES = ("new", "transferred", "held", "no_show")  # someone of the team must act
LATE_AFTER = timedelta(days=2)  # a new or transferred request nobody took within two days
SEARCH_MAX = 60
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
    view: str = ""
    q: str = ""
    team: str = ""  # admins only: one team's requests

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> Filters:
        filters = cls._base(query)
        view = query.get("view", "")
        filters.view = view if view in VIEWS else ""
        filters.q = " ".join((query.get("q") or "").split())[:SEARCH_MAX]
        team = (query.get("team") or "").strip()
        filters.team = team[:64]
        return filters

    @classmethod
    def _base(cls, query: Mapping[str, str]) -> Filters:
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

    def apply(self, query: Select, now: datetime | None = None) -> Select:
        now = now or datetime.now(timezone.utc)
        if self.view == "todo":
            query = query.where(AppointmentRequest.status.in_(TODO_STATUSES))
        elif self.view == "late":
            query = query.where(late_condition(now))
        if self.q:
            code = normalize_reference(self.q)
            name = self.q.lower()
            wanted = func.lower(AppointmentRequest.first_name).contains(name, autoescape=True)
            query = query.where(or_(wanted, AppointmentRequest.reference == code) if code else wanted)
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
        params = {"view": self.view, "q": self.q, "team": self.team,
                  "status": self.status, "date_field": self.date_field if has_dates else "",
                  "date_from": self.date_from.isoformat() if self.date_from else "",
                  "date_to": self.date_to.isoformat() if self.date_to else ""}
        return urlencode({k: v for k, v in params.items() if v})


def page_number(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 10_000))
    except ValueError:
        return 1


def late_condition(now: datetime):  # noqa: ANN201
    """Nobody took a new or transferred request within two days, or an appointment is past and its
    outcome still unknown a day later."""
    return or_(
        and_(AppointmentRequest.status == "new", AppointmentRequest.created_at < now - LATE_AFTER),
        and_(AppointmentRequest.status == "transferred", AppointmentRequest.updated_at < now - LATE_AFTER),
        and_(AppointmentRequest.status == "contacted", AppointmentRequest.slot_start.is_not(None),
             AppointmentRequest.slot_start < now - timedelta(days=1)),
    )


def sent_by(team_id: str):  # noqa: ANN201
    """Requests this team transferred to another team (read access to their history)."""
    return AppointmentRequest.id.in_(select(RequestTransfer.request_id).where(RequestTransfer.from_team_id == team_id))


def readable_condition(user: StaffUser):  # noqa: ANN201
    if user.role == "admin":
        return AppointmentRequest.id.is_not(None)
    if user.team_id is None:
        return false()
    return or_(AppointmentRequest.team_id == user.team_id, sent_by(user.team_id))


def _scope(user: StaffUser, filters: Filters) -> Select:
    query = select(AppointmentRequest)
    if user.role == "admin":
        if filters.team:
            query = query.where(AppointmentRequest.team_id == filters.team)
        return query
    if user.team_id is None:
        return query.where(false())
    if filters.view == "sent":
        return query.where(AppointmentRequest.team_id != user.team_id, sent_by(user.team_id))
    return query.where(AppointmentRequest.team_id == user.team_id)


def _team_query(user: StaffUser, filters: Filters) -> Select:
    # Urgent first, then requests nobody has handled yet, then the most recent.
    return filters.apply(_scope(user, filters)).order_by(
        AppointmentRequest.urgent_flag.desc(),
        case((AppointmentRequest.status.in_(("new", "transferred")), 0), else_=1),
        AppointmentRequest.created_at.desc(),
        AppointmentRequest.id.desc(),
    )


def list_requests(db: Session, user: StaffUser, filters: Filters, page: int) -> tuple[list[AppointmentRequest], bool]:
    query = _team_query(user, filters).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    items = list(db.scalars(query))
    return items[:PAGE_SIZE], len(items) > PAGE_SIZE


def all_requests(db: Session, user: StaffUser, filters: Filters) -> list[AppointmentRequest]:
    return list(db.scalars(_team_query(user, filters)))


def view_counts(db: Session, user: StaffUser, now: datetime | None = None) -> dict[str, int]:
    """How many requests "à traiter" and "en retard" the team holds (shown on the view tabs)."""
    now = now or datetime.now(timezone.utc)
    base = _scope(user, Filters()).with_only_columns(func.count())
    return {
        "todo": db.scalar(base.where(AppointmentRequest.status.in_(TODO_STATUSES))) or 0,
        "late": db.scalar(base.where(late_condition(now))) or 0,
    }


def team_names(db: Session) -> dict[str, str]:
    return dict(db.execute(select(Team.id, Team.name)).all())


def urgent_text(item: AppointmentRequest) -> str:
    """'Urgent : Expulsion ou impayés de loyer' (the situation by name when it is known)."""
    names = labels.situation_labels(item.urgent_situations)
    return "Urgent : " + ", ".join(names) if names else ("Urgent" if item.urgent_flag else "")


def contact_text(item: AppointmentRequest) -> str:
    parts = []
    if item.contact_preference:
        parts.append(CONTACT_PREFERENCE_LABELS.get(item.contact_preference, item.contact_preference))
    if item.best_times:
        parts.append(item.best_times)
    return " – ".join(parts)


def benefit_lines(value: object) -> list[str]:
    """'Prime d'activité (environ 180 € par mois)' for each consented benefit."""
    return [f"{e['name']} ({e['amount']})" if e["amount"] else e["name"] for e in labels.benefit_entries(value)]


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
    """likely_benefits is a JSON list: plain ids (older rows) or mappings with a name."""
    return labels.benefit_names(value)


CSV_HEADER = ("Référence", "Reçue le", "Prénom", "Téléphone", "Canal", "Type de demande", "Créneau",
              "Moment souhaité", "Statut", "Urgent", "Résumé (avec accord)", "Droits probables (avec accord)",
              "Situation urgente (avec accord)", "À vérifier (avec accord)", "Préférence de contact",
              "Équipe", "Première équipe", "Bénévole (prescripteur)", "Raison de clôture", "Droits ouverts",
              "Date du résultat")


def csv_rows(items: Sequence[AppointmentRequest],
             names: Mapping[str, str] | None = None) -> tuple[Sequence[str], list[list[str]]]:
    names = names or {}
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
            ", ".join(benefit_lines(item.likely_benefits)) if consented else "",
            ", ".join(labels.situation_labels(item.urgent_situations)) if consented else "",
            ", ".join(labels.benefit_names(item.to_check)) if consented else "",
            contact_text(item),
            names.get(item.team_id, item.team_id),
            names.get(item.origin_team_id or item.team_id, item.origin_team_id or ""),
            item.prescripteur_name or "",
            item.closing_reason or "",
            ", ".join(labels.benefit_name(b) for b in item.rights_opened or []),
            short_datetime(item.outcome_on)[:10],
        ])
    return CSV_HEADER, rows
