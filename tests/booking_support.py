"""Shared helpers for the booking tests: fresh SQLite / PostgreSQL databases built by the migrations."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest

from booking.db_setup import upgrade_database
from core.db import get_engine

PG_BASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# A Thursday, well before the slots used in the tests (all times UTC).
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc)


def sqlite_database(tmp_path) -> str:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'booking.db'}"
    upgrade_database(url)
    return url


def pg_reachable() -> bool:
    import psycopg

    try:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@contextmanager
def pg_database() -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped afterwards. Skips if the server is down."""
    if not pg_reachable():
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{PG_BASE_URL}?options=-csearch_path%3D{schema}"
    try:
        upgrade_database(url)
        yield url
    finally:
        get_engine(url).dispose()
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> Iterator[str]:  # noqa: ANN001
    if request.param == "sqlite":
        yield sqlite_database(tmp_path)
    else:
        with pg_database() as url:
            yield url
