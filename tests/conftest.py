"""Tests never write into the project's run/ folder: a throwaway one, set before any settings load."""

import os
import tempfile

_RUN_DIR = tempfile.mkdtemp(prefix="avecvous-tests-")
os.environ.setdefault("AVECVOUS_RUN_DIR", _RUN_DIR)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_RUN_DIR}/tests.db")


def pytest_sessionstart(session) -> None:  # noqa: ANN001
    """The default test database has the project's tables (actions make links and bookings in it),
    as `make run` migrates before the action server starts."""
    from booking.db_setup import upgrade_database

    upgrade_database(os.environ["DATABASE_URL"])
