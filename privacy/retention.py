"""Retention: what is deleted because it has been kept long enough.

- Conversations (Rasa trackers) whose last message is older than TRACKER_RETENTION_DAYS (30).
- Log files (logs/ of the run folder) not written for LOG_RETENTION_DAYS (30): the rotating
  logs keep 30 days themselves; this catches files of older runs and renamed processes.
- Closed appointment requests (held, no_show, cancelled) not touched for REQUEST_RETENTION_DAYS
  (365).
- Open requests (new, contacted) nobody touched for OPEN_REQUEST_DAYS (90) and whose appointment,
  if any, is that old too: closed ("abandoned") with the reason written in their history, so
  that the rule above deletes them in turn. Staff see the reason in the request's history.
- Expired links (summary, calendar, the guide's short links) and staff audit rows older than a year.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select

from booking.models import AppointmentRequest, StatusChange
from core.db import session_scope
from core.settings import Settings, get_settings
from privacy.trackers import TrackerStoreAdmin, cutoff_timestamp

log = logging.getLogger(__name__)

CLOSED_STATUSES = ("held", "no_show", "cancelled", "rights_opened", "rights_refused", "abandoned")
OPEN_STATUSES = ("new", "contacted", "transferred")
AUTO_CLOSE_NOTE = ("Clôturée automatiquement : aucune suite depuis {days} jours "
                   "(durée de conservation des demandes ouvertes).")


def open_request_days() -> int:
    return int(os.environ.get("OPEN_REQUEST_DAYS", "90"))


@dataclass(frozen=True)
class PurgeReport:
    trackers_removed: int
    requests_removed: int
    tracker_days: int
    request_days: int
    dry_run: bool = False
    open_requests_closed: int = 0
    open_days: int = 90

    def lines_fr(self) -> list[str]:
        verb = "seraient supprimé" if self.dry_run else "supprimé"
        conv, req = self.trackers_removed, self.requests_removed
        return [
            f"Conversations de plus de {self.tracker_days} jours : {conv} {verb}{'es' if conv > 1 else 'e'}.",
            f"Demandes closes depuis plus de {self.request_days} jours : {req} {verb}{'es' if req > 1 else 'e'}.",
            f"Demandes ouvertes sans suite depuis {self.open_days} jours : {self.open_requests_closed} "
            f"{'seraient clôturée' if self.dry_run else 'clôturée'}{'s' if self.open_requests_closed > 1 else ''}.",
        ]


def close_stale_open_requests(days: int, *, now: datetime | None = None, dry_run: bool = False,
                              url: str | None = None) -> int:
    """Close open requests untouched for `days` (appointment, if any, as old); returns how many."""
    cutoff_timestamp(days, now)
    now = now or datetime.now(timezone.utc)
    limit = now - timedelta(days=days)
    where = (AppointmentRequest.status.in_(OPEN_STATUSES), AppointmentRequest.updated_at < limit,
             (AppointmentRequest.slot_start.is_(None)) | (AppointmentRequest.slot_start < limit))
    with session_scope(url) as session:
        stale = session.scalars(select(AppointmentRequest).where(*where)).all()
        if dry_run:
            return len(stale)
        for request in stale:
            session.add(StatusChange(request_id=request.id, from_status=request.status, to_status="abandoned",
                                     note=AUTO_CLOSE_NOTE.format(days=days), by_user_id=None, at=now))
            # "Abandon" with its reason: the outcome workflow's closing status (booking.workflow).
            request.status = "abandoned"
            request.closing_reason = AUTO_CLOSE_NOTE.format(days=days)
            request.outcome_on = now
            request.updated_at = now
        return len(stale)


def purge_requests(days: int, *, now: datetime | None = None, dry_run: bool = False,
                   url: str | None = None) -> int:
    """Delete closed requests whose last change is older than `days`; returns how many."""
    cutoff_timestamp(days, now)  # same validation of `days` as for trackers
    limit = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    where = (AppointmentRequest.status.in_(CLOSED_STATUSES), AppointmentRequest.updated_at < limit)
    with session_scope(url) as session:
        if dry_run:
            return session.scalar(select(func.count()).select_from(AppointmentRequest).where(*where))
        requests = session.scalars(select(AppointmentRequest).where(*where)).all()
        for request in requests:
            session.delete(request)  # the ORM cascade removes its status history and slot row
        return len(requests)


def log_retention_days() -> int:
    return int(os.environ.get("LOG_RETENTION_DAYS", "30"))


def purge_logs(log_dir, days: int | None = None, *, now: float | None = None) -> int:  # noqa: ANN001
    """Delete files under `log_dir` last modified more than `days` ago; returns how many."""
    days = log_retention_days() if days is None else days
    limit = (now or time.time()) - days * 86400
    removed = 0
    for path in sorted(Path(log_dir).rglob("*")) if Path(log_dir).is_dir() else []:
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def purge(
    now: datetime | None = None,
    *,
    dry_run: bool = False,
    settings: Settings | None = None,
    admin: TrackerStoreAdmin | None = None,
    db_url: str | None = None,
) -> PurgeReport:
    """Apply both retention rules once. Defaults: settings and stores from the environment."""
    settings = settings or get_settings()
    now = now or datetime.now(timezone.utc)
    own = admin is None
    admin = admin or TrackerStoreAdmin.from_config()
    try:
        trackers = admin.purge_older_than(settings.tracker_retention_days, now=now, dry_run=dry_run)
    finally:
        if own:
            admin.close()
    url = db_url or settings.database_url
    requests = purge_requests(settings.request_retention_days, now=now, dry_run=dry_run, url=url)
    closed = close_stale_open_requests(open_request_days(), now=now, dry_run=dry_run, url=url)
    if not dry_run:
        purge_logs(settings.run_dir / "logs", now=now.timestamp())
        _purge_links_and_audit(now, url)
    return PurgeReport(trackers_removed=trackers, requests_removed=requests,
                       tracker_days=settings.tracker_retention_days,
                       request_days=settings.request_retention_days, dry_run=dry_run,
                       open_requests_closed=closed, open_days=open_request_days())


def _purge_links_and_audit(now: datetime, url: str) -> None:
    from privacy import audit, links, shortlinks  # noqa: PLC0415 - their tables come with migrations 0003/0004

    links.purge_expired(now, url=url)
    shortlinks.purge_expired(now, url=url)
    with session_scope(url) as session:
        audit.purge(session, now)


def run_scheduled_purge() -> PurgeReport | None:
    """For the web process's daily job: never raises (a failed purge is retried the next day),
    logs only counts. Blocking: from asyncio, call it with `await asyncio.to_thread(...)`."""
    try:
        report = purge()
    except Exception:  # noqa: BLE001 - a periodic job must survive any store failure
        log.exception("retention purge failed")
        return None
    log.info("retention purge: %d conversations, %d closed requests removed",
             report.trackers_removed, report.requests_removed)
    return report
