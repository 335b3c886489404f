"""Outcome statistics (issue 15): transfers, rights opened per benefit and per team, median days
to a right opened, follow-up response rate; anonymous, small counts hidden, in the CSV and on the page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from booking_support import NOW, db_url  # noqa: F401  (db_url is a fixture)
from staff_fixtures import PASSWORD_ADMIN, logged_in_client, make_app, prepare_database

from booking import service, workflow
from booking.cli import sync_teams
from booking.models import AppointmentRequest, StaffUser, Team
from core.db import session_scope
from core.settings import get_settings
from followup import service as fu
from stats.outcomes import median_days, rate
from stats.report import StatsFilters, build_report, csv_rows

TEAM = "avec-vous-saint-max"


def _staff(db, team_id: str) -> StaffUser:  # noqa: ANN001
    user = StaffUser(email=f"{team_id}@exemple.fr", name=team_id, password_hash="x", role="staff", team_id=team_id)
    db.add(user)
    db.flush()
    return user


def seed(url: str) -> None:
    """Seven residents: six go to a CCAS, five of them get the prime d'activité opened after
    10, 12, 14, 20 and 30 days; eight follow-ups sent, six answered."""
    sync_teams(url)
    with session_scope(url) as db:
        db.add(Team(id="ccas-toul", name="CCAS de Toul", kind="ccas", origin="staff"))
    days = [10, 12, 14, 20, 30]
    with session_scope(url) as db:
        _staff(db, TEAM)
        _staff(db, "ccas-toul")
    for i in range(7):
        req = service.book_callback(team_id=TEAM, first_name=f"P{i}", contact_phone="0612345678",
                                    consent_summary=True, likely_benefits=["prime_activite"], url=url)
        if i == 6:
            continue  # stays with the first team
        with session_scope(url) as db:
            row = db.get(AppointmentRequest, req.id)
            row.first_contact_at = row.created_at = NOW
            a = db.query(StaffUser).filter_by(team_id=TEAM).one()
            c = db.query(StaffUser).filter_by(team_id="ccas-toul").one()
            workflow.transfer(db, row, "ccas-toul", user=a, note="Suite au CCAS", now=NOW + timedelta(days=1))
            if i < 5:
                at = NOW + timedelta(days=days[i])
                for status in ("contacted", "held"):
                    workflow.change_status(db, row, status, user=c, now=at)
                workflow.change_status(db, row, "rights_opened", user=c, opened=["prime_activite"], now=at)
    for i in range(8):
        row = fu.schedule(channel="telegram", telegram_chat_id=str(i), commune="54528", now=NOW, url=url)[0]
        fu.run_due({"telegram": lambda r: None}, now=NOW + timedelta(days=6, minutes=i), url=url)
        if i < 6:
            fu.record_answer(row.token, "yes" if i < 4 else "not_yet", url=url)


def test_outcomes_in_the_report_and_the_csv(db_url):  # noqa: F811
    seed(db_url)
    report = build_report(StatsFilters(), url=db_url)
    results = {r.key: r.cells["value"] for r in report.table("resultats").rows}
    assert results["requests"].exact == 7 and results["requests"].text == "5"
    assert results["transferred"].exact == 6 and results["transferred"].text == "5"
    assert results["rights_opened"].exact == 5
    assert results["median_days"].text == "14 jours"
    assert results["followups_sent"].exact >= 8  # the 30-day messages of unanswered ones may follow later
    assert results["response_rate"].text.endswith("%")
    assert results["yes"].text == "< 5" and results["not_yet"].text == "< 5"
    by_benefit = {r.key: r.cells["rights_opened"] for r in report.table("droits-ouverts").rows}
    assert by_benefit["prime_activite"].exact == 5 and by_benefit["prime_activite"].text == "5"
    assert report.table("droits-ouverts").rows[0].key == "prime_activite"
    teams = {r.key: r.cells for r in report.table("equipes").rows}
    assert teams["ccas-toul"]["received"].exact == 6 and teams["ccas-toul"]["rights_opened"].exact == 5
    assert teams[TEAM]["transferred"].exact == 6 and teams[TEAM]["rights_opened"].text == "< 5"
    _header, rows = csv_rows(report)
    lines = {(r[0], r[2], r[3]): r[4] for r in rows}
    assert lines[("Droits ouverts, aide par aide", "prime_activite", "Demandes où ce droit a été ouvert")] == "5"
    assert lines[("Résultats : droits ouverts et suivi", "median_days", "Valeur")] == "14"
    # No name, phone or note anywhere in the published figures.
    assert not any("P1" in c or "0612" in c or "Suite au CCAS" in c for r in rows for c in r)


def test_outcomes_follow_the_week_filter_and_hide_with_channel_filter(db_url):  # noqa: F811
    seed(db_url)
    later = build_report(StatsFilters(week_from=date(2027, 3, 1)), url=db_url)
    assert {r.key: r.cells["value"].exact for r in later.table("resultats").rows}["rights_opened"] == 0
    web = build_report(StatsFilters(channel="web"), url=db_url)
    assert all(r.cells["value"] is None for r in web.table("resultats").rows)


def test_median_and_rate_need_five_requests():
    assert median_days([1, 2, 3, 4]).text == "< 5 demandes"
    assert median_days([1, 2, 3, 4, 50]).text == "3 jours"
    assert rate(3, 4).hidden and rate(3, 7).text == "45 %"


@pytest.fixture
def world(tmp_path, monkeypatch):
    yield prepare_database(tmp_path, monkeypatch)
    get_settings.cache_clear()


def test_stats_page_shows_outcomes_and_chart(world):
    seed(world.url)
    admin = logged_in_client(make_app(), "admin@exemple.fr", PASSWORD_ADMIN)
    page = admin.get("/staff/stats").text
    assert "Résultats : droits ouverts et suivi" in page and "graphique-droits" in page
    assert "Par équipe ou partenaire" in page and "CCAS de Toul" in page
    body = admin.get("/staff/stats/export.csv").content.decode("utf-8-sig")
    assert "Demandes transmises à une autre équipe ou un partenaire" in body
