"""50 concurrent attempts to book the same slot: exactly one wins (UNIQUE (team_id, slot_start))."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime, timezone

from booking_support import NOW, db_url  # noqa: F401  (fixture)
from sqlalchemy import func, select

from booking import service
from booking.errors import SlotTaken
from booking.models import AppointmentRequest, SlotBooking
from core.db import session_scope

ATTEMPTS = 50
SLOT = datetime(2026, 12, 2, 9, 30, tzinfo=timezone.utc)


def test_one_slot_is_booked_once_under_concurrency(db_url, request):  # noqa: F811
    barrier = threading.Barrier(ATTEMPTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            service.book_slot(team_id="avec-vous-saint-max", slot_start=SLOT, first_name=f"Personne {i}",
                              contact_phone=f"06 12 34 56 {i:02d}", now=NOW, url=db_url)
            result = "booked"
        except SlotTaken as exc:
            result = "taken" if len(exc.alternatives) == 3 else "taken-without-alternatives"
        except Exception as exc:  # noqa: BLE001  (any other outcome must make the test fail)
            result = f"error:{type(exc).__name__}:{exc}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(ATTEMPTS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    elapsed = time.perf_counter() - started

    counts = Counter(outcomes)
    backend = request.node.callspec.params["db_url"]
    print(f"\n[{backend}] {ATTEMPTS} concurrent attempts on one slot -> {dict(counts)} in {elapsed:.2f} s")
    assert counts == {"booked": 1, "taken": ATTEMPTS - 1}
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(SlotBooking)) == 1
        assert s.scalar(select(func.count()).select_from(AppointmentRequest)) == 1
