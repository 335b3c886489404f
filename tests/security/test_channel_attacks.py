"""Attacks on the web chat proxy and the Telegram channel, against a fake Rasa: each must fail."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from channels import input_limits
from channels.telegram import handlers as tg_handlers
from channels.web import router as web_router
from core.settings import get_settings
from tests.fakes.fake_rasa import FakeRasa
from web.app import create_app

VICTIM = "web-0123456789abcdef0123456789abcdef"


@pytest.fixture()
def rasa(monkeypatch, tmp_path):
    with FakeRasa(slow_seconds=1.5) as fake:
        monkeypatch.setenv("RASA_URL", fake.url)
        monkeypatch.setenv("AVECVOUS_RUN_DIR", str(tmp_path))
        get_settings.cache_clear()
        web_router.sender_limiter.reset()
        web_router.ip_limiter.reset()
        yield fake
    get_settings.cache_clear()


@pytest.fixture()
def client(rasa):
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


def post(client: TestClient, message: str, **body):  # noqa: ANN003, ANN201
    return client.post("/api/chat", json={"message": message, **body})


def senders(rasa: FakeRasa) -> set[str]:
    return {r["sender"] for r in rasa.received}


def test_a_sender_id_in_the_body_does_not_reach_another_conversation(client, rasa):
    post(client, "bonjour", sender=VICTIM)
    assert VICTIM not in senders(rasa)


def test_a_forged_or_tampered_cookie_is_not_accepted(client, rasa):
    for forged in (VICTIM, web_router._signer().sign(VICTIM).decode()[:-2] + "xx", "tg-1234"):
        client.cookies.clear()
        client.cookies.set(web_router.SENDER_COOKIE, forged, path="/api/chat")
        post(client, "bonjour")
    assert VICTIM not in senders(rasa) and all(s.startswith("web-") for s in senders(rasa))
    assert len(senders(rasa)) == 3  # each got a fresh conversation of its own


def test_the_issued_cookie_is_httponly_strict_and_keeps_the_conversation(client, rasa):
    resp = post(client, "bonjour")
    cookie = resp.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/api/chat" in cookie
    post(client, "encore")
    assert len(senders(rasa)) == 1  # the same conversation, without the browser naming it


def test_csrf_a_form_from_another_site_is_not_read(client, rasa):
    post(client, "bonjour")  # the resident has a conversation cookie
    for content_type in ("application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"):
        resp = client.post("/api/chat", content=b'{"message": "/erase_data"}', headers={"content-type": content_type})
        assert resp.status_code == 400
    assert "/erase_data" not in rasa.messages()


def test_an_oversized_body_is_refused_without_being_read(client, rasa):
    resp = client.post("/api/chat", content=b"x" * 300_000, headers={"content-type": "application/json"})
    assert resp.status_code == 413 and resp.json()["messages"][0]["text"].endswith("?")
    resp = client.post("/api/chat", content=b"{}", headers={"content-type": "application/json",
                                                              "content-length": "999999999"})
    assert resp.status_code in (400, 413)
    assert rasa.received == []


def test_a_chunked_300_mb_upload_is_read_only_up_to_the_limit():
    from starlette.requests import Request

    pulled = []

    async def receive() -> dict:  # what the ASGI server hands over, 1 KiB at a time, no length
        pulled.append(1)
        return {"type": "http.request", "body": b"x" * 1024, "more_body": len(pulled) < 300 * 1024}

    scope = {"type": "http", "method": "POST", "path": "/api/chat", "headers": [], "query_string": b""}
    assert asyncio.run(web_router.read_capped(Request(scope, receive), web_router.MAX_BODY_BYTES)) is None
    assert len(pulled) <= web_router.MAX_BODY_BYTES // 1024 + 1


def test_a_flood_gets_a_polite_french_answer_and_does_not_reach_rasa(client, rasa, monkeypatch):
    monkeypatch.setattr(web_router, "sender_limiter", input_limits.RateLimiter(5))
    codes = [post(client, f"message {i}").status_code for i in range(12)]
    assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}
    resp = post(client, "encore")
    assert resp.json()["messages"][0]["text"] == input_limits.TEXT_SLOW_DOWN
    assert len(rasa.received) == 5


def test_a_flood_from_one_address_with_fresh_cookies_is_limited(client, rasa, monkeypatch):
    monkeypatch.setattr(web_router, "ip_limiter", input_limits.RateLimiter(8))
    codes = []
    for i in range(20):
        client.cookies.clear()  # a script that drops its cookie to look like new residents
        codes.append(post(client, f"m{i}").status_code)
    assert codes.count(200) == 8 and len(rasa.received) == 8


def test_rate_limiter_is_bounded_in_memory() -> None:
    limiter = input_limits.RateLimiter(3, max_keys=100)
    for i in range(10_000):
        limiter.allow(f"ip-{i}")
    assert len(limiter._hits) == 100
    for _ in range(1000):
        limiter.allow("one")
    assert len(limiter._hits["one"]) <= 6


# ---------------------------------------------------------------- Telegram


class FakeBot:
    username = "avecvous_bot"

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def send_chat_action(self, chat_id: int, action: str) -> None:
        pass

    async def send_message(self, chat_id: int, text: str, **kwargs) -> None:  # noqa: ANN003
        self.sent.append((chat_id, text))


def text_update(chat_id: int, text: str, bot: FakeBot):  # noqa: ANN201
    async def reply_text(answer: str, **kwargs) -> None:  # noqa: ANN003
        bot.sent.append((chat_id, answer))

    message = SimpleNamespace(text=text, reply_text=reply_text)
    return SimpleNamespace(effective_chat=SimpleNamespace(id=chat_id, type="private"),
                           effective_message=message), SimpleNamespace(bot=bot)


def test_telegram_flood_is_limited_per_chat_with_one_polite_warning(rasa, monkeypatch):
    channel = tg_handlers.TelegramChannel(rasa.url, rasa_timeout=2)
    channel.limiter = input_limits.RateLimiter(4)
    bot = FakeBot()

    async def flood() -> None:
        for i in range(15):
            await channel.on_text(*text_update(77, f"message {i}", bot))
        await channel.on_text(*text_update(78, "autre personne", bot))

    asyncio.run(flood())
    assert len([r for r in rasa.received if r["sender"] == "tg-77"]) == 4
    assert [t for c, t in bot.sent if c == 77].count(input_limits.TEXT_SLOW_DOWN) == 1
    assert any(r["sender"] == "tg-78" for r in rasa.received)  # another chat is not affected


def test_telegram_long_or_control_messages_are_capped(rasa):
    channel = tg_handlers.TelegramChannel(rasa.url, rasa_timeout=2)
    bot = FakeBot()

    async def send() -> None:
        await channel.on_text(*text_update(90, "a" * 4000, bot))
        await channel.on_text(*text_update(90, "\x00\x1b\u202e\x7f", bot))
        await channel.on_text(*text_update(90, "bon\x00jour", bot))

    asyncio.run(send())
    assert bot.sent[0] == (90, input_limits.TEXT_TOO_LONG)
    assert rasa.messages() == ["bonjour"]
