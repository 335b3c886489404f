"""A database lease so that a periodic job runs in one process at a time, even with several web
processes on SQLite or PostgreSQL: a process takes the lease with one conditional UPDATE (free
or expired), runs the job, and lets it go. A crashed holder's lease simply expires."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from core.db import session_scope
from followup.models import JobLease

PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def acquire(name: str, *, holder: str = PROCESS_ID, ttl: timedelta = timedelta(minutes=5),
            now: datetime | None = None, url: str | None = None) -> bool:
    now = now or datetime.now(timezone.utc)
    try:
        with session_scope(url) as s:
            if s.get(JobLease, name) is None:
                s.add(JobLease(name=name, holder=None, expires_at=None, runs=0))
    except IntegrityError:
        pass  # another process created the row first
    with session_scope(url) as s:
        taken = s.execute(
            update(JobLease)
            .where(JobLease.name == name, or_(JobLease.expires_at.is_(None), JobLease.expires_at <= now,
                                              JobLease.holder == holder))
            .values(holder=holder, expires_at=now + ttl, runs=JobLease.runs + 1)
        ).rowcount
    return taken == 1


def release(name: str, *, holder: str = PROCESS_ID, url: str | None = None) -> None:
    with session_scope(url) as s:
        s.execute(update(JobLease).where(JobLease.name == name, JobLease.holder == holder)
                  .values(holder=None, expires_at=None))
