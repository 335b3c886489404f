"""Counting what happens in conversations, anonymously: the bot calls `record` (and
`record_results` once per results screen).

Recording must never get in the way of a resident: every function here is cheap, logs a warning
(without any personal value) on bad input or a database problem, and returns False instead of
raising.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core.db import get_engine
from core.settings import get_settings
from stats.models import CHANNELS, DIMENSIONS, METRICS, MODES, UNKNOWN, StatCount

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
# Keys are ids from our own data files (benefit ids, categories, question ids, request kinds):
# short lowercase words. Anything else (free text, a phone number...) is refused.
_KEY = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
_INSEE = re.compile(r"^\d[0-9AB]\d{3}$")


def week_of(when: date | datetime | None = None) -> date:
    """Monday of the ISO week of `when` (a datetime is first moved to Paris time; default: now)."""
    if when is None:
        when = datetime.now(PARIS)
    if isinstance(when, datetime):
        if when.tzinfo is not None:
            when = when.astimezone(PARIS)
        when = when.date()
    return when - timedelta(days=when.weekday())


def place_of(commune: str | None) -> tuple[str, str]:
    """(territory, commune): the EPCI code and INSEE code of a commune of the 54, else "inconnu"."""
    from territory import epci_of  # loaded lazily: the communes file is read once, on first use

    code = str(commune).strip() if commune is not None else ""
    if not _INSEE.match(code):
        return UNKNOWN, UNKNOWN
    epci = epci_of(code)
    if epci is None:  # not a commune of Meurthe-et-Moselle
        return UNKNOWN, UNKNOWN
    return epci, code


def _problem(metric: str, channel: str, mode: str, key: str) -> str | None:
    if metric not in METRICS:
        return "unknown metric"
    if channel not in CHANNELS:
        return "unknown channel"
    if mode not in MODES:
        return "unknown mode"
    if key and not _KEY.match(key):
        return "key is not an id"
    if metric in ("benefit_likely", "theme_likely") and not key:
        return "this metric needs a key"
    if metric == "theme_likely":
        from benefits.schema import CATEGORIES

        if key not in CATEGORIES:
            return "unknown category"
    return None


def _upsert(engine: Engine, values: dict, amount: int) -> None:
    table = StatCount.__table__
    dialect = engine.dialect.name
    with engine.begin() as conn:
        if dialect in ("sqlite", "postgresql"):
            insert = sqlite_insert if dialect == "sqlite" else pg_insert
            stmt = insert(table).values(**values, count=amount)
            stmt = stmt.on_conflict_do_update(
                index_elements=list(DIMENSIONS), set_={"count": table.c.count + stmt.excluded["count"]}
            )
            conn.execute(stmt)
            return
        # Other databases: update, else insert (not concurrency-proof, but never used in production).
        where = [table.c[name] == values[name] for name in DIMENSIONS]
        if conn.execute(update(table).where(*where).values(count=table.c.count + amount)).rowcount == 0:
            conn.execute(table.insert().values(**values, count=amount))


def record(
    metric: str,
    *,
    channel: str,
    mode: str,
    commune: str | None = None,
    key: str = "",
    when: date | datetime | None = None,
    url: str | None = None,
    amount: int = 1,
) -> bool:
    """Add `amount` (default 1) to one anonymous counter. Returns True when counted.

    metric: one of stats.models.METRICS; channel: web | telegram | guide | rest | shell;
    mode: self | guide; commune: INSEE code from the profile (None or unknown -> "inconnu");
    key: benefit id / category / question id / request kind, or ""; when: default now.
    """
    try:
        key = key or ""
        problem = _problem(metric, channel, mode, key)
        if problem or not isinstance(amount, int) or amount < 1:
            log.warning("stats: not counted (%s)", problem or "bad amount")
            return False
        territory, commune_code = place_of(commune)
        values = {
            "week": week_of(when), "territory": territory, "commune": commune_code,
            "channel": channel, "mode": mode, "metric": metric, "key": key,
        }
        # The URL is resolved here: get_engine(None) would be cached across settings changes.
        _upsert(get_engine(url or get_settings().database_url), values, amount)
        return True
    except Exception:  # noqa: BLE001 - statistics must never break a conversation
        log.warning("stats: counter %s not saved", metric, exc_info=True)
        return False


def record_results(
    likely: Iterable[object],
    *,
    channel: str,
    mode: str,
    commune: str | None = None,
    when: date | datetime | None = None,
    url: str | None = None,
) -> int:
    """Count the likely benefits of one results screen: each benefit once, each theme once.

    `likely`: BenefitResult objects (with `.id` and `.category`, e.g. `evaluation.likely`) or
    (benefit_id, category) pairs. The caller makes sure this runs once per conversation.
    Returns how many counters were incremented.
    """
    benefits: dict[str, None] = {}
    themes: dict[str, None] = {}
    try:
        for item in likely:
            if isinstance(item, tuple | list):
                benefit_id, category = item
            else:
                benefit_id, category = item.id, item.category
            benefits[str(benefit_id)] = None
            themes[str(category)] = None
    except Exception:  # noqa: BLE001
        log.warning("stats: likely benefits not readable, not counted", exc_info=True)
        return 0
    done = 0
    common = {"channel": channel, "mode": mode, "commune": commune, "when": when, "url": url}
    for benefit_id in benefits:
        done += record("benefit_likely", key=benefit_id, **common)
    for category in themes:
        done += record("theme_likely", key=category, **common)
    return done

