"""Rasa's SQL tracker store, two ways (loaded by Rasa from the endpoints files).

`TunedSQLTrackerStore` (bot/endpoints.yml, SQLite): Rasa saves the tracker twice per turn, each
time in a transaction of its own, from its single event loop: with SQLite's defaults (rollback
journal, synchronous=FULL) every commit waits for the disk, and every conversation waits with it.
Here the file is in WAL mode with synchronous=NORMAL: a commit is an append to the write-ahead log,
synced at checkpoints. The file stays consistent whatever happens; an operating-system crash or a
power cut may lose the last turns of the conversations, never corrupt them (an application crash
loses nothing). Other databases are used exactly as by Rasa's own store.

`ResilientSQLTrackerStore` (bot/endpoints.scale.yml, PostgreSQL), honest about a database outage.
Rasa wraps every tracker store in a FailSafeTrackerStore: when the database cannot be read, it
carries on with an EMPTY tracker (the resident would be greeted as a stranger mid-questionnaire)
and, when it cannot be written, keeps the turn in one replica's memory. For a conversation shared
by several replicas both are worse than an apology. This store:

- retries a read for a few seconds (a dropped connection, a restarting server), then stops the
  turn with a CancelledError, which FailSafeTrackerStore does not swallow and Rasa's REST channel
  answers with no message: the web proxy and the Telegram bridge then say, in French, that the
  assistant could not answer and to write again. Nothing of the turn is kept or lost.
- retries a write longer (the turn has been answered: its events must reach the database).

The events table is Rasa's own, unchanged (privacy/ purges it as before).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.exc import DBAPIError, OperationalError

log = logging.getLogger(__name__)

def _pragmas(dbapi_conn: Any, _record: Any) -> None:  # noqa: ANN401 - a DB-API connection
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class TunedSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore; on SQLite, in WAL mode with synchronous=NORMAL (see the module's docstring)."""

    def __init__(self, *args: Any, dialect: str = "sqlite", **kwargs: Any) -> None:  # noqa: ANN401
        super().__init__(*args, dialect=dialect, **kwargs)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _pragmas)
            self.engine.dispose()   # connections opened before the listener get the pragmas too


READ_PATIENCE_S = float(os.environ.get("TRACKER_READ_PATIENCE_S", "3"))
WRITE_PATIENCE_S = float(os.environ.get("TRACKER_WRITE_PATIENCE_S", "15"))
RETRY_EVERY_S = 0.5


class TrackerStoreUnavailable(asyncio.CancelledError):
    """The database stayed unreachable: the turn stops here (see the module docstring)."""


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


class ResilientSQLTrackerStore(TunedSQLTrackerStore):
    async def _patiently(self, what: str, patience: float, call: Any) -> Any:
        deadline = time.monotonic() + patience
        while True:
            try:
                return await call()
            except (OperationalError, DBAPIError) as exc:
                if not _transient(exc):
                    raise
                if time.monotonic() >= deadline:
                    log.error("tracker store unreachable for %.0f s during %s: turn stopped", patience, what)
                    raise TrackerStoreUnavailable(what) from exc
                log.warning("tracker store unreachable during %s (%s): retrying", what, type(exc).__name__)
                await asyncio.sleep(RETRY_EVERY_S)

    async def retrieve(self, sender_id: str):  # noqa: ANN201
        return await self._patiently("read", READ_PATIENCE_S, lambda: super(ResilientSQLTrackerStore, self)
                                     .retrieve(sender_id))

    async def retrieve_full_tracker(self, conversation_id: str):  # noqa: ANN201
        return await self._patiently("read", READ_PATIENCE_S, lambda: super(ResilientSQLTrackerStore, self)
                                     .retrieve_full_tracker(conversation_id))

    async def save(self, tracker) -> None:  # noqa: ANN001
        await self._patiently("write", WRITE_PATIENCE_S, lambda: super(ResilientSQLTrackerStore, self).save(tracker))
