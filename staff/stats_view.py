"""The statistics page: filters from the query string, the report, and two bar charts drawn as
inline SVG on the server (the staff app runs no script). Figures come from stats.report already
protected: this module only ever reads their published form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from stats.models import CHANNELS, MODES
from stats.report import (
    CHANNEL_LABELS,
    HIDDEN_TEXT,
    MODE_LABELS,
    Report,
    StatsFilters,
    Table,
    territory_choices,
)

CHART_WIDTH = 720


def _day(value: str | None) -> tuple[date | None, bool]:
    if not value:
        return None, True
    try:
        return date.fromisoformat(value.strip()), True
    except ValueError:
        return None, False


def filters_from_query(query: Mapping[str, str]) -> tuple[StatsFilters, list[str]]:
    """Filters and, for each value that could not be used, a French sentence saying so."""
    problems = []
    week_from, ok_from = _day(query.get("du"))
    week_to, ok_to = _day(query.get("au"))
    if not (ok_from and ok_to):
        problems.append("Une date n'est pas valide : elle n'a pas été prise en compte.")
    if week_from and week_to and week_from > week_to:
        week_from, week_to = week_to, week_from
        problems.append("Les dates étaient inversées : nous les avons remises dans l'ordre.")
    territory = query.get("territoire", "")
    if territory and territory not in dict(territory_choices()):
        problems.append("Ce territoire n'existe pas : tous les territoires sont affichés.")
        territory = ""
    channel = query.get("canal", "")
    if channel and channel not in CHANNELS:
        problems.append("Ce canal n'existe pas : tous les canaux sont affichés.")
        channel = ""
    mode = query.get("mode", "")
    if mode and mode not in MODES:
        problems.append("Ce mode n'existe pas : les deux modes sont affichés.")
        mode = ""
    return StatsFilters(week_from, week_to, territory, channel, mode), problems


def query_string(f: StatsFilters) -> str:
    """The filters as a query string (for the CSV link)."""
    pairs = {
        "du": f.week_from.isoformat() if f.week_from else "",
        "au": f.week_to.isoformat() if f.week_to else "",
        "territoire": f.territory, "canal": f.channel, "mode": f.mode,
    }
    return urlencode({k: v for k, v in pairs.items() if v})


# ---------------------------------------------------------------- charts

@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # under the bar (columns) or before it (rows)
    value: str  # published text: a rounded number or "< 5"
    label_x: float = 0
    label_y: float = 0
    value_x: float = 0
    value_y: float = 0
    show_label: bool = True
    show_value: bool = True


@dataclass
class Chart:
    id: str
    title: str
    description: str  # the text alternative: every value, in words
    width: int
    height: int
    bars: list[Bar]
    axis_y: float = 0


def _describe(title: str, pairs: list[tuple[str, str]]) -> str:
    if not pairs:
        return f"{title} : aucune donnée pour ces critères."
    values = " ; ".join(f"{label} : {value}" for label, value in pairs)
    return f"{title}. {values}. « {HIDDEN_TEXT} » : moins de 5, le chiffre exact n'est pas montré."


def weekly_chart(table: Table, metric: str = "conversation_started") -> Chart:
    """Vertical bars, one per week; a hidden figure gets no bar, only its "< 5" label."""
    rows = table.rows
    title = f"{table.columns[metric]} par semaine"
    top, bottom, left = 24, 46, 8
    plot_h = 180
    height = top + plot_h + bottom
    n = max(len(rows), 1)
    step = (CHART_WIDTH - left * 2) / n
    peak = max((r.cells[metric].shown or 0 for r in rows), default=0) or 1
    every = max(1, -(-n // 12))  # at most about 12 week labels under the axis
    bars = []
    for i, row in enumerate(rows):
        figure = row.cells[metric]
        h = plot_h * (figure.shown or 0) / peak
        w = min(step * 0.7, 56)  # few weeks: narrow bars, centred in their slot
        x = left + i * step + (step - w) / 2
        y = top + plot_h - h
        bars.append(Bar(
            x=round(x, 1), y=round(y, 1), width=round(w, 1), height=round(h, 1),
            label=row.label.split(" · ")[0], value=figure.text,
            label_x=round(x + w / 2, 1), label_y=top + plot_h + 18,
            value_x=round(x + w / 2, 1), value_y=round(max(y - 5, 12), 1),
            show_label=(i % every == 0), show_value=n <= 26,  # beyond, the labels would overlap
        ))
    pairs = [(r.label, r.cells[metric].text) for r in rows]
    return Chart("graphique-semaines", title, _describe(title, pairs), CHART_WIDTH, height, bars,
                 axis_y=top + plot_h)


def themes_chart(table: Table, metric: str = "likely", title: str = "Aides probables par thème",
                 chart_id: str = "graphique-themes", max_rows: int | None = None) -> Chart:
    """Horizontal bars, one per theme (or benefit), largest first."""
    rows = table.rows[:max_rows] if max_rows else table.rows
    label_w, row_h, top = 190, 26, 6
    plot_w = CHART_WIDTH - label_w - 70
    peak = max((r.cells[metric].shown or 0 for r in rows), default=0) or 1
    bars = []
    for i, row in enumerate(rows):
        figure = row.cells[metric]
        w = plot_w * (figure.shown or 0) / peak
        y = top + i * row_h
        bars.append(Bar(
            x=label_w, y=y + 4, width=round(w, 1), height=row_h - 8, label=row.label, value=figure.text,
            label_x=label_w - 8, label_y=y + row_h / 2 + 5, value_x=round(label_w + w + 6, 1),
            value_y=y + row_h / 2 + 5,
        ))
    pairs = [(r.label, r.cells[metric].text) for r in rows]
    return Chart(chart_id, title, _describe(title, pairs), CHART_WIDTH,
                 top * 2 + row_h * max(len(rows), 1), bars)


def page_context(report: Report, problems: list[str]) -> dict:
    return {
        "report": report,
        "filters": report.filters,
        "problems": problems + report.notes,
        "territories": territory_choices(),
        "channels": [(c, CHANNEL_LABELS[c]) for c in CHANNELS],
        "modes": [(m, MODE_LABELS[m]) for m in MODES],
        "export_query": query_string(report.filters),
        "week_chart": weekly_chart(report.table("semaines")),
        "theme_chart": themes_chart(report.table("themes")),
        "rights_chart": _rights_chart(report),
        "hidden_text": HIDDEN_TEXT,
    }


def _rights_chart(report: Report) -> Chart | None:
    """Rights opened, the ten benefits opened most often (none with a channel or mode filter)."""
    if not any(t.slug == "droits-ouverts" for t in report.tables):
        return None
    return themes_chart(report.table("droits-ouverts"), "rights_opened", "Droits ouverts : les 10 aides les plus "
                        "ouvertes", "graphique-droits", max_rows=10)
