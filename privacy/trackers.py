"""Direct administration of Rasa 3.6's tracker store: erase one sender, purge old conversations.

Schemas, as written by rasa/core/tracker_store.py (Rasa 3.6):
- SQLTrackerStore (SQLite, PostgreSQL): one row per event in the table `events` (id, sender_id,
  type_name, timestamp = float epoch seconds, intent_name, action_name, data = the event as JSON).
- RedisTrackerStore: one key per conversation, '<key_prefix>:tracker:<sender_id>', whose value is
  the JSON dialogue {"name": ..., "events": [{"event": ..., "timestamp": ...}, ...]}.

Caution: Rasa re-saves the whole tracker it holds in memory at the end of a turn, so erasing a
conversation *during* its own turn is undone. From a custom action use privacy.erase with
`after_turn=True`, which waits for the turn to be saved before erasing.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from privacy.config import TrackerStoreConfig, tracker_store_config

DAY = 86400.0

# Mirror of SQLTrackerStore.SQLEvent, used only to build queries (never to create the table).
_metadata = MetaData()
EVENTS = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


class StoreUnavailable(RuntimeError):
    """The tracker store could not be reached or changed. The message is French, without data."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("Le registre des conversations est injoignable pour le moment."
                         + (f" ({detail})" if detail else ""))


def cutoff_timestamp(days: int, now: datetime | None = None) -> float:
    """Epoch seconds before which a conversation is too old to keep."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"la durée de conservation doit être un nombre de jours ≥ 1 (reçu : {days!r})")
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return now.timestamp() - days * DAY


class TrackerStoreAdmin(ABC):
    """Operations the privacy rules need, on whichever store Rasa uses."""

    kind: str

    @abstractmethod
    def erase_sender(self, sender_id: str, *, up_to: float | None = None) -> int:
        """Remove this sender's events (all, or those with timestamp ≤ up_to). Returns how many."""

    @abstractmethod
    def purge_older_than(self, days: int, *, now: datetime | None = None, dry_run: bool = False) -> int:
        """Remove every conversation whose LAST event is older than `days`. Returns how many
        conversations (counted only, not removed, with dry_run)."""

    @abstractmethod
    def count_senders(self) -> int:
        """How many conversations the store holds."""

    @abstractmethod
    def latest_timestamp(self, sender_id: str) -> float | None:
        """Timestamp of this sender's most recent stored event, None if nothing is stored."""

    def close(self) -> None:  # noqa: B027 - optional for subclasses
        pass

    def __enter__(self) -> TrackerStoreAdmin:
        return self

    def __exit__(self, *_exc) -> None:  # noqa: ANN002
        self.close()

    @staticmethod
    def from_config(config: TrackerStoreConfig | None = None) -> TrackerStoreAdmin:
        """The admin for TRACKER_STORE (environment) or for an explicit configuration."""
        config = config or tracker_store_config()
        if config.kind == "redis":
            import redis

            client = redis.Redis(host=config.redis_host, port=config.redis_port, db=config.redis_db,
                                 password=config.redis_password, decode_responses=True,
                                 socket_connect_timeout=5, socket_timeout=10)
            return RedisTrackerStoreAdmin(client, key_prefix=config.redis_key_prefix)
        return SQLTrackerStoreAdmin(config.sql_url)


def _zero_deleted_rows(dbapi_conn, _record) -> None:  # noqa: ANN001
    # Without it SQLite leaves deleted rows readable in the file's free pages until reused.
    dbapi_conn.execute("PRAGMA secure_delete=ON")


class SQLTrackerStoreAdmin(TrackerStoreAdmin):
    """SQLite or PostgreSQL `events` table."""

    def __init__(self, url: str | URL) -> None:
        self.url = make_url(url)
        self.kind = "sqlite" if self.url.get_backend_name() == "sqlite" else "postgres"
        self._engine: Engine | None = None

    def _sqlite_missing(self) -> bool:
        # Rasa creates the file on its first start; before that there is nothing to erase, and
        # connecting would create an empty file Rasa then has to fill.
        db = self.url.database
        return self.kind == "sqlite" and bool(db) and db != ":memory:" and not Path(db).exists()

    def _get_engine(self) -> Engine | None:
        if self._sqlite_missing():
            return None
        if self._engine is None:
            if self.kind == "sqlite":
                # Rasa writes to the same file at the same time: wait for its lock, don't fail.
                self._engine = create_engine(self.url, connect_args={"timeout": 15})
                event.listen(self._engine, "connect", _zero_deleted_rows)
            else:
                self._engine = create_engine(self.url, pool_pre_ping=True, pool_size=2)
        return self._engine

    def _run(self, work, default):  # noqa: ANN001, ANN202
        """Run `work(connection)` in one transaction; `default` when there is no events table."""
        engine = self._get_engine()
        if engine is None:
            return default
        try:
            with engine.begin() as conn:
                if not inspect(conn).has_table(EVENTS.name):
                    return default
                return work(conn)
        except SQLAlchemyError as exc:
            raise StoreUnavailable(type(exc).__name__) from exc

    def erase_sender(self, sender_id: str, *, up_to: float | None = None) -> int:
        if not sender_id:
            return 0
        stmt = delete(EVENTS).where(EVENTS.c.sender_id == sender_id)
        if up_to is not None:
            stmt = stmt.where(or_(EVENTS.c.timestamp <= up_to, EVENTS.c.timestamp.is_(None)))
        return self._run(lambda conn: conn.execute(stmt).rowcount, 0)

    def purge_older_than(self, days: int, *, now: datetime | None = None, dry_run: bool = False) -> int:
        limit = cutoff_timestamp(days, now)
        old = (select(EVENTS.c.sender_id).group_by(EVENTS.c.sender_id)
               .having(func.max(EVENTS.c.timestamp) < limit))

        def work(conn) -> int:  # noqa: ANN001
            if dry_run:
                return conn.execute(select(func.count()).select_from(old.subquery())).scalar_one()
            # One statement: a conversation that got a new event meanwhile is no longer selected.
            stmt = delete(EVENTS).where(EVENTS.c.sender_id.in_(old.scalar_subquery())).returning(EVENTS.c.sender_id)
            return len(set(conn.execute(stmt).scalars()))

        return self._run(work, 0)

    def count_senders(self) -> int:
        stmt = select(func.count(func.distinct(EVENTS.c.sender_id)))
        return self._run(lambda conn: conn.execute(stmt).scalar_one(), 0)

    def latest_timestamp(self, sender_id: str) -> float | None:
        stmt = select(func.max(EVENTS.c.timestamp)).where(EVENTS.c.sender_id == sender_id)
        return self._run(lambda conn: conn.execute(stmt).scalar_one_or_none(), None)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _events_of(raw: str | None) -> list[dict] | None:
    """The events of a stored Redis tracker; None when the value is not a Rasa dialogue."""
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    events = doc.get("events") if isinstance(doc, dict) else None
    return [e for e in events if isinstance(e, dict)] if isinstance(events, list) else None


def _last_timestamp(events: list[dict]) -> float | None:
    stamps = [e["timestamp"] for e in events if isinstance(e.get("timestamp"), (int, float))]
    return max(stamps) if stamps else None


class RedisTrackerStoreAdmin(TrackerStoreAdmin):
    """Rasa's RedisTrackerStore: one JSON value per conversation. Every change is a WATCH/MULTI
    transaction, so a save by Rasa in between makes us start again instead of overwriting it."""

    kind = "redis"

    def __init__(self, client, key_prefix: str) -> None:  # noqa: ANN001 - redis.Redis(decode_responses=True)
        self.client = client
        self.key_prefix = key_prefix

    def _key(self, sender_id: str) -> str:
        return self.key_prefix + sender_id

    def _transact(self, key: str, decide) -> int:  # noqa: ANN001
        """decide(raw) -> (count, action) with action None (leave), "delete" or a new value."""
        import redis

        try:
            with self.client.pipeline() as pipe:
                while True:
                    try:
                        pipe.watch(key)
                        count, action = decide(pipe.get(key))
                        if action is None:
                            pipe.unwatch()
                            return count
                        pipe.multi()
                        if action == "delete":
                            pipe.delete(key)
                        else:
                            pipe.set(key, action, keepttl=True)
                        pipe.execute()
                        return count
                    except redis.WatchError:
                        continue
        except redis.RedisError as exc:
            raise StoreUnavailable(type(exc).__name__) from exc

    def erase_sender(self, sender_id: str, *, up_to: float | None = None) -> int:
        if not sender_id:
            return 0

        def decide(raw):  # noqa: ANN001, ANN202
            if raw is None:
                return 0, None
            events = _events_of(raw)
            if events is None:  # not a dialogue we understand: it belongs to this sender, remove it
                return 1, "delete"
            keep = [e for e in events if up_to is not None
                    and isinstance(e.get("timestamp"), (int, float)) and e["timestamp"] > up_to]
            removed = len(events) - len(keep)
            if not keep:
                return max(removed, 1), "delete"
            if not removed:
                return 0, None
            doc = json.loads(raw)
            doc["events"] = keep
            return removed, json.dumps(doc)

        return self._transact(self._key(sender_id), decide)

    def _keys(self):  # noqa: ANN202
        import redis

        try:
            return list(self.client.scan_iter(match=self.key_prefix + "*", count=500))
        except redis.RedisError as exc:
            raise StoreUnavailable(type(exc).__name__) from exc

    def purge_older_than(self, days: int, *, now: datetime | None = None, dry_run: bool = False) -> int:
        limit = cutoff_timestamp(days, now)

        def decide(raw):  # noqa: ANN001, ANN202
            events = _events_of(raw)
            last = _last_timestamp(events) if events else None
            if last is None or last >= limit:
                return 0, None
            return 1, None if dry_run else "delete"

        return sum(self._transact(key, decide) for key in self._keys())

    def count_senders(self) -> int:
        return len(self._keys())

    def latest_timestamp(self, sender_id: str) -> float | None:
        import redis

        try:
            events = _events_of(self.client.get(self._key(sender_id)))
        except redis.RedisError as exc:
            raise StoreUnavailable(type(exc).__name__) from exc
        return _last_timestamp(events) if events else None

    def close(self) -> None:
        self.client.close()
