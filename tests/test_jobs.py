"""Periodic jobs run once across processes (core/jobs.py): a lease per job with renewal,
expiry and retry, on SQLite and PostgreSQL, with runners racing in threads and in processes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from booking_support import NOW, db_url  # noqa: F401 - fixture
from sqlalchemy import inspect

import channels.telegram.state  # noqa: F401 - registers the tables
from core import jobs
from core.db import Base, get_engine, session_scope
from ops.stack import ROOT

MIN = timedelta(minutes=1)


def test_the_migration_matches_the_models(db_url):  # noqa: F811
    engine = get_engine(db_url)
    assert {"job_runs", "telegram_buttons", "telegram_reminders_sent"} <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_a_due_job_is_taken_once_then_waits_its_period(db_url):  # noqa: F811
    assert jobs.claim("j", holder="a", now=NOW, url=db_url)
    assert not jobs.claim("j", holder="b", now=NOW, url=db_url)  # held
    assert jobs.finish("j", every=timedelta(hours=1), holder="a", now=NOW, url=db_url)
    assert not jobs.claim("j", holder="b", now=NOW + 10 * MIN, url=db_url)  # done, not due yet
    assert jobs.claim("j", holder="b", now=NOW + 61 * MIN, url=db_url)


def test_a_crashed_holder_lease_expires_and_renewal_keeps_it(db_url):  # noqa: F811
    assert jobs.claim("j", holder="a", lease=2 * MIN, now=NOW, url=db_url)
    assert jobs.renew("j", holder="a", lease=2 * MIN, now=NOW + MIN, url=db_url)  # renewed till +3
    assert not jobs.claim("j", holder="b", now=NOW + 2 * MIN + timedelta(seconds=30), url=db_url)
    # "a" crashed: no more renewal; once the lease is over, "b" runs the job again.
    assert jobs.claim("j", holder="b", now=NOW + 4 * MIN, url=db_url)
    assert not jobs.renew("j", holder="a", now=NOW + 4 * MIN, url=db_url)  # "a" lost it
    assert not jobs.finish("j", every=MIN, holder="a", now=NOW + 4 * MIN, url=db_url)


def test_a_failed_job_is_retried_later_with_a_growing_delay(db_url):  # noqa: F811
    calls = []

    def broken() -> None:
        calls.append(1)
        raise ConnectionError("smtp down")

    job = jobs.Job("broken", broken, every=timedelta(hours=1))
    assert jobs.run_if_due(job, holder="a", url=db_url) == "failed"
    assert jobs.run_if_due(job, holder="b", url=db_url) == "skipped"  # not before the retry delay
    with session_scope(db_url) as s:
        row = s.get(jobs.JobRun, "broken")
        assert row.failures == 1 and row.last_error == "ConnectionError" and row.holder is None
        delay = row.next_run_at - jobs._utcnow()
    assert timedelta(seconds=50) < delay <= MIN
    assert jobs.retry_delay(3, timedelta(hours=1)) == 4 * MIN
    assert jobs.retry_delay(20, timedelta(hours=1)) == timedelta(hours=1)
    assert calls == [1]


def test_two_runners_racing_run_the_job_once(db_url):  # noqa: F811
    runs = []
    barrier = threading.Barrier(8)

    def work() -> None:
        runs.append(threading.get_ident())
        time.sleep(0.3)

    job = jobs.Job("race", work, every=timedelta(hours=1))
    results = []

    def runner(i: int) -> None:
        barrier.wait()
        results.append(jobs.run_if_due(job, holder=f"runner-{i}", url=db_url))

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(runs) == 1 and sorted(results) == ["ran"] + ["skipped"] * 7


def test_a_long_job_keeps_its_lease_while_it_runs(db_url):  # noqa: F811
    other = []
    job = jobs.Job("long", lambda: time.sleep(1.5), every=timedelta(hours=1), lease=timedelta(seconds=0.6))
    t = threading.Thread(target=lambda: other.append(jobs.run_if_due(job, holder="a", url=db_url)))
    t.start()
    time.sleep(1.0)  # past the first lease: renewed meanwhile
    assert jobs.run_if_due(job, holder="b", url=db_url) == "skipped"
    t.join()
    assert other == ["ran"]


RUNNER = """
import sys, time
from datetime import timedelta
from core import jobs
url, out = sys.argv[1], sys.argv[2]
def work():
    with open(out, "a") as f:
        f.write("ran\\n")
    time.sleep(0.5)
start = time.time()
while time.time() - start < 3:
    jobs.run_if_due(jobs.Job("proc-race", work, every=timedelta(hours=1)), url=url)
    time.sleep(0.05)
"""


def test_two_processes_polling_run_the_job_once(db_url, tmp_path):  # noqa: F811
    out = tmp_path / "runs.txt"
    procs = [subprocess.Popen([sys.executable, "-c", RUNNER, db_url, str(out)], cwd=ROOT) for _ in range(2)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    assert out.read_text().splitlines() == ["ran"]


def test_concurrent_outbox_runs_notify_each_booking_once(tmp_path):
    """The web job and the action servers' runs right after a booking race on the same outbox."""
    from booking import notify
    from booking.models import AppointmentRequest, Team
    from tests.booking_support import sqlite_database

    url = sqlite_database(tmp_path)
    with session_scope(url) as s:
        s.add(Team(id="t1", name="Équipe", notify_email="equipe@example.org"))
        s.flush()
        for i in range(20):
            s.add(AppointmentRequest(reference=f"AV-{i:04d}", team_id="t1", kind="callback", first_name="Camille",
                                     contact_channel="phone", contact_phone="+33612345678", status="new"))
    sent: list[str] = []
    lock = threading.Lock()

    def fake_send(settings, team, subject, text):  # noqa: ANN001, ANN202
        time.sleep(0.01)
        with lock:
            sent.append(subject)
        return 1, []

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(notify, "send_to_team", fake_send)
        mp.setattr(notify, "team_message", lambda req, name, public: (req.reference, "texte"))
        threads = [threading.Thread(target=notify.deliver_pending, kwargs={"url": url}) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(sent) == sorted(f"AV-{i:04d}" for i in range(20))


def test_a_call_back_sent_again_by_its_conversation_is_not_booked_twice(db_url):  # noqa: F811
    """A turn handled by the action server whose answer was lost (replica or web process killed)
    is sent again by the resident: the same request comes back, not a second one."""
    from booking import service

    def ask(conversation: str, phone: str = "0612345678"):  # noqa: ANN202
        return service.book_callback(team_id="mds-grand-nancy-nord-est", first_name="Léa", contact_phone=phone,
                                     conversation_id=conversation, url=db_url)

    first = ask("web-a")
    assert ask("web-a").reference == first.reference
    assert ask("web-b").reference != first.reference  # another resident
    assert ask("web-a", phone="0698765432").reference != first.reference  # another number: a new request
