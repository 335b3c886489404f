"""Benchmark of the urgent-situation detector.

Prints: time to load the situations data, detection time per message (median, 95th
percentile, worst; goal <= 5 ms at the 95th percentile), time to compose the help, and the
evaluation figures on urgent/data/eval_set.yml (recall goal 100 %, false alarms < 5 %),
for the whole set and for its second batch alone.

Run: .venv/bin/python scripts/benchmarks/bench_urgent.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from urgent import build_help, detect  # noqa: E402
from urgent.evaluation import evaluate, load_eval_set  # noqa: E402
from urgent.situations import load  # noqa: E402

ROUNDS = 20


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    start = time.perf_counter()
    load()
    print(f"load situations.yml + mairies: {(time.perf_counter() - start) * 1000:.0f} ms")

    urgent, ordinary = load_eval_set()
    texts = [case.text for case in urgent] + ordinary
    detect(texts[0])  # load the packaged data once, outside the timings
    timings = []
    for _ in range(ROUNDS):
        for text in texts:
            t0 = time.perf_counter()
            detect(text)
            timings.append((time.perf_counter() - t0) * 1000)
    print(f"detection on {len(texts)} messages x {ROUNDS}: median {statistics.median(timings):.2f} ms, "
          f"p95 {_percentile(timings, 0.95):.2f} ms, worst {max(timings):.2f} ms per message")

    long_text = " ".join(ordinary) * 3
    t0 = time.perf_counter()
    detect(long_text)
    print(f"one long message ({len(long_text)} characters): {(time.perf_counter() - t0) * 1000:.1f} ms")

    help_timings = []
    for _ in range(200):
        t0 = time.perf_counter()
        build_help(["suicide", "violence", "homeless", "food"], "54395").text()
        help_timings.append((time.perf_counter() - t0) * 1000)
    print(f"build_help (4 situations, Nancy): median {statistics.median(help_timings):.3f} ms")

    print("\n== whole evaluation set ==")
    print(evaluate().summary())
    print("\n== second batch only ==")
    print(evaluate(part="holdout").summary())
    print("\nFirst blind runs (before the patterns saw each batch): batch 1 recall 84.0 %, "
          "false alarms 4.0 %; batch 2 recall 85.7 %, false alarms 10.0 %.")


if __name__ == "__main__":
    main()
