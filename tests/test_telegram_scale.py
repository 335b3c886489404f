"""The Telegram bridge with several processes (issue 14): its state in the database and Redis,
a 429 from Telegram waited out (AIORateLimiter) so a six-message screen arrives whole and in
order, a long button that still works after a restart, and webhook mode with two workers."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from channels.telegram.buttons import KEY_PREFIX, SharedButtonStore
from channels.telegram.locks import ChatLocks
from core.db import get_engine
from tests.booking_support import sqlite_database
from tests.fakes.fake_rasa import LONG_PAYLOAD, FakeRasa
from tests.fakes.fake_telegram_api import FakeTelegramAPI
from tests.test_telegram import (
    TOKEN,
    _free_port,
    _start_process,
    _stop_process,
    keyboard,
    texts_sent,
    wait_rasa,
)

SIX = [{"text": f"Résultat {i} sur 6."} for i in range(1, 7)]


def test_long_buttons_are_shared_by_workers_and_kept_per_chat(tmp_path):
    url = sqlite_database(tmp_path)
    one, two = SharedButtonStore(url, per_chat=3), SharedButtonStore(url, per_chat=3)
    key = one.encode(7, LONG_PAYLOAD)
    assert key.startswith(KEY_PREFIX) and len(key.encode()) <= 64
    assert two.decode(7, key) == LONG_PAYLOAD  # another worker, or after a restart
    assert two.decode(8, key) is None  # another chat's key
    assert one.encode(7, LONG_PAYLOAD) == key  # the same payload keeps its key
    for i in range(4):
        one.encode(7, LONG_PAYLOAD + "x" * i)
    assert two.decode(7, key) is None  # only the newest 3 of the chat are kept
    two.forget_chat(7)
    assert one.decode(7, one.encode(7, "/court")) == "/court"


def test_without_its_table_the_store_keeps_the_button_in_memory(tmp_path):
    store = SharedButtonStore(f"sqlite:///{tmp_path / 'empty.db'}")
    key = store.encode(7, LONG_PAYLOAD)
    assert key.startswith("m|") and store.decode(7, key) == LONG_PAYLOAD
    get_engine(f"sqlite:///{tmp_path / 'empty.db'}").dispose()


def _redis():  # noqa: ANN202
    import redis.asyncio as aioredis

    return aioredis.Redis(host="127.0.0.1", port=6379, db=5, socket_timeout=2)


async def test_two_workers_take_a_chat_in_turn_through_redis():
    try:
        await _redis().ping()
    except Exception:  # noqa: BLE001
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    a, b = ChatLocks(_redis(), prefix="scaletest"), ChatLocks(_redis(), prefix="scaletest")
    inside, overlaps = [], []

    async def turn(locks: ChatLocks, name: str) -> None:
        async with locks.hold(99):
            if inside:
                overlaps.append(name)
            inside.append(name)
            await asyncio.sleep(0.2)
            inside.remove(name)

    await asyncio.gather(turn(a, "a"), turn(b, "b"), turn(a, "a2"), turn(b, "b2"))
    assert overlaps == []


def test_a_flooded_six_message_screen_arrives_whole_and_in_order(tmp_path):
    with FakeRasa() as rasa, FakeTelegramAPI(TOKEN) as tg:
        rasa.script["mes résultats"] = SIX
        proc, log_file, log_path = _start_process(tmp_path, tg, rasa, TELEGRAM_REMINDERS="off")
        try:
            tg.wait_for("deleteWebhook", timeout=30)
            tg.flood = 2  # Telegram refuses two messages of the screen: "retry after 1 s"
            tg.push_text(3001, "mes résultats")
            tg.wait_for("sendMessage", chat_id=3001, count=6, timeout=30)
            assert texts_sent(tg, 3001) == [m["text"] for m in SIX]
            assert len(tg.refused) == 2
        finally:
            assert proc.poll() is None, log_path.read_text()
            assert _stop_process(proc, log_file) == 0


def test_a_long_button_still_works_after_a_restart(tmp_path):
    with FakeRasa() as rasa, FakeTelegramAPI(TOKEN) as tg:
        proc, log_file, log_path = _start_process(tmp_path, tg, rasa, TELEGRAM_REMINDERS="off")
        try:
            tg.wait_for("deleteWebhook", timeout=30)
            tg.push_text(3002, "/start")
            tg.wait_for("sendMessage", chat_id=3002)
            greeting = tg.calls_to("sendMessage", 3002)[0]
            tg.push_callback(3002, greeting, keyboard(greeting)[0]["callback_data"])
            question = tg.wait_for("sendMessage", chat_id=3002, count=3)[2]
        finally:
            assert _stop_process(proc, log_file) == 0
        long_key = keyboard(question)[2]["callback_data"]
        assert long_key.startswith(KEY_PREFIX)
        proc, log_file, log_path = _start_process(tmp_path, tg, rasa, TELEGRAM_REMINDERS="off")
        try:
            deadline = time.monotonic() + 30
            while len(tg.calls_to("deleteWebhook")) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            # No title to fall back on: the payload can only come from the database.
            tg.push_callback(3002, {"params": {"text": "?"}, "result": {"message_id": 1}}, long_key)
            assert wait_rasa(rasa, 3002, 3)[-1] == LONG_PAYLOAD
        finally:
            assert proc.poll() is None, log_path.read_text()
            assert _stop_process(proc, log_file) == 0


def test_webhook_mode_with_two_workers(tmp_path):
    port = _free_port()
    secret = "s3cret-Token_ok"
    with FakeRasa() as rasa, FakeTelegramAPI(TOKEN) as tg:
        proc, log_file, log_path = _start_process(
            tmp_path, tg, rasa, TELEGRAM_MODE="webhook", TELEGRAM_WEBHOOK_WORKERS="2",
            TELEGRAM_WEBHOOK_URL="https://avecvous.example.org/telegram/hook", TELEGRAM_SECRET_TOKEN=secret,
            TELEGRAM_WEBHOOK_LISTEN=f"127.0.0.1:{port}", TELEGRAM_REMINDERS="off",
            REDIS_HOST="127.0.0.1", REDIS_DB="5", REDIS_LOCK_PREFIX="scaletest")
        try:
            tg.wait_for("setWebhook", count=2, timeout=60)  # one per worker
            url = f"http://127.0.0.1:{port}/telegram/hook"
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
            chats = list(range(4001, 4011))
            for i, chat in enumerate(chats):
                update = {"update_id": 100 + i, "message": tg.message(chat, text=f"bonjour {chat}")}
                for _ in range(100):
                    try:
                        assert httpx.post(url, json=update, headers=headers).status_code == 200
                        break
                    except httpx.ConnectError:
                        time.sleep(0.1)
            for chat in chats:
                assert wait_rasa(rasa, chat, 1) == [f"bonjour {chat}"]
                tg.wait_for("sendMessage", chat_id=chat, timeout=20)
        finally:
            assert proc.poll() is None, log_path.read_text()
            _stop_process(proc, log_file)


def test_each_chat_goes_to_its_rasa_replica(tmp_path):
    from channels.routing import HashRing

    with FakeRasa() as a, FakeRasa() as b, FakeTelegramAPI(TOKEN) as tg:
        proc, log_file, log_path = _start_process(tmp_path, tg, a, TELEGRAM_REMINDERS="off",
                                                  RASA_URLS=f"{a.url},{b.url}")
        try:
            tg.wait_for("deleteWebhook", timeout=30)
            chats = list(range(5001, 5009))
            for chat in chats:
                tg.push_text(chat, "bonjour")
                tg.push_text(chat, "encore")
            for chat in chats:
                tg.wait_for("sendMessage", chat_id=chat, count=2, timeout=20)
            ring = HashRing([a.url, b.url])
            for chat in chats:
                owner, other = (a, b) if ring.node_for(f"tg-{chat}") == a.url else (b, a)
                assert [r["message"] for r in owner.received if r["sender"] == f"tg-{chat}"] == ["bonjour", "encore"]
                assert not [r for r in other.received if r["sender"] == f"tg-{chat}"]
            assert a.received and b.received  # both replicas used
        finally:
            assert proc.poll() is None, log_path.read_text()
            assert _stop_process(proc, log_file) == 0
