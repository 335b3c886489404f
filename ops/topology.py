"""The `scale` configuration of `make run`: Rasa's standard topology on one machine.

    AVECVOUS_TOPOLOGY=scale RASA_REPLICAS=2 ACTION_SERVERS=2 WEB_WORKERS=2 make run

- N Rasa replicas (ports RASA_PORT, RASA_PORT+1, ...) sharing a PostgreSQL tracker store and a
  Redis lock store (bot/endpoints.scale.yml);
- M stateless action servers (ACTIONS_PORT, ACTIONS_PORT+1, ...); replica i calls action server
  i mod M (a fixed assignment: no balancer to run, every action server used when N >= M);
- the web process as WEB_WORKERS uvicorn workers on one port, whose proxy sends each conversation
  to one replica by a consistent hash of its sender id (channels/routing.py, RASA_URLS);
- the Telegram bridge (when a token is set), routed the same way;
- the project's own tables in PostgreSQL too (DATABASE_URL, by default the tracker's database),
  periodic jobs run once across web workers (core/jobs.py leases).

Variables: PG_HOST PG_PORT PG_USER PG_PASSWORD PG_DATABASE (default avecvous), REDIS_HOST
REDIS_PORT REDIS_DB REDIS_PASSWORD REDIS_LOCK_PREFIX. The default `make run` (one process of
each, SQLite) does not come through here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx

from core.settings import secure_run_dir
from ops.stack import APP_PYTHON, RASA_PYTHON, ROOT, Stack

SCALE = "scale"


def topology() -> str:
    return (os.environ.get("AVECVOUS_TOPOLOGY") or "single").strip().lower()


def _count(name: str, default: int, minimum: int = 1) -> int:
    value = int(os.environ.get(name) or default)
    if value < minimum:
        raise ValueError(f"{name} doit valoir au moins {minimum} (reçu : {value})")
    return value


@dataclass
class ScaleStack(Stack):
    rasa_ports: list[int] = field(default_factory=list)
    actions_ports: list[int] = field(default_factory=list)
    web_workers: int = 2
    # The tracker store's PostgreSQL port for Rasa, when it differs from the app's (a test proxy).
    tracker_pg_port: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.rasa_ports = self.rasa_ports or [self.rasa_port, self.rasa_port + 1]
        self.actions_ports = self.actions_ports or [self.actions_port, self.actions_port + 1]
        self.rasa_port, self.actions_port = self.rasa_ports[0], self.actions_ports[0]
        self._commands: dict[str, list[str]] = {}
        self._env: dict[str, str] = {}

    @property
    def rasa_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p}" for p in self.rasa_ports]

    def rasa_names(self) -> list[str]:
        return [f"rasa-{i}" for i in range(len(self.rasa_ports))]

    def action_names(self) -> list[str]:
        return [f"actions-{i}" for i in range(len(self.actions_ports))]

    def environment(self) -> dict[str, str]:
        env = super().environment()
        env.setdefault("PG_HOST", "127.0.0.1")
        env.setdefault("PG_PORT", "5432")
        env.setdefault("PG_USER", "postgres")
        env.setdefault("PG_DATABASE", "avecvous")
        env.setdefault("REDIS_HOST", "127.0.0.1")
        env["TRACKER_STORE"] = "postgres"
        if not env.get("DATABASE_URL") or env["DATABASE_URL"].startswith("sqlite"):
            password = ":" + quote(env["PG_PASSWORD"], safe="") if env.get("PG_PASSWORD") else ""
            env["DATABASE_URL"] = (f"postgresql+psycopg://{quote(env['PG_USER'], safe='')}{password}"
                                   f"@{env['PG_HOST']}:{env['PG_PORT']}/{env['PG_DATABASE']}")
        if self.tracker_pg_port:
            env["PG_PORT"] = str(self.tracker_pg_port)
        env["RASA_URLS"] = ",".join(self.rasa_urls)
        return env

    def commands(self, env: dict[str, str]) -> dict[str, list[str]]:
        base = super().commands(env)
        cmds: dict[str, list[str]] = {}
        rasa = base.pop("rasa")
        for i, port in enumerate(self.rasa_ports):
            replica_env = {**env, "ACTION_ENDPOINT_URL":
                           f"http://127.0.0.1:{self.actions_ports[i % len(self.actions_ports)]}/webhook"}
            endpoints = self.render_endpoints(replica_env, f"endpoints-rasa-{i}.yml")
            cmds[f"rasa-{i}"] = _replace_arg(_replace_arg(rasa, "--port", str(port)), "--endpoints", str(endpoints))
        actions = base.pop("actions")
        for i, port in enumerate(self.actions_ports):
            cmds[f"actions-{i}"] = _replace_arg(actions, "--port", str(port))
        web = base.pop("web")
        cmds["web"] = [*web, "--workers", str(self.web_workers)] if self.web_workers > 1 else web
        cmds.update(base)  # calculator, telegram
        return cmds

    def ports(self) -> tuple[int, ...]:
        return (*self.rasa_ports, *self.actions_ports, self.web_port)

    def start(self) -> None:
        if busy := self.busy_ports():
            raise RuntimeError(f"port(s) déjà utilisé(s) : {', '.join(map(str, busy))}")
        secure_run_dir(self.run_dir)
        self.log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        env = self._env = self.environment()
        ensure_databases(env)
        self._commands = self.commands(env)
        # The events table once, before the replicas: Rasa creating it from two processes at once
        # can fail in one of them.
        _create_events_table(env)
        for name in self.rasa_names():
            self._launch(name, self._commands[name], env)
        try:
            # Schema and teams before the web workers start together (each would do it at once).
            for step in ("upgrade-db", "sync-teams"):
                subprocess.run([str(APP_PYTHON), "-m", "booking.cli", step], cwd=ROOT, env=env,
                               check=True, stdout=subprocess.DEVNULL)
        except subprocess.CalledProcessError as exc:
            self.stop()
            raise RuntimeError(f"la mise à jour de la base a échoué (code {exc.returncode})") from exc
        for name, cmd in self._commands.items():
            if name not in self.processes:
                self._launch(name, cmd, env)

    def kill(self, name: str) -> None:
        """SIGKILL a process group (a crash, for the fault tests)."""
        proc = self.processes[name]
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def restart(self, name: str) -> None:
        self._launch(name, self._commands[name], self._env)

    def url_of(self, name: str) -> str:
        kind, _, index = name.partition("-")
        if kind == "rasa":
            return f"{self.rasa_urls[int(index)]}/"
        if kind == "actions":
            return f"http://127.0.0.1:{self.actions_ports[int(index)]}/health"
        return f"{self.web_url}/health"

    def wait_up(self, name: str, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.processes[name]
            if proc.poll() is not None:
                raise RuntimeError(f"{name} stopped (exit {proc.returncode}); see {self.log_dir}")
            try:
                if httpx.get(self.url_of(name), timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"{name} not up after {timeout:.0f} s; see {self.log_dir}")

    def wait_healthy(self, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        for name in [*self.rasa_names(), *self.action_names(), "web"]:
            self.wait_up(name, timeout=max(1.0, deadline - time.monotonic()))


def _replace_arg(cmd: list[str], flag: str, value: str) -> list[str]:
    cmd = list(cmd)
    cmd[cmd.index(flag) + 1] = value
    return cmd


def ensure_databases(env: dict[str, str]) -> None:
    """Create the PostgreSQL database(s) of the run if missing (the server must be up)."""
    import psycopg
    from sqlalchemy.engine import make_url

    app = make_url(env["DATABASE_URL"])
    wanted = {(app.host or "127.0.0.1", app.port or 5432, app.username or "postgres", app.password or "",
               app.database),
              (env["PG_HOST"], int(env["PG_PORT"]), env["PG_USER"], env.get("PG_PASSWORD", ""), env["PG_DATABASE"])}
    for host, port, user, password, name in wanted:
        with psycopg.connect(host=host, port=port, user=user, password=password, dbname="postgres",
                             autocommit=True, connect_timeout=5) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                conn.execute(f'CREATE DATABASE "{name}"')


def _create_events_table(env: dict[str, str]) -> None:
    script = ("import os; from rasa.core.tracker_store import SQLTrackerStore; "
              "SQLTrackerStore(dialect='postgresql', host=os.environ['PG_HOST'], port=int(os.environ['PG_PORT']), "
              "db=os.environ['PG_DATABASE'], username=os.environ['PG_USER'], "
              "password=os.environ.get('PG_PASSWORD', ''))")
    subprocess.run([str(RASA_PYTHON), "-c", script], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)


def scale_stack_from_env(run_dir: Path) -> ScaleStack:
    """The ScaleStack `make run` starts with AVECVOUS_TOPOLOGY=scale."""
    replicas = _count("RASA_REPLICAS", 2, minimum=2)
    servers = _count("ACTION_SERVERS", 2, minimum=2)
    rasa_port = int(os.environ.get("RASA_PORT", "5005"))
    actions_port = int(os.environ.get("ACTIONS_PORT", "5055"))
    return ScaleStack(run_dir=run_dir, web_port=int(os.environ.get("WEB_PORT", "8000")),
                      calculator_port=int(os.environ.get("CALCULATOR_PORT", "5077")),
                      rasa_ports=[rasa_port + i for i in range(replicas)],
                      actions_ports=[actions_port + i for i in range(servers)],
                      web_workers=_count("WEB_WORKERS", 2))
