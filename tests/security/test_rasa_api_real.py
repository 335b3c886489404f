"""Rasa's HTTP API, attacked on a real Rasa server (loopback, free port): off in `make run`; when
tests turn it on, nothing works without this run's token."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ops.stack import MODEL_DIR, Stack, free_port

pytestmark = pytest.mark.e2e


def _rasa_only(stack: Stack) -> Stack:
    """Start Rasa alone (no action server, no web process) and wait until it answers."""
    stack.log_dir.mkdir(parents=True, exist_ok=True)
    env = stack.environment()
    import subprocess

    from ops import log_pump
    from ops.stack import ROOT

    cmd = stack.commands(env)["rasa"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    log_pump.pump(proc.stdout, stack.log_dir / "rasa.log")
    stack.processes["rasa"] = proc
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert proc.poll() is None, (stack.log_dir / "rasa.log").read_text()[-3000:]
        try:
            if httpx.get(f"{stack.rasa_url}/", timeout=2).status_code == 200:
                # The REST channel answers once the model is loaded.
                if httpx.get(f"{stack.rasa_url}/webhooks/rest/", timeout=2).status_code == 200:
                    return stack
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise TimeoutError("Rasa did not start")


@pytest.fixture(scope="module", params=["off", "token"])
def rasa(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not (MODEL_DIR / "avecvous.tar.gz").exists():
        pytest.skip("no trained model")
    run_dir: Path = tmp_path_factory.mktemp("rasa-api")
    stack = Stack(run_dir=run_dir, rasa_port=free_port(), actions_port=free_port(), web_port=free_port(),
                  with_telegram=False, enable_api=request.param == "token")
    try:
        yield _rasa_only(stack)
    finally:
        stack.stop()


ATTACKS = [
    ("GET", "/conversations/web-victim/tracker", None),
    ("POST", "/conversations/web-victim/tracker/events", {"event": "slot", "name": "age", "value": 1}),
    ("POST", "/conversations/web-victim/execute", {"name": "action_erase_data"}),
    ("POST", "/conversations/web-victim/trigger_intent", {"name": "cancel_appointment"}),
    ("PUT", "/model", {"model_file": "/tmp/evil.tar.gz"}),
    ("GET", "/status", None),
    ("GET", "/domain", None),
]


@pytest.mark.parametrize("method, path, body", ATTACKS)
def test_api_attack_without_token_fails(rasa: Stack, method: str, path: str, body: dict | None) -> None:
    resp = httpx.request(method, f"{rasa.rasa_url}{path}", json=body, timeout=30)
    assert resp.status_code == (401 if rasa.enable_api else 404), resp.text[:200]
    wrong = httpx.request(method, f"{rasa.rasa_url}{path}", json=body, params={"token": "guess"}, timeout=30)
    assert wrong.status_code in (401, 404)


def test_rest_channel_still_works_and_the_token_opens_the_tracker(rasa: Stack) -> None:
    sent = httpx.post(f"{rasa.rasa_url}/webhooks/rest/webhook", timeout=60,
                      json={"sender": "sec-api", "message": "/greet"})
    assert sent.status_code == 200
    if rasa.enable_api:
        assert rasa.tracker("sec-api")["sender_id"] == "sec-api"
        cmdline = Path(f"/proc/{rasa.processes['rasa'].pid}/cmdline").read_bytes()
        assert rasa.api_token.encode() not in cmdline  # not visible to other users through ps
