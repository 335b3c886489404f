"""Which Rasa replica answers a conversation: a consistent hash of its sender id.

Rasa's standard topology for several replicas (PostgreSQL tracker store, Redis lock store) still
wants one conversation handled by one replica at a time: the open-source Redis lock store is not
atomic across replicas. The web proxy and the Telegram bridge therefore send a sender id always
to the same replica, chosen on a hash ring (RASA_URLS, comma-separated; RASA_URL alone = one
replica, the default `make run`). Adding or removing a replica moves only the conversations of
that replica.

When the chosen replica refuses the connection (stopped, restarting), nothing reached it: the
message goes to the next replica on the ring, which reads the same tracker from PostgreSQL. A
time-out or a cut connection is not retried elsewhere (the replica may have handled the message;
sending it twice could book twice): the resident gets the usual apology and writes again.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import os
from functools import lru_cache
from typing import Any

import httpx

from channels import rasa_rest

log = logging.getLogger(__name__)

VIRTUAL_NODES = 64  # points per replica on the ring: an even share with 2-10 replicas


def _point(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "big")


class HashRing:
    def __init__(self, nodes: list[str], vnodes: int = VIRTUAL_NODES) -> None:
        nodes = list(dict.fromkeys(n.rstrip("/") for n in nodes if n.strip()))
        if not nodes:
            raise ValueError("a hash ring needs at least one node")
        self.nodes = nodes
        self._ring = sorted((_point(f"{node}#{i}"), node) for node in nodes for i in range(vnodes))
        self._points = [p for p, _ in self._ring]

    def order(self, key: str) -> list[str]:
        """Every node, the one owning `key` first, then the next distinct ones on the ring."""
        start = bisect.bisect(self._points, _point(key)) % len(self._ring)
        seen: dict[str, None] = {}
        for i in range(len(self._ring)):
            seen.setdefault(self._ring[(start + i) % len(self._ring)][1], None)
            if len(seen) == len(self.nodes):
                break
        return list(seen)

    def node_for(self, key: str) -> str:
        return self.order(key)[0]


@lru_cache(maxsize=4)
def _ring_for(urls: str) -> HashRing:
    return HashRing(urls.split(","))


def ring(default_url: str) -> HashRing:
    """The ring of RASA_URLS, or of the one default URL."""
    return _ring_for(os.environ.get("RASA_URLS", "").strip() or default_url)


def rasa_url_for(sender: str, default_url: str) -> str:
    return ring(default_url).node_for(sender)


def _refused(exc: rasa_rest.RasaUnavailable) -> bool:
    return isinstance(exc.__cause__, httpx.ConnectError)


async def send_to_rasa(default_url: str, sender: str, message: str, metadata: dict[str, Any], *,
                       timeout: float | None = None) -> list[dict[str, Any]]:
    """rasa_rest.send_to_rasa on the sender's replica; the next one only if the connection was
    refused (nothing was sent). Raises RasaUnavailable as rasa_rest does."""
    urls = ring(default_url).order(sender)
    for i, url in enumerate(urls):
        try:
            return await rasa_rest.send_to_rasa(url, sender, message, metadata, timeout=timeout)
        except rasa_rest.RasaUnavailable as exc:
            if not _refused(exc) or i == len(urls) - 1:
                raise
            log.warning("Rasa replica %d refused the connection: trying the next one", i)
    raise AssertionError("unreachable")
