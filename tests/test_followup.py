"""Follow-up (issue 15): "Avez-vous pu faire la demande ?" 6 and 30 days later, sent once even
with several workers (SQLite and PostgreSQL), answers recorded, "besoin d'aide" -> a new request."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from booking_support import NOW, db_url  # noqa: F401  (db_url is a fixture)
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from booking import service
from booking.models import AppointmentRequest
from core.db import session_scope
from followup import lease
from followup import service as fu
from followup.models import FollowUp

TEAM = "avec-vous-saint-max"
SLOT = datetime(2026, 12, 2, 8, 30, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def booked_with_followup(url: str) -> AppointmentRequest:
    req = service.book_slot(team_id=TEAM, slot_start=SLOT, first_name="Awa", contact_phone="0612345678",
                            contact_channel="telegram", telegram_chat_id="4242", consent_summary=True,
                            likely_benefits=["prime_activite"], commune="54395", followup_consent=True,
                            now=NOW, url=url)
    rows = fu.schedule_for_request(req.id, now=NOW, url=url)
    assert [r.step for r in rows] == [6, 30]
    return req


class FakeTelegram:
    def __init__(self, delay: float = 0.0):
        self.sent: list[tuple[str, int]] = []
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self, row: FollowUp) -> None:
        time.sleep(self.delay)
        with self.lock:
            self.sent.append((row.token, row.step))


def test_messages_go_out_after_6_and_30_days_once_each(db_url):  # noqa: F811
    booked_with_followup(db_url)
    fake = FakeTelegram()
    senders = {"telegram": fake}
    assert fu.run_due(senders, now=NOW + 5 * DAY, url=db_url).sent == 0
    assert fu.run_due(senders, now=NOW + 6 * DAY + timedelta(minutes=1), url=db_url).sent == 1
    assert fu.run_due(senders, now=NOW + 7 * DAY, url=db_url).sent == 0  # not twice
    assert fu.run_due(senders, now=NOW + 31 * DAY, url=db_url).sent == 1
    assert [step for _t, step in fake.sent] == [6, 30]


def test_a_failed_send_is_retried_later(db_url):  # noqa: F811
    booked_with_followup(db_url)

    def broken(row):  # noqa: ANN001, ANN202
        raise ConnectionError

    report = fu.run_due({"telegram": broken}, now=NOW + 6 * DAY + timedelta(minutes=1), url=db_url)
    assert (report.sent, report.failed) == (0, 1)
    fake = FakeTelegram()
    assert fu.run_due({"telegram": fake}, now=NOW + 6 * DAY + timedelta(minutes=2), url=db_url).sent == 0  # backoff
    assert fu.run_due({"telegram": fake}, now=NOW + 6 * DAY + timedelta(hours=1), url=db_url).sent == 1


def test_two_workers_send_each_message_once(db_url):  # noqa: F811
    for _ in range(3):
        fu.schedule(channel="telegram", telegram_chat_id="77", first_name="Léa", now=NOW, url=db_url)
    fake = FakeTelegram(delay=0.05)
    results = []

    def worker(name: str) -> None:
        for minute in range(4):  # each worker ticks several times, like the periodic job
            results.append(fu.run_due({"telegram": fake}, now=NOW + 31 * DAY + timedelta(seconds=minute),
                                      url=db_url, holder=name))

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    tokens = [t for t, _s in fake.sent]
    assert len(tokens) == 6 and len(set(tokens)) == 6  # 3 residents x (6 + 30 days), each once
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.sent_at.is_(None))) == 0


def test_lease_is_exclusive_until_it_expires(db_url):  # noqa: F811
    assert lease.acquire("job", holder="a", now=NOW, url=db_url)
    assert not lease.acquire("job", holder="b", now=NOW + timedelta(minutes=1), url=db_url)
    assert lease.acquire("job", holder="b", now=NOW + timedelta(minutes=6), url=db_url)  # a crashed
    lease.release("job", holder="b", url=db_url)
    assert lease.acquire("job", holder="a", now=NOW + timedelta(minutes=7), url=db_url)


def test_need_help_creates_a_request_for_the_nearest_team(db_url):  # noqa: F811
    first = booked_with_followup(db_url)
    fake = FakeTelegram()
    fu.run_due({"telegram": fake}, now=NOW + 6 * DAY + timedelta(minutes=1), url=db_url)
    token = fake.sent[0][0]
    result = fu.record_answer(token, "need_help", now=NOW + 6 * DAY + timedelta(hours=1), url=db_url)
    assert result.request is not None and result.team_name
    with session_scope(db_url) as s:
        new = s.get(AppointmentRequest, result.request.id)
        assert new.parent_request_id == first.id and new.status == "new" and new.kind == "callback"
        assert new.contact_phone == "+33612345678" and new.first_contact_at == first.first_contact_at
        assert [b["name"] for b in new.likely_benefits] == ["Prime d'activité"]
        row = s.scalar(select(FollowUp).where(FollowUp.token == token))
        assert row.answer == "need_help" and row.created_request_id == new.id
        # The 30-day message of the same consent is not sent any more.
        assert s.scalar(select(func.count()).select_from(FollowUp)) == 1
    # The answer counts once: a second click creates nothing more.
    again = fu.record_answer(token, "need_help", url=db_url)
    assert again.request is None
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(AppointmentRequest)) == 2


def test_bad_answers_are_refused_politely(tmp_path):
    from booking_support import sqlite_database  # noqa: PLC0415

    url = sqlite_database(tmp_path)
    row = fu.schedule(channel="email", email="awa@exemple.fr", now=NOW, url=url)[0]
    with pytest.raises(fu.FollowUpError, match="boutons"):
        fu.record_answer(row.token, "peut-être", url=url)
    with pytest.raises(fu.FollowUpError, match="plus valable"):
        fu.record_answer("inconnu", "yes", url=url)
    with pytest.raises(fu.FollowUpError, match="e-mail"):
        fu.schedule(channel="email", email="awa@", url=url)


def test_widget_shows_the_follow_up_on_return(tmp_path):
    from booking_support import sqlite_database  # noqa: PLC0415

    url = sqlite_database(tmp_path)
    fu.schedule(channel="web", conversation_id="conv-1", now=NOW, url=url)
    assert fu.pending_for_conversation("conv-1", now=NOW + 2 * DAY, url=url) is None
    shown = fu.pending_for_conversation("conv-1", now=NOW + 6 * DAY + timedelta(hours=1), url=url)
    assert shown is not None and shown.step == 6
    fu.record_answer(shown.token, "yes", url=url)
    assert fu.pending_for_conversation("conv-1", now=NOW + 40 * DAY, url=url) is None


def test_answer_page_by_e_mail_link(tmp_path, monkeypatch):
    from booking_support import sqlite_database  # noqa: PLC0415

    url = sqlite_database(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    from core.settings import get_settings  # noqa: PLC0415

    get_settings.cache_clear()
    from web.followup import router  # noqa: PLC0415

    app = FastAPI()
    app.include_router(router)
    client = TestClient(app)
    row = fu.schedule(channel="email", email="awa@exemple.fr", first_name="Awa", benefits=["prime_activite"],
                      now=NOW, url=url)[0]
    page = client.get(f"/suivi/{row.token}").text
    assert "Avez-vous pu faire la demande ?" in page and "Prime d&#39;activité" in page and "Pas encore" in page
    asked = client.post(f"/suivi/{row.token}", data={"answer": "no"}).text
    assert "pourquoi" in asked and "Il me manque des papiers" in asked
    done = client.post(f"/suivi/{row.token}", data={"answer": "no", "reason": "missing_documents"}).text
    assert "Merci de votre réponse" in done
    with session_scope(url) as s:
        stored = s.scalar(select(FollowUp).where(FollowUp.token == row.token))
        assert (stored.answer, stored.reason) == ("no", "missing_documents")
    assert client.get("/suivi/nimporte").status_code == 404
    assert client.post(f"/suivi/{row.token}", data={"answer": "<script>"}).status_code == 400
    get_settings.cache_clear()


def test_contacts_are_forgotten_once_nothing_is_left_to_send(db_url):  # noqa: F811
    rows = fu.schedule(channel="email", email="awa@exemple.fr", first_name="Awa", now=NOW, url=db_url)
    fake = FakeTelegram()
    fu.run_due({"email": fake}, now=NOW + 6 * DAY + timedelta(minutes=1), url=db_url)
    with session_scope(db_url) as s:
        assert s.scalar(select(FollowUp.email).where(FollowUp.token == rows[0].token)) == "awa@exemple.fr"
    fu.record_answer(rows[0].token, "yes", url=db_url)  # settled: the 30-day message is dropped
    with session_scope(db_url) as s:
        left = s.scalars(select(FollowUp)).all()
        assert [(r.answer, r.email, r.first_name) for r in left] == [("yes", None, None)]


def test_erasing_a_conversation_erases_its_follow_ups(tmp_path):
    from booking_support import sqlite_database  # noqa: PLC0415

    from booking.erasure import erase_conversation  # noqa: PLC0415

    url = sqlite_database(tmp_path)
    req = service.book_callback(team_id=TEAM, first_name="Awa", contact_phone="0612345678", telegram_chat_id="9",
                                conversation_id="conv-9", followup_consent=True, url=url)
    fu.schedule_for_request(req.id, now=NOW, url=url)
    fu.schedule(channel="web", conversation_id="conv-9", now=NOW, url=url)
    assert erase_conversation("conv-9", url=url) == 1
    with session_scope(url) as s:
        assert s.scalar(select(func.count()).select_from(FollowUp)) == 0


def test_telegram_hook_reply_and_widget_prompt(tmp_path):
    from booking_support import sqlite_database  # noqa: PLC0415

    from followup.replies import answer_callback, widget_prompt  # noqa: PLC0415

    url = sqlite_database(tmp_path)
    row = fu.schedule(channel="telegram", telegram_chat_id="5", now=NOW, url=url)[0]
    assert answer_callback("autre:chose", url=url) is None  # not ours
    asked = answer_callback(fu.callback_data(row.token, "no"), url=url)
    assert "pourquoi" in asked.text and len(asked.buttons) == 6
    done = answer_callback(asked.buttons[1][1], url=url)  # "Il me manque des papiers"
    assert "Merci de votre réponse" in done.text
    with session_scope(url) as s:
        assert s.scalar(select(FollowUp.reason).where(FollowUp.token == row.token)) == "missing_documents"
    assert "plus valable" in answer_callback("fu:inconnu:yes", url=url).text

    fu.schedule(channel="web", conversation_id="conv-w", now=NOW - 7 * DAY, url=url)
    prompt = widget_prompt("conv-w", url=url)
    assert "Avez-vous pu faire la demande ?" in prompt.text and "/suivi/" in prompt.answer_url
