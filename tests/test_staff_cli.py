"""`python -m staff.cli`: teams and accounts from the command line."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from staff_fixtures import login, make_app, prepare_database

from booking.models import StaffUser
from core.db import session_scope
from core.settings import PROJECT_ROOT, get_settings
from staff import cli


@pytest.fixture
def world(tmp_path, monkeypatch):
    yield prepare_database(tmp_path, monkeypatch)
    get_settings.cache_clear()  # the next test reads its own environment again


def test_create_team_then_user_who_can_log_in(world, monkeypatch, capsys):
    assert cli.main(["create-team", "--id", "ccas-toul", "--name", "CCAS de Toul"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("un-mot-de-passe-solide\n"))
    assert cli.main(["create-user", "--email", "Dora@Exemple.fr", "--team", "ccas-toul", "--name", "Dora",
                     "--password-stdin"]) == 0
    assert "Compte créé : dora@exemple.fr" in capsys.readouterr().out
    with session_scope(world.url) as db:
        dora = db.scalar(select(StaffUser).where(StaffUser.email == "dora@exemple.fr"))
        assert dora.team_id == "ccas-toul" and dora.role == "staff"
    assert login(TestClient(make_app()), "dora@exemple.fr", "un-mot-de-passe-solide").status_code == 303


def test_admin_with_generated_password(world, capsys):
    assert cli.main(["create-user", "--email", "chef@exemple.fr", "--admin", "--generate"]) == 0
    password = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
    assert login(TestClient(make_app()), "chef@exemple.fr", password).status_code == 303
    with session_scope(world.url) as db:
        assert db.scalar(select(StaffUser.role).where(StaffUser.email == "chef@exemple.fr")) == "admin"


def test_reset_password(world, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("tout-nouveau-secret\n"))
    assert cli.main(["reset-password", "--email", "alice@exemple.fr", "--password-stdin"]) == 0
    assert login(TestClient(make_app()), "alice@exemple.fr", "tout-nouveau-secret").status_code == 303


@pytest.mark.parametrize("argv, message", [
    (["create-user", "--email", "x@exemple.fr", "--team", "inconnue", "--generate"], "n'existe pas"),
    (["create-user", "--email", "x@exemple.fr", "--generate"], "rattaché à une équipe"),
    (["create-user", "--email", "alice@exemple.fr", "--team", "equipe-a", "--generate"], "existe déjà"),
    (["reset-password", "--email", "personne@exemple.fr", "--generate"], "Aucun compte"),
    (["create-team", "--id", "Mauvais Id", "--name", "X"], "minuscules"),
])
def test_refusals_are_french_sentences_not_tracebacks(world, capsys, argv, message):
    assert cli.main(argv) == 1
    assert message in capsys.readouterr().err


def test_short_password_from_stdin_is_refused(world, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("court\n"))
    assert cli.main(["create-user", "--email", "y@exemple.fr", "--team", "equipe-a", "--password-stdin"]) == 1
    assert "au moins" in capsys.readouterr().err


def test_runs_as_a_module_and_says_when_the_database_is_not_ready(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'vide.db'}", "AVECVOUS_RUN_DIR": str(tmp_path / "run"),
           "AVECVOUS_SECRET_KEY": "x" * 32, "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "staff.cli", "list-users"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "upgrade-db" in result.stderr
