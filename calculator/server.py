"""The calculator process: a warm OpenFisca-France behind a small loopback HTTP server.

    CALCULATOR_PORT=5077 .venv-calc/bin/python -m calculator.server

Why our own worker and not `openfisca serve`: the Web API computes one situation per request in
a gunicorn worker, with no cache and no batching; the cost of OpenFisca-France is in the
dependency graph (about 30 000 `calculate` calls per computation), not in the number of
households, so batching households that arrive together, caching by situation and shortening
the graph (calculator.compute) is what makes it fast. Stdlib only (http.server): the OpenFisca
env carries no web framework of ours.

POST /calculate  {"period": "YYYY-MM", "situations": [situation, ...], "timeout": seconds}
  -> {"results": [{"status": "ok", "benefits": {id: {eligible, monthly, yearly}}}
                  | {"status": "pending"} | {"status": "error"}, ...]}
  Requests arriving within BATCH_WINDOW are computed in one Simulation. A result not ready
  within the timeout is "pending": the computation goes on and lands in the cache, so the next
  call (the results screen after a prefetch) gets it at once.
GET /health -> {"status": "ok", "cached": n, "computations": n, "batches": n}
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger("calculator")

BATCH_WINDOW = 0.02       # seconds to wait for companions before computing
MAX_BATCH = 32
CACHE_SIZE = 2048
DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 60.0
MAX_BODY = 16_000_000   # a batch of households with 8 years of monthly resources


def situation_key(period: str, situation: Any) -> str:
    """Canonical hash: the same household gives the same key whatever the key order."""
    text = json.dumps([period, situation], sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


class LRU:
    def __init__(self, size: int):
        self.size, self.data, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key: str):
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
            return None

    def put(self, key: str, value) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)

    def __len__(self) -> int:
        return len(self.data)


class Service:
    """Cache, in-flight de-duplication and one compute thread that batches what is queued."""

    def __init__(self, compute, cache_size: int = CACHE_SIZE, batch_window: float = BATCH_WINDOW,
                 max_batch: int = MAX_BATCH):
        self.compute = compute          # (situations, period) -> list[dict | None]
        self.cache = LRU(cache_size)
        self.inflight: dict[str, Future] = {}
        self.lock = threading.Lock()
        self.jobs: queue.Queue = queue.Queue()
        self.batch_window, self.max_batch = batch_window, max_batch
        self.stats = {"computations": 0, "batches": 0, "largest_batch": 0, "cpu_seconds": 0.0, "last_cpu_seconds": 0.0}
        threading.Thread(target=self._worker, name="calculator-compute", daemon=True).start()

    def submit(self, period: str, situation: Any) -> Future:
        key = situation_key(period, situation)
        cached = self.cache.get(key)
        if cached is not None:
            done: Future = Future()
            done.set_result(cached)
            return done
        with self.lock:
            future = self.inflight.get(key)
            if future is None:
                future = Future()
                self.inflight[key] = future
                self.jobs.put((key, period, situation, future))
        return future

    def _worker(self) -> None:
        while True:
            batch = [self.jobs.get()]
            deadline = time.monotonic() + self.batch_window
            while len(batch) < self.max_batch:
                try:
                    batch.append(self.jobs.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            by_period: dict[str, list] = {}
            for job in batch:
                by_period.setdefault(job[1], []).append(job)
            for period, jobs in by_period.items():
                self._run(period, jobs)

    def _run(self, period: str, jobs: list) -> None:
        cpu = time.thread_time()   # CPU of this thread: the cost whatever the machine's load
        try:
            results = self.compute([job[2] for job in jobs], period)
        except Exception:  # noqa: BLE001 - the process must survive any household
            log.exception("calculator: batch failed")
            results = [None] * len(jobs)
        cpu = time.thread_time() - cpu
        self.stats["cpu_seconds"] = round(self.stats["cpu_seconds"] + cpu, 3)
        self.stats["last_cpu_seconds"] = round(cpu, 3)
        self.stats["batches"] += 1
        self.stats["computations"] += len(jobs)
        self.stats["largest_batch"] = max(self.stats["largest_batch"], len(jobs))
        for (key, _period, _situation, future), result in zip(jobs, results, strict=True):
            if result is not None:
                self.cache.put(key, result)
            with self.lock:
                self.inflight.pop(key, None)
            future.set_result(result)

    def calculate(self, period: str, situations: list, timeout: float) -> list[dict]:
        futures = [self.submit(period, s) for s in situations]
        deadline = time.monotonic() + timeout
        out = []
        for future in futures:
            try:
                result = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                out.append({"status": "pending"})
                continue
            out.append({"status": "error"} if result is None else {"status": "ok", "benefits": result})
        return out


def make_handler(service: Service):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # no access log: bodies hold personal answers
            pass

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/health":
                self._send(200, {"status": "ok", "cached": len(service.cache), **service.stats})
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:
            if self.path != "/calculate":
                self._send(404, {"error": "not found"})
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if not 0 < length <= MAX_BODY:
                    raise ValueError("body size")
                body = json.loads(self.rfile.read(length))
                period = body["period"]
                situations = body["situations"]
                if not isinstance(period, str) or len(period) != 7 or not isinstance(situations, list):
                    raise ValueError("period or situations")
                timeout = min(MAX_TIMEOUT, max(0.0, float(body.get("timeout", DEFAULT_TIMEOUT))))
            except (ValueError, KeyError, TypeError):
                self._send(400, {"error": "expected {period: YYYY-MM, situations: [...], timeout}"})
                return
            self._send(200, {"results": service.calculate(period, situations, timeout)})

    return Handler


def serve(port: int, compute=None, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """A started server (in a thread) around `compute`, by default a warm OpenFisca-France."""
    if compute is None:
        from calculator.compute import Calculator
        compute = Calculator().compute_each
    ThreadingHTTPServer.request_queue_size = 128   # households arriving together (default backlog: 5)
    server = ThreadingHTTPServer((host, port), make_handler(Service(compute)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="calculator-http", daemon=True).start()
    return server


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    port = int(os.environ.get("CALCULATOR_PORT", "5077"))
    started = time.monotonic()
    from calculator.compute import Calculator
    from calculator.situation import build_situation, current_period
    calculator = Calculator()
    # Warm-up: the first computation builds OpenFisca's caches (parameters, formulas).
    calculator.compute([build_situation({"age": 30, "household": "alone"})], current_period())
    server = serve(port, calculator.compute_each)
    log.info("calculator ready on 127.0.0.1:%s in %.1f s", port, time.monotonic() - started)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
