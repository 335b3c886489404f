"""Periodic jobs that run once across processes: a database lease per job, with renewal,
expiry and retry. Works the same on SQLite and PostgreSQL (conditional UPDATEs only).

Each job has one row in `job_runs`: when it is due next (`next_run_at`) and who holds it
(`holder`, `lease_until`). A process runs a job only after one conditional UPDATE gave it the row
(due, and no unexpired lease), renews the lease while the job runs (a long purge outlives the
first lease), and then moves `next_run_at` one period on. So with several web workers or web
processes a due job runs in exactly one of them, once per period:

- a holder that crashes stops renewing: its lease expires and another process runs the job
  again (the job itself must tolerate a repeat; the senders claim each row before sending);
- a job that fails is retried after a growing delay (1, 2, 4... minutes, at most its period);
- a restart loses nothing: the schedule is in the database, not in a process.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Integer, String, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from booking.models import UTCDateTime
from core.db import Base, session_scope

log = logging.getLogger(__name__)

PROCESS_ID = f"{socket.gethostname()[:20]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
DEFAULT_LEASE = timedelta(minutes=2)


class JobRun(Base):
    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row; 0 after a success
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)  # an exception class
    runs: Mapped[int] = mapped_column(Integer, default=0)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], object]
    every: timedelta
    lease: timedelta = DEFAULT_LEASE


def claim(name: str, *, holder: str = PROCESS_ID, lease: timedelta = DEFAULT_LEASE,
          now: datetime | None = None, url: str | None = None) -> bool:
    """Take the job if it is due and nobody holds an unexpired lease on it."""
    now = now or _utcnow()
    try:
        with session_scope(url) as s:
            if s.get(JobRun, name) is None:
                s.add(JobRun(name=name, next_run_at=now, failures=0, runs=0))
    except IntegrityError:
        pass  # another process created the row first
    with session_scope(url) as s:
        return s.execute(
            update(JobRun)
            .where(JobRun.name == name, JobRun.next_run_at <= now,
                   or_(JobRun.lease_until.is_(None), JobRun.lease_until <= now))
            .values(holder=holder, lease_until=now + lease)
        ).rowcount == 1


def renew(name: str, *, holder: str = PROCESS_ID, lease: timedelta = DEFAULT_LEASE,
          now: datetime | None = None, url: str | None = None) -> bool:
    """Extend our lease; False if it is not ours any more (expired and taken)."""
    now = now or _utcnow()
    with session_scope(url) as s:
        return s.execute(update(JobRun).where(JobRun.name == name, JobRun.holder == holder)
                         .values(lease_until=now + lease)).rowcount == 1


def finish(name: str, *, every: timedelta, holder: str = PROCESS_ID, now: datetime | None = None,
           url: str | None = None) -> bool:
    now = now or _utcnow()
    with session_scope(url) as s:
        return s.execute(update(JobRun).where(JobRun.name == name, JobRun.holder == holder).values(
            holder=None, lease_until=None, next_run_at=now + every, last_done_at=now, failures=0,
            last_error=None, runs=JobRun.runs + 1)).rowcount == 1


def retry_delay(failures: int, every: timedelta) -> timedelta:
    return min(timedelta(minutes=2 ** max(0, failures - 1)), every)


def fail(name: str, error: BaseException, *, every: timedelta, holder: str = PROCESS_ID,
         now: datetime | None = None, url: str | None = None) -> None:
    now = now or _utcnow()
    with session_scope(url) as s:
        row = s.get(JobRun, name)
        if row is None or row.holder != holder:
            return
        row.failures += 1
        row.last_error = type(error).__name__[:200]
        row.holder, row.lease_until = None, None
        row.next_run_at = now + retry_delay(row.failures, every)


class _Renewer(threading.Thread):
    """Renews the lease every third of it while the job runs."""

    def __init__(self, job: Job, holder: str, url: str | None) -> None:
        super().__init__(daemon=True, name=f"lease-{job.name}")
        self.job, self.holder, self.url = job, holder, url
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.job.lease.total_seconds() / 3):
            try:
                if not renew(self.job.name, holder=self.holder, lease=self.job.lease, url=self.url):
                    log.warning("job %s: lease lost while running", self.job.name)
                    return
            except Exception as exc:  # noqa: BLE001 - the database may be briefly away
                log.warning("job %s: lease not renewed (%s)", self.job.name, type(exc).__name__)


def run_if_due(job: Job, *, holder: str = PROCESS_ID, url: str | None = None) -> str:
    """'ran', 'failed' or 'skipped' (not due, or held by another process). Blocking: call it
    from a thread (asyncio.to_thread) in an event loop."""
    if not claim(job.name, holder=holder, lease=job.lease, url=url):
        return "skipped"
    renewer = _Renewer(job, holder, url)
    renewer.start()
    try:
        job.run()
    except Exception as exc:  # noqa: BLE001 - retried later; the class only (no personal data)
        renewer.stopped.set()
        log.warning("job %s failed (%s): retried later", job.name, type(exc).__name__)
        fail(job.name, exc, every=job.every, holder=holder, url=url)
        return "failed"
    renewer.stopped.set()
    finish(job.name, every=job.every, holder=holder, url=url)
    return "ran"
