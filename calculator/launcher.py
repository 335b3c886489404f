"""Start a calculator process and wait until it answers /health (benchmarks and tests)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CALC_PYTHON = ROOT / ".venv-calc" / "bin" / "python"


def start(port: int, log_path: Path, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    if not CALC_PYTHON.exists():
        raise RuntimeError(f"{CALC_PYTHON} missing: run `make setup` (it installs OpenFisca-France)")
    env = {**os.environ, "CALCULATOR_PORT": str(port), "PYTHONPATH": str(ROOT), **(extra_env or {})}
    log = log_path.open("ab")
    try:
        return subprocess.Popen([str(CALC_PYTHON), "-m", "calculator.server"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        log.close()


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 180) -> float:
    """Seconds until /health answered; RuntimeError if the process died or never answered."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"calculator exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"calculator not ready after {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def compute_direct(situations: list, period: str, full_graph: bool = False, timeout: float = 1800) -> list:
    """One-off computation in a fresh OpenFisca process (the reference for the benchmarks)."""
    import json
    args = [str(CALC_PYTHON), "-m", "calculator.compute"] + (["--full-graph"] if full_graph else [])
    done = subprocess.run(args, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True,
                          input=json.dumps({"period": period, "situations": situations}).encode(),
                          capture_output=True, timeout=timeout)
    return json.loads(done.stdout)
