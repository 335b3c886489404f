"""Check the tuned SQLite tracker store inside the Rasa virtualenv: Rasa loads it from the
endpoints file, the file is in WAL mode with synchronous=NORMAL, a tracker comes back whole.

Run from the project root: PYTHONPATH=. .venv-rasa/bin/python tests/rasa_env/check_tracker_store.py
Exits non-zero on the first failed check.
"""

from __future__ import annotations

import asyncio
import string
import sys
import tempfile
from pathlib import Path

from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.utils.endpoints import read_endpoint_config

from bot.tracker_store import TunedSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.from_dict({"slots": {"age": {"type": "any", "mappings": [{"type": "custom"}]}}})


def main() -> int:
    folder = Path(tempfile.mkdtemp())
    endpoints = folder / "endpoints.yml"
    endpoints.write_text(string.Template((ROOT / "bot" / "endpoints.yml").read_text()).substitute(
        ACTION_ENDPOINT_URL="http://127.0.0.1:1/webhook", RASA_TRACKER_DB=str(folder / "trackers.db")))
    store = TrackerStore.create(read_endpoint_config(str(endpoints), "tracker_store"), DOMAIN)
    inner = getattr(store, "_tracker_store", store)
    if not isinstance(inner, TunedSQLTrackerStore):
        print(f"FAIL: Rasa loaded {type(inner).__name__}, not TunedSQLTrackerStore")
        return 1

    async def roundtrip() -> list:
        tracker = await store.get_or_create_tracker("check")
        tracker.update_with_events([UserUttered("j'ai 45 ans"), SlotSet("age", 45), ActionExecuted("action_listen")],
                                   DOMAIN)
        await store.save(tracker)
        await store.save(tracker)   # Rasa saves twice a turn: nothing is stored twice
        again = await store.retrieve("check")
        return [again.get_slot("age"), len(again.events), len(tracker.events)]

    age, stored, kept = asyncio.run(roundtrip())
    if age != 45 or stored != kept:
        print(f"FAIL: tracker back with age {age!r}, {stored} events of {kept}")
        return 1
    with inner.engine.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        synchronous = conn.exec_driver_sql("PRAGMA synchronous").scalar()
    if mode != "wal" or synchronous != 1:
        print(f"FAIL: journal_mode {mode}, synchronous {synchronous} (want wal, 1 = NORMAL)")
        return 1
    print("tracker store: loaded from bot/endpoints.yml, WAL, synchronous=NORMAL, tracker stored once and read back")
    return 0


if __name__ == "__main__":
    sys.exit(main())
