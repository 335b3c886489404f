"""The evaluation report: anonymous counters and appointment outcomes, added up by week, territory
(EPCI), commune, channel and mode, with small counts protected.

Protecting small counts
-----------------------
1. A figure under 5 (a cell or a total, zero included) is published as "< 5", never as its value.
2. Every other figure is published rounded to the nearest multiple of 5 (7 -> 5, 8 -> 10,
   123 -> 125). A total is rounded from the exact total, on its own, like any other figure.

Why rounding rather than suppressing complementary cells: the page has filters (weeks, territory,
channel, mode) and the same quantities come back in several tables. Complementary suppression
protects one table at a time; a hidden cell could still be recomputed by difference between two
views (the total of all channels minus the total with the filter "web" gives the "telegram" cell
hidden in the channel table). With rounding, every published figure of 5 or more is only known
within ±2, so any difference between published figures leaves a range of several possible values,
which tells no more than "< 5" already says. Rows of fixed lists (every week of the period, every
channel, mode, theme and benefit of the catalogue) are listed even when empty, so "< 5" may also
mean 0. Rows are never sorted by exact value (that would rank the hidden cells).
Known limit: a reader who combines many filtered views can narrow some ranges; the figures hold
no personal data in the first place (see stats/models.py).

Appointment outcomes (held, missed) come from booking's appointment requests, counted by the
week of the slot (or of the request when there is no slot) and by the team's territory (the EPCI
of the team's meeting place in the directory). They are not known by channel, mode or commune:
with a channel or mode filter, they are left out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking.models import AppointmentRequest, Team
from core.db import session_scope
from core.settings import get_settings
from stats import outcomes as programme_outcomes
from stats.models import CHANNELS, MODES, UNKNOWN, StatCount
from stats.record import week_of

log = logging.getLogger(__name__)

SMALL = 5  # figures under this are hidden
BASE = 5  # other figures are rounded to a multiple of this
HIDDEN_TEXT = "< 5"
MAX_WEEKS = 156  # three years of weekly rows at most

# Metrics counted by the bot (stats.record) that the tables show, with their French labels.
COUNTER_LABELS = {
    "conversation_started": "Conversations commencées",
    "conversation_finished": "Conversations terminées",
    "question_asked": "Questions posées",
    "appointment_requested": "Rendez-vous demandés",
}
# Outcomes read from the appointment requests.
OUTCOME_LABELS = {
    "appointment_held": "Rendez-vous tenus",
    "appointment_missed": "Rendez-vous manqués",
}
# A request whose rights were opened or refused went through "held" (booking/workflow.py).
OUTCOME_STATUSES = {"held": "appointment_held", "rights_opened": "appointment_held",
                    "rights_refused": "appointment_held", "no_show": "appointment_missed"}
LIKELY_LABEL = "Conversations où l'aide paraît probable"
CHANNEL_LABELS = {
    "web": "Site web",
    "telegram": "Telegram",
    "guide": "Mode accompagnant",
    "rest": "Autre (API)",
    "shell": "Terminal (essais)",
}
MODE_LABELS = {"self": "Seul(e)", "guide": "Avec un accompagnant"}
UNKNOWN_LABEL = "Non précisé"
_MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]


def publish(value: int) -> int | None:
    """The published form of an exact count: None (shown "< 5") under 5, else rounded to 5."""
    if value < SMALL:
        return None
    return BASE * ((value + BASE // 2) // BASE)


@dataclass(frozen=True)
class Figure:
    """One published figure. `exact` stays inside the program (tests, sums); pages and exports
    only ever use `shown` / `text`."""

    exact: int

    @property
    def shown(self) -> int | None:
        return publish(self.exact)

    @property
    def hidden(self) -> bool:
        return self.shown is None

    @property
    def text(self) -> str:
        shown = self.shown
        return HIDDEN_TEXT if shown is None else f"{shown:,}".replace(",", "\u202f")

    @property
    def csv(self) -> str:
        shown = self.shown
        return HIDDEN_TEXT if shown is None else str(shown)


@dataclass(frozen=True)
class StatsFilters:
    week_from: date | None = None  # any day: the week it falls in is included
    week_to: date | None = None
    territory: str = ""  # EPCI code, "inconnu", or "" for all
    channel: str = ""  # one of CHANNELS, or ""
    mode: str = ""  # one of MODES, or ""

    @property
    def outcomes_apply(self) -> bool:
        """Outcomes have no channel or mode: they are shown only without those filters."""
        return not self.channel and not self.mode


@dataclass
class Row:
    key: str
    label: str
    cells: dict[str, Figure | None]  # None: not available for this row / filter


@dataclass
class Table:
    slug: str  # used in the CSV and as an HTML id
    title: str
    dimension: str  # French label of the first column
    columns: dict[str, str]  # metric -> French label
    rows: list[Row]
    total: Row | None
    note: str | None = None


@dataclass
class Report:
    filters: StatsFilters
    weeks: list[date]
    headline: Row
    tables: list[Table]
    notes: list[str] = field(default_factory=list)

    def table(self, slug: str) -> Table:
        return next(t for t in self.tables if t.slug == slug)


# ---------------------------------------------------------------- labels

def week_label(week: date) -> str:
    iso = week.isocalendar()
    return f"S{iso[1]:02d} · {week.day} {_MONTHS[week.month - 1]} {week.year}"


@lru_cache(maxsize=1)
def _epci_names() -> dict[str, str]:
    from territory import all_communes

    return {c.epci_code: c.epci_name for c in all_communes()}


def territory_label(code: str) -> str:
    return UNKNOWN_LABEL if code == UNKNOWN else _epci_names().get(code, code)


def territory_choices() -> list[tuple[str, str]]:
    """Every EPCI of the département, then "not given", for the filter."""
    names = sorted(_epci_names().items(), key=lambda kv: kv[1])
    return [*names, (UNKNOWN, UNKNOWN_LABEL)]


def commune_label(code: str) -> str:
    from territory import commune_by_code

    commune = commune_by_code(code) if code != UNKNOWN else None
    return commune.name if commune else UNKNOWN_LABEL


def _catalogue_names() -> tuple[dict[str, str], dict[str, str]]:
    """(benefit id -> name, category -> label); an unreadable catalogue leaves plain ids."""
    from benefits.schema import CATEGORIES

    try:
        from benefits.catalogue_loader import load_catalogue

        names = {b.id: b.entry.name for b in load_catalogue().benefits}
    except Exception:  # noqa: BLE001 - the report still works with ids
        log.warning("stats: catalogue not readable, benefit ids shown instead of names", exc_info=True)
        names = {}
    return names, dict(CATEGORIES)


# ---------------------------------------------------------------- team territories

def team_territories(directory: object | None = None) -> dict[str, str]:
    """team id -> EPCI code of the team's meeting place (directory data), for appointment outcomes."""
    from directory.loader import get_directory
    from territory import epci_of

    directory = directory or get_directory()
    result = {}
    for team in directory.teams.values():
        place = directory.meeting_place(team)
        epci = epci_of(place.insee_code) if place.insee_code else None
        if epci is None and team.sector.communes:
            epci = epci_of(team.sector.communes[0])
        result[team.id] = epci or UNKNOWN
    return result


# ---------------------------------------------------------------- queries

def _counter_where(f: StatsFilters) -> list:
    where = []
    if f.week_from:
        where.append(StatCount.week >= week_of(f.week_from))
    if f.week_to:
        where.append(StatCount.week <= week_of(f.week_to))
    if f.territory:
        where.append(StatCount.territory == f.territory)
    if f.channel:
        where.append(StatCount.channel == f.channel)
    if f.mode:
        where.append(StatCount.mode == f.mode)
    return where


def _sums(db: Session, f: StatsFilters, dimension: str | None, metrics: Iterable[str]) -> dict[tuple, int]:
    """{(dimension value, metric): exact sum}, or {(None, metric): sum} without a dimension."""
    dim = StatCount.__table__.c[dimension] if dimension else None
    columns = [dim] if dim is not None else []
    query = (
        select(*columns, StatCount.metric, func.sum(StatCount.count))
        .where(StatCount.metric.in_(list(metrics)), *_counter_where(f))
        .group_by(*columns, StatCount.metric)
    )
    result = {}
    for row in db.execute(query):
        value = row[0] if dim is not None else None
        result[(value, row[-2])] = int(row[-1] or 0)
    return result


def _key_sums(db: Session, f: StatsFilters, metric: str) -> dict[str, int]:
    query = (
        select(StatCount.key, func.sum(StatCount.count))
        .where(StatCount.metric == metric, *_counter_where(f))
        .group_by(StatCount.key)
    )
    return {key: int(total or 0) for key, total in db.execute(query)}


def _outcomes(db: Session, f: StatsFilters, teams: dict[str, str]) -> list[tuple[date, str, str]]:
    """(week, territory, outcome metric) for each held or missed appointment within the filters."""
    if not f.outcomes_apply:
        return []
    lo = week_of(f.week_from) if f.week_from else None
    hi = week_of(f.week_to) if f.week_to else None
    query = select(AppointmentRequest.team_id, AppointmentRequest.slot_start, AppointmentRequest.created_at,
                   AppointmentRequest.status).where(AppointmentRequest.status.in_(list(OUTCOME_STATUSES)))
    result = []
    for team_id, slot_start, created_at, status in db.execute(query):
        week = week_of(slot_start or created_at)
        territory = teams.get(team_id, UNKNOWN)
        if (lo and week < lo) or (hi and week > hi) or (f.territory and territory != f.territory):
            continue
        result.append((week, territory, OUTCOME_STATUSES[status]))
    return result


# ---------------------------------------------------------------- building the tables

def _weeks(f: StatsFilters, seen: Iterable[date], notes: list[str]) -> list[date]:
    seen = sorted(set(seen))
    start = week_of(f.week_from) if f.week_from else (seen[0] if seen else None)
    end = week_of(f.week_to) if f.week_to else (seen[-1] if seen else None)
    if start is None or end is None or start > end:
        return []
    count = (end - start).days // 7 + 1
    if count > MAX_WEEKS:
        start = end - timedelta(weeks=MAX_WEEKS - 1)
        notes.append(f"La période est limitée aux {MAX_WEEKS} dernières semaines.")
    return [start + timedelta(weeks=i) for i in range((end - start).days // 7 + 1)]


def _row(key: str, label: str, columns: Iterable[str], sums: dict[tuple, int], value: object,
         available: set[str]) -> Row:
    return Row(key, label, {m: Figure(sums.get((value, m), 0)) if m in available else None for m in columns})


def _sorted_by_shown(rows: list[Row], metric: str) -> list[Row]:
    """Largest published figure first, then by label: hidden cells keep alphabetical order."""
    return sorted(rows, key=lambda r: (-((r.cells[metric].shown or 0) if r.cells[metric] else 0), r.label))


def build_report(filters: StatsFilters, *, url: str | None = None, directory: object | None = None) -> Report:
    f = filters
    notes: list[str] = []
    counters = list(COUNTER_LABELS)
    outcome_metrics = list(OUTCOME_LABELS) if f.outcomes_apply else []
    teams = team_territories(directory) if f.outcomes_apply else {}
    with session_scope(url or get_settings().database_url) as db:
        by = {dim: _sums(db, f, dim, counters) for dim in ("week", "territory", "commune", "channel", "mode")}
        totals = _sums(db, f, None, counters)
        benefit_sums = _key_sums(db, f, "benefit_likely")
        theme_sums = _key_sums(db, f, "theme_likely")
        outcomes = _outcomes(db, f, teams)
        results = None
        if f.outcomes_apply:
            results = programme_outcomes.collect(db, week_from=f.week_from, week_to=f.week_to,
                                                 territory=f.territory, team_territory=teams)
        team_names = dict(db.execute(select(Team.id, Team.name)).all())

    for week, territory, metric in outcomes:
        for dim, value in (("week", week), ("territory", territory)):
            by[dim][(value, metric)] = by[dim].get((value, metric), 0) + 1
        totals[(None, metric)] = totals.get((None, metric), 0) + 1

    all_metrics = counters + outcome_metrics
    all_labels = {**COUNTER_LABELS, **OUTCOME_LABELS}
    columns_all = {m: all_labels[m] for m in (counters + list(OUTCOME_LABELS))}
    columns_counters = dict(COUNTER_LABELS)
    everything = set(all_metrics)
    headline = _row("total", "Total", columns_all, totals, None, everything)
    outcome_note = None if f.outcomes_apply else (
        "Les rendez-vous tenus et manqués ne sont pas connus par canal ni par mode : "
        "retirez ces filtres pour les voir.")

    weeks = _weeks(f, [k[0] for k in by["week"]], notes)
    week_rows = [_row(w.isoformat(), week_label(w), columns_all, by["week"], w, everything) for w in weeks]

    territories = {k[0] for k in by["territory"]}
    if f.territory:
        territories.add(f.territory)
    territory_rows = sorted(
        (_row(t, territory_label(t), columns_all, by["territory"], t, everything) for t in territories),
        key=lambda r: (r.key == UNKNOWN, r.label))

    communes = {k[0] for k in by["commune"]}
    commune_rows = sorted(
        (_row(c, commune_label(c), columns_counters, by["commune"], c, set(counters)) for c in communes),
        key=lambda r: (r.key == UNKNOWN, r.label))

    channels = [f.channel] if f.channel else list(CHANNELS)
    channel_rows = [_row(c, CHANNEL_LABELS[c], columns_counters, by["channel"], c, set(counters)) for c in channels]
    modes = [f.mode] if f.mode else list(MODES)
    mode_rows = [_row(m, MODE_LABELS[m], columns_counters, by["mode"], m, set(counters)) for m in modes]

    benefit_names, theme_names = _catalogue_names()
    likely = {"likely": LIKELY_LABEL}
    theme_rows = _sorted_by_shown([
        Row(c, theme_names.get(c, c), {"likely": Figure(theme_sums.get(c, 0))})
        for c in sorted(set(theme_names) | set(theme_sums))], "likely")
    benefit_rows = _sorted_by_shown([
        Row(b, benefit_names.get(b, b), {"likely": Figure(benefit_sums.get(b, 0))})
        for b in sorted(set(benefit_names) | set(benefit_sums))], "likely")

    counter_total = Row("total", "Total", {m: headline.cells[m] for m in columns_counters})
    tables = [
        Table("semaines", "Par semaine", "Semaine", columns_all, week_rows, headline, outcome_note),
        Table("territoires", "Par territoire (intercommunalité)", "Territoire", columns_all, territory_rows,
              headline, outcome_note or "Pour les rendez-vous tenus et manqués, le territoire est celui "
              "de l'équipe qui reçoit la personne."),
        Table("communes", "Par commune", "Commune", columns_counters, commune_rows, counter_total),
        Table("canaux", "Par canal", "Canal", columns_counters, channel_rows, counter_total),
        Table("modes", "Seul(e) ou avec un accompagnant", "Mode", columns_counters, mode_rows, counter_total),
        Table("themes", "Aides probables par thème", "Thème", likely, theme_rows, None,
              "Chaque thème compte une fois par conversation, même si plusieurs aides du thème paraissent "
              "probables."),
        Table("aides", "Aides probables, aide par aide", "Aide", likely, benefit_rows, None),
        *programme_outcomes.tables(results, figure=Figure, row_cls=Row, table_cls=Table, benefit_names=benefit_names,
                                   team_names=team_names, note=None if f.outcomes_apply else (
                                       "Les résultats ne sont pas connus par canal ni par mode : "
                                       "retirez ces filtres pour les voir.")),
    ]
    return Report(filters=f, weeks=weeks, headline=headline, tables=tables, notes=notes)


def csv_rows(report: Report) -> tuple[list[str], list[list[str]]]:
    """Long format (one figure per line), easy to pivot in a spreadsheet. Only published values."""
    header = ["Tableau", "Ligne", "Code", "Indicateur", "Valeur"]
    rows = []
    for table in report.tables:
        lines = list(table.rows) + ([table.total] if table.total else [])
        for row in lines:
            for metric, label in table.columns.items():
                figure = row.cells.get(metric)
                if figure is None:
                    continue
                rows.append([table.title, row.label, row.key, label, figure.csv])
    return header, rows
