"""Timings of the calculator (OpenFisca-France 176.1.8 in its warm worker process).

Prints:
- the worker's start-up (tax-benefit system loaded + warm-up computation);
- one household, every benefit of calculator/benefits.yml, warm, cache missed (distinct
  households sent one after the other): p50 / p95 (goal p50 <= 1 s, p95 <= 2 s);
- households arriving together (one batch): seconds per household;
- the results screen after a prefetch started when the answers that matter were known and
  the last question took `--think` seconds to answer: p95 (goal <= 1.5 s);
- `calculate` calls for one household, short graph vs full graph (in-process count).

Run: .venv/bin/python scripts/benchmarks/bench_openfisca.py [--n 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from calculator import client, launcher  # noqa: E402
from calculator.differential import generate  # noqa: E402
from calculator.situation import build_situation  # noqa: E402

PERIOD = "2026-12"

COUNT_CALLS = r"""
import collections, json, sys, time
from openfisca_core.simulations import Simulation
from calculator.compute import Calculator
calls = collections.Counter()
original = Simulation.calculate
def counted(self, name, period):
    calls[name] += 1
    return original(self, name, period)
Simulation.calculate = counted
situation = json.load(sys.stdin)
PERIOD = sys.argv[1]
out = {}
for short in (True, False):
    calc = Calculator(short_graph=short)
    calc.compute([situation], PERIOD)
    calls.clear()
    started, cpu = time.perf_counter(), time.process_time()
    calc.compute([situation], PERIOD)
    out["short" if short else "full"] = [sum(calls.values()), time.perf_counter() - started,
                                         time.process_time() - cpu]
print(json.dumps(out))
"""


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def one_by_one(profiles: list[dict]) -> tuple[list[float], list[float]]:
    """Wall-clock seconds per household, and the worker's CPU seconds for it."""
    import httpx
    timings, cpu = [], []
    for profile in profiles:
        started = time.perf_counter()
        result = await client.results(profile, timeout=60, period=PERIOD)
        timings.append(time.perf_counter() - started)
        assert result is not None, "calculator failed"
        cpu.append(httpx.get(f"{client.base_url()}/health", timeout=5).json()["last_cpu_seconds"])
    return timings, cpu


async def together(profiles: list[dict]) -> float:
    started = time.perf_counter()
    results = await asyncio.gather(*(client.results(p, timeout=120, period=PERIOD) for p in profiles))
    assert all(r is not None for r in results)
    return time.perf_counter() - started


async def after_prefetch(profiles: list[dict], think: float) -> list[float]:
    timings = []
    for profile in profiles:
        client.prefetch(profile, period=PERIOD)
        await asyncio.sleep(think)          # the resident answers the last question(s)
        started = time.perf_counter()
        await client.results(profile, timeout=1.5, period=PERIOD)
        timings.append(time.perf_counter() - started)
    return timings


def main() -> int:
    from ops.stack import free_port
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--batch", type=int, default=36)
    parser.add_argument("--think", type=float, default=4.0, help="seconds to answer the last question")
    args = parser.parse_args()
    households = generate(args.n * 2 + args.batch, seed=2026)

    port = free_port()
    proc = launcher.start(port, Path(tempfile.gettempdir()) / f"calculator-bench-{port}.log")
    os.environ["CALCULATOR_PORT"] = str(port)
    try:
        startup = launcher.wait_ready(port, proc)
        singles, singles_cpu = asyncio.run(one_by_one(households[:args.n]))
        batch_seconds = asyncio.run(together(households[args.n:args.n + args.batch]))
        screen = asyncio.run(after_prefetch(households[args.n + args.batch:], args.think))
    finally:
        launcher.stop(proc)

    counted = subprocess.run([str(launcher.CALC_PYTHON), "-c", COUNT_CALLS, PERIOD], cwd=launcher.ROOT, check=True,
                             env={**os.environ, "PYTHONPATH": str(launcher.ROOT)}, capture_output=True,
                             input=json.dumps(build_situation(households[0], PERIOD)).encode())
    calls = json.loads(counted.stdout)

    print(f"OpenFisca-France 176.1.8 calculator, {os.cpu_count()} cores (shared), period {PERIOD}")
    print(f"  start-up (load + warm-up): {startup:.1f} s")
    print(f"  one household, all benefits, warm, not cached ({args.n} households): "
          f"p50 {statistics.median(singles):.2f} s  p95 {quantile(singles, 0.95):.2f} s  max {max(singles):.2f} s")
    print(f"  the same, CPU of the computation (what an unloaded machine would take): "
          f"p50 {statistics.median(singles_cpu):.2f} s  p95 {quantile(singles_cpu, 0.95):.2f} s")
    print(f"  ... so when the last answer itself changes the situation (no head start), the results screen "
          f"has OpenFisca within 1.5 s for {sum(t <= 1.5 for t in singles) / len(singles):.0%} of households")
    print(f"  {args.batch} households together: {batch_seconds:.1f} s, {batch_seconds / args.batch:.2f} s per household")
    print(f"  results screen {args.think:.0f} s after a prefetch ({len(screen)} households): "
          f"p50 {statistics.median(screen):.3f} s  p95 {quantile(screen, 0.95):.3f} s")
    print(f"  one household, in process: short graph {calls['short'][0]} calculate calls, {calls['short'][1]:.2f} s "
          f"({calls['short'][2]:.2f} s CPU); full graph {calls['full'][0]} calls, {calls['full'][1]:.2f} s "
          f"({calls['full'][2]:.2f} s CPU)")
    print(f"  load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
