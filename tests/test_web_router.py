"""The web channel: demo page, widget files, and the /api/chat proxy against a fake Rasa."""

from __future__ import annotations

import socket

import pytest
from fastapi.testclient import TestClient

from channels.web import router as web_router
from core.settings import get_settings
from tests.fakes.fake_rasa import HOUSING_SOCIAL, FakeRasa
from web.app import create_app

SENDER = "web-0123456789abcdef0123456789abcdef"


@pytest.fixture()
def rasa(monkeypatch, tmp_path):
    with FakeRasa(slow_seconds=1.5) as fake:
        monkeypatch.setenv("RASA_URL", fake.url)
        monkeypatch.setenv("AVECVOUS_RUN_DIR", str(tmp_path))
        get_settings.cache_clear()
        yield fake
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def fresh_limits():
    web_router.sender_limiter.reset()
    web_router.ip_limiter.reset()


@pytest.fixture()
def client(rasa):
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


def server_sender(client) -> str:
    """The conversation id the server issued in its cookie."""
    return web_router.sender_from_cookie(client.cookies.get(web_router.SENDER_COOKIE))


def chat(client, message, sender=SENDER):
    return client.post("/api/chat", json={"sender": sender, "message": message})


def test_demo_page_embeds_the_widget_with_one_script_tag(client):
    resp = client.get("/")
    assert resp.status_code == 200
    assert 'lang="fr"' in resp.text
    assert resp.text.count("<script") == 1
    assert '<script src="/widget/avecvous.js" defer></script>' in resp.text


def test_widget_files_are_served_and_nothing_else(client):
    js = client.get("/widget/avecvous.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "sessionStorage" in js.text
    css = client.get("/widget/avecvous.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    for bad in ["/widget/../router.py", "/widget/router.py", "/widget/%2e%2e%2frouter.py", "/widget/nope.js"]:
        assert client.get(bad).status_code == 404, bad


def test_proxy_forwards_to_rasa_with_web_metadata(client, rasa):
    resp = chat(client, "  /greet  ")
    assert resp.status_code == 200
    messages = resp.json()["messages"]
    assert messages[0]["text"].startswith("Bonjour")
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/start_check", "/book_appointment"]
    assert "recipient_id" not in messages[0]
    sender = server_sender(client)
    assert sender and sender != SENDER  # issued by the server, whatever the body says
    assert rasa.received == [{"sender": sender, "message": "/greet", "metadata": {"channel": "web"}}]


def test_long_button_payloads_go_through_unchanged(client, rasa):
    buttons = chat(client, "/start_check").json()["messages"][1]["buttons"]
    assert buttons[0]["payload"] == HOUSING_SOCIAL
    resp = chat(client, buttons[0]["payload"])
    assert resp.json()["messages"] == [{"text": "Merci. Quel âge avez-vous ?"}]
    assert rasa.messages()[-1] == HOUSING_SOCIAL


def test_rasa_reply_is_cleaned(client, rasa):
    rasa.script["bizarre"] = [
        {"text": "Voici", "buttons": [{"title": "A", "payload": "/a"}, {"nope": 1}, "x"], "extra": 1},
        {"image": "javascript:alert(1)"},
        "not a message",
        {"image": "https://example.org/plan.png"},
    ]
    messages = chat(client, "bizarre").json()["messages"]
    assert messages == [
        {"text": "Voici", "buttons": [{"title": "A", "payload": "/a"}]},
        {"image": "https://example.org/plan.png"},
    ]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"sender": SENDER, "message": ""}, "empty"),
        ({"sender": SENDER, "message": "   \n "}, "empty"),
        ({"sender": SENDER, "message": "a" * 1001}, "too_long"),
        ({"sender": SENDER, "message": "\x00\x1b\u202e "}, "empty"),
        ({"sender": SENDER, "message": 42}, "bad_request"),
        (["not", "an", "object"], "bad_request"),
    ],
)
def test_bad_input_gets_a_polite_french_answer(client, rasa, body, code):
    resp = client.post("/api/chat", json=body)
    assert resp.status_code == 400
    data = resp.json()
    assert data["error"] == code
    assert data["messages"][0]["text"].endswith("?")
    assert rasa.received == []


def test_exactly_1000_characters_is_accepted(client, rasa):
    assert chat(client, "é" * 1000).status_code == 200
    assert len(rasa.received) == 1


def test_not_json_and_huge_bodies_are_refused_politely(client, rasa):
    resp = client.post("/api/chat", content=b"{oops", headers={"content-type": "application/json"})
    assert resp.status_code == 400 and resp.json()["error"] == "bad_request"
    resp = client.post("/api/chat", content=b"x" * 20000, headers={"content-type": "application/json"})
    assert resp.status_code == 413 and resp.json()["error"] == "too_long"
    assert rasa.received == []


def test_rasa_error_gives_an_apology_not_a_500(client, rasa):
    rasa.down = True
    resp = chat(client, "bonjour")
    assert resp.status_code == 200
    assert resp.json()["error"] == "unavailable"
    assert resp.json()["messages"][0]["text"].startswith("Désolé")


def test_slow_rasa_times_out_with_an_apology(client, rasa, monkeypatch):
    monkeypatch.setattr(web_router, "RASA_TIMEOUT_SECONDS", 0.3)
    resp = chat(client, "lent")
    assert resp.status_code == 200
    assert resp.json()["error"] == "unavailable"
    assert "Désolé" in resp.json()["messages"][0]["text"]


def test_rasa_not_listening_gives_an_apology(monkeypatch, tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AVECVOUS_RUN_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        with TestClient(create_app(), raise_server_exceptions=False) as client:
            resp = chat(client, "bonjour")
    finally:
        get_settings.cache_clear()
    assert resp.status_code == 200
    assert resp.json()["error"] == "unavailable"


def test_empty_reply_gets_an_apology_except_for_restart(client, rasa):
    resp = chat(client, "vide")
    assert resp.json() == {
        "error": "no_reply",
        "messages": [{"text": "Désolé, je n'ai pas pu répondre. Pouvez-vous réessayer ?"}],
    }
    assert chat(client, "/restart").json() == {"messages": []}


def test_rasa_answering_not_a_list_gives_an_apology(client, rasa):
    rasa.script["objet"] = lambda _m: {"oops": True}  # type: ignore[assignment,return-value]
    resp = chat(client, "objet")
    assert resp.status_code == 200 and resp.json()["error"] == "unavailable"


def test_a_returning_resident_sees_the_follow_up_question_after_the_greeting(client, rasa, tmp_path, monkeypatch):
    """Issue 15: the widget shows "Avez-vous pu faire la demande ?" on return, with a link to answer."""
    from datetime import datetime, timedelta, timezone

    from booking.db_setup import upgrade_database
    from followup import service as fu

    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade_database(url)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    first = chat(client, "/greet").json()["messages"]
    assert not any("demande" in (m.get("text") or "") for m in first[1:])
    sender = server_sender(client)
    fu.schedule(channel="web", conversation_id=sender, first_name="Awa",
                now=datetime.now(timezone.utc) - timedelta(days=7), url=url)
    again = chat(client, "/greet").json()["messages"]
    prompt = again[-1]
    assert "demande" in prompt["text"] and prompt["buttons"][0]["url"].rsplit("/", 2)[-2] == "suivi"
