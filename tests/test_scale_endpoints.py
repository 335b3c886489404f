"""The endpoints files of the scale topology: PostgreSQL trackers and a Redis lock store that
Rasa itself reads (several replicas), and the one-process PostgreSQL file's in-memory lock."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from ops.stack import RASA_PYTHON, ROOT, Stack


def _rendered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> dict:
    for name in ("REDIS_HOST", "REDIS_LOCK_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    stack = Stack(run_dir=tmp_path, env_overrides={"TRACKER_STORE": "postgres", **env})
    return yaml.safe_load(stack.render_endpoints(stack.environment()).read_text())


def test_one_rasa_on_postgres_keeps_the_in_memory_lock(tmp_path, monkeypatch):
    cfg = _rendered(tmp_path, monkeypatch)
    assert cfg["tracker_store"]["dialect"] == "postgresql"
    assert cfg["lock_store"] == {"type": "in_memory"}


def test_postgres_with_redis_host_uses_the_redis_lock_store(tmp_path, monkeypatch):
    cfg = _rendered(tmp_path, monkeypatch, REDIS_HOST="127.0.0.1", REDIS_DB="5", REDIS_LOCK_PREFIX="scaletest",
                    PG_DATABASE="avecvous_scale")
    assert cfg["tracker_store"]["type"] == "bot.tracker_store.ResilientSQLTrackerStore" and cfg["tracker_store"]["db"] == "avecvous_scale"
    lock = cfg["lock_store"]
    assert lock["type"] == "redis" and lock["url"] == "127.0.0.1" and str(lock["db"]) == "5"
    assert lock["key_prefix"] == "scaletest" and lock["password"] == "${REDIS_PASSWORD}"


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis(host="127.0.0.1", port=6379, db=5, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="no Rasa environment")
def test_rasa_builds_a_redis_lock_store_from_the_scale_file(tmp_path, monkeypatch):
    if not _redis_up():
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    _rendered(tmp_path, monkeypatch, REDIS_HOST="127.0.0.1", REDIS_DB="5", REDIS_LOCK_PREFIX="scaletest")
    script = (
        "import asyncio, sys\n"
        "from rasa.core.lock_store import LockStore, RedisLockStore\n"
        "from rasa.utils.endpoints import read_endpoint_config\n"
        "store = LockStore.create(read_endpoint_config(sys.argv[1], 'lock_store'))\n"
        "assert isinstance(store, RedisLockStore), type(store)\n"
        "async def main():\n"
        "    async with store.lock('scale-test-sender'):\n"
        "        assert store.get_lock('scale-test-sender') is not None\n"
        "        keys = store.red.keys('scaletest:lock:*')\n"
        "        assert keys, keys\n"
        "asyncio.run(main())\n"
        "print('ok', store.key_prefix)\n"
    )
    out = subprocess.run([str(RASA_PYTHON), "-c", script, str(tmp_path / "endpoints.yml")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120,
                         env={"REDIS_PASSWORD": "", "PG_PASSWORD": "", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("scaletest:lock:")


@pytest.mark.postgres
@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="no Rasa environment")
def test_an_unreachable_database_stops_the_turn_instead_of_an_empty_tracker():
    """FailSafeTrackerStore would answer with an empty tracker; ours raises past it."""
    from tests.booking_support import pg_reachable

    if not pg_reachable():
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    script = (
        "import asyncio, sqlalchemy as sa\n"
        "from sqlalchemy.orm import sessionmaker\n"
        "from rasa.core.tracker_store import FailSafeTrackerStore\n"
        "from rasa.shared.core.domain import Domain\n"
        "import bot.tracker_store as ts\n"
        "ts.READ_PATIENCE_S = 1.0\n"
        "store = ts.ResilientSQLTrackerStore(domain=Domain.empty(), dialect='postgresql', host='127.0.0.1',"
        " port=5432, db='test', username='postgres', password='')\n"
        "async def main():\n"
        "    assert await FailSafeTrackerStore(store).retrieve('nobody-here') is None\n"
        "    store.engine = sa.create_engine('postgresql://postgres@127.0.0.1:1/test')\n"
        "    store.sessionmaker = sessionmaker(bind=store.engine)\n"
        "    try:\n"
        "        await FailSafeTrackerStore(store).retrieve('nobody-here')\n"
        "    except ts.TrackerStoreUnavailable:\n"
        "        print('stopped')\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run([str(RASA_PYTHON), "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "stopped"
