"""Privacy: tracker store administration (SQLite, PostgreSQL, Redis), erasure, retention purge,
CLI, leak scanner and log redaction."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from booking_support import pg_reachable, sqlite_database
from sqlalchemy import create_engine, func, select, text, update

from booking import service
from booking.models import AppointmentRequest, StatusChange
from core.db import session_scope
from core.settings import PROJECT_ROOT, get_settings
from privacy import cli as privacy_cli
from privacy import logging_filter
from privacy.config import PrivacyConfigError, rasa_redis_key_prefix, tracker_store_config
from privacy.erase import EraseReport, erase_everything, erase_tracker_after_turn
from privacy.log_scan import scan_folder
from privacy.logging_filter import RedactionFilter, install_redaction, redact
from privacy.retention import purge, purge_requests
from privacy.trackers import RedisTrackerStoreAdmin, SQLTrackerStoreAdmin, TrackerStoreAdmin

UTC = timezone.utc
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
DAY = 86400.0
TEAM = "avec-vous-saint-max"
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"

# DDL of Rasa 3.6's SQLTrackerStore.SQLEvent (rasa/core/tracker_store.py) as SQLAlchemy emits it.
RASA_EVENTS_DDL = {
    "sqlite": "CREATE TABLE events (id INTEGER NOT NULL, sender_id VARCHAR(255) NOT NULL, "
              "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
              "action_name VARCHAR(255), data TEXT, PRIMARY KEY (id))",
    "postgres": "CREATE TABLE events (id SERIAL NOT NULL, sender_id VARCHAR(255) NOT NULL, "
                "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
                "action_name VARCHAR(255), data TEXT, PRIMARY KEY (id))",
}


def rasa_events(timestamps: list[float], said: str = "j'ai 68 ans") -> list[dict]:
    """Events shaped like Rasa's Event.as_dict(): a user message, the bot's reply, action_listen."""
    kinds = ["user", "bot", "action"]
    events = []
    for i, ts in enumerate(timestamps):
        kind = kinds[i % 3]
        event = {"event": kind, "timestamp": ts}
        if kind == "user":
            event.update(text=said, parse_data={"intent": {"name": "inform", "confidence": 0.9}})
        elif kind == "bot":
            event.update(text="Merci. Vivez-vous seul(e) ?")
        else:
            event.update(name="action_listen")
        events.append(event)
    return events


class SQLStore:
    """Writes events the way SQLTrackerStore.save does (one row per event)."""

    def __init__(self, url: str, kind: str) -> None:
        self.engine = create_engine(url)
        with self.engine.begin() as conn:
            conn.execute(text(RASA_EVENTS_DDL[kind]))
            conn.execute(text("CREATE INDEX ix_events_sender_id ON events (sender_id)"))
        self.admin = SQLTrackerStoreAdmin(url)

    def save(self, sender: str, events: list[dict]) -> None:
        rows = [{"s": sender, "t": e["event"], "ts": e["timestamp"],
                 "i": (e.get("parse_data") or {}).get("intent", {}).get("name"), "a": e.get("name"),
                 "d": json.dumps(e)} for e in events]
        with self.engine.begin() as conn:
            conn.execute(text("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)"
                              " VALUES (:s, :t, :ts, :i, :a, :d)"), rows)

    def close(self) -> None:
        self.admin.close()
        self.engine.dispose()


class RedisStore:
    """Writes trackers the way RedisTrackerStore.save does (one JSON dialogue per key, merged)."""

    def __init__(self, client, prefix: str) -> None:  # noqa: ANN001
        self.client = client
        self.key_prefix = rasa_redis_key_prefix(prefix)
        self.admin = RedisTrackerStoreAdmin(client, key_prefix=self.key_prefix)

    def save(self, sender: str, events: list[dict]) -> None:
        key = self.key_prefix + sender
        stored = self.client.get(key)
        old = json.loads(stored)["events"] if stored else []
        merged = old + [e for e in events if e not in old]
        self.client.set(key, json.dumps({"events": merged, "name": sender}), ex=30 * 86400)

    def close(self) -> None:
        for key in self.client.scan_iter(match=self.key_prefix + "*"):
            self.client.delete(key)
        self.client.close()


def redis_client():  # noqa: ANN201
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=15, decode_responses=True, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    return client


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "redis"])
def store(request, tmp_path):  # noqa: ANN001, ANN201
    if request.param == "sqlite":
        s = SQLStore(f"sqlite:///{tmp_path / 'rasa_trackers.db'}", "sqlite")
        yield s
        s.close()
    elif request.param == "postgres":
        if not pg_reachable():
            pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
        import psycopg

        schema = f"privacy_{uuid.uuid4().hex[:12]}"  # Rasa's table name is fixed: isolate by schema
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        s = SQLStore(f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}",
                     "postgres")
        try:
            yield s
        finally:
            s.close()
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    else:
        s = RedisStore(redis_client(), f"t{uuid.uuid4().hex[:12]}")
        yield s
        s.close()


# --- tracker store administration ----------------------------------------------------------------


def test_erase_sender_removes_only_that_sender(store):
    t = NOW.timestamp()
    store.save("awa", rasa_events([t - 30, t - 20, t - 10]))
    store.save("bruno", rasa_events([t - 5, t - 4]))
    assert store.admin.count_senders() == 2
    assert store.admin.erase_sender("awa") == 3
    assert store.admin.count_senders() == 1
    assert store.admin.latest_timestamp("awa") is None
    assert store.admin.latest_timestamp("bruno") == t - 4
    assert store.admin.erase_sender("awa") == 0  # nothing left: still fine
    assert store.admin.erase_sender("") == 0


def test_erase_sender_up_to_keeps_later_events(store):
    t = NOW.timestamp()
    store.save("awa", rasa_events([t - 30, t - 20, t - 10]))
    assert store.admin.erase_sender("awa", up_to=t - 20) == 2
    assert store.admin.latest_timestamp("awa") == t - 10
    assert store.admin.erase_sender("awa", up_to=t) == 1
    assert store.admin.count_senders() == 0


def test_purge_removes_only_conversations_whose_last_event_is_old(store):
    t = NOW.timestamp()
    store.save("old", rasa_events([t - 40 * DAY, t - 35 * DAY, t - 31 * DAY]))
    store.save("came-back", rasa_events([t - 60 * DAY, t - 2 * DAY]))  # old start, recent end: kept whole
    store.save("recent", rasa_events([t - 3600]))
    assert store.admin.purge_older_than(30, now=NOW, dry_run=True) == 1
    assert store.admin.count_senders() == 3  # the dry run removed nothing
    assert store.admin.purge_older_than(30, now=NOW) == 1
    assert store.admin.count_senders() == 2
    assert store.admin.latest_timestamp("old") is None
    assert store.admin.erase_sender("came-back", up_to=t - 30 * DAY) == 1  # its old event was kept
    assert store.admin.purge_older_than(30, now=NOW) == 0
    assert store.admin.purge_older_than(1, now=NOW + timedelta(days=3)) == 2
    with pytest.raises(ValueError, match="jours"):
        store.admin.purge_older_than(0, now=NOW)


def test_erase_after_turn_survives_rasa_saving_the_old_tracker_again(store):
    """Rasa saves the tracker it loaded at the end of the turn: what we deleted comes back.
    The deferred erasure waits for that save and cleans up again during the settle period."""
    requested_at = time.time()
    old = rasa_events([requested_at - 100, requested_at - 90, requested_at - 80], said="Élodie, 06 12 34 56 78")
    store.save("awa", old)
    store.save("bruno", rasa_events([requested_at - 50]))

    def rasa_turns() -> None:
        time.sleep(0.4)  # the /effacer turn ends: Rasa saves its new events
        store.save("awa", rasa_events([time.time(), time.time()]))
        time.sleep(0.4)  # a racing turn that had loaded the old tracker writes it back
        store.save("awa", old)

    turn = threading.Thread(target=rasa_turns)
    turn.start()
    started = time.monotonic()
    removed = erase_tracker_after_turn("awa", store.admin, requested_at=requested_at, wait=5, settle=1.5, poll=0.05)
    turn.join()
    assert time.monotonic() - started >= 0.4  # it waited for the turn to be saved
    assert removed >= 5
    assert store.admin.latest_timestamp("awa") is None
    assert store.admin.latest_timestamp("bruno") == requested_at - 50


def test_sqlite_file_keeps_no_trace_of_erased_answers(tmp_path):
    store = SQLStore(f"sqlite:///{tmp_path / 'rasa_trackers.db'}", "sqlite")
    store.save("awa", rasa_events([time.time()] * 3, said="Élodie Marchal, 06 12 34 56 78"))
    store.save("bruno", rasa_events([time.time()]))
    assert scan_folder(tmp_path, ["Élodie Marchal"])
    store.admin.erase_sender("awa")
    store.close()
    assert scan_folder(tmp_path, ["Élodie Marchal", "06 12 34 56 78"]) == []


def test_sqlite_store_not_created_yet_is_empty_and_left_alone(tmp_path):
    path = tmp_path / "rasa_trackers.db"
    admin = SQLTrackerStoreAdmin(f"sqlite:///{path}")
    assert admin.count_senders() == 0
    assert admin.erase_sender("awa") == 0
    assert admin.purge_older_than(30) == 0
    assert not path.exists()


# --- configuration ------------------------------------------------------------------------------


def test_config_follows_ops_stack_defaults(tmp_path):
    cfg = tracker_store_config({"AVECVOUS_RUN_DIR": str(tmp_path)})
    assert cfg.kind == "sqlite" and cfg.sql_url == f"sqlite:///{tmp_path.resolve() / 'rasa_trackers.db'}"
    cfg = tracker_store_config({"TRACKER_STORE": "sqlite", "RASA_TRACKER_DB": str(tmp_path / "x.db")})
    assert cfg.sql_url.endswith("/x.db")
    cfg = tracker_store_config({"TRACKER_STORE": "postgres", "PG_PASSWORD": "s3cret", "PG_DATABASE": "rasa"})
    assert cfg.kind == "postgres"
    url = cfg.sql_url
    assert (url.drivername, url.host, url.port, url.username, url.password, url.database) == (
        "postgresql+psycopg", "127.0.0.1", 5432, "postgres", "s3cret", "rasa")
    assert "s3cret" not in repr(cfg)
    cfg = tracker_store_config({"TRACKER_STORE": "redis", "REDIS_DB": "3"})
    assert (cfg.kind, cfg.redis_db, cfg.redis_key_prefix) == ("redis", 3, "avecvous:tracker:")
    with pytest.raises(PrivacyConfigError, match="TRACKER_STORE"):
        tracker_store_config({"TRACKER_STORE": "mongo"})
    with pytest.raises(PrivacyConfigError, match="REDIS_PORT"):
        tracker_store_config({"TRACKER_STORE": "redis", "REDIS_PORT": "abc"})


def test_redis_key_prefix_follows_rasa_rule():
    assert rasa_redis_key_prefix("avecvous") == "avecvous:tracker:"
    assert rasa_redis_key_prefix("avec-vous") == "tracker:"  # Rasa ignores non-alphanumeric prefixes
    assert rasa_redis_key_prefix(None) == "tracker:"


def test_config_from_environment_reaches_the_postgres_store():
    if not pg_reachable():
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    env = {"TRACKER_STORE": "postgres", "PG_HOST": "127.0.0.1", "PG_PORT": "5432", "PG_USER": "postgres",
           "PG_PASSWORD": "", "PG_DATABASE": "test", "POSTGRESQL_SCHEMA": f"absent_{uuid.uuid4().hex[:8]}"}
    with TrackerStoreAdmin.from_config(tracker_store_config(env)) as admin:
        assert admin.count_senders() == 0  # connected; no events table in that schema


# --- real Rasa ----------------------------------------------------------------------------------

RASA_PYTHON = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"
RASA_SCRIPT = """
import asyncio, json, sys, time
from rasa.core.tracker_store import RedisTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

phase, db, prefix = sys.argv[1:4]
domain = Domain.empty()
stores = [SQLTrackerStore(domain, dialect="sqlite", db=db)]
if prefix != "-":
    stores.append(RedisTrackerStore(domain, host="127.0.0.1", port=6379, db=15, key_prefix=prefix))

async def main():
    if phase == "write":
        for sender, ts in (("old", time.time() - 40 * 86400), ("awa", time.time() - 60), ("bruno", time.time())):
            tracker = DialogueStateTracker(sender, domain.slots)
            for event in (ActionExecuted("action_session_start", timestamp=ts), SessionStarted(timestamp=ts),
                          ActionExecuted("action_listen", timestamp=ts), UserUttered("Élodie, j'ai 68 ans", timestamp=ts),
                          BotUttered("Merci.", timestamp=ts)):
                tracker.update(event)
            for store in stores:
                await store.save(tracker)
    else:
        found = []
        for store in stores:
            found.append(sorted([s for s in ("old", "awa", "bruno") if await store.retrieve(s) is not None]))
        print(json.dumps(found))

asyncio.run(main())
"""


def run_rasa(*args: str) -> str:
    env = dict(os.environ, SQLALCHEMY_SILENCE_UBER_WARNING="1", RASA_TELEMETRY_ENABLED="false")
    done = subprocess.run([str(RASA_PYTHON), "-c", RASA_SCRIPT, *args], capture_output=True, text=True,
                          timeout=180, env=env, cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def test_stores_written_by_the_real_rasa(tmp_path):
    if not RASA_PYTHON.exists():
        pytest.skip("the Rasa virtualenv is not installed")
    db = tmp_path / "rasa_trackers.db"
    try:
        client = redis_client()
        prefix = f"t{uuid.uuid4().hex[:12]}"
    except pytest.skip.Exception:
        client, prefix = None, "-"
    try:
        run_rasa("write", str(db), prefix)
        admins = [SQLTrackerStoreAdmin(f"sqlite:///{db}")]
        if client is not None:
            admins.append(RedisTrackerStoreAdmin(client, key_prefix=rasa_redis_key_prefix(prefix)))
        for admin in admins:
            assert admin.count_senders() == 3
            assert admin.erase_sender("awa") == 5
            assert admin.purge_older_than(30) == 1
            admin_hits = [admin.latest_timestamp(s) is not None for s in ("old", "awa", "bruno")]
            assert admin_hits == [False, False, True]
        assert json.loads(run_rasa("read", str(db), prefix)) == [["bruno"]] * len(admins)
    finally:
        if client is not None:
            for key in client.scan_iter(match=prefix + ":*"):
                client.delete(key)


# --- appointment requests -------------------------------------------------------------------------


def make_request(url: str, conversation_id: str, status: str, updated_at: datetime) -> int:
    req = service.book_callback(team_id=TEAM, first_name="Awa", contact_phone="06 12 34 56 78",
                                conversation_id=conversation_id, url=url)
    if status != "new":
        service.change_status(req.id, status, note="test", url=url)
    with session_scope(url) as s:
        s.execute(update(AppointmentRequest).where(AppointmentRequest.id == req.id).values(updated_at=updated_at))
    return req.id


def test_purge_requests_removes_old_closed_requests_only(tmp_path):
    url = sqlite_database(tmp_path)
    old = NOW - timedelta(days=400)
    held = make_request(url, "c1", "held", old)
    make_request(url, "c2", "cancelled", old)
    make_request(url, "c3", "no_show", old)
    recent_closed = make_request(url, "c4", "held", NOW - timedelta(days=10))
    open_new = make_request(url, "c5", "new", old)
    open_contacted = make_request(url, "c6", "contacted", old)
    assert purge_requests(365, now=NOW, url=url, dry_run=True) == 3
    assert purge_requests(365, now=NOW, url=url) == 3
    with session_scope(url) as s:
        left = set(s.scalars(select(AppointmentRequest.id)))
        history = s.scalar(select(func.count()).select_from(StatusChange).where(StatusChange.request_id == held))
    assert left == {recent_closed, open_new, open_contacted}
    assert history == 0
    assert purge_requests(365, now=NOW, url=url) == 0


def test_purge_runs_both_rules(tmp_path):
    url = sqlite_database(tmp_path)
    make_request(url, "c1", "cancelled", NOW - timedelta(days=400))
    make_request(url, "c2", "new", NOW - timedelta(days=400))
    trackers = SQLStore(f"sqlite:///{tmp_path / 'rasa_trackers.db'}", "sqlite")
    t = NOW.timestamp()
    trackers.save("c1", rasa_events([t - 45 * DAY]))
    trackers.save("c2", rasa_events([t - DAY]))
    settings = dataclasses.replace(get_settings(), database_url=url, tracker_retention_days=30,
                                   request_retention_days=365)
    report = purge(NOW, dry_run=True, settings=settings, admin=trackers.admin)
    assert (report.trackers_removed, report.requests_removed, report.dry_run) == (1, 1, True)
    assert "seraient supprimée" in report.lines_fr()[0]
    report = purge(NOW, settings=settings, admin=trackers.admin)
    assert (report.trackers_removed, report.requests_removed) == (1, 1)
    assert report.lines_fr() == ["Conversations de plus de 30 jours : 1 supprimée.",
                                 "Demandes closes depuis plus de 365 jours : 1 supprimée.",
                                 # the open one is closed with a reason, deleted a year later
                                 "Demandes ouvertes sans suite depuis 90 jours : 1 clôturée."]
    assert trackers.admin.count_senders() == 1
    trackers.close()


# --- erase everything -----------------------------------------------------------------------------


def test_erase_everything_erases_tracker_and_requests_of_that_sender_only(tmp_path):
    url = sqlite_database(tmp_path)
    trackers = SQLStore(f"sqlite:///{tmp_path / 'rasa_trackers.db'}", "sqlite")
    t = time.time()
    trackers.save("awa", rasa_events([t - 3, t - 2, t - 1]))
    trackers.save("bruno", rasa_events([t - 1]))
    make_request(url, "awa", "new", NOW)
    make_request(url, "bruno", "new", NOW)
    report = erase_everything("awa", admin=trackers.admin, db_url=url)
    assert (report.tracker_events_removed, report.requests_erased) == (3, 1)
    assert report.summary_fr() == "vos réponses à mes questions et 1 demande de rendez-vous"
    assert report.sentence_fr() == "J'ai effacé vos réponses à mes questions et 1 demande de rendez-vous."
    with session_scope(url) as s:
        assert list(s.scalars(select(AppointmentRequest.conversation_id))) == ["bruno"]
    assert trackers.admin.count_senders() == 1
    again = erase_everything("awa", admin=trackers.admin, db_url=url)
    assert not again.anything and again.summary_fr() == ""
    assert again.sentence_fr() == "Je n'avais rien gardé de vous : il n'y avait rien à effacer."
    assert erase_everything("", admin=trackers.admin, db_url=url) == EraseReport()
    trackers.close()


def test_erase_everything_after_turn_erases_in_background(tmp_path):
    url = sqlite_database(tmp_path)
    trackers = SQLStore(f"sqlite:///{tmp_path / 'rasa_trackers.db'}", "sqlite")
    t = time.time()
    trackers.save("awa", rasa_events([t - 3, t - 2]))
    make_request(url, "awa", "new", NOW)
    report = erase_everything("awa", after_turn=True, admin=trackers.admin, db_url=url)
    assert report.tracker_pending and report.requests_erased == 1
    assert report.summary_fr() == "vos réponses à mes questions et 1 demande de rendez-vous"
    trackers.save("awa", rasa_events([time.time()]))  # Rasa saves the /effacer turn
    deadline = time.monotonic() + 15
    while trackers.admin.latest_timestamp("awa") is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert trackers.admin.latest_timestamp("awa") is None
    trackers.close()


def test_report_plural():
    assert EraseReport(requests_erased=2).summary_fr() == "2 demandes de rendez-vous"
    assert EraseReport(tracker_events_removed=7).sentence_fr() == "J'ai effacé vos réponses à mes questions."


# --- command line --------------------------------------------------------------------------------


def test_cli_in_french(tmp_path, monkeypatch, capsys):
    url = sqlite_database(tmp_path)
    make_request(url, "awa", "new", NOW)
    trackers = SQLStore(f"sqlite:///{tmp_path / 'rasa_trackers.db'}", "sqlite")
    trackers.save("awa", rasa_events([time.time()]))
    trackers.save("old", rasa_events([time.time() - 90 * DAY]))
    trackers.close()
    env = {"AVECVOUS_RUN_DIR": str(tmp_path), "DATABASE_URL": url, "TRACKER_STORE": "sqlite",
           "RASA_TRACKER_DB": str(tmp_path / "rasa_trackers.db")}
    # Once as a real command, the rest in-process (faster) with the same environment.
    done = subprocess.run([sys.executable, "-m", "privacy.cli", "purge", "--dry-run"], capture_output=True,
                          text=True, env=dict(os.environ, **env), cwd=PROJECT_ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Simulation" in done.stdout and "1 seraient supprimée" in done.stdout
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()

    def cli(*args: str) -> tuple[int, str, str]:
        code = privacy_cli.main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    try:
        assert cli("count") == (0, "Conversations conservées : 2.\n", "")
        code, out, _ = cli("erase", "awa")
        assert code == 0 and "vos réponses à mes questions et 1 demande de rendez-vous" in out
        assert "Rien n'était conservé" in cli("erase", "awa")[1]
        assert cli("erase", "  ")[0] == 2
        assert cli("purge")[0] == 0
        assert cli("count")[1] == "Conversations conservées : 0.\n"
        monkeypatch.setenv("TRACKER_STORE", "mongo")
        code, _, err = cli("count")
        assert code == 1 and "TRACKER_STORE doit valoir" in err
    finally:
        get_settings.cache_clear()


# --- leak scanner --------------------------------------------------------------------------------


def test_scan_folder_finds_secrets_ignoring_case_accents_and_json_escapes(tmp_path):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "rasa.log").write_text("start\nReceived message from ELODIE\nbye\n", encoding="utf-8")
    (tmp_path / "trackers.db").write_bytes(b"\x00\x01SQLite\xff" + json.dumps({"text": "Élodie à Saint-Dié"}).encode())
    (tmp_path / "clean.log").write_text("rien ici\n", encoding="utf-8")
    hits = scan_folder(tmp_path, ["Élodie", "saint-die", "06 12 34 56 78", ""])
    found = sorted((h.path.name, h.line, h.secret) for h in hits)
    assert found == sorted([("rasa.log", 2, "Élodie"), ("trackers.db", 1, "Élodie"), ("trackers.db", 1, "saint-die")])
    assert "rasa.log:2" in str(hits[0]) or "rasa.log:2" in str(hits[-1])
    assert scan_folder(tmp_path, ["Bruno"]) == []


# --- log redaction -------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("Received user message 'j'ai 68 ans' with intent 'inform'",
     "Received user message '[texte masqué]' with intent 'inform'"),
    ("rappel au 06 12 34 56 78 ou +33612345678", "rappel au [téléphone] ou [téléphone]"),
    ("contact: awa.diallo@example.fr.", "contact: [e-mail]."),
    ("payload {'text': \"je vis seule\", 'intent': 'inform'}", "payload {'text': \"[texte masqué]\", 'intent': 'inform'}"),
    ('answer "je suis à la rue avec mes enfants" kept', 'answer "[texte masqué]" kept'),
    ('Loaded "bot/domain.yml" in 3 s at 1732019200.123 on port 5005',
     'Loaded "bot/domain.yml" in 3 s at 1732019200.123 on port 5005'),
])
def test_redact(raw, expected):
    assert redact(raw) == expected


@pytest.fixture
def clean_record_factory():
    factory = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(factory)
    logging_filter._installed = None


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_install_redaction_covers_loggers_and_handlers_created_later(clean_record_factory):
    install_redaction(["avecvous.test"])
    handler = Collect()
    for name in ("avecvous.test.child", "other.test"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    logging.getLogger("avecvous.test.child").info("sms to %s: %s", "0612345678", "'mon loyer est de 500 euros'")
    logging.getLogger("other.test").info("sms to %s", "0612345678")
    try:
        raise ValueError("could not parse 'j'ai deux enfants' from awa@example.fr")
    except ValueError:
        logging.getLogger("avecvous.test.child").exception("parse failed")
    assert handler.lines[0] == "sms to [téléphone]: '[texte masqué]'"
    assert handler.lines[1] == "sms to 0612345678"  # not a logger we were asked to redact
    # The exception's message (which may quote a tracker or what was typed) is dropped: type only.
    assert "awa@example.fr" not in handler.lines[2] and handler.lines[2].endswith("\nValueError")
    assert install_redaction() is logging_filter._installed  # idempotent: one factory only
    for name in ("avecvous.test.child", "other.test"):
        logging.getLogger(name).removeHandler(handler)


def test_filter_on_a_handler_never_drops_records():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "tel %s", ("06 12 34 56 78",), None)
    assert RedactionFilter().filter(record) is True
    assert record.getMessage() == "tel [téléphone]"
    assert record.args == ("[téléphone]",)  # structure kept for formatters that unpack args
    quoted = logging.LogRecord("x", logging.INFO, __file__, 1, "said '%s'", ("je vis seule ici",), None)
    RedactionFilter().filter(quoted)
    assert quoted.getMessage() == "said '[texte masqué]'" and quoted.args is None
    untouched = logging.LogRecord("x", logging.INFO, __file__, 1, "port %d", (5005,), None)
    RedactionFilter().filter(untouched)
    assert untouched.args == (5005,)
    broken = logging.LogRecord("x", logging.INFO, __file__, 1, "%d", ("not a number",), None)
    assert RedactionFilter().filter(broken) is True and broken.getMessage() == "%d"
