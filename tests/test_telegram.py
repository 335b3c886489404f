"""The Telegram process, run for real (`python -m channels.telegram`) against a fake Bot API server
and a fake Rasa: we push Telegram updates and assert on the Bot API calls the process makes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from channels.telegram import texts
from core.settings import PROJECT_ROOT
from tests.fakes.fake_rasa import LONG_PARAGRAPH, LONG_PAYLOAD, FakeRasa
from tests.fakes.fake_telegram_api import BOT_USER, FakeTelegramAPI

TOKEN = "123:TEST"


def _start_process(tmp: Path, tg: FakeTelegramAPI, rasa: FakeRasa, **extra_env: str):
    env = dict(
        os.environ,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=tg.base_url,
        RASA_URL=rasa.url,
        RASA_TIMEOUT_SECONDS="1.5",
        AVECVOUS_RUN_DIR=str(tmp),
        DATABASE_URL=f"sqlite:///{tmp / 'empty.db'}",
        PYTHONUNBUFFERED="1",
        **extra_env,
    )
    log_path = tmp / "telegram.log"
    log_file = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "channels.telegram"], cwd=PROJECT_ROOT, env=env,
                            stdout=log_file, stderr=subprocess.STDOUT)
    return proc, log_file, log_path


def _stop_process(proc: subprocess.Popen, log_file) -> int:
    proc.terminate()
    try:
        code = proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait(5)
    log_file.close()
    return code


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("telegram")
    with FakeRasa(slow_seconds=3.0) as rasa, FakeTelegramAPI(TOKEN) as tg:
        proc, log_file, log_path = _start_process(tmp, tg, rasa)
        try:
            tg.wait_for("setMyCommands", timeout=30)
            tg.wait_for("deleteWebhook", timeout=10)  # then long polling starts
            yield tg, rasa, log_path, proc
        finally:
            assert proc.poll() is None, "the Telegram process died:\n" + log_path.read_text()
            assert _stop_process(proc, log_file) == 0


def rasa_messages(rasa: FakeRasa, chat_id: int) -> list[str]:
    return [r["message"] for r in list(rasa.received) if r["sender"] == f"tg-{chat_id}"]


def wait_rasa(rasa: FakeRasa, chat_id: int, count: int, timeout: float = 10) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = rasa_messages(rasa, chat_id)
        if len(got) >= count:
            return got
        time.sleep(0.02)
    raise AssertionError(f"Rasa got {rasa_messages(rasa, chat_id)} for chat {chat_id}")


def texts_sent(tg: FakeTelegramAPI, chat_id: int) -> list[str]:
    return [c["params"].get("text") for c in tg.calls_to("sendMessage", chat_id)]


def keyboard(call) -> list[dict]:
    markup = call["params"].get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def test_startup_registers_the_french_command_menu(env):
    tg, _rasa, _log, _proc = env
    commands = tg.calls_to("setMyCommands")[0]["params"]["commands"]
    assert [c["command"] for c in commands] == ["start", "aide", "recommencer", "rdv", "effacer", "guide",
                                               "confidentialite"]
    assert commands[3]["description"] == "Prendre rendez-vous"
    assert tg.calls_to("getMe")
    assert tg.calls_to("deleteWebhook"), "long polling starts by removing any webhook"


def test_a_conversation_with_buttons_and_text(env):
    tg, rasa, _log, _proc = env
    chat = 1001
    tg.push_text(chat, "/start")
    greeting = tg.wait_for("sendMessage", chat_id=chat)[0]
    assert rasa.received[[r["sender"] for r in rasa.received].index("tg-1001")] == {
        "sender": "tg-1001", "message": "/greet", "metadata": {"channel": "telegram", "chat_id": chat},
    }
    typing = tg.calls_to("sendChatAction", chat)
    assert typing and typing[0]["params"]["action"] == "typing"
    assert typing[0]["at"] < greeting["at"], "typing indicator while waiting for Rasa"
    assert greeting["params"]["text"].startswith("Bonjour")
    buttons = keyboard(greeting)
    assert [b["text"] for b in buttons] == ["Connaître mes droits", "Prendre rendez-vous"]

    # Press the first button: answered, marked as chosen, payload sent to Rasa.
    query_id = tg.push_callback(chat, greeting, buttons[0]["callback_data"])
    tg.wait_for("answerCallbackQuery", where=lambda c: c["params"]["callback_query_id"] == query_id)
    assert wait_rasa(rasa, chat, 2)[-1] == "/start_check"
    edit = tg.wait_for("editMessageReplyMarkup", chat_id=chat)[0]
    assert edit["params"]["message_id"] == greeting["result"]["message_id"]
    assert keyboard(edit)[0]["text"] == "✓ Connaître mes droits"

    sent = tg.wait_for("sendMessage", chat_id=chat, count=3)
    question = sent[2]
    assert question["params"]["text"] == "Où habitez-vous ?"
    options = keyboard(question)
    assert [b["text"] for b in options] == ["Locataire HLM", "Locataire (privé)", "Hébergé(e) par la famille"]
    assert len(LONG_PAYLOAD.encode()) > 64
    assert all(len(b["callback_data"].encode()) <= 64 for b in options)

    # The long payload comes back whole through its short key.
    query_id = tg.push_callback(chat, question, options[2]["callback_data"])
    tg.wait_for("answerCallbackQuery", where=lambda c: c["params"]["callback_query_id"] == query_id)
    assert wait_rasa(rasa, chat, 3)[-1] == LONG_PAYLOAD
    tg.wait_for("sendMessage", chat_id=chat, count=4)

    tg.push_text(chat, "J'ai 34 ans")
    assert wait_rasa(rasa, chat, 4)[-1] == "J'ai 34 ans"
    tg.wait_for("sendMessage", chat_id=chat, count=5)
    assert texts_sent(tg, chat)[-1] == "Vous avez écrit : J'ai 34 ans"

    # Pressing the "✓ chosen" button again is answered but not sent to Rasa.
    edited = {"params": edit["params"], "result": {"message_id": edit["params"]["message_id"]}}
    query_id = tg.push_callback(chat, edited, "d|")
    done = tg.wait_for("answerCallbackQuery", where=lambda c: c["params"]["callback_query_id"] == query_id)
    assert done[0]["params"]["text"] == texts.ALREADY_ANSWERED
    time.sleep(0.3)
    assert len(rasa_messages(rasa, chat)) == 4


def test_a_forgotten_button_key_falls_back_to_its_title(env):
    tg, rasa, _log, _proc = env
    chat = 1008
    old = {"params": {"text": "Où habitez-vous ?", "reply_markup": {"inline_keyboard": [
        [{"text": "Locataire HLM", "callback_data": "k|999999"}]]}},
        "result": {"message_id": 42}}
    query_id = tg.push_callback(chat, old, "k|999999")
    tg.wait_for("answerCallbackQuery", where=lambda c: c["params"]["callback_query_id"] == query_id)
    assert wait_rasa(rasa, chat, 1) == ["Locataire HLM"]


def test_commands_send_their_payloads(env):
    tg, rasa, _log, _proc = env
    chat = 1002
    expected = []
    for command, payloads in [
        ("/aide", ["/what_can_you_do"]),
        ("/rdv", ["/book_appointment"]),
        ("/effacer", ["/delete_data"]),
        ("/guide", ['/start_benefits_check{"choice":"guide"}']),
        ("/confidentialite", ["/privacy"]),
        ("/recommencer", ["/restart", "/greet"]),  # the fake Rasa says nothing on /restart
        ("/start", ["/greet"]),
    ]:
        expected += payloads
        tg.push_text(chat, command)
        assert wait_rasa(rasa, chat, len(expected)) == expected
    tg.wait_for("sendMessage", chat_id=chat, count=6)

    tg.push_text(chat, "/bonjour")
    reply = tg.wait_for("sendMessage", chat_id=chat, where=lambda c: "commande" in c["params"]["text"])
    assert "/rdv : Prendre rendez-vous" in reply[0]["params"]["text"]
    time.sleep(0.3)
    assert len(rasa_messages(rasa, chat)) == len(expected)


def test_location_is_sent_as_a_payload(env):
    tg, rasa, _log, _proc = env
    chat = 1003
    tg.push_message(chat, location={"latitude": 48.6921, "longitude": 6.1844})
    assert wait_rasa(rasa, chat, 1) == ['/share_location{"latitude": 48.6921, "longitude": 6.1844}']
    tg.wait_for("sendMessage", chat_id=chat)


def test_contact_button_and_own_contact_only(env):
    tg, rasa, _log, _proc = env
    chat = 1004
    tg.push_text(chat, "rappel")
    ask = tg.wait_for("sendMessage", chat_id=chat)[0]
    assert ask["params"]["text"].startswith("Pour prendre rendez-vous")
    markup = ask["params"]["reply_markup"]
    assert markup["keyboard"] == [[{"text": "Partager mon numéro", "request_contact": True}]]
    assert markup["one_time_keyboard"] is True

    # Someone else's contact card is refused and not forwarded.
    tg.push_message(chat, contact={"phone_number": "33699999999", "first_name": "Voisin", "user_id": 999})
    refused = tg.wait_for("sendMessage", chat_id=chat, count=2)[1]
    assert refused["params"]["text"] == texts.NOT_YOUR_CONTACT
    assert rasa_messages(rasa, chat) == ["rappel"]

    tg.push_message(chat, contact={"phone_number": "33612345678", "first_name": "Camille", "user_id": chat})
    assert wait_rasa(rasa, chat, 2)[-1] == '/share_contact{"phone": "+33612345678"}'
    thanks = tg.wait_for("sendMessage", chat_id=chat, count=3)[2]
    assert thanks["params"]["reply_markup"] == {"remove_keyboard": True}


@pytest.mark.parametrize(
    ("chat", "content"),
    [
        (1101, {"voice": {"file_id": "v1", "file_unique_id": "uv1", "duration": 3}}),
        (1102, {"sticker": {"file_id": "s1", "file_unique_id": "us1", "type": "regular", "width": 512,
                            "height": 512, "is_animated": False, "is_video": False}}),
        (1103, {"photo": [{"file_id": "p1", "file_unique_id": "up1", "width": 90, "height": 90}]}),
        (1104, {"document": {"file_id": "d1", "file_unique_id": "ud1", "file_name": "avis.pdf"}}),
        (1105, {"video": {"file_id": "vi1", "file_unique_id": "uvi1", "width": 1, "height": 1,
                          "duration": 1}}),
    ],
    ids=["voice", "sticker", "photo", "document", "video"],
)
def test_non_text_messages_get_a_polite_answer(env, chat, content):
    tg, rasa, _log, _proc = env
    tg.push_message(chat, **content)
    reply = tg.wait_for("sendMessage", chat_id=chat)[0]
    assert reply["params"]["text"] == texts.TEXT_ONLY
    assert rasa_messages(rasa, chat) == []


def test_group_chats_are_declined(env):
    tg, rasa, _log, _proc = env
    group = -100123
    tg.push_text(group, "/start@avecvous_test_bot", chat_type="supergroup", user_id=55)
    tg.push_text(group, "bonjour", chat_type="supergroup", user_id=56)
    decline = tg.wait_for("sendMessage", chat_id=group)[0]
    assert "conversation privée" in decline["params"]["text"]
    assert "@avecvous_test_bot" in decline["params"]["text"]
    time.sleep(0.5)
    assert len(tg.calls_to("sendMessage", group)) == 1, "one decline, not one per message"
    assert rasa_messages(rasa, group) == []

    # Being added to a group: explain, then leave.
    other = -100456
    now = int(time.time())
    tg.push({"my_chat_member": {
        "chat": {"id": other, "type": "group", "title": "Famille"},
        "from": tg.user(57), "date": now,
        "old_chat_member": {"user": BOT_USER, "status": "left"},
        "new_chat_member": {"user": BOT_USER, "status": "member"},
    }})
    tg.wait_for("leaveChat", chat_id=other)
    assert "conversation privée" in tg.calls_to("sendMessage", other)[0]["params"]["text"]
    assert rasa_messages(rasa, other) == []


def test_empty_failed_or_slow_rasa_gets_an_apology(env):
    tg, rasa, _log, _proc = env
    chat = 1006
    for i, word in enumerate(["vide", "panne", "lent"], start=1):
        tg.push_text(chat, word)
        sent = tg.wait_for("sendMessage", chat_id=chat, count=i, timeout=15)
        assert sent[-1]["params"]["text"] == texts.NO_REPLY
    assert rasa_messages(rasa, chat) == ["vide", "panne", "lent"]


def test_long_replies_are_split_on_paragraphs(env):
    tg, _rasa, _log, _proc = env
    chat = 1007
    tg.push_text(chat, "long")
    sent = tg.wait_for("sendMessage", chat_id=chat, count=3)
    time.sleep(0.3)
    pieces = texts_sent(tg, chat)
    assert len(pieces) == 3
    assert all(len(p) <= 4096 for p in pieces)
    assert pieces == [LONG_PARAGRAPH.strip()] * 3
    assert sent[0]["at"] <= sent[1]["at"] <= sent[2]["at"]


def test_logs_hold_neither_token_nor_message_text(env):
    tg, rasa, log_path, _proc = env
    chat = 1009
    tg.push_text(chat, "Mon secret est 4242")
    tg.wait_for("sendMessage", chat_id=chat)
    time.sleep(0.2)
    log = log_path.read_text()
    assert "Telegram long polling" in log
    assert TOKEN not in log
    assert "4242" not in log and "J'ai 34 ans" not in log


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_webhook_mode_checks_the_secret_token(tmp_path):
    port = _free_port()
    secret = "s3cret-Token_ok"
    with FakeRasa() as rasa, FakeTelegramAPI(TOKEN) as tg:
        proc, log_file, log_path = _start_process(
            tmp_path, tg, rasa,
            TELEGRAM_MODE="webhook",
            TELEGRAM_WEBHOOK_URL="https://avecvous.example.org/telegram/hook",
            TELEGRAM_SECRET_TOKEN=secret,
            TELEGRAM_WEBHOOK_LISTEN=f"127.0.0.1:{port}",
            TELEGRAM_REMINDERS="off",
        )
        try:
            hook = tg.wait_for("setWebhook", timeout=30)[0]["params"]
            assert hook["url"] == "https://avecvous.example.org/telegram/hook"
            assert hook["secret_token"] == secret
            url = f"http://127.0.0.1:{port}/telegram/hook"
            update = {"update_id": 1, "message": tg.message(2001, text="bonjour")}
            for _ in range(100):  # the listener starts right after setWebhook
                try:
                    bad = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
                    break
                except httpx.ConnectError:
                    time.sleep(0.1)
            assert bad.status_code == 403
            assert httpx.post(url, json=update).status_code == 403
            assert httpx.post(url, content=b"{", headers={
                "X-Telegram-Bot-Api-Secret-Token": secret}).status_code == 400
            ok = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret})
            assert ok.status_code == 200
            assert wait_rasa(rasa, 2001, 1) == ["bonjour"]
            reply = tg.wait_for("sendMessage", chat_id=2001)[0]
            assert reply["params"]["text"] == "Vous avez écrit : bonjour"
            assert not tg.calls_to("getUpdates")
        finally:
            assert proc.poll() is None, log_path.read_text()
            assert _stop_process(proc, log_file) == 0


def test_missing_token_or_bad_mode_stops_with_a_clear_message(tmp_path):
    base = dict(os.environ, AVECVOUS_RUN_DIR=str(tmp_path), TELEGRAM_BOT_TOKEN="")
    out = subprocess.run([sys.executable, "-m", "channels.telegram"], cwd=PROJECT_ROOT, env=base,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "TELEGRAM_BOT_TOKEN" in out.stderr
    base.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_MODE="webhook", TELEGRAM_WEBHOOK_URL="https://x.org/h")
    out = subprocess.run([sys.executable, "-m", "channels.telegram"], cwd=PROJECT_ROOT, env=base,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "TELEGRAM_SECRET_TOKEN" in out.stderr



def test_a_follow_up_answer_pressed_in_telegram_is_recorded(tmp_path):
    """Issue 15: "Avez-vous pu faire la demande ?" sent by the follow-up job; the resident taps a
    button in Telegram; the answer is stored and thanked, and the buttons go away."""
    from sqlalchemy import select

    from booking.db_setup import upgrade_database
    from core.db import session_scope
    from followup import service as fu
    from followup.models import FollowUp

    url = f"sqlite:///{tmp_path / 'empty.db'}"  # the database _start_process gives the bridge
    upgrade_database(url)
    row = fu.schedule(channel="telegram", telegram_chat_id="4343", first_name="Awa", url=url)[0]
    chat = 4343
    with FakeRasa() as rasa, FakeTelegramAPI(TOKEN) as tg:
        proc, log_file, _log = _start_process(tmp_path, tg, rasa)
        try:
            tg.wait_for("setMyCommands", timeout=30)
            tg.push_text(chat, "/start")
            greeting = tg.wait_for("sendMessage", chat_id=chat)[0]
            query_id = tg.push_callback(chat, greeting, fu.callback_data(row.token, "yes"))
            tg.wait_for("answerCallbackQuery", where=lambda c: c["params"]["callback_query_id"] == query_id)
            thanks = tg.wait_for("sendMessage", chat_id=chat, where=lambda c: c["at"] > greeting["at"])[-1]
            assert thanks["params"]["text"]
        finally:
            _stop_process(proc, log_file)
    with session_scope(url) as s:
        stored = s.scalar(select(FollowUp).where(FollowUp.token == row.token))
        assert stored.answer == "yes" and stored.answered_at is not None
