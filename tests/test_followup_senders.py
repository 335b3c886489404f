"""The follow-up senders against a fake Telegram Bot API and a local SMTP server: the question,
four buttons whose callback data the Telegram hook can parse, the e-mail link to /suivi/<token>."""

from __future__ import annotations

import dataclasses
import email

import pytest
from aiosmtpd.controller import Controller
from booking_support import NOW, sqlite_database
from fakes.fake_bot_api import FakeBotApi
from test_notify import Inbox, _free_port

from core.settings import get_settings
from followup import service as fu
from followup.senders import default_senders
from followup.service import parse_callback


@pytest.fixture
def setup(tmp_path):
    url = sqlite_database(tmp_path)
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    with FakeBotApi() as bot_api:
        settings = dataclasses.replace(get_settings(), telegram_token="123:ABC", telegram_api_base_url=bot_api.base_url,
                                       smtp_host="127.0.0.1", smtp_port=port, smtp_from="avecvous@exemple.fr",
                                       public_url="https://droits.example.org")
        yield url, settings, bot_api, inbox
    controller.stop()


def test_telegram_and_e_mail_follow_ups(setup):
    from datetime import timedelta  # noqa: PLC0415

    url, settings, bot_api, inbox = setup
    tg = fu.schedule(channel="telegram", telegram_chat_id="4242", first_name="Awa", benefits=["prime_activite"],
                     now=NOW, url=url)[0]
    mail = fu.schedule(channel="email", email="awa@exemple.fr", now=NOW, url=url)[0]
    report = fu.run_due(default_senders(settings), now=NOW + timedelta(days=6, minutes=1), url=url)
    assert (report.sent, report.failed) == (2, 0)

    sent = bot_api.sent[0]
    assert str(sent["chat_id"]) == "4242" and "Avez-vous pu faire la demande ?" in sent["text"]
    assert "Bonjour Awa" in sent["text"] and "Prime d'activité" in sent["text"]
    buttons = [b for row in sent["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons] == ["Oui", "Pas encore", "J'ai besoin d'aide", "Non"]
    parsed = [parse_callback(b["callback_data"]) for b in buttons]
    assert parsed == [(tg.token, a, None) for a in ("yes", "not_yet", "need_help", "no")]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)  # Telegram's limit

    message = inbox.messages[0]
    assert message.rcpt_tos == ["awa@exemple.fr"]
    body = email.message_from_bytes(message.content).get_payload(decode=True).decode()
    assert f"https://droits.example.org/suivi/{mail.token}" in body and "Avez-vous pu faire la demande ?" in body


def test_a_channel_down_is_retried_not_lost(setup):
    from datetime import timedelta  # noqa: PLC0415

    url, settings, bot_api, _inbox = setup
    bot_api.fail_with = 500
    fu.schedule(channel="telegram", telegram_chat_id="4242", now=NOW, url=url)
    report = fu.run_due(default_senders(settings), now=NOW + timedelta(days=6, minutes=1), url=url)
    assert (report.sent, report.failed) == (0, 1)
    bot_api.fail_with = None
    report = fu.run_due(default_senders(settings), now=NOW + timedelta(days=6, hours=2), url=url)
    assert report.sent == 1
