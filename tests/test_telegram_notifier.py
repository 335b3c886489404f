"""Staff notifications and appointment reminders sent by the Telegram process (channels/telegram/notifier)."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from telegram.error import Forbidden, NetworkError

from booking import models as m
from channels.telegram import notifier
from core.db import Base, get_engine, session_scope

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)  # a Tuesday morning


class FakeBot:
    def __init__(self, fail_with: Exception | None = None) -> None:
        self.sent: list[tuple[object, str]] = []
        self.fail_with = fail_with

    async def send_message(self, chat_id, text, **_kwargs):  # noqa: ANN001, ANN201
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((chat_id, text))
        return True


@pytest.fixture()
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'reminders.db'}"
    Base.metadata.create_all(get_engine(url))
    with session_scope(url) as s:
        s.add(m.Team(id="mds-nancy", name="la Maison du Département de Nancy", phone="03 83 00 00 00"))
        s.flush()

        def add(ref, when, *, chat="4242", status="new", kind="slot"):
            s.add(m.AppointmentRequest(
                reference=ref, team_id="mds-nancy", slot_start=when.astimezone(timezone.utc), kind=kind,
                first_name="Camille", contact_channel="telegram" if chat else "phone",
                contact_phone=None if chat else "+33612345678", telegram_chat_id=chat, status=status,
            ))

        add("AV-TOMO", datetime(2026, 12, 2, 14, 30, tzinfo=PARIS))
        add("AV-LATE", datetime(2026, 12, 2, 23, 30, tzinfo=PARIS), chat="5555")  # still tomorrow in Paris
        add("AV-CANC", datetime(2026, 12, 2, 9, 0, tzinfo=PARIS), status="cancelled")
        add("AV-PHON", datetime(2026, 12, 2, 10, 0, tzinfo=PARIS), chat=None)
        add("AV-NEXT", datetime(2026, 12, 3, 0, 30, tzinfo=PARIS))  # the day after tomorrow
        add("AV-TDAY", datetime(2026, 12, 1, 16, 0, tzinfo=PARIS))
    return url


async def test_reminders_go_to_tomorrows_telegram_appointments_once(db, tmp_path):
    bot = FakeBot()
    log = notifier.SentLog(db)
    assert await notifier.send_due_reminders(bot, log, now=NOW, database_url=db) == 2
    assert [chat for chat, _ in bot.sent] == [4242, 5555]
    text = bot.sent[0][1]
    assert "demain, mercredi 2 décembre à 14 h 30" in text
    assert "la Maison du Département de Nancy" in text and "AV-TOMO" in text
    assert "03 83 00 00 00" in text
    # Already sent: nothing the second time, even from another process (rows in the database).
    again = notifier.SentLog(db)
    assert await notifier.send_due_reminders(bot, again, now=NOW, database_url=db) == 0
    assert len(bot.sent) == 2


async def test_no_reminder_at_night(db, tmp_path):
    bot = FakeBot()
    night = datetime(2026, 12, 1, 22, 0, tzinfo=PARIS)
    assert await notifier.send_due_reminders(bot, notifier.SentLog(db), now=night,
                                             database_url=db) == 0
    assert bot.sent == []


async def test_blocked_bot_is_not_retried_but_network_errors_are(db, tmp_path):
    log = notifier.SentLog(db)
    assert await notifier.send_due_reminders(FakeBot(NetworkError("down")), log, now=NOW, database_url=db) == 0
    assert log.sent() == set()
    assert await notifier.send_due_reminders(FakeBot(Forbidden("blocked")), log, now=NOW, database_url=db) == 2
    bot = FakeBot()
    assert await notifier.send_due_reminders(bot, log, now=NOW, database_url=db) == 0
    assert bot.sent == []


async def test_missing_tables_do_not_crash(tmp_path):
    bot = FakeBot()
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert await notifier.send_due_reminders(bot, notifier.SentLog(url), now=NOW,
                                             database_url=url) == 0


async def test_staff_notification_is_split_and_never_raises():
    bot = FakeBot()
    long_text = ("Nouvelle demande de rendez-vous.\n\n" + "x" * 4000 + "\n\n") * 2
    assert await notifier.send_staff_notification(bot, -1001, long_text) is True
    assert len(bot.sent) >= 2 and all(len(t) <= 4096 for _, t in bot.sent)
    assert await notifier.send_staff_notification(FakeBot(Forbidden("kicked")), -1001, "Bonjour") is False


async def test_two_workers_checking_at_once_send_each_reminder_once(db):
    import asyncio

    one, two = FakeBot(), FakeBot()
    counts = await asyncio.gather(notifier.send_due_reminders(one, notifier.SentLog(db), now=NOW, database_url=db),
                                  notifier.send_due_reminders(two, notifier.SentLog(db), now=NOW, database_url=db))
    assert sum(counts) == 2
    assert sorted(chat for chat, _ in one.sent + two.sent) == [4242, 5555]
