"""Shared pieces of the whole-stack benchmarks (not a benchmark itself).

Everything runs on 127.0.0.1, on free ports, in temporary folders, through Rasa's REST channel."""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import yaml

# This checkout's packages, not those of the editable install the virtualenv may point to.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from ops.stack import RASA_BIN, ROOT, Stack, free_port  # noqa: E402

CACHE_DIR = Path(os.environ.get("AVECVOUS_CACHE_DIR")
                 or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "avecvous")

# A resident going through the questionnaire, typed the way residents type.
QUESTIONNAIRE = ["bonjour", "/start_benefits_check", "j'ai 45 ans", "seule", "2 enfants", "3 et 7 ans",
                 "1200 euros", "locataire", "500", "je suis au chomage", "non", "nancy"]


def questionnaire(n: int) -> list[str]:
    """The same resident with an age and an income of their own: each conversation is a new
    profile for the server, as with real residents (no answer computed for an earlier one)."""
    texts = list(QUESTIONNAIRE)
    texts[2] = f"j'ai {25 + n % 40} ans"
    texts[6] = f"{900 + 10 * (n % 50)} euros"
    return texts

RASA_ENV = {"PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "2",
            "RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil
    return ordered[int(rank) - 1]


def summary(values: list[float]) -> str:
    return (f"p50 {percentile(values, 50):.0f} ms, p95 {percentile(values, 95):.0f} ms, "
            f"max {max(values):.0f} ms over {len(values)} turns")


def cpu_ms(pid: int) -> float:
    """CPU time (user + system) used so far by a process: counts work, unlike wall time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def rest_url(base: str) -> str:
    return f"{base}/webhooks/rest/webhook"


def wait_rest(url: str, timeout: float = 600, proc: subprocess.Popen | None = None) -> None:
    """Until Rasa's REST channel answers a message (the model is loaded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"Rasa stopped (exit {proc.returncode})")
        try:
            if httpx.post(rest_url(url), json={"sender": "bench-probe", "message": "bonjour"},
                          timeout=30).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"Rasa REST channel not answering after {timeout:.0f} s")


@contextlib.contextmanager
def project_stack() -> Iterator[Stack]:
    """The project's own stack (Rasa, action server, web process) on SQLite, as `make run`."""
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp)
        stack = Stack(run_dir=run_dir, rasa_port=free_port(), actions_port=free_port(),
                      web_port=free_port(), with_telegram=False,
                      env_overrides={"DATABASE_URL": f"sqlite:///{run_dir / 'app.db'}"})
        stack.start()
        try:
            stack.wait_healthy(timeout=600)
            wait_rest(stack.rasa_url)
            yield stack
        finally:
            stack.stop()


# -- A bare Rasa: the project's NLU pipeline and NLU data, a minimal domain, no custom code ------

def _bare_project(folder: Path) -> tuple[Path, Path, Path]:
    """Config, domain and data of a bare assistant: same NLU pipeline (minus the urgent override)
    and NLU examples as the project (so NLU costs the same), each intent answered by a plain
    response through a rule."""
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    # The urgent override is the project's own logic (its intent is not in the bare domain).
    config["pipeline"] = [c for c in config["pipeline"] if not c["name"].endswith("UrgentDetector")]
    policies = []
    for policy in config["policies"]:
        policy = {k: v for k, v in policy.items() if not k.startswith("core_fallback_action")}
        policies.append(policy)
    config["policies"] = policies
    domain = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text())
    intents = [i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]]
    bare_domain = {
        "version": "3.1",
        "intents": intents,
        "entities": domain.get("entities", []),
        "responses": {f"utter_{i}": [{"text": f"Réponse à {i}."}] for i in intents},
        "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
    }
    rules = {"version": "3.1", "rules": [
        {"rule": f"answer {i}", "steps": [{"intent": i}, {"action": f"utter_{i}"}]} for i in intents]}
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "rules.yml").write_text(yaml.safe_dump(rules, allow_unicode=True))
    for nlu_file in sorted((ROOT / "bot" / "data" / "nlu").glob("*.yml")):
        (data / nlu_file.name).write_text(nlu_file.read_text())
    (folder / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    (folder / "domain.yml").write_text(yaml.safe_dump(bare_domain, allow_unicode=True))
    return folder / "config.yml", folder / "domain.yml", data


def bare_model() -> Path:
    """The bare model, trained once per change of its inputs and kept in the cache."""
    with tempfile.TemporaryDirectory() as tmp:
        config, domain, data = _bare_project(Path(tmp))
        digest = hashlib.sha256()
        for path in [config, domain, ROOT / "requirements-rasa.txt", *sorted(data.glob("*.yml"))]:
            digest.update(path.name.encode() + path.read_bytes())
        model = CACHE_DIR / "bench" / f"bare-{digest.hexdigest()[:16]}.tar.gz"
        if model.exists():
            return model
        model.parent.mkdir(parents=True, exist_ok=True)
        print(f"training the bare model once (kept in {model.parent})", flush=True)
        subprocess.run([str(RASA_BIN), "train", "--config", str(config), "--domain", str(domain),
                        "--data", str(data), "--out", tmp, "--fixed-model-name", "bare", "--quiet"],
                       cwd=tmp, env={**os.environ, **RASA_ENV,
                                     "RASA_CACHE_DIRECTORY": str(CACHE_DIR / "rasa-cache")},
                       check=True, stdout=subprocess.DEVNULL)
        tmp_model = model.with_suffix(f".{os.getpid()}.tmp")
        tmp_model.write_bytes((Path(tmp) / "bare.tar.gz").read_bytes())
        tmp_model.rename(model)
        return model


@contextlib.contextmanager
def bare_rasa() -> Iterator[tuple[str, subprocess.Popen]]:
    """A bare Rasa server (in-memory trackers, no action server) on a free port."""
    model = bare_model()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log = open(Path(tmp) / "rasa.log", "wb")  # noqa: SIM115 - closed below
        proc = subprocess.Popen([str(RASA_BIN), "run", "--model", str(model), "--interface", "127.0.0.1",
                                 "--port", str(port), "--credentials", str(ROOT / "bot" / "credentials.yml")],
                                cwd=tmp, env={**os.environ, **RASA_ENV}, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_rest(url, proc=proc)
            yield url, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()
