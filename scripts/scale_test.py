"""`make scale-test`: the scale topology under load and faults, on this machine, loopback only.

Starts the scale configuration (ops/topology.py: RASA_REPLICAS Rasa replicas on PostgreSQL +
Redis, ACTION_SERVERS action servers, WEB_WORKERS web workers) on free ports, with its own
PostgreSQL database (avecvous_scale_run, dropped first), Redis db 5 under its own key prefix, a
local SMTP sink for the team notifications, and the tracker store reached through a small TCP
proxy (so PostgreSQL can be made unreachable for Rasa without touching the real server).

Then SCALE_CONVERSATIONS residents (default 200) talk at once through the web proxy (/api/chat,
one cookie each, so each conversation goes to one replica by its sender id): the whole
questionnaire, then a call-back booking, with a resident's pause between turns (SCALE_THINK,
default "4,12" seconds, as scripts/benchmarks/bench_load.py). In the middle of the load, one at a time: one Rasa replica, one action
server and the web process are killed (SIGKILL) and restarted, then PostgreSQL is unreachable for
Rasa for a few seconds (a witness conversation must get a French apology, then go on).

A resident (the client) retries like a person would: after a refused connection, an apology or a
reply that is not the expected one, it looks at the tracker (and at the conversation's Redis lock,
while a replica may still be working) and sends its message again only if it was not taken into
account. At the end every conversation's answers are read back from the tracker store, bookings and
notifications are counted in the database and the SMTP sink, everything is stopped, and the last
line is

    scale: conversations=N errors=E lost=L duplicates=D faults=F p95_ms=P

errors: turns that never got their answer; lost: conversations whose answers are not all in the
tracker store (or without their booking); duplicates: extra bookings of a conversation plus extra
notifications of a booking; faults: process kills survived (each restarted, load still answered);
p95_ms: 95th percentile of the time of the request that answered each turn.
Smaller runs for development: SCALE_CONVERSATIONS=10 SCALE_FAULTS=0 (no kills).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ops.stack import MODEL_DIR, free_port  # noqa: E402
from ops.topology import ScaleStack  # noqa: E402

DB_NAME = "avecvous_scale_run"
REDIS_DB = "5"
REDIS_PREFIX = "avecvousscale"
PG = dict(host="127.0.0.1", port=5432, user="postgres")
TURN_DEADLINE_S = 240.0  # a turn gives up after this (a restart, a stale lock of a killed replica)
APOLOGY_CODES = {"unavailable", "no_reply"}
REFERENCE_RE = re.compile(r"AV-[2-9A-Z]{4}")

# How a 68-year-old living alone on a small pension in Nancy answers (tests/e2e persona), then a
# call-back booking: the script is recorded once by a probe conversation that reads the tracker.
PERSONA_TYPED = {
    "age": "j'ai soixante-huit ans", "household": "je vis seule", "children_count": "pas d'enfant",
    "children_ages": "jsp", "income_monthly": "720 euros par mois", "income_kinds": "ma retraite",
    "income_pension": "720 euros par mois", "housing": "locataire", "rent": "450 balles", "work": "retraitée",
    "disability": "non", "commune": "nancy", "pregnant": "non", "current_benefits": "aucune",
    "scholarship": "non", "widowed": "non", "needs_daily_help": "non ça va", "health_cover": "une mutuelle",
    "situations": "aucune", "disability_who": "moi",
}
BOOKING_TYPED = {"booking_first_name": "Camille", "booking_contact": "06 12 34 56 78"}


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


# ---- the pieces around the stack -------------------------------------------------------------


class TcpProxy:
    """127.0.0.1:<port> -> target, in its own thread; `cut()` closes the listener and every open
    connection (the server is unreachable), `restore()` listens again."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def _call(self, coro) -> None:  # noqa: ANN001
        asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    def start(self) -> TcpProxy:
        self._call(self._start())
        return self

    def cut(self) -> None:
        self._call(self._cut())

    restore = start

    def stop(self) -> None:
        self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)


class SmtpSink:
    """A local SMTP server that keeps the references of the notifications it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.references: list[str] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN202, N802
                text = envelope.content.decode("utf-8", "replace")
                sink.references.extend(sorted(set(REFERENCE_RE.findall(text)))[:1])
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def fresh_database() -> None:
    import psycopg

    with psycopg.connect(**PG, dbname="postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def app_db(query: str, *params: object) -> list[tuple]:
    import psycopg

    with psycopg.connect(**PG, dbname=DB_NAME, autocommit=True, connect_timeout=5) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


def redis_client():  # noqa: ANN201
    import redis

    return redis.Redis(host="127.0.0.1", port=6379, db=int(REDIS_DB), socket_timeout=5)


def clean_redis() -> None:
    client = redis_client()
    keys = list(client.scan_iter(f"{REDIS_PREFIX}:*"))
    if keys:
        client.delete(*keys)


# ---- a resident ------------------------------------------------------------------------------


def signature(messages: list[dict]) -> str:
    """What a normal answer to a turn looks like, enough to notice a partial one."""
    texts = [m.get("text") or "" for m in messages]
    return f"{len(messages)}|{(texts[-1] if texts else '')[:12]}"


@dataclass
class Script:
    messages: list[str]
    signatures: list[str]
    expected: dict[str, object]  # slot -> value at the end of the probe


@dataclass
class Run:
    stack: ScaleStack
    script: Script
    think: tuple[float, float]
    turns_total: int
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    apologies: int = 0
    retries: int = 0
    checks: int = 0
    turns_done: int = 0

    def api(self, path: str) -> dict | None:
        for url in self.stack.rasa_urls:  # any replica reads the shared tracker store
            try:
                resp = httpx.get(f"{url}{path}", params={"token": self.stack.api_token}, timeout=30)
                if resp.status_code == 200:
                    return resp.json()
            except httpx.HTTPError:
                continue
        return None


def user_texts(tracker: dict) -> list[str]:
    return [e.get("text") or "" for e in tracker.get("events", []) if e.get("event") == "user"]


def lock_held(sender: str) -> bool:
    try:
        return bool(redis_client().exists(f"{REDIS_PREFIX}:lock:{sender}"))
    except Exception:  # noqa: BLE001
        return False


class Resident:
    def __init__(self, run: Run, index: int) -> None:
        self.run = run
        self.index = index
        self.rng = random.Random(index)
        self.client = httpx.AsyncClient(base_url=run.stack.web_url, timeout=60)
        self.sender: str | None = None
        self.done = 0  # turns answered
        self.recorded = 0  # user messages the tracker holds (a failed turn sent again counts twice)
        self.failed = False

    def _sender(self) -> str | None:
        from channels.web import router as web_router

        return web_router.sender_from_cookie(self.client.cookies.get(web_router.SENDER_COOKIE))

    async def _taken(self, message: str) -> bool | None:
        """Did `message` get its answer, although the reply did not say so? Rasa records a message
        whose custom action failed (its events are lost, no bot message follows): that one is sent
        again, as a resident would after « Pouvez-vous réessayer ? ». None while nobody can say."""
        if self.sender is None:
            return False
        self.run.checks += 1
        for _ in range(90):  # a replica may still be working on it: wait for its lock
            if not await asyncio.to_thread(lock_held, self.sender):
                break
            await asyncio.sleep(1)
        tracker = None
        for _ in range(60):  # the tracker store itself may be briefly away
            tracker = await asyncio.to_thread(self.run.api, f"/conversations/{self.sender}/tracker")
            if tracker is not None:
                break
            await asyncio.sleep(1)
        if tracker is None:
            return None
        said = user_texts(tracker)
        if len(said) == self.recorded:
            return False  # never reached Rasa
        if len(said) != self.recorded + 1 or said[-1] != message:
            self.run.errors.append(f"turn {self.done}: tracker has {len(said)} messages, expected {self.recorded}+1")
            raise RuntimeError("diverged")
        self.recorded += 1
        events = tracker.get("events", [])
        last_user = max(i for i, e in enumerate(events) if e.get("event") == "user")
        return any(e.get("event") == "bot" for e in events[last_user + 1:])

    async def turn(self, message: str, expected: str) -> bool:
        deadline = time.monotonic() + TURN_DEADLINE_S
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                resp = await self.client.post("/api/chat", json={"message": message})
                body = resp.json()
            except httpx.ConnectError:  # the web process is down: nothing was sent
                await asyncio.sleep(1)
                continue
            except (httpx.HTTPError, ValueError):
                body = {"error": "transport"}
            elapsed = (time.perf_counter() - started) * 1000
            if self.sender is None:
                self.sender = self._sender()
            messages = body.get("messages") or []
            if not body.get("error") and (signature(messages) == expected or self.done + 1 == len(
                    self.run.script.messages)):
                self.run.latencies.append(elapsed)
                self.recorded += 1
                return True
            if body.get("error") in APOLOGY_CODES:
                self.run.apologies += 1
            try:
                taken = await self._taken(message)
            except RuntimeError:
                return False
            if taken:
                self.run.latencies.append(elapsed)
                return True
            self.run.retries += 1
            await asyncio.sleep(1 + self.rng.random())
        self.run.errors.append(f"turn {self.done}: no answer in {TURN_DEADLINE_S:.0f} s")
        return False

    async def talk(self) -> None:
        await asyncio.sleep(self.rng.uniform(0, self.run.think[1]))  # not all at the same millisecond
        try:
            for message, expected in zip(self.run.script.messages, self.run.script.signatures, strict=True):
                if not await self.turn(message, expected):
                    self.failed = True
                    return
                self.done += 1
                self.run.turns_done += 1
                await asyncio.sleep(self.rng.uniform(*self.run.think))
        finally:
            await self.client.aclose()


def record_script(stack: ScaleStack) -> Script:
    """One resident, adaptively (the tracker says which question is asked), through the web proxy."""
    from channels.web import router as web_router

    client = httpx.Client(base_url=stack.web_url, timeout=120)
    messages, signatures = [], []
    state: dict = {}

    def say(message: str) -> list[dict]:
        body = client.post("/api/chat", json={"message": message}).json()
        assert not body.get("error"), (message, body)
        messages.append(message)
        signatures.append(signature(body["messages"]))
        sender = web_router.sender_from_cookie(client.cookies.get(web_router.SENDER_COOKIE))
        state["tracker"] = httpx.get(f"{stack.rasa_url}/conversations/{sender}/tracker",
                                     params={"token": stack.api_token}, timeout=30).json()
        state["sender"] = sender
        return body["messages"]

    def asked() -> str | None:
        return state["tracker"]["slots"].get("requested_slot")

    say("/greet")
    say("/start_benefits_check")
    for _ in range(20):
        if asked() is None:
            break
        say(PERSONA_TYPED[asked()])
    persona_slots = {k: state["tracker"]["slots"].get(k) for k in PERSONA_TYPED if k in messages_asked(state)}
    replies = say("/book_appointment")
    callbacks = [b["payload"] for m in replies for b in m.get("buttons", []) if "callback" in b["payload"]]
    assert callbacks, f"no call-back button after /book_appointment (asked {asked()}): {replies}"
    callback = callbacks[0]
    replies = say(callback)
    for _ in range(12):
        slot = asked()
        if slot is None:
            break
        if slot in BOOKING_TYPED:
            replies = say(BOOKING_TYPED[slot])
        else:  # a choice: the first button (day, moment, consent, confirmation)
            replies = say(next(b["payload"] for m in replies for b in m.get("buttons", [])))
    slots = state["tracker"]["slots"]
    assert slots.get("booking_reference"), "the probe booking has no reference"
    client.close()
    return Script(messages, signatures, {k: v for k, v in slots.items() if k in persona_slots})


def messages_asked(state: dict) -> set[str]:
    return {e.get("value") for e in state["tracker"]["events"]
            if e.get("event") == "slot" and e.get("name") == "requested_slot" and e.get("value")}


# ---- faults ----------------------------------------------------------------------------------


async def witness_outage(run: Run, proxy: TcpProxy, seconds: float) -> dict:
    """PostgreSQL unreachable for Rasa: a resident gets a French apology, then goes on."""
    client = httpx.AsyncClient(base_url=run.stack.web_url, timeout=60)
    try:
        await client.post("/api/chat", json={"message": "/greet"})
        proxy.cut()
        cut_at = time.monotonic()
        during = (await client.post("/api/chat", json={"message": "/start_benefits_check"})).json()
        await asyncio.sleep(max(0.0, seconds - (time.monotonic() - cut_at)))
        proxy.restore()
        after = None
        for _ in range(30):
            after = (await client.post("/api/chat", json={"message": "/start_benefits_check"})).json()
            if not after.get("error"):
                break
            await asyncio.sleep(1)
        return {"during": during, "after": after, "down_s": round(time.monotonic() - cut_at, 1)}
    finally:
        await client.aclose()


async def inject_faults(run: Run, proxy: TcpProxy, enabled: bool, report: dict) -> None:
    plan = [(0.15, "rasa-1"), (0.35, "actions-1"), (0.55, "web")] if enabled else []
    for fraction, name in plan:
        while run.turns_done < fraction * run.turns_total:
            await asyncio.sleep(0.5)
        log(f"fault: kill {name} ({run.turns_done}/{run.turns_total} turns done)")
        t0 = time.monotonic()
        await asyncio.to_thread(run.stack.kill, name)
        await asyncio.sleep(1)
        run.stack.restart(name)
        await asyncio.to_thread(run.stack.wait_up, name, 900)
        report.setdefault("kills", []).append((name, round(time.monotonic() - t0, 1)))
        log(f"fault: {name} back after {time.monotonic() - t0:.0f} s")
    if enabled:
        while run.turns_done < 0.75 * run.turns_total:
            await asyncio.sleep(0.5)
    log("fault: PostgreSQL unreachable for Rasa (tracker proxy cut)")
    report["outage"] = await witness_outage(run, proxy, float(os.environ.get("SCALE_PG_OUTAGE_S", "6")))
    log(f"fault: PostgreSQL back after {report['outage']['down_s']} s")


# ---- the run ---------------------------------------------------------------------------------


async def load(run: Run, proxy: TcpProxy, conversations: int, faults: bool) -> tuple[list[Resident], dict]:
    residents = [Resident(run, i) for i in range(conversations)]
    report: dict = {}
    talks = asyncio.gather(*(r.talk() for r in residents))
    fault_task = asyncio.create_task(inject_faults(run, proxy, faults, report))
    await talks
    await fault_task  # the load may end before the last fault: it still runs
    return residents, report


def verify(run: Run, residents: list[Resident], smtp: SmtpSink) -> tuple[int, int, list[str]]:
    """lost conversations, duplicates, notes."""
    notes = []
    lost = 0
    senders = [r.sender for r in residents if r.sender]
    for r in residents:
        tracker = run.api(f"/conversations/{r.sender}/tracker") if r.sender else None
        if tracker is None:
            lost += 1
            continue
        said = user_texts(tracker)
        if len(said) < r.done:
            lost += 1
            continue
        if r.failed:
            continue  # its answers so far are there; the failed turn is counted in errors
        slots = tracker["slots"]
        wrong = [k for k, v in run.script.expected.items() if slots.get(k) != v]
        reference = slots.get("booking_reference")
        rows = app_db("SELECT count(*) FROM appointment_requests WHERE conversation_id = %s AND reference = %s",
                      r.sender, reference) if reference else [(0,)]
        if wrong or not rows[0][0]:
            lost += 1
            notes.append(f"lost {r.sender}: wrong={wrong} reference={reference}")
    extra_bookings = sum(n - 1 for (_, n) in app_db(
        "SELECT conversation_id, count(*) FROM appointment_requests WHERE conversation_id = ANY(%s) "
        "GROUP BY conversation_id HAVING count(*) > 1", senders))
    # Team notifications: wait for the outbox (a job every minute) to send every booking.
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        pending = app_db("SELECT count(*) FROM appointment_requests WHERE notified_at IS NULL")[0][0]
        if pending == 0:
            break
        time.sleep(3)
    time.sleep(2)
    refs = [ref for (ref,) in app_db("SELECT reference FROM appointment_requests")]
    counts = {ref: smtp.references.count(ref) for ref in refs}
    extra_notifications = sum(max(0, n - 1) for n in counts.values())
    missing = sum(1 for n in counts.values() if n == 0)
    notes.append(f"bookings in the database: {len(refs)}, extra bookings: {extra_bookings}; "
                 f"notifications received: {len(smtp.references)}, extra: {extra_notifications}, missing: {missing}")
    return lost, extra_bookings + extra_notifications, notes


def main() -> int:
    conversations = int(os.environ.get("SCALE_CONVERSATIONS", "200"))
    faults_on = os.environ.get("SCALE_FAULTS", "1") != "0"
    think = tuple(float(x) for x in os.environ.get("SCALE_THINK", "4,12").split(","))
    replicas = int(os.environ.get("RASA_REPLICAS", "2"))
    servers = int(os.environ.get("ACTION_SERVERS", "2"))
    workers = int(os.environ.get("WEB_WORKERS", "2"))
    if not (MODEL_DIR / "avecvous.tar.gz").exists():
        print("no trained model: run `make model`", file=sys.stderr)
        return 2
    fresh_database()
    clean_redis()
    proxy = TcpProxy(PG["port"]).start()
    kills_survived = 0
    with tempfile.TemporaryDirectory(prefix="avecvous-scale-") as tmp, SmtpSink() as smtp:
        run_dir = Path(tmp)
        overrides = {
            "PG_DATABASE": DB_NAME, "REDIS_DB": REDIS_DB, "REDIS_LOCK_PREFIX": REDIS_PREFIX,
            "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{PG['port']}/{DB_NAME}",
            "RATE_LIMIT_PER_IP": "1000000", "RATE_LIMIT_PER_SENDER": "1000",  # every resident is 127.0.0.1
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "PUBLIC_URL": "http://127.0.0.1:8000",
            "TELEGRAM_BOT_TOKEN": "",
        }
        stack = ScaleStack(run_dir=run_dir, rasa_ports=[free_port() for _ in range(replicas)],
                           actions_ports=[free_port() for _ in range(servers)], web_port=free_port(),
                           web_workers=workers, enable_api=True, with_telegram=False,
                           tracker_pg_port=proxy.port, env_overrides=overrides)
        log(f"starting {replicas} Rasa replicas, {servers} action servers, {workers} web workers")
        started = time.monotonic()
        stack.start()
        # This process reads the widget's signed cookie (the conversation id) with the run's key.
        os.environ["AVECVOUS_RUN_DIR"] = str(run_dir)
        from core.settings import get_settings

        get_settings.cache_clear()
        try:
            stack.wait_healthy(timeout=900)
            log(f"up in {time.monotonic() - started:.0f} s; recording the conversation")
            app_db("UPDATE teams SET notify_email = 'equipe-' || id || '@example.org'")
            script = record_script(stack)
            log(f"script: {len(script.messages)} turns; expected answers {script.expected}")
            run = Run(stack, script, think, conversations * len(script.messages))
            t0 = time.monotonic()
            residents, report = asyncio.run(load(run, proxy, conversations, faults_on))
            elapsed = time.monotonic() - t0
            for name, _seconds in report.get("kills", []):
                up = stack.processes[name].poll() is None
                kills_survived += up
            lost, duplicates, notes = verify(run, residents, smtp)
            outage = report.get("outage", {})
            during = " ".join(m.get("text", "") for m in (outage.get("during") or {}).get("messages", []))
            after_ok = bool(outage.get("after")) and not outage["after"].get("error")
            log(f"load: {run.turns_done} turns in {elapsed:.0f} s ({run.turns_done / elapsed:.1f} turns/s), "
                f"p50 {percentile(run.latencies, 50):.0f} ms, p95 {percentile(run.latencies, 95):.0f} ms, "
                f"max {max(run.latencies or [0]):.0f} ms; apologies {run.apologies}, resent {run.retries}, "
                f"tracker checks {run.checks}")
            log(f"kills: {report.get('kills', [])}")
            log(f"PostgreSQL down {outage.get('down_s')} s: during -> {during!r} "
                f"(error={(outage.get('during') or {}).get('error')}); after -> {'answered' if after_ok else 'NO'}")
            for note in notes[-10:]:
                log(note)
            if run.errors:
                log(f"errors: {sorted(set(run.errors))[:10]}")
        finally:
            stack.stop()
            proxy.stop()
            clean_redis()
    errors = len(run.errors) + (0 if after_ok and during and outage.get("during", {}).get("error") else 1)
    print(f"scale: conversations={conversations} errors={errors} lost={lost} duplicates={duplicates} "
          f"faults={kills_survived} p95_ms={percentile(run.latencies, 95):.0f}", flush=True)
    return 0 if errors == 0 and lost == 0 and duplicates == 0 else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
