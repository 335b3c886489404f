"""1,000 hostile inputs on every channel (web proxy, Telegram, action server, staff inbox), against
fakes on loopback: 0 server errors, 0 tracker dumps in the logs, 0 unescaped HTML for staff.
Run with -s to see the figures."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rasa_sdk.executor import ActionExecutor

from bot.actions import safety
from channels import input_limits, rasa_rest
from channels.telegram import handlers as tg_handlers
from channels.web import router as web_router
from core.settings import get_settings
from privacy import logging_filter
from tests.security.hostile import hostile_entities, hostile_inputs
from tests.security.test_channel_attacks import FakeBot, text_update
from tests.security.test_staff_attacks import injected

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from staff_fixtures import PASSWORD_A, logged_in_client, make_app, prepare_database  # noqa: E402

INPUTS = hostile_inputs()


def test_the_set_is_1000_varied_inputs():
    assert len(INPUTS) == 1000 and len(set(INPUTS)) > 800
    assert "" in INPUTS and any(len(i) >= 10_000 for i in INPUTS) and any("\x00" in i for i in INPUTS)


class InProcessRasa:
    """Rasa's REST channel in process (the HTTP fake answers in ~0.2 s: 1,000 calls would take
    minutes); records what reached it and echoes it back, like tests/fakes/fake_rasa.py."""

    url = "http://rasa.invalid"

    def __init__(self) -> None:
        self.received: list[dict] = []

    def messages(self) -> list[str]:
        return [r["message"] for r in self.received]

    async def send(self, rasa_url, sender, message, metadata, *, timeout=None, client=None):  # noqa: ANN001, ANN201
        self.received.append({"sender": sender, "message": message, "metadata": metadata})
        return [{"text": f"Vous avez écrit : {message[:50]}"}]


@pytest.fixture()
def rasa(monkeypatch, tmp_path):
    fake = InProcessRasa()
    monkeypatch.setattr(rasa_rest, "send_to_rasa", fake.send)
    monkeypatch.setenv("AVECVOUS_RUN_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield fake
    get_settings.cache_clear()


def test_web_proxy(rasa, monkeypatch):
    monkeypatch.setattr(web_router, "sender_limiter", input_limits.RateLimiter(10_000))
    monkeypatch.setattr(web_router, "ip_limiter", input_limits.RateLimiter(10_000))
    codes: dict[int, int] = {}
    with TestClient(create_app_quiet(), raise_server_exceptions=False) as client:
        for text in INPUTS:
            resp = client.post("/api/chat", json={"message": text})
            codes[resp.status_code] = codes.get(resp.status_code, 0) + 1
            assert resp.status_code in (200, 400, 413), (resp.status_code, text[:80])
            assert resp.json()["messages"] or text.strip() in web_router.SILENT_OK_PAYLOADS, text[:80]
    print(f"\nweb: {len(INPUTS)} hostile inputs -> status codes {dict(sorted(codes.items()))}, 0 server errors")
    assert all(len(m) <= input_limits.MAX_MESSAGE_CHARS for m in rasa.messages())
    assert not any("\x00" in m or "\u202e" in m for m in rasa.messages())


def create_app_quiet():  # noqa: ANN201
    from web.app import create_app

    return create_app()


def test_telegram_channel(rasa):
    channel = tg_handlers.TelegramChannel(rasa.url, rasa_timeout=2)
    channel.limiter = input_limits.RateLimiter(10_000)
    bot = FakeBot()

    async def run() -> None:
        for i, text in enumerate(INPUTS):
            await channel.on_text(*text_update(1000 + i % 7, text, bot))

    asyncio.run(run())
    print(f"\ntelegram: {len(INPUTS)} hostile inputs -> {len(rasa.received)} reached Rasa, "
          f"{len(bot.sent)} replies, 0 exceptions")
    assert all(len(m) <= input_limits.MAX_MESSAGE_CHARS for m in rasa.messages())


@pytest.fixture(scope="module")
def executor() -> ActionExecutor:
    safety.install()
    executor = ActionExecutor()
    executor.register_package("bot.actions")
    return executor


def test_action_server(executor, caplog):
    previous = logging.getLogRecordFactory()
    logging_filter._installed = None
    logging_filter.install_redaction()
    names = sorted(n for n in executor.actions if "test_boom" not in n)  # not the guard tests' own
    form_slots = ["reference_to_cancel", "cancel_contact", "commune", "booking_slot", "booking_first_name",
                  "booking_contact", "booking_consent", "age", "income_monthly", "children_ages", None]
    caught = 0
    crashed: dict[str, int] = {}
    try:
        with caplog.at_level(logging.INFO):
            for i, entities in enumerate(hostile_entities()):
                name = names[i % len(names)]
                text = INPUTS[i]
                slots = {e["entity"]: e["value"] for e in entities}
                slots["requested_slot"] = form_slots[i % len(form_slots)]
                loop = name.removeprefix("validate_") if name.startswith("validate_") else None
                call = {"next_action": name, "version": "3.6.21", "domain": {},
                        "tracker": {"sender_id": f"hostile-{i}", "slots": slots, "paused": False,
                                    "latest_message": {"text": text, "intent": {"name": "inform", "confidence": 1},
                                                       "entities": entities},
                                    "events": [{"event": "user", "text": text, "metadata": {"channel": "web"}}],
                                    "followup_action": None, "active_loop": {"name": loop} if loop else {},
                                    "latest_action_name": "action_listen"}}
                response = asyncio.run(executor.run(call))
                assert isinstance(response, dict), name
                caught += any(m.get("text") in (safety.SORRY, safety.SORRY_FORM) for m in response["responses"])
    finally:
        logging.setLogRecordFactory(previous)
        logging_filter._installed = None
    logged = [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    for message in logged:
        if message.startswith("action ") and " failed: " in message:
            name = message.removeprefix("action ").split(" failed: ")[0]
            crashed[name] = crashed.get(name, 0) + 1
    dumps = [m for m in logged if '"events"' in m or "'events'" in m or "latest_message" in m]
    long_lines = [m for m in logged if len(m) > logging_filter.MAX_RECORD_CHARS + 50]
    print(f"\nactions: 1000 hostile calls over {len(names)} actions -> 0 exceptions, {caught} crashes answered "
          f"politely by the guard, {len(dumps)} tracker dumps, {len(long_lines)} over-long log lines\n"
          f"  actions the guard caught crashing: {dict(sorted(crashed.items()))}")
    assert dumps == [] and long_lines == []


def test_staff_inbox(tmp_path, monkeypatch):
    world = prepare_database(tmp_path, monkeypatch)
    from booking.models import AppointmentRequest
    from core.db import session_scope

    with session_scope(world.url) as db:
        for i, text in enumerate(INPUTS):
            db.add(AppointmentRequest(reference=f"AV-H{i:03d}", team_id="equipe-a", kind="other_time",
                                      first_name=text[:60] or "x", contact_channel="web", consent_summary=True,
                                      summary=text, preferred_time_note=text[:300],
                                      likely_benefits=[{"id": text[:40], "name": text[:80]}]))
    try:
        alice = logged_in_client(make_app(), "alice@exemple.fr", PASSWORD_A)
        pages, bad = 0, []
        page = 1
        while True:
            resp = alice.get(f"/staff/requests?page={page}")
            assert resp.status_code == 200
            bad += injected(resp.text)
            pages += 1
            if f"page={page + 1}" not in resp.text or page > 200:
                break
            page += 1
        with session_scope(world.url) as db:
            ids = [r.id for r in db.query(AppointmentRequest).filter(AppointmentRequest.reference.like("AV-H%"))]
        for request_id in ids[::4]:  # every request is in the inbox pages; one detail page in four
            resp = alice.get(f"/staff/requests/{request_id}")
            assert resp.status_code == 200
            bad += injected(resp.text)
        csv = alice.get("/staff/requests/export.csv")
        assert csv.status_code == 200
        print(f"\nstaff: 1000 hostile requests -> {pages} inbox pages and {len(ids[::4])} detail pages, "
              f"{len(bad)} unescaped elements")
        assert bad == []
    finally:
        get_settings.cache_clear()
