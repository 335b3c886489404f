"""Outcome of the programme (issue 15): requests transferred to a partner, rights opened per
benefit and per team, median days from first contact to a right opened, follow-up response rate.

Read from the booking and follow-up tables, published with the rule of stats/report.py: a count
under 5 is "< 5", others are rounded to 5. A median or a rate is shown only when it rests on 5
requests or more; a rate is rounded to 5 points, so it does not give back a hidden count.
Weeks: a request counts in the week it was received, a right in the week it was opened, a
follow-up in the week it was sent. Territory: the EPCI of the team holding the request. These
figures have no channel or mode (like the appointment outcomes): with those filters, they are left out.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.models import AppointmentRequest, RequestTransfer, Team
from followup.models import FollowUp
from stats.models import UNKNOWN
from stats.record import week_of

SMALL = 5


@dataclass(frozen=True)
class Derived:
    """A median or a rate, with the same attributes the pages read from a Figure."""

    value: float | None  # None: rests on fewer than 5 requests
    unit: str  # "jours" or "%"

    @property
    def shown(self) -> int | None:
        return None if self.value is None else round(self.value)

    @property
    def hidden(self) -> bool:
        return self.value is None

    @property
    def exact(self) -> int:
        return self.shown or 0

    @property
    def text(self) -> str:
        return "< 5 demandes" if self.value is None else f"{round(self.value)} {self.unit}"

    @property
    def csv(self) -> str:
        return "< 5" if self.value is None else str(round(self.value))


def rate(part: int, whole: int) -> Derived:
    if whole < SMALL:
        return Derived(None, "%")
    return Derived(5 * round(100 * part / whole / 5), "%")


def median_days(days: list[float]) -> Derived:
    if len(days) < SMALL:
        return Derived(None, "jours")
    return Derived(statistics.median(days), "jours")


@dataclass
class Outcomes:
    requests_total: int
    received: dict[str, int]  # team id -> requests received (created there, or transferred to it)
    transferred: dict[str, int]  # team id -> requests it transferred to another team
    opened: dict[str, int]  # team id -> requests with a right opened
    opened_by_benefit: dict[str, int]  # benefit id -> requests where it was opened
    days_to_right: list[float]
    followups_sent: int
    followups_answered: int
    answers: dict[str, int]


def _in_period(moment: datetime | None, lo, hi) -> bool:  # noqa: ANN001
    if moment is None:
        return False
    week = week_of(moment)
    return not ((lo and week < lo) or (hi and week > hi))


def collect(db: Session, *, week_from=None, week_to=None, territory: str = "",  # noqa: ANN001
            team_territory: dict[str, str] | None = None) -> Outcomes:
    lo = week_of(week_from) if week_from else None
    hi = week_of(week_to) if week_to else None
    team_territory = team_territory or {}
    db_teams = dict(db.execute(select(Team.id, Team.commune)).all())

    def territory_ok(team_id: str | None) -> bool:
        if not territory:
            return True
        if team_id in team_territory:
            return team_territory[team_id] == territory
        commune = db_teams.get(team_id)
        if commune:
            from territory import epci_of  # noqa: PLC0415

            return (epci_of(commune) or UNKNOWN) == territory
        return territory == UNKNOWN

    out = Outcomes(0, {}, {}, {}, {}, [], 0, 0, {})
    requests = db.execute(select(
        AppointmentRequest.id, AppointmentRequest.team_id, AppointmentRequest.origin_team_id,
        AppointmentRequest.created_at, AppointmentRequest.first_contact_at, AppointmentRequest.status,
        AppointmentRequest.outcome_on, AppointmentRequest.rights_opened)).all()
    for _id, team_id, origin, created, first_contact, status, outcome_on, rights in requests:
        first_team = origin or team_id
        if _in_period(created, lo, hi) and territory_ok(first_team):
            out.requests_total += 1
            out.received[first_team] = out.received.get(first_team, 0) + 1
        if status == "rights_opened" and _in_period(outcome_on, lo, hi) and territory_ok(team_id):
            out.opened[team_id] = out.opened.get(team_id, 0) + 1
            for benefit in rights or []:
                out.opened_by_benefit[benefit] = out.opened_by_benefit.get(benefit, 0) + 1
            start = first_contact or created
            if start and outcome_on:
                out.days_to_right.append(max(0.0, (outcome_on - start).total_seconds() / 86400))
    for from_team, to_team, at in db.execute(
            select(RequestTransfer.from_team_id, RequestTransfer.to_team_id, RequestTransfer.at)).all():
        if _in_period(at, lo, hi):
            if territory_ok(from_team):
                out.transferred[from_team] = out.transferred.get(from_team, 0) + 1
            if territory_ok(to_team):
                out.received[to_team] = out.received.get(to_team, 0) + 1
    # Follow-ups carry no team; with a territory filter they count by the resident's commune.
    for sent_at, answer, commune in db.execute(
            select(FollowUp.sent_at, FollowUp.answer, FollowUp.commune).where(FollowUp.sent_at.is_not(None))).all():
        if not _in_period(sent_at, lo, hi):
            continue
        if territory:
            from territory import epci_of  # noqa: PLC0415

            if ((epci_of(commune) if commune else None) or UNKNOWN) != territory:
                continue
        out.followups_sent += 1
        if answer:
            out.followups_answered += 1
            out.answers[answer] = out.answers.get(answer, 0) + 1
    return out


# ---------------------------------------------------------------- tables of the report

RESULT_LABELS = {
    "requests": "Demandes reçues",
    "transferred": "Demandes transmises à une autre équipe ou un partenaire",
    "rights_opened": "Demandes avec des droits ouverts",
    "median_days": "Délai médian entre le premier contact et l'ouverture des droits (jours)",
    "followups_sent": "Messages de suivi envoyés",
    "followups_answered": "Réponses aux messages de suivi",
    "response_rate": "Taux de réponse au suivi (%)",
}
ANSWER_ROW_LABELS = {
    "yes": "Réponse « Oui, j'ai fait la demande »",
    "not_yet": "Réponse « Pas encore »",
    "need_help": "Réponse « J'ai besoin d'aide »",
    "no": "Réponse « Non »",
}
TEAM_COLUMNS = {"received": "Demandes reçues", "transferred": "Transmises à un partenaire",
                "rights_opened": "Droits ouverts"}


def tables(out: Outcomes | None, *, figure, row_cls, table_cls, benefit_names: dict[str, str],  # noqa: ANN001
           team_names: dict[str, str], note: str | None) -> list:
    """The three outcome tables, built with stats.report's Figure/Row/Table (passed in to keep
    one definition of the publishing rule)."""
    value = {"value": "Valeur"}
    if out is None:  # a channel or mode filter: not known
        empty = [row_cls(k, label, {"value": None}) for k, label in {**RESULT_LABELS, **ANSWER_ROW_LABELS}.items()]
        return [table_cls("resultats", "Résultats : droits ouverts et suivi", "Indicateur", value, empty, None, note)]
    counts = {
        "requests": out.requests_total,
        "transferred": sum(out.transferred.values()),
        "rights_opened": sum(out.opened.values()),
        "followups_sent": out.followups_sent,
        "followups_answered": out.followups_answered,
    }
    rows = []
    for key, label in RESULT_LABELS.items():
        if key == "median_days":
            cell = median_days(out.days_to_right)
        elif key == "response_rate":
            cell = rate(out.followups_answered, out.followups_sent)
        else:
            cell = figure(counts[key])
        rows.append(row_cls(key, label, {"value": cell}))
    rows += [row_cls(k, label, {"value": figure(out.answers.get(k, 0))}) for k, label in ANSWER_ROW_LABELS.items()]
    results = table_cls("resultats", "Résultats : droits ouverts et suivi", "Indicateur", value, rows, None,
                        note or "Une demande transmise compte une fois dans « Demandes reçues ». Le délai et le "
                        "taux ne s'affichent qu'à partir de 5 demandes.")

    benefit_rows = [row_cls(b, benefit_names.get(b, b), {"rights_opened": figure(out.opened_by_benefit.get(b, 0))})
                    for b in sorted(set(benefit_names) | set(out.opened_by_benefit))]
    benefit_rows.sort(key=lambda r: (-(r.cells["rights_opened"].shown or 0), r.label))
    by_benefit = table_cls("droits-ouverts", "Droits ouverts, aide par aide", "Aide",
                           {"rights_opened": "Demandes où ce droit a été ouvert"}, benefit_rows, None)

    team_rows = []
    totals = {"received": 0, "transferred": 0, "rights_opened": 0}
    for team_id in sorted(team_names, key=lambda t: team_names[t]):
        values = {"received": out.received.get(team_id, 0), "transferred": out.transferred.get(team_id, 0),
                  "rights_opened": out.opened.get(team_id, 0)}
        for k, v in values.items():
            totals[k] += v
        team_rows.append(row_cls(team_id, team_names[team_id], {k: figure(v) for k, v in values.items()}))
    total = row_cls("total", "Total", {k: figure(v) for k, v in totals.items()})
    by_team = table_cls("equipes", "Par équipe ou partenaire", "Équipe", TEAM_COLUMNS, team_rows, total,
                        "Une demande transmise compte chez l'équipe qui l'a reçue en premier et chez celle qui la "
                        "reçoit ensuite.")
    return [results, by_benefit, by_team]
