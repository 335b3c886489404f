"""calculator.server (batching, cache, in-flight de-duplication, timeout, health) and
calculator.client (graceful failure), with a fake computation: no OpenFisca needed."""

import asyncio
import threading
import time

import httpx
import pytest

from calculator import client
from calculator.server import Service, serve, situation_key
from ops.stack import free_port

PROFILE = {"age": 35, "household": "alone", "children_count": 0, "income_monthly": 0, "income_kinds": ["none"],
           "housing": "hosted", "work": "job_seeker", "disability": "none", "commune": "54395"}


class FakeCompute:
    def __init__(self, delay: float = 0.05):
        self.delay, self.calls, self.release = delay, [], threading.Event()
        self.release.set()

    def __call__(self, situations, period):
        self.release.wait()
        time.sleep(self.delay)
        self.calls.append(len(situations))
        return [None if s.get("bad") else {"rsa": {"eligible": True, "monthly": 573.49, "yearly": 6881.88}}
                for s in situations]


def test_key_is_canonical():
    assert situation_key("2026-12", {"a": 1, "b": {"c": 2}}) == situation_key("2026-12", {"b": {"c": 2}, "a": 1})
    assert situation_key("2026-12", {"a": 1}) != situation_key("2026-11", {"a": 1})


def test_requests_arriving_together_are_one_batch_and_cached():
    fake = FakeCompute()
    service = Service(fake, batch_window=0.1)
    futures = [service.submit("2026-12", {"n": i}) for i in range(5)]
    assert all(f.result(5)["rsa"]["eligible"] for f in futures)
    assert fake.calls == [5]
    again = service.submit("2026-12", {"n": 3})
    assert again.done() and fake.calls == [5]          # cache hit: no new computation


def test_identical_inflight_requests_compute_once():
    fake = FakeCompute()
    fake.release.clear()
    service = Service(fake, batch_window=0.0)
    first = service.submit("2026-12", {"n": 1})
    second = service.submit("2026-12", {"n": 1})
    assert first is second
    fake.release.set()
    assert first.result(5) is not None and fake.calls == [1]


def test_timeout_gives_pending_then_cache_serves_it():
    fake = FakeCompute(delay=0.5)
    service = Service(fake, batch_window=0.0)
    assert service.calculate("2026-12", [{"n": 1}], timeout=0.05) == [{"status": "pending"}]
    time.sleep(0.8)
    assert service.calculate("2026-12", [{"n": 1}], timeout=0.05)[0]["status"] == "ok"


def test_failed_household_is_an_error_and_others_survive():
    service = Service(FakeCompute(delay=0.0), batch_window=0.05)
    out = service.calculate("2026-12", [{"bad": True}, {"n": 2}], timeout=5)
    assert out[0] == {"status": "error"} and out[1]["status"] == "ok"


@pytest.fixture
def fake_server(monkeypatch):
    port = free_port()
    server = serve(port, FakeCompute(delay=0.0))
    monkeypatch.setenv("CALCULATOR_PORT", str(port))
    monkeypatch.delenv("CALCULATOR_URL", raising=False)
    yield port
    server.shutdown()


def test_http_health_and_bad_request(fake_server):
    base = f"http://127.0.0.1:{fake_server}"
    health = httpx.get(f"{base}/health", timeout=2)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert httpx.post(f"{base}/calculate", content=b"not json", timeout=2).status_code == 400
    assert httpx.post(f"{base}/calculate", json={"period": "2026-12"}, timeout=2).status_code == 400


async def test_client_results_through_http(fake_server):
    national = await client.results(PROFILE, period="2026-12")
    assert national["rsa"] == {"eligible": True, "monthly": 573.49, "yearly": 6881.88}
    assert await client.healthy()


async def test_client_down_returns_none_fast(monkeypatch):
    monkeypatch.setenv("CALCULATOR_PORT", str(free_port()))   # nothing listens there
    started = time.monotonic()
    assert await client.results(PROFILE) is None
    assert time.monotonic() - started < 1.0
    assert not await client.healthy()


async def test_client_slow_calculator_returns_none_within_timeout(monkeypatch):
    fake = FakeCompute(delay=3.0)
    port = free_port()
    server = serve(port, fake)
    monkeypatch.setenv("CALCULATOR_PORT", str(port))
    try:
        started = time.monotonic()
        assert await client.results(PROFILE, timeout=0.3) is None
        assert time.monotonic() - started < 1.5
    finally:
        server.shutdown()


async def test_prefetch_returns_at_once_and_fills_the_cache(fake_server):
    started = time.monotonic()
    assert client.prefetch(PROFILE) is True
    assert time.monotonic() - started < 0.05
    assert client.prefetch({"age": 30}) is False          # not ready: nothing started
    await asyncio.sleep(0.3)
    health = httpx.get(f"http://127.0.0.1:{fake_server}/health", timeout=2).json()
    assert health["cached"] == 1


async def test_event_loop_keeps_running_while_waiting(monkeypatch):
    port = free_port()
    server = serve(port, FakeCompute(delay=1.0))
    monkeypatch.setenv("CALCULATOR_PORT", str(port))
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        await client.results(PROFILE, timeout=2)
    finally:
        task.cancel()
        server.shutdown()
    assert ticks >= 10          # other conversations' coroutines ran during the computation


def test_ready_needs_the_answers_that_matter():
    assert client.ready(PROFILE)
    assert not client.ready({k: v for k, v in PROFILE.items() if k != "income_kinds"})
    assert client.ready({k: v for k, v in PROFILE.items() if k not in ("work", "disability")})  # asked only when they matter
    assert client.ready({**PROFILE, "income_monthly": "unknown"})
    assert client.ready({**PROFILE, "housing": "tenant"})                # rent may never be asked
    assert client.ready({**PROFILE, "housing": "tenant", "rent": 400})
    assert not client.ready({**PROFILE, "children_count": 2})           # ages still to come


async def test_calculator_stopped_mid_conversation_rules_still_answer(monkeypatch):
    """The calculator dies between the prefetch and the results screen: the client says None at
    once (the bot shows the catalogue rules and says amounts are not available right now), the
    answers are intact, and a restarted calculator answers the same profile again."""
    from benefits import evaluate

    port = free_port()
    server = serve(port, FakeCompute(delay=0.0))
    monkeypatch.setenv("CALCULATOR_PORT", str(port))
    profile = dict(PROFILE)
    assert client.prefetch(profile)
    await asyncio.sleep(0.2)
    server.shutdown()
    server.server_close()
    started = time.monotonic()
    assert await client.results(profile) is None
    assert time.monotonic() - started < 1.0
    assert profile == PROFILE
    assert evaluate(profile).likely                     # the rules still give the results screen
    server = serve(port, FakeCompute(delay=0.0))
    try:
        assert (await client.results(profile))["rsa"]["eligible"] is True
    finally:
        server.shutdown()
        server.server_close()


def test_stack_starts_the_calculator_on_its_port(tmp_path, monkeypatch):
    from ops import stack as ops_stack

    monkeypatch.delenv("CALCULATOR_PORT", raising=False)
    stack = ops_stack.Stack(run_dir=tmp_path, rasa_port=free_port(), actions_port=free_port(), web_port=free_port())
    env = stack.environment()
    assert env["CALCULATOR_PORT"] == str(stack.calculator_port)       # the action server's client reads it
    commands = stack.commands(env)
    if ops_stack.CALC_PYTHON.exists():
        assert commands["calculator"][-2:] == ["-m", "calculator.server"]
    else:
        assert "calculator" not in commands                            # optional at run time
