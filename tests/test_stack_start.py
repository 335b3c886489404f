"""ops.stack's start-up order: the calculator (OpenFisca's long warm-up) starts only once Rasa
answers, so that it does not slow Rasa's start; a stack stopped before that never starts it."""

from __future__ import annotations

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ops import stack as ops_stack
from ops.stack import Stack, free_port

SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"Hello from Rasa")

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


@pytest.fixture
def stack(tmp_path, monkeypatch):
    monkeypatch.setattr(ops_stack.subprocess, "run", lambda *a, **k: None)   # no migration
    stack = Stack(run_dir=tmp_path / "run", rasa_port=free_port(), actions_port=free_port(), web_port=free_port())
    monkeypatch.setattr(stack, "commands", lambda env: {"rasa": SLEEP, "actions": SLEEP, "calculator": SLEEP})
    yield stack
    stack.stop()


def _wait_for(condition, timeout: float = 10) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_the_calculator_starts_once_rasa_answers(stack):
    stack.start()
    assert set(stack.processes) == {"rasa", "actions"}
    time.sleep(1.2)
    assert "calculator" not in stack.processes          # Rasa does not answer yet
    server = ThreadingHTTPServer(("127.0.0.1", stack.rasa_port), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert _wait_for(lambda: "calculator" in stack.processes)
    finally:
        server.shutdown()
        server.server_close()


def test_a_stack_stopped_before_rasa_answers_never_starts_the_calculator(stack):
    stack.start()
    stack.stop()
    time.sleep(1)
    assert stack.processes == {}


def test_an_api_token_starting_with_a_dash_reaches_rasa(tmp_path):
    """secrets.token_urlsafe starts with '-' once in 64 draws: passed as a separate argument, argparse
    read it as an option and Rasa stopped at start ("argument -t/--auth-token: expected one argument")."""
    import os
    import subprocess

    fake = tmp_path / "rasa"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text(
        "import argparse, sys\n"
        "def main():\n"
        "    p = argparse.ArgumentParser(prog='rasa')\n"
        "    p.add_argument('command')\n"
        "    p.add_argument('-t', '--auth-token')\n"
        "    print(repr(p.parse_args(sys.argv[1:]).auth_token))\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ops_stack.ROOT)]),
           "RASA_API_TOKEN": "-Xy_z123"}
    out = subprocess.run([sys.executable, "-c", ops_stack.RASA_LAUNCH, "run"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "'-Xy_z123'"
