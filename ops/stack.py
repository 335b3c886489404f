"""Starts and stops the project's processes: Rasa, the action server, the web process and,
when a bot token is configured, the Telegram process. Used by `make run` and the e2e tests."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import string
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from core.settings import secure_run_dir
from ops import log_pump

ROOT = Path(__file__).resolve().parent.parent
APP_PYTHON = ROOT / ".venv" / "bin" / "python"
RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
# Starts `rasa` with the redaction filter of the other processes, and the HTTP API token (when
# the API is on) taken from the environment (RASA_API_TOKEN, removed before Rasa runs): a token
# on the command line would be readable by every local user (ps). Passed as --auth-token=<token>:
# a token that starts with '-' (1 in 64 of token_urlsafe's) would otherwise read as an option.
RASA_LAUNCH = ("import os, sys; from privacy.logging_filter import install_redaction; install_redaction(); "
               "token = os.environ.pop('RASA_API_TOKEN', ''); "
               "sys.argv = ['rasa', *sys.argv[1:], *(['--auth-token=' + token] if token else [])]; "
               "from rasa.__main__ import main; main()")
CALC_PYTHON = ROOT / ".venv-calc" / "bin" / "python"   # OpenFisca env (make setup); optional at run time
MODEL_DIR = ROOT / "models"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tracker_store_env(kind: str, run_dir: Path, source: Mapping[str, str] | None = None) -> tuple[str, dict[str, str]]:
    """The endpoints file and its variables for TRACKER_STORE=sqlite|postgres|redis. PostgreSQL
    with REDIS_HOST set is the several-replicas file (Redis lock store, bot/endpoints.scale.yml)."""
    source = os.environ if source is None else source
    redis = {
        "REDIS_HOST": source.get("REDIS_HOST", "127.0.0.1"),
        "REDIS_PORT": source.get("REDIS_PORT", "6379"),
        "REDIS_DB": source.get("REDIS_DB", "0"),
        "REDIS_PASSWORD": source.get("REDIS_PASSWORD", ""),
    }
    if kind == "postgres":
        pg = {
            "PG_HOST": source.get("PG_HOST", "127.0.0.1"),
            "PG_PORT": source.get("PG_PORT", "5432"),
            "PG_USER": source.get("PG_USER", "postgres"),
            "PG_PASSWORD": source.get("PG_PASSWORD", ""),
            "PG_DATABASE": source.get("PG_DATABASE", "test"),
        }
        if source.get("REDIS_HOST"):
            return "bot/endpoints.scale.yml", {
                **pg, **redis, "REDIS_LOCK_PREFIX": source.get("REDIS_LOCK_PREFIX", "avecvous")}
        return "bot/endpoints.postgres.yml", pg
    if kind == "redis":
        return "bot/endpoints.redis.yml", {
            **redis,
            "TRACKER_RECORD_EXPIRY": str(int(source.get("TRACKER_RETENTION_DAYS", "30")) * 86400),
        }
    return "bot/endpoints.yml", {"RASA_TRACKER_DB": str(run_dir / "rasa_trackers.db")}


# Left as ${VAR} in the rendered endpoints file; Rasa expands them from its environment.
SECRET_VARIABLES = ("PG_PASSWORD", "REDIS_PASSWORD")


@dataclass
class Stack:
    run_dir: Path
    rasa_port: int = 5005
    actions_port: int = 5055
    web_port: int = 8000
    calculator_port: int = field(default_factory=lambda: int(os.environ.get("CALCULATOR_PORT") or free_port()))
    env_overrides: dict[str, str] = field(default_factory=dict)
    with_telegram: bool | None = None  # None: when TELEGRAM_BOT_TOKEN is set
    # Rasa's HTTP API (trackers, events, actions, models) stays off in `make run`. Tests that read
    # a tracker turn it on: loopback only, with a random token made for this run.
    enable_api: bool = False
    api_token: str = field(default="", repr=False)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    _launching: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _deferred: list[threading.Thread] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if self.enable_api and not self.api_token:
            self.api_token = secrets.token_urlsafe(32)

    @property
    def log_dir(self) -> Path:
        return self.run_dir / "logs"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def api_get(self, path: str, **kwargs: object) -> httpx.Response:
        """GET on Rasa's HTTP API with this run's token (tests only: the API is off otherwise)."""
        if not self.enable_api:
            raise RuntimeError("Rasa's HTTP API is off: create the Stack with enable_api=True")
        return httpx.get(f"{self.rasa_url}{path}", params={"token": self.api_token}, **kwargs)

    def tracker(self, sender: str) -> dict:
        resp = self.api_get(f"/conversations/{sender}/tracker", timeout=30)
        resp.raise_for_status()
        return resp.json()

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "AVECVOUS_RUN_DIR": str(self.run_dir),
            "RASA_PORT": str(self.rasa_port),
            "RASA_URL": self.rasa_url,
            "ACTIONS_PORT": str(self.actions_port),
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
            "WEB_PORT": str(self.web_port),
            "CALCULATOR_PORT": str(self.calculator_port),
            "SANIC_HOST": "127.0.0.1",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "RASA_TELEMETRY_ENABLED": "false",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        })
        env.update(self.env_overrides)
        env.pop("RASA_API_TOKEN", None)
        if self.enable_api:
            env["RASA_API_TOKEN"] = self.api_token
        return env

    def render_endpoints(self, env: dict[str, str], file_name: str = "endpoints.yml") -> Path:
        """bot/endpoints*.yml are templates: Rasa 3.6 does not expand ${VAR} there reliably.
        Passwords stay `${VAR}` in the rendered file (Rasa reads them from its environment, a
        whole value being one variable): the run folder holds no password."""
        template, store_env = tracker_store_env(env.get("TRACKER_STORE", "sqlite"), self.run_dir, env)
        env.update(store_env)
        values = {**env, **{name: "${" + name + "}" for name in SECRET_VARIABLES}}
        rendered = string.Template((ROOT / template).read_text()).substitute(values)
        for name in SECRET_VARIABLES:  # Rasa expands ${VAR} in plain YAML values only, not quoted
            rendered = rendered.replace('"${' + name + '}"', "${" + name + "}")
        path = self.run_dir / file_name
        path.write_text(rendered)
        path.chmod(0o600)
        return path

    def commands(self, env: dict[str, str]) -> dict[str, list[str]]:
        endpoints = str(self.render_endpoints(env))
        cmds = {
            "actions": [str(APP_PYTHON), "-m", "rasa_sdk", "--actions", "bot.actions",
                        "--port", str(self.actions_port)],
            "rasa": [*self._rasa_launcher(), "run", "--model", str(MODEL_DIR),
                     "--interface", "127.0.0.1", "--port", str(self.rasa_port),
                     "--endpoints", endpoints, "--credentials", "bot/credentials.yml",
                     *(["--enable-api"] if self.enable_api else [])],
            "web": [str(APP_PYTHON), "-m", "uvicorn", "web.app:create_app", "--factory",
                    "--host", env.get("WEB_HOST", "127.0.0.1"), "--port", str(self.web_port),
                    "--no-access-log", "--ws", "none"],
        }
        if CALC_PYTHON.exists():
            cmds["calculator"] = [str(CALC_PYTHON), "-m", "calculator.server"]
        telegram = self.with_telegram if self.with_telegram is not None else bool(env.get("TELEGRAM_BOT_TOKEN"))
        if telegram:
            cmds["telegram"] = [str(APP_PYTHON), "-m", "channels.telegram"]
        return cmds

    def _rasa_launcher(self) -> list[str]:
        return [str(RASA_PYTHON), "-c", RASA_LAUNCH]

    def ports(self) -> tuple[int, ...]:
        return (self.rasa_port, self.actions_port, self.web_port)

    def busy_ports(self) -> list[int]:
        busy = []
        for port in self.ports():
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    busy.append(port)
        return busy

    def start(self) -> None:
        if busy := self.busy_ports():
            raise RuntimeError(f"port(s) déjà utilisé(s) : {', '.join(map(str, busy))} "
                               "(l'assistant tourne-t-il déjà ? sinon changez RASA_PORT, ACTIONS_PORT, WEB_PORT)")
        secure_run_dir(self.run_dir)
        self.log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        env = self.environment()
        commands = self.commands(env)
        # Rasa first: loading TensorFlow, spaCy and the model is the longest step of the start and
        # needs no database, so it runs while the schema is brought up to date.
        self._launch("rasa", commands.pop("rasa"), env)
        # OpenFisca's import and warm-up would take a core from Rasa's start: the calculator starts
        # once Rasa answers (/health does not wait for it; the bot answers from the rules meanwhile).
        calculator = commands.pop("calculator", None)
        try:
            # The database schema before the action server: it books into it from the first message.
            subprocess.run([str(APP_PYTHON), "-m", "booking.cli", "upgrade-db"], cwd=ROOT, env=env,
                           check=True, stdout=subprocess.DEVNULL)
        except subprocess.CalledProcessError as exc:
            self.stop()
            raise RuntimeError(f"la mise à jour de la base a échoué (code {exc.returncode})") from exc
        for name, cmd in commands.items():
            self._launch(name, cmd, env)
        if calculator:
            self._launch_when_rasa_answers("calculator", calculator, env)

    def _launch(self, name: str, cmd: list[str], env: dict[str, str]) -> None:
        # Own process group: Ctrl-C in the terminal reaches us, and we stop each group.
        # Output goes through a pipe into logs/<name>.log, redacted and rotated (ops/log_pump.py).
        with self._launching:
            if self._stopping.is_set():
                return
            self.processes[name] = proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                start_new_session=True)
        log_pump.pump(proc.stdout, self.log_dir / f"{name}.log")

    def _launch_when_rasa_answers(self, name: str, cmd: list[str], env: dict[str, str],
                                  timeout: float = 600) -> None:
        def wait_then_launch() -> None:
            deadline = time.monotonic() + timeout   # Rasa never up: launched anyway, at the end
            while not self._stopping.is_set() and time.monotonic() < deadline:
                rasa = self.processes.get("rasa")
                if rasa is None or rasa.poll() is not None:
                    break
                try:
                    if httpx.get(f"{self.rasa_url}/", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                self._stopping.wait(0.5)
            self._launch(name, cmd, env)

        thread = threading.Thread(target=wait_then_launch, name=f"launch-{name}", daemon=True)
        self._deferred.append(thread)
        thread.start()

    def wait_healthy(self, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in list(self.processes.items()):
                if proc.poll() is not None and name != "calculator":  # optional: rules answer without it
                    raise RuntimeError(f"{name} stopped (exit {proc.returncode}); see {self.log_dir}")
            try:
                if httpx.get(f"{self.web_url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise TimeoutError(f"not healthy after {timeout:.0f} s; see {self.log_dir}")

    def stop(self) -> None:
        self._stopping.set()   # a deferred launch that has not happened will not happen
        for thread in self._deferred:
            thread.join(timeout=5)
        self._deferred.clear()
        for proc in self.processes.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.processes.clear()
        self._stopping.clear()


def main() -> int:
    run_dir = Path(os.environ.get("AVECVOUS_RUN_DIR", ROOT / "run")).resolve()
    from ops import topology  # AVECVOUS_TOPOLOGY=scale: several replicas (ops/topology.py)

    if topology.topology() == topology.SCALE:
        stack: Stack = topology.scale_stack_from_env(run_dir)
    else:
        stack = Stack(run_dir=run_dir, rasa_port=int(os.environ.get("RASA_PORT", "5005")),
                      actions_port=int(os.environ.get("ACTIONS_PORT", "5055")),
                      web_port=int(os.environ.get("WEB_PORT", "8000")),
                      calculator_port=int(os.environ.get("CALCULATOR_PORT", "5077")))
    print(f"Démarrage… (journaux dans {stack.log_dir})", flush=True)
    started = time.monotonic()
    # SIGTERM (a service manager, `kill`) stops the children as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        stack.start()
    except RuntimeError as exc:
        print(f"Échec du démarrage : {exc}", file=sys.stderr)
        return 1
    try:
        stack.wait_healthy()
        print(f"Prêt en {time.monotonic() - started:.0f} s.\n"
              f"  Page de démonstration : {stack.web_url}/\n"
              f"  Espace professionnels : {stack.web_url}/staff\n"
              f"  Canal REST de Rasa    : {stack.rasa_url}/webhooks/rest/webhook (local)\n"
              f"Ctrl-C pour tout arrêter.", flush=True)
        # The calculator is optional: without it the bot answers from the catalogue rules.
        while all(p.poll() is None for n, p in list(stack.processes.items()) if n != "calculator"):
            time.sleep(1)
        dead = [n for n, p in list(stack.processes.items()) if p.poll() is not None]
        print(f"Arrêt : {', '.join(dead)} s'est arrêté (voir {stack.log_dir}).", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nArrêt demandé.", flush=True)
        return 0
    except (RuntimeError, TimeoutError) as exc:
        print(f"Échec du démarrage : {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
