"""Rasa's SQL tracker store, tuned for SQLite (loaded by Rasa from bot/endpoints.yml).

Rasa saves the tracker twice per turn, each time in a transaction of its own, from its single
event loop: with SQLite's defaults (rollback journal, synchronous=FULL) every commit waits for the
disk, and every conversation waits with it. Here the file is in WAL mode with synchronous=NORMAL:
a commit is an append to the write-ahead log, synced at checkpoints. The file stays consistent
whatever happens; an operating-system crash or a power cut may lose the last turns of the
conversations, never corrupt them (an application crash loses nothing). Other databases are used
exactly as by Rasa's own store.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore


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
