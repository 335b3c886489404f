"""One message of a chat at a time, in the order written, across every Telegram worker.

In one process an asyncio lock per chat is enough (long polling, one webhook worker). With
several webhook workers, Telegram may deliver two updates of the same chat to two workers at
once: when REDIS_HOST is set, the chat is also locked in Redis (a lock with an expiry, so a
crashed worker never blocks a chat for more than LOCK_TIMEOUT_S). If Redis is unreachable, the
message still goes through (order is then only kept within a worker): nothing is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import weakref
from collections.abc import AsyncIterator

log = logging.getLogger(__name__)

LOCK_TIMEOUT_S = 60.0  # longer than a Rasa turn (RASA_TIMEOUT_SECONDS) plus the delivery
WAIT_S = 90.0


def redis_from_env():  # noqa: ANN201 - redis.asyncio.Redis | None
    host = os.environ.get("REDIS_HOST", "").strip()
    if not host:
        return None
    import redis.asyncio as aioredis

    return aioredis.Redis(host=host, port=int(os.environ.get("REDIS_PORT") or 6379),
                          db=int(os.environ.get("REDIS_DB") or 0), password=os.environ.get("REDIS_PASSWORD") or None,
                          socket_timeout=5, socket_connect_timeout=2)


class ChatLocks:
    def __init__(self, redis=None, prefix: str | None = None) -> None:  # noqa: ANN001
        self._local: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self.redis = redis
        self.prefix = prefix or os.environ.get("REDIS_LOCK_PREFIX") or "avecvous"

    @classmethod
    def from_env(cls) -> ChatLocks:
        return cls(redis_from_env())

    def _lock(self, chat_id: int) -> asyncio.Lock:
        lock = self._local.get(chat_id)
        if lock is None:
            lock = asyncio.Lock()
            self._local[chat_id] = lock
        return lock

    @contextlib.asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        async with self._lock(chat_id):
            if self.redis is None:
                yield
                return
            from redis.exceptions import LockError, RedisError

            lock = self.redis.lock(f"{self.prefix}:telegram-chat:{chat_id}", timeout=LOCK_TIMEOUT_S,
                                   blocking_timeout=WAIT_S)
            try:
                acquired = await lock.acquire()
            except RedisError as exc:
                log.warning("chat lock unavailable (%s): order kept in this worker only", type(exc).__name__)
                acquired = False
            try:
                yield
            finally:
                if acquired:
                    with contextlib.suppress(LockError, RedisError):
                        await lock.release()
