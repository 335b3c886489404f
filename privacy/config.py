"""Where Rasa keeps conversations, read from the same environment variables as ops/stack.py
(`tracker_store_env`) and the bot/endpoints*.yml files, so both sides always agree."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy.engine import URL

from core.settings import PROJECT_ROOT

REDIS_ENDPOINTS = PROJECT_ROOT / "bot" / "endpoints.redis.yml"
# Rasa 3.6 (rasa/core/tracker_store.py): DEFAULT_REDIS_TRACKER_STORE_KEY_PREFIX.
RASA_DEFAULT_REDIS_PREFIX = "tracker:"


class PrivacyConfigError(ValueError):
    """The tracker store settings cannot be used; the message is in French for operators."""


@dataclass(frozen=True)
class TrackerStoreConfig:
    kind: str  # "sqlite" | "postgres" | "redis"
    sql_url: str | URL | None = None  # sqlite / postgres
    redis_host: str = "127.0.0.1"
    redis_port: int = 6379
    redis_db: int = 0
    redis_password: str | None = field(default=None, repr=False)
    redis_key_prefix: str = RASA_DEFAULT_REDIS_PREFIX  # the full prefix, e.g. "avecvous:tracker:"


def rasa_redis_key_prefix(configured: str | None) -> str:
    """The key prefix Rasa's RedisTrackerStore really uses: '<prefix>:tracker:' when the configured
    prefix is alphanumeric, else Rasa ignores it and falls back to 'tracker:'."""
    if isinstance(configured, str) and configured and configured.isalnum():
        return f"{configured}:{RASA_DEFAULT_REDIS_PREFIX}"
    return RASA_DEFAULT_REDIS_PREFIX


def _endpoints_key_prefix(path: Path = REDIS_ENDPOINTS) -> str | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    store = data.get("tracker_store") or {}
    value = store.get("key_prefix")
    return str(value) if value is not None else None


def _int(env: Mapping[str, str], name: str, default: str) -> int:
    raw = env.get(name, default) or default
    try:
        return int(raw)
    except ValueError:
        raise PrivacyConfigError(f"{name} doit être un nombre entier (reçu : {raw!r}).") from None


def postgres_url(env: Mapping[str, str]) -> str | URL:
    """The URL Rasa builds from PG_* (SQLTrackerStore.get_db_url), with the psycopg 3 driver."""
    host = env.get("PG_HOST", "127.0.0.1") or "127.0.0.1"
    if "://" in host:  # Rasa accepts a complete URL in the host field
        scheme, rest = host.split("://", 1)
        return f"postgresql+psycopg://{rest}" if scheme in ("postgres", "postgresql") else host
    schema = env.get("POSTGRESQL_SCHEMA")  # Rasa's own variable for a non-default schema
    return URL.create(
        "postgresql+psycopg",
        username=env.get("PG_USER", "postgres") or None,
        password=env.get("PG_PASSWORD") or None,
        host=host,
        port=_int(env, "PG_PORT", "5432"),
        database=env.get("PG_DATABASE", "test") or "test",
        query={"options": f"-csearch_path={schema}"} if schema else {},
    )


def tracker_store_config(env: Mapping[str, str] | None = None) -> TrackerStoreConfig:
    """TRACKER_STORE=sqlite|postgres|redis with the defaults of ops/stack.py."""
    env = os.environ if env is None else env
    kind = (env.get("TRACKER_STORE") or "sqlite").strip().lower()
    if kind in ("postgres", "postgresql"):
        return TrackerStoreConfig(kind="postgres", sql_url=postgres_url(env))
    if kind == "redis":
        return TrackerStoreConfig(
            kind="redis",
            redis_host=env.get("REDIS_HOST", "127.0.0.1") or "127.0.0.1",
            redis_port=_int(env, "REDIS_PORT", "6379"),
            redis_db=_int(env, "REDIS_DB", "0"),
            redis_password=env.get("REDIS_PASSWORD") or None,
            redis_key_prefix=rasa_redis_key_prefix(_endpoints_key_prefix()),
        )
    if kind == "sqlite":
        run_dir = Path(env.get("AVECVOUS_RUN_DIR") or PROJECT_ROOT / "run")
        db = Path(env.get("RASA_TRACKER_DB") or run_dir / "rasa_trackers.db")
        return TrackerStoreConfig(kind="sqlite", sql_url=f"sqlite:///{db.resolve()}")
    raise PrivacyConfigError(f"TRACKER_STORE doit valoir sqlite, postgres ou redis (reçu : {kind!r}).")
