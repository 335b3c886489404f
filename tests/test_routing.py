"""Each conversation goes to one Rasa replica (a consistent hash of its sender id), in the web
proxy and the Telegram bridge; a replica that refuses the connection hands over to the next."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from fastapi.testclient import TestClient

from channels import rasa_rest, routing
from channels.web import router as web_router
from core.settings import get_settings
from ops.stack import free_port
from tests.fakes.fake_rasa import FakeRasa

SENDERS = [f"web-{i:032x}" for i in range(2000)]


def test_the_ring_is_stable_and_shares_the_load():
    urls = [f"http://127.0.0.1:{6400 + i}" for i in range(3)]
    ring = routing.HashRing(urls)
    owners = {s: ring.node_for(s) for s in SENDERS}
    assert owners == {s: routing.HashRing(list(reversed(urls))).node_for(s) for s in SENDERS}  # order-free
    share = Counter(owners.values())
    assert set(share) == set(urls) and min(share.values()) > len(SENDERS) / 3 * 0.6
    # A fourth replica takes only its own share: the others keep their conversations.
    bigger = routing.HashRing([*urls, "http://127.0.0.1:6499"])
    moved = [s for s in SENDERS if bigger.node_for(s) != owners[s]]
    assert all(bigger.node_for(s) == "http://127.0.0.1:6499" for s in moved)
    assert len(moved) < len(SENDERS) / 2
    assert ring.order(SENDERS[0])[0] == owners[SENDERS[0]] and sorted(ring.order(SENDERS[0])) == sorted(urls)


def test_one_url_is_the_single_process_default(monkeypatch):
    monkeypatch.delenv("RASA_URLS", raising=False)
    assert routing.rasa_url_for("web-x", "http://127.0.0.1:5005") == "http://127.0.0.1:5005"


def test_a_sender_always_reaches_its_replica_and_a_stopped_one_hands_over(monkeypatch):
    with FakeRasa() as a, FakeRasa() as b:
        monkeypatch.setenv("RASA_URLS", f"{a.url},{b.url}")
        ring = routing.ring("unused")
        on_a = next(s for s in SENDERS if ring.node_for(s) == a.url)
        on_b = next(s for s in SENDERS if ring.node_for(s) == b.url)

        async def talk() -> None:
            for _ in range(3):
                await routing.send_to_rasa("unused", on_a, "bonjour", {})
                await routing.send_to_rasa("unused", on_b, "bonjour", {})

        asyncio.run(talk())
        assert [r["sender"] for r in a.received] == [on_a] * 3
        assert [r["sender"] for r in b.received] == [on_b] * 3
    # Both stopped: a refused connection everywhere is the usual RasaUnavailable.
    with pytest.raises(rasa_rest.RasaUnavailable):
        asyncio.run(routing.send_to_rasa("unused", on_a, "bonjour", {}))
    with FakeRasa() as b2:
        dead = f"http://127.0.0.1:{free_port()}"
        monkeypatch.setenv("RASA_URLS", f"{dead},{b2.url}")
        sender = next(s for s in SENDERS if routing.ring("unused").node_for(s) == dead)
        asyncio.run(routing.send_to_rasa("unused", sender, "bonjour", {}))
        assert [r["sender"] for r in b2.received] == [sender]


def test_an_error_after_sending_is_not_sent_twice(monkeypatch):
    with FakeRasa() as a, FakeRasa() as b:
        monkeypatch.setenv("RASA_URLS", f"{a.url},{b.url}")
        sender = next(s for s in SENDERS if routing.ring("unused").node_for(s) == a.url)
        with pytest.raises(rasa_rest.RasaUnavailable):
            asyncio.run(routing.send_to_rasa("unused", sender, "panne", {}))  # HTTP 500 from its replica
        assert len(a.received) == 1 and b.received == []


def test_the_web_proxy_routes_by_the_cookie_sender(monkeypatch, tmp_path):
    with FakeRasa() as a, FakeRasa() as b:
        monkeypatch.setenv("RASA_URLS", f"{a.url},{b.url}")
        monkeypatch.setenv("AVECVOUS_RUN_DIR", str(tmp_path))
        get_settings.cache_clear()
        web_router.sender_limiter.reset()
        web_router.ip_limiter.reset()
        from web.app import create_app

        try:
            with TestClient(create_app()) as client:
                for _ in range(3):
                    assert client.post("/api/chat", json={"message": "bonjour"}).status_code == 200
                sender = web_router.sender_from_cookie(client.cookies.get(web_router.SENDER_COOKIE))
        finally:
            get_settings.cache_clear()
        owner, other = (a, b) if routing.ring("unused").node_for(sender) == a.url else (b, a)
        assert [r["sender"] for r in owner.received] == [sender] * 3 and other.received == []
