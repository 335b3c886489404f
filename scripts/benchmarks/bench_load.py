"""Many residents at once: N concurrent questionnaire conversations through Rasa's REST channel.

Bounded load on loopback: exactly N conversations, all open at once, each playing the first
--turns messages of the questionnaire with a resident's pause between turns (reading the
question and typing on a phone: uniform in --think seconds, fixed seed). Prints errors (HTTP
error, timeout, empty reply), turn latency p50/p95/max and the CPU the servers used.
Goals: 50 at once: 0 errors, p95 <= 300 ms; 200 at once: 0 errors, p95 <= 1 s."""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid

import httpx
from common import QUESTIONNAIRE, cpu_ms, percentile, project_stack, questionnaire, rest_url

GOALS = {50: 300, 200: 1000}


async def conversation(client: httpx.AsyncClient, url: str, n: int, turns: int, think: tuple[float, float],
                       rng: random.Random, latencies: list[float], errors: list[str]) -> None:
    sender = f"load-{uuid.uuid4().hex[:10]}"
    await asyncio.sleep(rng.uniform(*think))  # residents do not all press send in the same ms
    for text in questionnaire(n)[:turns]:
        t0 = time.perf_counter()
        try:
            resp = await client.post(url, json={"sender": sender, "message": text})
            latencies.append((time.perf_counter() - t0) * 1000)
            if resp.status_code != 200:
                errors.append(f"HTTP {resp.status_code}")
            elif not resp.json():
                errors.append("empty reply")
        except httpx.HTTPError as exc:
            errors.append(type(exc).__name__)
        await asyncio.sleep(rng.uniform(*think))


async def level(url: str, conversations: int, turns: int, think: tuple[float, float],
                pids: list[int]) -> tuple[list[float], list[str], float, float]:
    rng = random.Random(conversations)
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=conversations, max_keepalive_connections=conversations)
    cpu0 = sum(cpu_ms(pid) for pid in pids)
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        await asyncio.gather(*(conversation(client, url, n, turns, think, rng, latencies, errors)
                               for n in range(conversations)))
    elapsed = time.perf_counter() - started
    return latencies, errors, elapsed, (sum(cpu_ms(pid) for pid in pids) - cpu0) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--levels", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--turns", type=int, default=8)
    parser.add_argument("--think", type=float, nargs=2, default=[4.0, 12.0], metavar=("MIN", "MAX"))
    args = parser.parse_args()
    with project_stack() as stack:
        pids = [stack.processes["rasa"].pid, stack.processes["actions"].pid]
        with httpx.Client(timeout=60) as client:  # warm-up: the first turns build TensorFlow graphs
            for text in QUESTIONNAIRE:
                client.post(rest_url(stack.rasa_url), json={"sender": "load-warmup", "message": text})
        for n in args.levels:
            latencies, errors, elapsed, cpu = asyncio.run(
                level(rest_url(stack.rasa_url), n, args.turns, tuple(args.think), pids))
            p95 = percentile(latencies, 95) if latencies else float("inf")
            goal = GOALS.get(n)
            verdict = f"; goal 0 errors, p95 <= {goal} ms: {'met' if not errors and p95 <= goal else 'missed'}" \
                if goal else ""
            print(f"{n} conversations at once, {len(latencies)} turns in {elapsed:.0f} s "
                  f"({len(latencies) / elapsed:.1f} turns/s, think {args.think[0]:g}-{args.think[1]:g} s): "
                  f"{len(errors)} errors{' ' + str(sorted(set(errors))) if errors else ''}, "
                  f"p50 {percentile(latencies, 50):.0f} ms, p95 {p95:.0f} ms, max {max(latencies):.0f} ms; "
                  f"servers' CPU {cpu:.0f} s ({cpu / elapsed * 100:.0f} % of one core){verdict}", flush=True)


if __name__ == "__main__":
    main()
