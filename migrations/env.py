"""Alembic environment: URL from core.settings (or from upgrade_database(url)), metadata from the models."""

from __future__ import annotations

import importlib
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

from core.db import Base
from core.settings import get_settings

# Modules whose tables the migrations manage (importing them registers the tables on Base.metadata).
MODEL_MODULES = ("booking.models", "staff.throttle", "stats.models", "followup.models", "staff.sessions",
                 "privacy.audit", "privacy.links", "staff.account_state", "privacy.shortlinks", "core.jobs",
                 "channels.telegram.state")
for _name in MODEL_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:
        if exc.name != _name:
            raise

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _url() -> str:
    return config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url") or get_settings().database_url


def render_item(type_, obj, autogen_context):  # noqa: ANN001
    """Write our UTCDateTime as a plain sa.DateTime(timezone=True) in generated migrations."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def _options(url: str) -> dict:
    # SQLite cannot ALTER most things: batch mode rebuilds tables when a later migration needs it.
    return {
        "target_metadata": target_metadata,
        "compare_type": True,
        "render_as_batch": url.startswith("sqlite"),
        "render_item": render_item,
    }


def run_migrations_offline() -> None:
    url = _url()
    context.configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"}, **_options(url))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **_options(str(connection.engine.url)))
        with context.begin_transaction():
            context.run_migrations()
        return
    url = _url()
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, **_options(url))
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
