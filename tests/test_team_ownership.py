"""Team ownership: the directory YAML seeds teams, the database is the truth after that."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from booking_support import NOW, sqlite_database

from booking import cli, service
from booking.errors import UnknownTeam
from booking.models import Team
from core.db import session_scope
from staff import accounts

TEAM = "avec-vous-saint-max"
SLOT = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)


def test_staff_created_team_survives_the_start_up_sync(tmp_path):
    url = sqlite_database(tmp_path)
    first = cli.sync_teams(url)
    assert first.created > 0 and first.kept == 0
    with session_scope(url) as s:
        accounts.create_team(s, team_id="ccas-toul", name="CCAS de Toul", kind="ccas")
    again = cli.sync_teams(url)  # what the web process does at each start
    assert again.created == 0 and again.kept == first.created and again.staff_only == 1
    with session_scope(url) as s:
        row = s.get(Team, "ccas-toul")
        assert row.active and row.origin == "staff"
        assert s.get(Team, TEAM).origin == "directory"


def test_directory_team_edited_in_the_database_is_not_overwritten(tmp_path):
    url = sqlite_database(tmp_path)
    cli.sync_teams(url)
    with session_scope(url) as s:
        row = s.get(Team, TEAM)
        row.active = False
        row.notify_email = "equipe@exemple.fr"
    cli.sync_teams(url)
    with session_scope(url) as s:
        row = s.get(Team, TEAM)
        assert row.active is False and row.notify_email == "equipe@exemple.fr"
    # Switched off in the database: no new booking, even though the YAML still lists it.
    with pytest.raises(UnknownTeam):
        service.book_slot(team_id=TEAM, slot_start=SLOT, first_name="Awa", contact_phone="0612345678",
                          now=NOW, url=url)


def test_cli_lists_staff_created_teams_like_the_admin_page(tmp_path, capsys):
    url = sqlite_database(tmp_path)
    cli.main(["--database-url", url, "sync-teams"])
    with session_scope(url) as s:
        accounts.create_team(s, team_id="ccas-toul", name="CCAS de Toul", kind="ccas")
    capsys.readouterr()
    cli.main(["--database-url", url, "list-teams"])
    out = capsys.readouterr().out
    assert "ccas-toul" in out and "créé par l'équipe" in out
    assert TEAM in out and "(annuaire)" in out
