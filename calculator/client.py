"""What the action server calls: OpenFisca's national results for a profile, never blocking.

    from calculator import client
    client.prefetch(profile)                      # as soon as `client.ready(profile)`: returns at once
    national = await client.results(profile)      # on the results screen: dict or None

`results` returns {catalogue id: {"eligible": bool, "monthly": float | None, "yearly": float | None}}
for every benefit of calculator/benefits.yml, or None when the calculator is down, slow or
failed (the bot then answers from the catalogue rules and says amounts are not available right
now). httpx async only: no call blocks the event loop; nothing here imports Rasa or FastAPI.
Profiles are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

import httpx

from calculator.situation import build_situation, current_period

log = logging.getLogger(__name__)

RESULTS_TIMEOUT = 1.5      # what the results screen may wait (the prefetch usually filled the cache)
PREFETCH_TIMEOUT = 30.0    # the worker keeps computing even if we stop listening
CONNECT_TIMEOUT = 0.5      # a calculator that is down answers "connection refused" at once

# The answers OpenFisca needs before a computation is worth starting (prefetch): the
# composition, the kinds of income (the amounts by type follow), the housing; children's ages
# with children. Work and disability are asked only when they matter, so they are not waited for. Not the
# rent: the questionnaire may never ask it; a later answer that changes the situation (rent,
# partner's income...) is one more prefetch, and answers that do not change it hit the cache.
NEEDED = ("age", "household", "children_count", "income_kinds", "housing")

_tasks: set[asyncio.Task] = set()


def base_url() -> str:
    return os.environ.get("CALCULATOR_URL") or f"http://127.0.0.1:{os.environ.get('CALCULATOR_PORT', '5077')}"


def ready(profile: Mapping[str, Any]) -> bool:
    """True when the answers that matter to OpenFisca are known (answered, "unknown" counts)."""
    if not isinstance(profile, Mapping) or any(profile.get(key) is None for key in NEEDED):
        return False
    if isinstance(profile.get("children_count"), int) and profile["children_count"] > 0 \
            and profile.get("children_ages") is None:
        return False
    return True


def _payload(profiles: list[Mapping[str, Any]], timeout: float, period: str | None) -> dict[str, Any]:
    period = period or current_period()
    return {"period": period, "timeout": timeout,
            "situations": [build_situation(p, period) for p in profiles]}


async def results_many(profiles: list[Mapping[str, Any]], timeout: float = RESULTS_TIMEOUT,
                       period: str | None = None) -> list[dict[str, dict] | None]:
    """National results for several households at once (one batch in the worker)."""
    if not profiles:
        return []
    try:
        payload = _payload(profiles, timeout, period)
        limits = httpx.Timeout(timeout + 0.5, connect=min(CONNECT_TIMEOUT, timeout + 0.5))
        async with httpx.AsyncClient(timeout=limits) as http:
            response = await http.post(f"{base_url()}/calculate", json=payload)
        response.raise_for_status()
        items = response.json()["results"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        log.info("calculator unavailable (%s)", type(exc).__name__)
        return [None] * len(profiles)
    return [item.get("benefits") if isinstance(item, dict) and item.get("status") == "ok" else None
            for item in items]


def results_sync(profile: Mapping[str, Any], timeout: float = RESULTS_TIMEOUT,
                 period: str | None = None) -> dict[str, dict] | None:
    """`results` for sync callers (the guide's pages, run in a worker thread by the web server)."""
    return asyncio.run(results(profile, timeout, period))


async def results(profile: Mapping[str, Any], timeout: float = RESULTS_TIMEOUT,
                  period: str | None = None) -> dict[str, dict] | None:
    """OpenFisca's results for the profile, or None when the calculator is down or slow."""
    return (await results_many([profile], timeout, period))[0]


def prefetch(profile: Mapping[str, Any], period: str | None = None) -> bool:
    """Start the computation now and return at once; the worker caches the result for `results`.

    Call it after every answer once `ready(profile)`: only answers that change the situation
    cost a computation.

    From async code (the action server) it is a background task on the running loop; from sync
    code, a daemon thread. False when the profile is not `ready` (nothing started)."""
    if not ready(profile):
        return False
    snapshot = dict(profile)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        task = loop.create_task(results(snapshot, PREFETCH_TIMEOUT, period))
        _tasks.add(task)            # keep a reference until done (the loop holds only weak ones)
        task.add_done_callback(_tasks.discard)
    else:
        threading.Thread(target=lambda: asyncio.run(results(snapshot, PREFETCH_TIMEOUT, period)),
                         daemon=True).start()
    return True


async def healthy(timeout: float = 1.0) -> bool:
    try:
        async with httpx.AsyncClient(timeout=timeout) as http:
            return (await http.get(f"{base_url()}/health")).status_code == 200
    except httpx.HTTPError:
        return False
