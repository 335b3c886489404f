"""Issue 15: a resident is told of a transfer on every channel — Telegram, e-mail, the widget on
return after the greeting — and a resident reachable only by phone is called by the receiving
team, whose inbox shows "Personne à prévenir" until someone ticks "personne prévenue"."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from staff_fixtures import PASSWORD_A, logged_in_client, make_app, page_text, post, prepare_database

from booking import notify, transfer_notify
from booking.models import AppointmentRequest, RequestTransfer, StaffUser, Team
from booking.passwords import hash_password
from core.db import session_scope
from core.settings import get_settings
from privacy.audit import AuditEntry

PASSWORD_C = "mot-de-passe-ccas-toul"


@pytest.fixture
def world(tmp_path, monkeypatch):
    world = prepare_database(tmp_path, monkeypatch)
    with session_scope(world.url) as db:
        db.add(Team(id="ccas-toul", name="CCAS de Toul", kind="ccas", telegram_chat_id="-1001", phone="03 83 00 00 00",
                    origin="staff"))
        db.flush()
        db.add(StaffUser(email="chloe@exemple.fr", name="Chloé Roux", role="staff", team_id="ccas-toul",
                         password_hash=hash_password(PASSWORD_C)))
    monkeypatch.setattr("staff.router.deliver_transfers_in_background", lambda **kw: None)
    yield world
    get_settings.cache_clear()


@pytest.fixture
def sent(monkeypatch):
    """Telegram and e-mail configured, both captured."""
    out = []
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:fake")
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    get_settings.cache_clear()
    monkeypatch.setattr(notify, "send_telegram", lambda settings, chat, text: out.append(("telegram", chat, text)))
    monkeypatch.setattr(notify, "send_email",
                        lambda settings, to, subject, text: out.append(("email", to, subject + "\n" + text)))
    return out


@pytest.fixture
def app(world):
    return make_app()


@pytest.fixture
def alice(app):
    return logged_in_client(app, "alice@exemple.fr", PASSWORD_A)


@pytest.fixture
def chloe(app):
    return logged_in_client(app, "chloe@exemple.fr", PASSWORD_C)


def set_contact(world, **values) -> None:
    with session_scope(world.url) as db:
        req = db.get(AppointmentRequest, world.a_request_id)
        for key, value in {"telegram_chat_id": None, "conversation_id": None, "contact_email": None, **values}.items():
            setattr(req, key, value)


def transfer(alice, world) -> None:
    response = post(alice, f"/staff/requests/{world.a_request_id}/transfer", to_team="ccas-toul",
                    note="Dossier ASPA avec la mairie.")
    assert response.status_code == 303


def team_text(sent) -> str:
    return next(text for kind, to, text in sent if to == "-1001")


def test_telegram_resident_gets_a_message_and_the_team_is_told_so(alice, world, sent):
    set_contact(world, telegram_chat_id="4242", contact_channel="telegram")
    transfer(alice, world)
    assert transfer_notify.deliver_transfers(url=world.url) == (2, 0)
    to_resident = next(text for kind, to, text in sent if to == "4242")
    assert "CCAS de Toul" in to_resident and "AV-AAA1" in to_resident
    assert "prévenue par un message Telegram" in team_text(sent)


def test_a_resident_who_left_an_e_mail_gets_an_e_mail(alice, world, sent):
    set_contact(world, contact_email="nadia@exemple.fr", contact_channel="phone")
    transfer(alice, world)
    assert transfer_notify.deliver_transfers(url=world.url) == (2, 0)
    kind, to, text = next(x for x in sent if x[1] == "nadia@exemple.fr")
    assert kind == "email" and "AV-AAA1" in text and "CCAS de Toul" in text and "03 83 00 00 00" in text
    assert "prévenue par e-mail" in team_text(sent)
    assert transfer_notify.deliver_transfers(url=world.url) == (0, 0), "sent once"


def test_a_widget_resident_is_told_once_when_coming_back(alice, world, sent):
    set_contact(world, conversation_id="web-conv-9", contact_channel="web")
    transfer(alice, world)
    assert transfer_notify.deliver_transfers(url=world.url) == (1, 0), "only the team: the widget waits"
    assert not any(to == "web-conv-9" for _k, to, _t in sent)
    assert "prévenue sur le site quand elle reviendra" in team_text(sent)
    assert transfer_notify.deliver_transfers(url=world.url) == (0, 0), "not retried while waiting"
    assert transfer_notify.widget_notices("other-conversation", url=world.url) == []
    notices = transfer_notify.widget_notices("web-conv-9", url=world.url)
    assert notices == ["Votre demande a été transmise à CCAS de Toul (03 83 00 00 00). "
                       "Cette équipe va vous contacter. Vous n'avez rien à refaire."]
    assert transfer_notify.widget_notices("web-conv-9", url=world.url) == [], "shown once"


def test_a_phone_only_resident_is_flagged_until_someone_ticks_personne_prevenue(alice, chloe, world, sent):
    set_contact(world, contact_channel="phone")
    transfer(alice, world)
    assert transfer_notify.deliver_transfers(url=world.url) == (1, 0)
    assert "prévenir la personne par téléphone" in team_text(sent)
    assert "Personne à prévenir" in page_text(chloe, "/staff/requests")
    detail = page_text(chloe, f"/staff/requests/{world.a_request_id}")
    assert "Personne à prévenir" in detail and "06 12 34 56 78" in detail and "Personne prévenue" in detail
    # The first team reads the history but cannot tick for the team that holds it.
    assert "Personne prévenue" not in page_text(alice, f"/staff/requests/{world.a_request_id}")
    assert post(alice, f"/staff/requests/{world.a_request_id}/informed", informed="1").status_code == 404
    # Not ticked: a polite reminder, the flag stays.
    post(chloe, f"/staff/requests/{world.a_request_id}/informed")
    assert "Cochez « personne prévenue »" in page_text(chloe, f"/staff/requests/{world.a_request_id}")
    assert post(chloe, f"/staff/requests/{world.a_request_id}/informed", informed="1").status_code == 303
    assert "la personne est prévenue" in page_text(chloe, f"/staff/requests/{world.a_request_id}")
    assert "Personne à prévenir" not in page_text(chloe, "/staff/requests")
    with session_scope(world.url) as db:
        moved = db.scalar(select(RequestTransfer))
        chloe_id = db.scalar(select(StaffUser.id).where(StaffUser.email == "chloe@exemple.fr"))
        assert moved.resident_notified_at is not None and moved.resident_informed_by_id == chloe_id
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "informed")).request_id == world.a_request_id
    post(chloe, f"/staff/requests/{world.a_request_id}/informed", informed="1")
    assert "déjà prévenue" in page_text(chloe, f"/staff/requests/{world.a_request_id}")


def test_a_telegram_message_that_keeps_failing_falls_back_to_a_phone_call(alice, chloe, world, sent, monkeypatch):
    set_contact(world, telegram_chat_id="4242", contact_channel="telegram")

    def broken(settings, chat, text):
        if chat == "4242":
            raise notify.ChannelError("telegram: NetworkError")
        sent.append(("telegram", chat, text))

    monkeypatch.setattr(notify, "send_telegram", broken)
    transfer(alice, world)
    for _ in range(transfer_notify.MAX_ATTEMPTS):
        transfer_notify.deliver_transfers(url=world.url)
    assert "Personne à prévenir" in page_text(chloe, "/staff/requests")


def test_the_widget_shows_the_transfer_after_the_greeting(tmp_path, monkeypatch):
    from channels.web import router as web_router
    from tests.fakes.fake_rasa import FakeRasa
    from web.app import create_app

    world = prepare_database(tmp_path, monkeypatch)
    with FakeRasa() as fake:
        monkeypatch.setenv("RASA_URL", fake.url)
        get_settings.cache_clear()
        web_router.sender_limiter.reset()
        web_router.ip_limiter.reset()
        with TestClient(create_app(), raise_server_exceptions=False) as client:
            first = client.post("/api/chat", json={"sender": "x", "message": "/greet"}).json()["messages"]
            assert not any("transmise" in (m.get("text") or "") for m in first)
            sender = web_router.sender_from_cookie(client.cookies.get(web_router.SENDER_COOKIE))
            with session_scope(world.url) as db:
                req = db.get(AppointmentRequest, world.b_request_id)
                req.conversation_id, req.contact_channel = sender, "web"
                db.add(RequestTransfer(request_id=req.id, from_team_id="equipe-b", to_team_id="equipe-a",
                                       note="Relais", resident_notify_attempts=0, team_notify_attempts=0))
                req.team_id = "equipe-a"
            again = client.post("/api/chat", json={"sender": sender, "message": "/greet"}).json()["messages"]
            assert again[-1]["text"].startswith("Votre demande a été transmise à Équipe A.")
            third = client.post("/api/chat", json={"sender": sender, "message": "/greet"}).json()["messages"]
            assert not any("transmise" in (m.get("text") or "") for m in third)
    get_settings.cache_clear()


def test_two_senders_at_once_send_each_transfer_message_once(alice, world, sent, monkeypatch):
    """The web job and the staff page's background run (any number of processes) race: each message
    is claimed before it is sent, so the resident and the team get it once."""
    import threading

    set_contact(world, telegram_chat_id="4242", contact_channel="telegram")
    transfer(alice, world)
    slow = threading.Barrier(2, timeout=5)
    captured = notify.send_telegram

    def slow_send(settings, chat, text):
        try:
            slow.wait()  # both senders hold their rows before either sends
        except threading.BrokenBarrierError:
            pass
        captured(settings, chat, text)

    monkeypatch.setattr(notify, "send_telegram", slow_send)
    results = []
    runners = [threading.Thread(target=lambda: results.append(transfer_notify.deliver_transfers(url=world.url)))
               for _ in range(2)]
    for t in runners:
        t.start()
    for t in runners:
        t.join(20)
    assert sorted(to for _kind, to, _text in sent) == ["-1001", "4242"], sent
    assert sum(delivered for delivered, _failed in results) == 2


def test_a_failed_send_gives_its_claim_back(alice, world, sent, monkeypatch):
    set_contact(world, telegram_chat_id="4242", contact_channel="telegram")
    transfer(alice, world)

    def down(settings, chat, text):
        raise notify.ChannelError("telegram down")

    monkeypatch.setattr(notify, "send_telegram", down)
    assert transfer_notify.deliver_transfers(url=world.url) == (0, 2)
    monkeypatch.setattr(notify, "send_telegram", lambda settings, chat, text: sent.append(("telegram", chat, text)))
    assert transfer_notify.deliver_transfers(url=world.url) == (2, 0), "retried once the channel is back"
