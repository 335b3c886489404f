"""Team notifications: Telegram (fake Bot API server) and e-mail (local aiosmtpd), outbox retries."""

from __future__ import annotations

import dataclasses
import logging
import socket
from datetime import datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller
from booking_support import NOW, sqlite_database
from fakes.fake_bot_api import FakeBotApi

from booking import service
from booking.models import Team
from booking.notify import deliver_pending
from core.db import session_scope
from core.settings import get_settings

TEAM = "avec-vous-saint-max"
SLOT = datetime(2026, 12, 2, 8, 30, tzinfo=timezone.utc)
CHAT = "-100123"


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def bot_api():
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def smtp():
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def url(tmp_path):
    url = sqlite_database(tmp_path)
    with session_scope(url) as s:
        s.add(Team(id=TEAM, name="Équipe « Avec vous pour vos droits »", telegram_chat_id=CHAT,
                   notify_email="equipe@exemple.fr"))
    return url


def _settings(bot_api, smtp_port):
    return dataclasses.replace(get_settings(), telegram_token="123:ABC", telegram_api_base_url=bot_api.base_url,
                               smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_from="avecvous@exemple.fr")


def _book(url, **kw):
    return service.book_slot(team_id=TEAM, slot_start=SLOT, first_name="Awa", contact_phone="0612345678",
                             now=NOW, url=url, **kw)


def test_new_request_goes_to_telegram_and_email_without_summary(url, bot_api, smtp):
    inbox, port = smtp
    req = _book(url, consent_summary=False, summary="Loyer impayé depuis trois mois")
    assert deliver_pending(url=url, settings=_settings(bot_api, port)) == (1, 0)
    assert len(bot_api.sent) == 1 and str(bot_api.sent[0]["chat_id"]) == CHAT
    text = bot_api.sent[0]["text"]
    assert req.reference in text and f"/staff/requests/{req.id}" in text
    assert "mercredi 2 décembre 2026 à 9 h 30" in text
    assert "Awa" not in text and "06 12 34 56 78" not in text and "Loyer impayé" not in text
    assert len(inbox.messages) == 1
    mail = inbox.messages[0].content.decode()
    assert inbox.messages[0].rcpt_tos == ["equipe@exemple.fr"] and req.reference in mail
    assert "Loyer" not in mail
    found = service.find_by_reference(req.reference, url=url)
    assert found.notified_at is not None
    assert deliver_pending(url=url, settings=_settings(bot_api, port)) == (0, 0)  # nothing sent twice


def test_even_with_consent_the_situation_stays_in_the_inbox(url, bot_api, smtp):
    _book(url, consent_summary=True, summary="Vit seule, petite retraite.",
          likely_benefits=[{"id": "aspa", "name": "Minimum vieillesse (ASPA)"}], urgent_flag=True)
    deliver_pending(url=url, settings=_settings(bot_api, smtp[1]))
    text = bot_api.sent[0]["text"]
    mail = smtp[0].messages[0].content.decode()
    for sent in (text, mail):
        assert "retraite" not in sent and "ASPA" not in sent and "Awa" not in sent
    assert "urgente" in text and "URGENT" in mail


def test_email_to_a_remote_server_without_starttls_is_refused(url, bot_api, smtp, monkeypatch):
    from booking import notify

    # The local aiosmtpd offers no STARTTLS: allowed only because it is on 127.0.0.1.
    monkeypatch.setattr(notify, "LOOPBACK_HOSTS", set())
    settings = dataclasses.replace(_settings(bot_api, smtp[1]), telegram_token="")
    _book(url)
    assert deliver_pending(url=url, settings=settings) == (0, 1)
    assert smtp[0].messages == []


def test_failures_are_logged_without_personal_data_and_retried(url, bot_api, caplog):
    bot_api.fail_with = 500
    settings = _settings(bot_api, _free_port())  # nothing listens there: SMTP fails too
    req = _book(url)
    with caplog.at_level(logging.INFO):
        assert deliver_pending(url=url, settings=settings, now=NOW) == (0, 1)
    logged = caplog.text
    assert "Awa" not in logged and "0612345678" not in logged and "+33612345678" not in logged
    assert str(req.id) in logged
    stored = service.find_by_reference(req.reference, url=url)
    assert stored.notified_at is None and stored.notify_attempts == 1 and stored.notify_next_at > NOW
    assert stored.status == "new"  # the booking itself is untouched
    # Not due yet: no new attempt.
    assert deliver_pending(url=url, settings=settings, now=NOW + timedelta(seconds=30)) == (0, 0)
    # The Bot API is back: the retry delivers (Telegram alone is enough).
    bot_api.fail_with = None
    assert deliver_pending(url=url, settings=settings, now=NOW + timedelta(minutes=5)) == (1, 0)
    stored = service.find_by_reference(req.reference, url=url)
    assert stored.notified_at is not None and "email" in stored.notify_last_error


def test_chat_not_found_counts_as_failure(url, bot_api):
    bot_api.fail_with = "chat_not_found"
    settings = dataclasses.replace(_settings(bot_api, 1), smtp_host="")
    _book(url)
    assert deliver_pending(url=url, settings=settings, now=NOW) == (0, 1)


def test_team_without_channel_is_marked_done(tmp_path, bot_api):
    url = sqlite_database(tmp_path)
    req = service.book_callback(team_id="ccas-nancy", first_name="Léa", contact_phone="0612345678", url=url)
    assert deliver_pending(url=url, settings=_settings(bot_api, 1)) == (1, 0)
    assert bot_api.sent == []
    assert service.find_by_reference(req.reference, url=url).notify_last_error == "aucun canal configuré pour cette équipe"
