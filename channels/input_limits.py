"""What every channel checks before a message reaches Rasa: its length, its characters, and how
many messages the same person, conversation or address sent in the last minute.

The limits are generous for a person (who types or taps a button every few seconds at most)
and stop a script. Counters live in memory, per process: enough for one web process and one
Telegram process; they are bounded so that a flood of new addresses cannot fill the memory.
"""

from __future__ import annotations

import os
import re
import time
from collections import OrderedDict, deque

MAX_MESSAGE_CHARS = 1000
TEXT_TOO_LONG = (
    f"Votre message est trop long (plus de {MAX_MESSAGE_CHARS} caractères). "
    "Pouvez-vous l'écrire en plus court ?"
)
TEXT_SLOW_DOWN = (
    "Vous avez envoyé beaucoup de messages en peu de temps. "
    "Merci de patienter une minute, puis de réessayer."
)

# Control characters (C0, C1, DEL) except tab and newline; bidirectional overrides, which can
# make a message shown to staff read differently from what it holds.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """The message without control characters, trimmed. Length is checked by the caller."""
    return _CONTROL.sub("", text).strip()


class RateLimiter:
    """At most `limit` events per `window` seconds for each key (sliding window)."""

    def __init__(self, limit: int, window: float = 60.0, max_keys: int = 50_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Counts this event and says whether it is within the limit (a refused one counts too,
        so that a script hammering the door stays out until it pauses)."""
        now = time.monotonic() if now is None else now
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)  # the least recently seen key
        else:
            self._hits.move_to_end(key)
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        hits.append(now)
        if len(hits) > self.limit * 2:  # keep the memory per key bounded too
            hits.popleft()
        return len(hits) <= self.limit

    def reset(self) -> None:
        self._hits.clear()


def _limit(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


# Per conversation: a resident answering buttons fast sends ~10 a minute.
PER_SENDER_PER_MINUTE = _limit("RATE_LIMIT_PER_SENDER", 30)
# Per address: an office or a family may share one public address.
PER_IP_PER_MINUTE = _limit("RATE_LIMIT_PER_IP", 120)
