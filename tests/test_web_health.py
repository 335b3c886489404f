"""/health of the web process: Rasa and the action server must answer; the calculator's state is
reported ("calculator": "ok" / "down") without making the web process unhealthy."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from core.settings import get_settings
from web.app import create_app


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        body = b'{"status": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet
        pass


class _Up:
    """A server answering 200 to every GET, on a free port."""

    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def services(monkeypatch, tmp_path):
    rasa, actions, calculator = _Up(), _Up(), _Up()
    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{rasa.port}")
    monkeypatch.setenv("ACTIONS_PORT", str(actions.port))
    monkeypatch.setenv("AVECVOUS_RUN_DIR", str(tmp_path))
    monkeypatch.setenv("CALCULATOR_PORT", str(calculator.port))
    monkeypatch.delenv("CALCULATOR_URL", raising=False)
    get_settings.cache_clear()
    yield rasa, actions, calculator
    for server in (rasa, actions, calculator):
        try:
            server.stop()
        except OSError:
            pass
    get_settings.cache_clear()


def test_health_reports_the_calculator(services):
    _rasa, actions, calculator = services
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        response = client.get("/health")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "rasa": "ok", "actions": "ok", "calculator": "ok"}

        calculator.stop()                       # the calculator stops: the bot answers from the rules
        started = time.monotonic()
        response = client.get("/health")
        assert time.monotonic() - started < 2
        assert response.status_code == 200
        assert response.json() == {"status": "degraded", "rasa": "ok", "actions": "ok", "calculator": "down"}

        actions.stop()                          # the action server is required
        response = client.get("/health")
        assert response.status_code == 503
        assert response.json()["actions"] == "down" and response.json()["calculator"] == "down"
