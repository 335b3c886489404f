"""The Telegram process against the real Rasa and action server (fake Bot API only): from /start
to a confirmed booking with button presses, a shared location and a shared contact."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from booking import service
from core.settings import PROJECT_ROOT
from tests.fakes.fake_telegram_api import FakeTelegramAPI

pytestmark = pytest.mark.e2e
TOKEN = "123:E2E"
CHAT = 424242

TYPED = {"age": "j'ai 34 ans", "household": "seule avec mes enfants", "children_count": "2 gosses",
         "children_ages": "3 et 7 ans", "income_monthly": "900 balles", "income_kinds": "le salaire",
         "income_salary": "900 balles", "disability_who": "moi",
         "housing": "hlm", "rent": "380", "work": "je bosse a mi temps", "disability": "non",
         "commune": "maxeville", "situations": "aucune", "current_benefits": "aucune", "scholarship": "non",
         "health_cover": "non aucune"}


def _buttons(call: dict) -> list[dict]:
    markup = call["params"].get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard") or [] for b in row]


def _press(tg: FakeTelegramAPI, title_part: str, sent: dict) -> None:
    button = next(b for b in _buttons(sent) if title_part in b["text"])
    tg.push_callback(CHAT, sent, button["callback_data"])


def _requested(stack) -> str | None:
    tracker = stack.tracker(f"tg-{CHAT}")
    return tracker["slots"].get("requested_slot")


def _wait_button(tg: FakeTelegramAPI, after: int, *title_parts: str) -> dict:
    """The first message sent after the `after`-th one with a button titled like one of title_parts
    (the Telegram process delivers a reply's messages one by one)."""
    def has(call: dict) -> bool:
        return any(part in b["text"] for b in _buttons(call) for part in title_parts)

    deadline = time.monotonic() + 60
    while True:
        sent = tg.calls_to("sendMessage", CHAT)[after:]
        found = [c for c in sent if has(c)]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"no button {title_parts}: {[c['params']['text'][:60] for c in sent]}"
        time.sleep(0.1)


def test_from_start_to_booking_on_telegram(stack, tmp_path):
    env = dict(os.environ, TELEGRAM_BOT_TOKEN=TOKEN, RASA_URL=stack.rasa_url, AVECVOUS_RUN_DIR=str(tmp_path),
               DATABASE_URL=stack.environment()["DATABASE_URL"], TELEGRAM_REMINDERS="off", PYTHONUNBUFFERED="1")
    with FakeTelegramAPI(TOKEN) as tg:
        env["TELEGRAM_API_BASE_URL"] = tg.base_url
        log = (tmp_path / "telegram.log").open("w")
        proc = subprocess.Popen([sys.executable, "-m", "channels.telegram"], cwd=PROJECT_ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            tg.wait_for("deleteWebhook", timeout=60)
            tg.push_text(CHAT, "/start")
            greeting = tg.wait_for("sendMessage", chat_id=CHAT, timeout=60)[0]
            assert "pas une personne" in greeting["params"]["text"]
            assert all(len(b["callback_data"].encode()) <= 64 for b in _buttons(greeting))
            _press(tg, "Trouver mes aides", greeting)
            deadline = time.monotonic() + 60
            while _requested(stack) is None:  # the press reaches Rasa through the Telegram process
                assert time.monotonic() < deadline, "the questionnaire did not start"
                time.sleep(0.2)
            asked = []
            for _ in range(16):
                count = len(tg.calls_to("sendMessage", CHAT))
                requested = _requested(stack)
                if requested is None:
                    break
                asked.append(requested)
                tg.push_text(CHAT, TYPED[requested])
                # The reply is complete when its last message (the next question) has been sent.
                tg.wait_for("sendMessage", chat_id=CHAT, count=count + 1, timeout=60)
                deadline = time.monotonic() + 30
                while _requested(stack) == requested and time.monotonic() < deadline:
                    time.sleep(0.2)
            texts = [c["params"]["text"][:50] for c in tg.calls_to("sendMessage", CHAT)]
            assert _requested(stack) is None, (asked, texts[-6:])
            results = _wait_button(tg, 0, "Prendre rendez-vous")
            count = len(tg.calls_to("sendMessage", CHAT))
            _press(tg, "Prendre rendez-vous", results)
            deadline = time.monotonic() + 60
            while _requested(stack) is None:
                assert time.monotonic() < deadline, "the booking did not start"
                time.sleep(0.2)
            if _requested(stack) == "commune":
                tg.wait_for("sendMessage", chat_id=CHAT, count=count + 1, timeout=60)
                count = len(tg.calls_to("sendMessage", CHAT))
                tg.push_message(CHAT, location={"latitude": 48.7016, "longitude": 6.1633})  # Maxéville
            slots_msg = _wait_button(tg, count, "décembre", "janvier", "rappel")
            count = len(tg.calls_to("sendMessage", CHAT))
            _press(tg, "décembre", slots_msg) if any("décembre" in b["text"] for b in _buttons(slots_msg)) \
                else _press(tg, "rappel", slots_msg)
            tg.wait_for("sendMessage", chat_id=CHAT, count=count + 1, timeout=60)
            count = len(tg.calls_to("sendMessage", CHAT))
            tg.push_text(CHAT, "Camille")
            ask_contact = tg.wait_for("sendMessage", chat_id=CHAT, count=count + 1, timeout=60)[-1]
            count = len(tg.calls_to("sendMessage", CHAT))
            tg.push_message(CHAT, contact={"phone_number": "+33612345678", "first_name": "Camille",
                                           "user_id": CHAT})
            consent = _wait_button(tg, count, "Oui")
            count = len(tg.calls_to("sendMessage", CHAT))
            _press(tg, "Oui", consent)
            # "Dans quelques jours, puis-je vous demander si vous avez pu faire la demande ?"
            followup = _wait_button(tg, count, "Oui")
            assert "Dans quelques jours" in followup["params"]["text"]
            count = len(tg.calls_to("sendMessage", CHAT))
            _press(tg, "Oui", followup)
            recap = _wait_button(tg, count, "Confirmer")
            count = len(tg.calls_to("sendMessage", CHAT))
            _press(tg, "Confirmer", recap)
            tg.wait_for("sendMessage", chat_id=CHAT, count=1, timeout=60,
                        where=lambda c: "Votre référence" in c["params"]["text"])
            sent = tg.calls_to("sendMessage", CHAT)
            confirmation = "\n".join(c["params"]["text"] for c in sent[count:])
            reference = re.search(r"AV-[2-9A-Z]{4}", confirmation)
            assert reference, (confirmation, ask_contact["params"]["text"])
            request = service.find_by_reference(reference.group(0), url=env["DATABASE_URL"])
            assert request.telegram_chat_id == str(CHAT) and request.contact_phone == "+33612345678"
            # Every button press was answered.
            assert len(tg.calls_to("answerCallbackQuery")) >= 3
        finally:
            proc.terminate()
            proc.wait(15)
            log.close()
