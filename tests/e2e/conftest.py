"""One real stack (Rasa server, action server, web process) for all end-to-end tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ops.stack import MODEL_DIR, Stack, free_port


class Chat:
    """A resident talking to the real Rasa through its REST channel."""

    def __init__(self, stack: Stack, channel: str = "rest"):
        self.stack = stack
        self.sender = f"e2e-{uuid.uuid4().hex[:10]}"
        self.channel = channel
        self.replies: list[dict] = []

    def say(self, message: str) -> list[dict]:
        resp = httpx.post(f"{self.stack.rasa_url}/webhooks/rest/webhook", timeout=60,
                          json={"sender": self.sender, "message": message,
                                "metadata": {"channel": self.channel}})
        resp.raise_for_status()
        self.replies = resp.json()
        return self.replies

    @property
    def text(self) -> str:
        return "\n".join(m.get("text") or "" for m in self.replies)

    @property
    def buttons(self) -> list[dict]:
        return [b for m in self.replies for b in (m.get("buttons") or [])]

    def tracker(self) -> dict:
        # Rasa's HTTP API is on for the tests only, with this run's token (see ops/stack.py).
        return self.stack.tracker(self.sender)

    def slot(self, name: str):  # noqa: ANN201
        return self.tracker()["slots"].get(name)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not (MODEL_DIR / "avecvous.tar.gz").exists():
        pytest.fail("no trained model: run `make model` (make test does it)")
    run_dir: Path = tmp_path_factory.mktemp("run")
    stack = Stack(run_dir=run_dir, rasa_port=free_port(), actions_port=free_port(), web_port=free_port(),
                  with_telegram=False, enable_api=True,
                  env_overrides={"DATABASE_URL": f"sqlite:///{run_dir / 'app.db'}",
                                 "PUBLIC_URL": "http://127.0.0.1:8000"})
    stack.start()
    try:
        stack.wait_healthy(timeout=300)
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def chat(stack: Stack) -> Chat:
    return Chat(stack)
