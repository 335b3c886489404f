"""What the web process does besides answering requests: database ready at start, and the
periodic jobs (purge, team notifications, transfers, follow-ups) run once across processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError

from booking.cli import sync_teams
from booking.db_setup import upgrade_database
from booking.notify import deliver_pending
from booking.transfer_notify import deliver_transfers
from core import jobs
from followup.job import run_followups
from privacy.retention import run_scheduled_purge

log = logging.getLogger(__name__)
JOB_PERIOD_S = 60
PURGE_EVERY_S = 24 * 3600


def _notifications() -> None:
    delivered, failed = deliver_pending()
    if delivered or failed:
        log.info("notifications: %s delivered, %s failed", delivered, failed)


def _followups() -> None:
    report = run_followups()
    if report.sent or report.failed:
        log.info("follow-ups: %s sent, %s failed", report.sent, report.failed)


# Each job runs once per period across every web worker and web process (core/jobs.py leases).
JOBS = (
    # Retention: old conversations and closed requests, once a day.
    jobs.Job("purge", run_scheduled_purge, every=timedelta(seconds=PURGE_EVERY_S), lease=timedelta(minutes=10)),
    jobs.Job("notifications", _notifications, every=timedelta(seconds=JOB_PERIOD_S)),
    # Transfers (resident and receiving team told) and follow-ups.
    jobs.Job("transfers", deliver_transfers, every=timedelta(seconds=JOB_PERIOD_S)),
    jobs.Job("followups", _followups, every=timedelta(seconds=JOB_PERIOD_S)),
)


async def _periodic_jobs(poll_s: float = 5.0) -> None:
    """Every few seconds, run whatever job is due and not held elsewhere."""
    while True:
        for job in JOBS:
            try:
                await asyncio.to_thread(jobs.run_if_due, job)
            except Exception as exc:  # noqa: BLE001 - e.g. the database briefly away: next round
                log.warning("job %s not checked (%s)", job.name, type(exc).__name__)
        await asyncio.sleep(poll_s)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await asyncio.to_thread(upgrade_database)
    try:
        await asyncio.to_thread(sync_teams)
    except IntegrityError:  # another web worker seeded the same team at the same moment
        await asyncio.to_thread(sync_teams)
    task = asyncio.create_task(_periodic_jobs())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
