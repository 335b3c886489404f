"""Settings read from environment variables, with defaults for a local SQLite run."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def secure_run_dir(run_dir: Path) -> Path:
    """The run folder holds conversations, databases, logs and the secret key: only its owner
    reads it. Sets this process's umask (inherited by the children it starts) so that every file
    created later is 0600 and every folder 0700, and tightens what an older run left behind."""
    os.umask(0o077)
    run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for path in [run_dir, *run_dir.rglob("*")]:
        try:
            if path.is_symlink():
                continue
            path.chmod(0o700 if path.is_dir() else 0o600)
        except OSError:  # vanished meanwhile, or not ours
            pass
    return run_dir


def _secret_key(run_dir: Path) -> str:
    """A stable secret for signing sessions: from the environment, else kept in the run folder."""
    if value := _env("AVECVOUS_SECRET_KEY"):
        return value
    path = run_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    # Created 0600 from the start: no moment where another user could read it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value)
    return value


@dataclass(frozen=True)
class Settings:
    run_dir: Path
    database_url: str
    rasa_url: str
    actions_port: int
    web_host: str
    web_port: int
    public_url: str
    secret_key: str = field(repr=False)
    telegram_token: str = field(repr=False, default="")
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_mode: str = "polling"
    telegram_webhook_url: str = ""
    telegram_secret_token: str = field(repr=False, default="")
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "avecvous@localhost"
    smtp_user: str = ""
    smtp_password: str = field(repr=False, default="")
    smtp_tls: str = "starttls"  # or "tls" (implicit TLS, port 465); plain only to 127.0.0.1
    tracker_retention_days: int = 30
    request_retention_days: int = 365


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    run_dir = secure_run_dir(Path(_env("AVECVOUS_RUN_DIR", str(PROJECT_ROOT / "run"))).resolve())
    rasa_port = int(_env("RASA_PORT", "5005"))
    web_port = int(_env("WEB_PORT", "8000"))
    return Settings(
        run_dir=run_dir,
        database_url=_env("DATABASE_URL", f"sqlite:///{run_dir / 'avecvous.db'}"),
        rasa_url=_env("RASA_URL", f"http://127.0.0.1:{rasa_port}"),
        actions_port=int(_env("ACTIONS_PORT", "5055")),
        web_host=_env("WEB_HOST", "127.0.0.1"),
        web_port=web_port,
        public_url=_env("PUBLIC_URL", f"http://127.0.0.1:{web_port}"),
        secret_key=_secret_key(run_dir),
        telegram_token=_env("TELEGRAM_BOT_TOKEN"),
        telegram_api_base_url=_env("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot"),
        telegram_mode=_env("TELEGRAM_MODE", "polling"),
        telegram_webhook_url=_env("TELEGRAM_WEBHOOK_URL"),
        telegram_secret_token=_env("TELEGRAM_SECRET_TOKEN"),
        smtp_host=_env("SMTP_HOST"),
        smtp_port=int(_env("SMTP_PORT", "25")),
        smtp_from=_env("SMTP_FROM", "avecvous@localhost"),
        smtp_user=_env("SMTP_USER"),
        smtp_password=_env("SMTP_PASSWORD"),
        smtp_tls="tls" if _env("SMTP_TLS", "starttls").strip().lower() == "tls" else "starttls",
        tracker_retention_days=int(_env("TRACKER_RETENTION_DAYS", "30")),
        request_retention_days=int(_env("REQUEST_RETENTION_DAYS", "365")),
    )
