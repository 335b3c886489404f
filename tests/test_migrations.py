"""Alembic: upgrade head on an empty database (SQLite and PostgreSQL); the models match the migrations."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from booking_support import pg_database, sqlite_database
from sqlalchemy import inspect

import booking.models  # noqa: F401
import followup.models  # noqa: F401
import privacy.shortlinks  # noqa: F401
from booking.db_setup import alembic_config, upgrade_database
from core.db import Base, get_engine

TABLES = {"teams", "staff_users", "appointment_requests", "status_changes", "slot_bookings",
          "request_transfers", "followups", "job_leases", "short_links"}


def _check(url: str) -> None:
    engine = get_engine(url)
    assert TABLES <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"
    uniques = {tuple(u["column_names"]) for u in inspect(engine).get_unique_constraints("slot_bookings")}
    assert ("team_id", "slot_start") in uniques
    # Down and up again: the migration is reversible.
    command.downgrade(alembic_config(url), "base")
    assert not TABLES & set(inspect(engine).get_table_names())
    upgrade_database(url)
    assert TABLES <= set(inspect(engine).get_table_names())


def test_sqlite_upgrade_head_matches_models(tmp_path):
    _check(sqlite_database(tmp_path))


@pytest.mark.postgres
def test_postgresql_upgrade_head_matches_models():
    with pg_database() as url:
        _check(url)
