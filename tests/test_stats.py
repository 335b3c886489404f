"""Evaluation statistics: anonymous counters (stats.record), the report (stats.report) checked figure
by figure against a seeded set of 40 conversations and 20 appointments, small-count protection,
and the staff page and CSV (staff/router.py, staff/stats_view.py)."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from booking_support import db_url, pg_database, sqlite_database  # noqa: F401  (db_url: SQLite, and PostgreSQL)
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select
from staff_fixtures import PASSWORD_A, PASSWORD_ADMIN, logged_in_client, make_app, prepare_database

from booking import service
from booking.models import AppointmentRequest
from core.db import get_engine, session_scope
from core.settings import get_settings
from stats.models import StatCount
from stats.outcomes import Derived
from stats.record import record, record_results, week_of
from stats.report import StatsFilters, build_report, csv_rows, publish

UTC = timezone.utc
# Three ISO weeks (their Mondays); conversations happen on the Wednesday of each.
W1, W2, W3 = date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)
NANCY, MALZEVILLE, LUNEVILLE, POMPEY = "54395", "54339", "54329", "54430"
METROPOLE, LUNEVILLE_CC, POMPEY_CC = "245400676", "200070324", "245400601"

# Blocks of identical conversations:
# (how many, week, channel, mode, commune, finished, questions each, likely benefits, appointment asked)
BLOCKS = [
    (12, W1, "web", "self", NANCY, True, 8, [("aspa", "seniors"), ("css_gratuite", "sante")], False),
    (6, W1, "telegram", "self", LUNEVILLE, True, 6, [("rsa", "revenu"), ("rsa", "revenu")], True),
    (3, W1, "web", "guide", MALZEVILLE, False, 3, [], False),
    (9, W2, "telegram", "guide", NANCY, True, 10, [("rsa", "revenu"), ("prime_activite", "revenu")], True),
    (2, W2, "web", "self", None, False, 1, [], False),
    (4, W3, "web", "self", POMPEY, True, 5, [("css_gratuite", "sante")], True),
    (4, W3, "web", "self", POMPEY, True, 5, [("css_gratuite", "sante")], False),
]

# Counted by hand from BLOCKS (exact values), in the order of COLUMNS.
COUNTERS = ("conversation_started", "conversation_finished", "question_asked", "appointment_requested")
OUTCOMES = ("appointment_held", "appointment_missed")
BY_WEEK = {  # started, finished, questions, appointments asked, held, missed
    W1: (21, 18, 12 * 8 + 6 * 6 + 3 * 3, 6, 3, 0),
    W2: (11, 9, 9 * 10 + 2 * 1, 9, 7, 2),
    W3: (8, 8, 8 * 5, 4, 1, 6),
}
TOTAL = (40, 35, 273, 19, 11, 8)
BY_TERRITORY = {
    METROPOLE: (12 + 9 + 3, 12 + 9, 96 + 90 + 9, 9, 8, 2),
    LUNEVILLE_CC: (6, 6, 36, 6, 3, 6),
    POMPEY_CC: (8, 8, 40, 4, 0, 0),
    "inconnu": (2, 0, 2, 0, 0, 0),
}
BY_COMMUNE = {
    NANCY: (21, 21, 96 + 90, 9),
    MALZEVILLE: (3, 0, 9, 0),
    LUNEVILLE: (6, 6, 36, 6),
    POMPEY: (8, 8, 40, 4),
    "inconnu": (2, 0, 2, 0),
}
BY_CHANNEL = {
    "web": (25, 20, 96 + 9 + 2 + 40, 4),
    "telegram": (15, 15, 36 + 90, 15),
    "guide": (0, 0, 0, 0), "rest": (0, 0, 0, 0), "shell": (0, 0, 0, 0),
}
BY_MODE = {"self": (28, 26, 96 + 36 + 2 + 40, 10), "guide": (12, 9, 9 + 90, 9)}
BENEFITS = {"aspa": 12, "css_gratuite": 20, "rsa": 15, "prime_activite": 9}
THEMES = {"seniors": 12, "sante": 20, "revenu": 15}  # revenu: once per conversation, not once per benefit


def seed_conversations(url: str) -> None:
    """What the bot records, conversation by conversation."""
    for n, week, channel, mode, commune, finished, questions, likely, appointment in BLOCKS:
        when = datetime.combine(week + timedelta(days=2), datetime.min.time()).replace(hour=10, tzinfo=UTC)
        for _ in range(n):
            where = {"channel": channel, "mode": mode, "commune": commune, "when": when, "url": url}
            assert record("conversation_started", **where)
            for _q in range(questions):
                assert record("question_asked", **where)
            if finished:
                record_results(likely, **where)
                assert record("conversation_finished", **where)
            if appointment:
                assert record("appointment_requested", key="callback", **where)


def seed_appointments(url: str) -> None:
    """Held and missed appointments, through the booking service, dated into the three weeks."""
    plan = [("ccas-nancy", W2, "held", 7), ("ccas-nancy", W2, "no_show", 2), ("ccas-nancy", W2, "new", 1),
            ("fs-luneville", W1, "held", 3), ("fs-luneville", W3, "no_show", 6), ("fs-luneville", W3, "cancelled", 1)]
    for team, week, status, n in plan:
        for _ in range(n):
            req = service.book_callback(team_id=team, first_name="Awa", contact_phone="06 12 34 56 78", url=url)
            if status != "new":
                service.change_status(req.id, status, url=url)
            with session_scope(url) as db:
                db.get(AppointmentRequest, req.id).created_at = datetime.combine(
                    week + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    # A slot appointment asked in week 1 for a slot in week 3: it counts in the week of the slot.
    with session_scope(url) as db:
        db.add(AppointmentRequest(
            reference="AV-SLOT", team_id="ccas-nancy", kind="slot", first_name="Léa", contact_channel="web",
            slot_start=datetime(2026, 11, 18, 9, 0, tzinfo=UTC), status="held",
            created_at=datetime(2026, 11, 3, 9, 0, tzinfo=UTC)))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def seeded(request, tmp_path_factory):
    """Seeded once per database for the read-only report tests (seeding takes a few seconds)."""
    if request.param == "sqlite":
        url = sqlite_database(tmp_path_factory.mktemp("stats"))
        seed_conversations(url)
        seed_appointments(url)
        yield url
    else:
        with pg_database() as url:
            seed_conversations(url)
            seed_appointments(url)
            yield url


def exact(row, columns) -> tuple:
    return tuple(row.cells[m].exact for m in columns)


def texts(row, columns) -> tuple:
    return tuple(row.cells[m].text for m in columns)


def expected_text(value: int) -> str:
    return "< 5" if value < 5 else str(publish(value))


# ---------------------------------------------------------------- publishing rule

@pytest.mark.parametrize(("value", "shown"), [(0, None), (1, None), (4, None), (5, 5), (7, 5), (8, 10),
                                              (12, 10), (13, 15), (273, 275), (1234, 1235)])
def test_publish_hides_under_5_and_rounds_to_5(value, shown):
    assert publish(value) == shown


def test_week_of_is_the_paris_monday():
    assert week_of(date(2026, 11, 4)) == W1
    assert week_of(date(2026, 11, 8)) == W1  # Sunday
    # Sunday 23:30 UTC is already Monday in Paris: the next week.
    assert week_of(datetime(2026, 11, 8, 23, 30, tzinfo=UTC)) == W2


# ---------------------------------------------------------------- the report, figure by figure

def test_every_figure_of_the_report_matches_the_seeded_conversations(seeded):
    report = build_report(StatsFilters(), url=seeded)
    columns = COUNTERS + OUTCOMES

    assert report.weeks == [W1, W2, W3]
    assert exact(report.headline, columns) == TOTAL
    assert texts(report.headline, columns) == ("40", "35", "275", "20", "10", "10")

    weeks = report.table("semaines")
    assert {date.fromisoformat(r.key): exact(r, columns) for r in weeks.rows} == BY_WEEK
    assert [texts(r, columns) for r in weeks.rows] == [
        ("20", "20", "140", "5", "< 5", "< 5"),
        ("10", "10", "90", "10", "5", "< 5"),
        ("10", "10", "40", "< 5", "< 5", "5"),
    ]

    territories = report.table("territoires")
    assert {r.key: exact(r, columns) for r in territories.rows} == BY_TERRITORY
    by_key = {r.key: texts(r, columns) for r in territories.rows}
    assert by_key[METROPOLE] == ("25", "20", "195", "10", "10", "< 5")
    assert by_key[LUNEVILLE_CC] == ("5", "5", "35", "5", "< 5", "5")
    assert by_key["inconnu"] == ("< 5",) * 6
    assert territories.rows[-1].label == "Non précisé"  # "not given" comes last

    communes = report.table("communes")
    assert {r.key: exact(r, COUNTERS) for r in communes.rows} == BY_COMMUNE
    assert {r.key: texts(r, COUNTERS) for r in communes.rows}[MALZEVILLE] == ("< 5", "< 5", "10", "< 5")
    assert [r.label for r in communes.rows] == ["Lunéville", "Malzéville", "Nancy", "Pompey", "Non précisé"]

    assert {r.key: exact(r, COUNTERS) for r in report.table("canaux").rows} == BY_CHANNEL
    assert {r.key: texts(r, COUNTERS) for r in report.table("canaux").rows}["web"] == ("25", "20", "145", "< 5")
    assert {r.key: exact(r, COUNTERS) for r in report.table("modes").rows} == BY_MODE
    assert {r.key: texts(r, COUNTERS) for r in report.table("modes").rows} == {
        "self": ("30", "25", "175", "10"), "guide": ("10", "10", "100", "10")}

    benefits = {r.key: r.cells["likely"] for r in report.table("aides").rows}
    assert {k: f.exact for k, f in benefits.items() if f.exact} == BENEFITS
    assert [benefits[k].text for k in ("aspa", "css_gratuite", "rsa", "prime_activite")] == ["10", "20", "15", "10"]
    assert len(benefits) >= 100  # every benefit of the catalogue is listed, even never found likely
    themes = report.table("themes").rows
    assert {r.key: r.cells["likely"].exact for r in themes if r.cells["likely"].exact} == THEMES
    assert [r.key for r in themes[:3]] == ["sante", "revenu", "seniors"]  # 20, 15, 10: largest first
    assert all(r.cells["likely"].text == "< 5" for r in themes[3:])

    # Every published figure is "< 5" or a multiple of 5 no smaller than 5, in every table.
    for table in report.tables:
        for row in [*table.rows, *([table.total] if table.total else [])]:
            for figure in row.cells.values():
                # A median or a rate (stats/outcomes.py) is not a count: its rule is tested there.
                if figure is not None and not isinstance(figure, Derived):
                    assert figure.text == expected_text(figure.exact)


def test_filters_narrow_every_table(seeded):
    columns = COUNTERS + OUTCOMES
    one_week = build_report(StatsFilters(week_from=W2 + timedelta(days=3), week_to=W2), url=seeded)
    assert one_week.weeks == [W2]
    assert exact(one_week.headline, columns) == BY_WEEK[W2]

    luneville = build_report(StatsFilters(territory=LUNEVILLE_CC), url=seeded)
    assert exact(luneville.headline, columns) == BY_TERRITORY[LUNEVILLE_CC]
    assert [r.key for r in luneville.table("communes").rows] == [LUNEVILLE]
    assert texts(luneville.headline, columns) == ("5", "5", "35", "5", "< 5", "5")

    telegram = build_report(StatsFilters(channel="telegram"), url=seeded)
    assert exact(telegram.headline, COUNTERS) == BY_CHANNEL["telegram"]
    # Outcomes have no channel: they are left out rather than shown wrong.
    assert all(telegram.headline.cells[m] is None for m in OUTCOMES)
    assert telegram.table("semaines").note

    guide = build_report(StatsFilters(mode="guide", week_from=W1, week_to=W1), url=seeded)
    assert exact(guide.headline, COUNTERS) == (3, 0, 9, 0)
    assert texts(guide.headline, COUNTERS) == ("< 5", "< 5", "10", "< 5")


def test_a_hidden_cell_cannot_be_recomputed_from_the_total(seeded):
    """Total minus the visible cells leaves a range of possible values, never a single one."""
    report = build_report(StatsFilters(), url=seeded)
    checked = 0
    for table in report.tables:
        if table.total is None:
            continue
        for metric in table.columns:
            cells = [r.cells[metric] for r in table.rows if r.cells[metric] is not None]
            hidden = [c for c in cells if c.hidden]
            if table.total.cells[metric] is None or not hidden or table.total.cells[metric].hidden:
                continue
            shown = [c.shown for c in cells if not c.hidden]
            # A published figure p >= 5 stands for any exact value from max(5, p - 2) to p + 2.
            low = table.total.cells[metric].shown - 2 - sum(p + 2 for p in shown)
            high = table.total.cells[metric].shown + 2 - sum(max(5, p - 2) for p in shown)
            possible = [h for h in range(0, 4 * len(hidden) + 1) if low <= h <= high]
            assert len(possible) > 1, (table.slug, metric, possible)
            checked += 1
    assert checked >= 10  # the seeded set has many lines mixing hidden and shown cells


def test_csv_rows_hold_only_published_values(seeded):
    header, rows = csv_rows(build_report(StatsFilters(), url=seeded))
    assert header == ["Tableau", "Ligne", "Code", "Indicateur", "Valeur"]
    lines = {(r[0], r[2], r[3]): r[4] for r in rows}
    assert lines[("Par semaine", "total", "Conversations commencées")] == "40"
    assert lines[("Par semaine", W3.isoformat(), "Rendez-vous demandés")] == "< 5"
    assert lines[("Par canal", "telegram", "Rendez-vous demandés")] == "15"
    assert lines[("Aides probables par thème", "revenu", "Conversations où l'aide paraît probable")] == "15"
    assert all(v == "< 5" or (int(v) % 5 == 0 and int(v) >= 5) for v in lines.values())


# ---------------------------------------------------------------- recording: anonymous, never failing

def test_the_table_holds_nothing_that_identifies_a_person(db_url):  # noqa: F811
    columns = {c["name"]: c for c in inspect(get_engine(db_url)).get_columns("stat_counts")}
    assert set(columns) == {"id", "week", "territory", "commune", "channel", "mode", "metric", "key", "count"}
    assert "DATE" in str(columns["week"]["type"]).upper() and "TIME" not in str(columns["week"]["type"]).upper()

    assert not record("conversation_started", channel="web", mode="self", key="Jean Dupont 06 12 34 56 78",
                      url=db_url)
    assert not record("message_text", channel="web", mode="self", url=db_url)
    assert not record("conversation_started", channel="sms", mode="self", url=db_url)
    assert not record("conversation_started", channel="web", mode="alone", url=db_url)
    assert not record("theme_likely", channel="web", mode="self", key="not_a_theme", url=db_url)
    assert not record("benefit_likely", channel="web", mode="self", url=db_url)  # needs a benefit id
    # A commune that is not an INSEE code of the 54 is stored as "inconnu", never as typed.
    assert record("conversation_started", channel="web", mode="self", commune="rue des Lilas, Nancy", url=db_url)
    assert record("conversation_started", channel="web", mode="self", commune="75056", url=db_url)
    with session_scope(db_url) as db:
        rows = db.scalars(select(StatCount)).all()
        assert [(r.territory, r.commune, r.count) for r in rows] == [("inconnu", "inconnu", 2)]


def test_upsert_adds_to_one_row_per_cell(db_url):  # noqa: F811
    when = date(2026, 11, 4)
    for _ in range(3):
        assert record("question_asked", channel="telegram", mode="guide", commune=NANCY, when=when, url=db_url)
    assert record("question_asked", channel="telegram", mode="guide", commune=NANCY, when=when, url=db_url, amount=4)
    assert record("question_asked", channel="telegram", mode="guide", commune=NANCY, when=W2, url=db_url)
    with session_scope(db_url) as db:
        rows = db.scalars(select(StatCount).order_by(StatCount.week)).all()
        assert [(r.week, r.territory, r.commune, r.count) for r in rows] == [
            (W1, METROPOLE, NANCY, 7), (W2, METROPOLE, NANCY, 1)]


def test_record_results_counts_each_benefit_and_theme_once(db_url):  # noqa: F811
    class Result:
        def __init__(self, id_: str, category: str) -> None:
            self.id, self.category = id_, category

    likely = [Result("rsa", "revenu"), Result("prime_activite", "revenu"), Result("rsa", "revenu")]
    assert record_results(likely, channel="web", mode="self", commune=NANCY, url=db_url) == 3
    with session_scope(db_url) as db:
        got = sorted((r.metric, r.key, r.count) for r in db.scalars(select(StatCount)))
    assert got == [("benefit_likely", "prime_activite", 1), ("benefit_likely", "rsa", 1), ("theme_likely", "revenu", 1)]
    assert record_results(None, channel="web", mode="self", url=db_url) == 0  # unreadable: nothing, no error


def test_record_never_raises_when_the_database_is_missing(tmp_path):
    url = f"sqlite:///{tmp_path / 'no-tables.db'}"  # no migration run: the table does not exist
    assert record("conversation_started", channel="web", mode="self", url=url) is False


# ---------------------------------------------------------------- the staff page and the CSV

@pytest.fixture
def web_world(tmp_path, monkeypatch):
    world = prepare_database(tmp_path, monkeypatch)
    when = date(2026, 11, 4)
    for _ in range(7):
        record("conversation_started", channel="web", mode="self", commune=NANCY, when=when, url=world.url)
    for _ in range(3):
        record("conversation_started", channel="telegram", mode="guide", commune=LUNEVILLE, when=when, url=world.url)
    record_results([("rsa", "revenu")] * 1, channel="web", mode="self", commune=NANCY, when=when, url=world.url)
    yield world
    get_settings.cache_clear()


@pytest.mark.parametrize("path", ["/staff/stats", "/staff/stats/export.csv"])
def test_stats_need_a_login(web_world, path):
    response = TestClient(make_app()).get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/login?next=")


@pytest.mark.parametrize(("email", "password"), [("alice@exemple.fr", PASSWORD_A), ("admin@exemple.fr", PASSWORD_ADMIN)])
def test_stats_page_for_staff_and_admins(web_world, email, password):
    client = logged_in_client(make_app(), email, password)
    response = client.get("/staff/stats")
    assert response.status_code == 200
    page = response.text
    assert "Statistiques du programme" in page and 'aria-current="page">Statistiques' in page
    assert "script-src 'none'" in response.headers["content-security-policy"]
    assert "<script" not in page and "style=" not in page  # nothing the CSP would block
    # Three charts, each with a title and a text alternative listing its values.
    assert page.count('<svg role="img"') == 3  # weeks, themes, rights opened (issue 15)
    assert "<title id=\"graphique-semaines-titre\">Conversations commencées par semaine</title>" in page
    assert re.search(r"<desc id=\"graphique-semaines-desc\">[^<]*S45 · 2 nov\. 2026 : 10", page)
    # 7 + 3 conversations: total 10; the channel with 3 shows "< 5", never 3.
    telegram_row = re.search(r'<th scope="row" data-label="Canal">Telegram</th>(.*?)</tr>', page, re.S).group(1)
    assert "&lt; 5" in telegram_row and ">3<" not in telegram_row
    web_row = re.search(r'<th scope="row" data-label="Canal">Site web</th>(.*?)</tr>', page, re.S).group(1)
    assert ">5<" in web_row  # 7, rounded


def test_stats_filters_and_bad_values(web_world):
    client = logged_in_client(make_app(), "alice@exemple.fr", PASSWORD_A)
    raw = client.get("/staff/stats", params={"canal": "telegram", "territoire": "<b>x</b>", "du": "hier"}).text
    assert "<b>x</b>" not in raw
    page = html.unescape(raw)
    assert "Ce territoire n'existe pas" in page and "Une date n'est pas valide" in page
    assert 'value="telegram" selected' in page
    assert "non disponible avec ces filtres" in page  # outcomes have no channel
    assert "/staff/stats/export.csv?canal=telegram" in page


def test_stats_csv_export(web_world):
    client = logged_in_client(make_app(), "admin@exemple.fr", PASSWORD_ADMIN)
    response = client.get("/staff/stats/export.csv", params={"du": "2026-11-02", "au": "2026-11-08"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="statistiques-' in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Tableau", "Ligne", "Code", "Indicateur", "Valeur"]
    values = {(r[0], r[2], r[3]): r[4] for r in rows[1:]}
    labels = {(r[0], r[2]): r[1] for r in rows[1:]}
    assert labels[("Par canal", "web")] == "Site web"
    assert values[("Par canal", "web", "Conversations commencées")] == "5"
    assert values[("Par canal", "telegram", "Conversations commencées")] == "< 5"
    assert values[("Par semaine", "total", "Conversations commencées")] == "10"
    assert values[("Aides probables, aide par aide", "rsa", "Conversations où l'aide paraît probable")] == "< 5"
    assert "3" not in {r[4] for r in rows[1:]} and "7" not in {r[4] for r in rows[1:]}


def test_weekly_chart_bars_follow_the_published_figures(seeded):
    from staff.stats_view import themes_chart, weekly_chart

    report = build_report(StatsFilters(), url=seeded)
    chart = weekly_chart(report.table("semaines"))
    assert [b.value for b in chart.bars] == ["20", "10", "10"]
    assert [b.height for b in chart.bars] == [180, 90, 90]  # 20 is the tallest bar
    assert "S46 · 9 nov. 2026 : 10" in chart.description
    themes = themes_chart(report.table("themes"))
    hidden = [b for b in themes.bars if b.value == "< 5"]
    assert len(hidden) == 11 and all(b.width == 0 for b in hidden)  # no bar drawn for a hidden figure
