"""What the web process does besides answering requests: database ready at start, and a
periodic job that sends pending team notifications (with retries)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from booking.cli import sync_teams
from booking.db_setup import upgrade_database
from booking.notify import deliver_pending
from booking.transfer_notify import deliver_transfers
from followup.job import run_followups
from privacy.retention import run_scheduled_purge

log = logging.getLogger(__name__)
JOB_PERIOD_S = 60
PURGE_EVERY_S = 24 * 3600


async def _periodic_jobs() -> None:
    last_purge = 0.0
    loop = asyncio.get_running_loop()
    while True:
        if loop.time() - last_purge >= PURGE_EVERY_S or last_purge == 0.0:
            # Retention: old conversations and closed requests, once a day (and at start).
            await asyncio.to_thread(run_scheduled_purge)
            last_purge = loop.time()
        try:
            delivered, failed = await asyncio.to_thread(deliver_pending)
            if delivered or failed:
                log.info("notifications: %s delivered, %s failed", delivered, failed)
        except Exception:  # noqa: BLE001 - the job must survive a bad run
            log.exception("periodic job failed")
        try:
            # Transfers (resident and receiving team told) and follow-ups (once across processes).
            await asyncio.to_thread(deliver_transfers)
            report = await asyncio.to_thread(run_followups)
            if report.sent or report.failed:
                log.info("follow-ups: %s sent, %s failed", report.sent, report.failed)
        except Exception:  # noqa: BLE001
            log.exception("follow-up job failed")
        await asyncio.sleep(JOB_PERIOD_S)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await asyncio.to_thread(upgrade_database)
    await asyncio.to_thread(sync_teams)
    task = asyncio.create_task(_periodic_jobs())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
