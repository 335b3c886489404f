"""Bring a database to the latest schema with Alembic (used by the web process at start and by tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from core.settings import PROJECT_ROOT, get_settings


def alembic_config(url: str | None = None) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.attributes["database_url"] = url or get_settings().database_url
    cfg.attributes["configure_logging"] = False  # keep the host process's logging as it is
    return cfg


def upgrade_database(url: str | None = None) -> None:
    """Run `alembic upgrade head` on the given database (default: DATABASE_URL)."""
    command.upgrade(alembic_config(url), "head")
