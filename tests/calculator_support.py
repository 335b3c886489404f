"""A real calculator process (OpenFisca-France in .venv-calc) shared by the tests of a session."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from ops.stack import CALC_PYTHON, ROOT, free_port


@pytest.fixture(scope="session")
def calculator_process(tmp_path_factory):
    """The port of a warm calculator (`python -m calculator.server`), started once."""
    if not Path(CALC_PYTHON).exists():
        pytest.fail(f"{CALC_PYTHON} missing: run `make setup` (it installs OpenFisca-France)")
    port = free_port()
    log = (tmp_path_factory.mktemp("calculator") / "calculator.log").open("wb")
    env = {**os.environ, "CALCULATOR_PORT": str(port), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([str(CALC_PYTHON), "-m", "calculator.server"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 180
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"calculator exited with {proc.returncode}; see {log.name}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"calculator not ready after 180 s; see {log.name}")
            time.sleep(0.5)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
