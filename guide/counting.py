"""Anonymous counters for guide mode: every encounter is counted as volunteer-led
(channel "guide", mode "guide") when it starts and, once, when its results are shown."""

from __future__ import annotations

import logging
from typing import Any

from benefits import BenefitResult

log = logging.getLogger(__name__)

CHANNEL = MODE = "guide"


def _commune(profile: dict[str, Any]) -> str | None:
    commune = profile.get("commune")
    return commune if isinstance(commune, str) and commune != "unknown" else None


def encounter_started() -> None:
    try:
        from stats.record import record
    except ImportError:  # the statistics package is optional for this page
        return
    record("conversation_started", channel=CHANNEL, mode=MODE)


def encounter_finished(profile: dict[str, Any], likely: list[BenefitResult]) -> None:
    """The encounter reached its results: counted once, with its likely benefits and themes."""
    try:
        from stats.record import record, record_results
    except ImportError:
        return
    commune = _commune(profile)
    record("conversation_finished", channel=CHANNEL, mode=MODE, commune=commune)
    record_results(likely, channel=CHANNEL, mode=MODE, commune=commune)
