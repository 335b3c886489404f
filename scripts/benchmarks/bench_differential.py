"""Differential benchmark: the assistant against OpenFisca-France on the whole household.

Generates plausible households of the 54 (seeded; seed 54 is the evaluation set, never tuned
on), computes OpenFisca on each full household (the truth: full graph, no shortcut), lets each
resident answer the bot's questions (benefits.next_question, only the questions that exist),
and compares per household x national benefit of calculator/benefits.yml:
  - "rules": today's catalogue rules and estimators on the answered profile;
  - "openfisca": OpenFisca (through the calculator process, short graph) on the answered profile.
Prints strict recall, precision, false "no", amount median/p90 relative error, questions asked,
and how many results the short graph changes against the full graph (must be 0).
Goals (issue #16): recall >= 0.97, precision >= 0.95, amount median <= 3 %, p90 <= 15 %,
median questions <= 10.

Run: .venv/bin/python scripts/benchmarks/bench_differential.py [--n 200] [--seed 54]
(starts its own calculator process; CALCULATOR_URL=... to use a running one).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from calculator import client, launcher  # noqa: E402
from calculator.differential import compare, generate, interview_ids, openfisca_verdicts, rules_verdicts  # noqa: E402
from calculator.mapping import load_mapping  # noqa: E402
from calculator.situation import build_situation  # noqa: E402

PERIOD = "2026-12"
CHUNK = 25


def truth_results(truths: list[dict], full_graph: bool) -> list:
    situations = [build_situation(t, PERIOD) for t in truths]
    out: list = []
    for start in range(0, len(situations), 100):
        out.extend(launcher.compute_direct(situations[start:start + 100], PERIOD, full_graph=full_graph))
    return out


async def answered_results(profiles: list[dict]) -> list:
    out: list = []
    for start in range(0, len(profiles), CHUNK):
        out.extend(await client.results_many(profiles[start:start + CHUNK], timeout=300, period=PERIOD))
    return out


def run(n: int, seed: int, check_graph: bool = True, also: tuple[str, ...] = ()) -> dict:
    from ops.stack import free_port

    truths = generate(n, seed)
    started = time.monotonic()
    truth = truth_results(truths, full_graph=True)
    truth_seconds = time.monotonic() - started
    interviews = [interview_ids(t) for t in truths]
    # --also: keys answered as if asked (e.g. the household questions not yet in questions.yml).
    profiles = [{**p, **{k: t[k] for k in also if k in t}} for (p, _), t in zip(interviews, truths, strict=True)]
    questions = [len(q) for _, q in interviews]
    per_question: dict[str, int] = {}
    for _, asked in interviews:
        for qid in asked:
            per_question[qid] = per_question.get(qid, 0) + 1
    ids = list(load_mapping())

    proc = None
    if not os.environ.get("CALCULATOR_URL"):
        port = free_port()
        proc = launcher.start(port, Path(tempfile.gettempdir()) / f"calculator-bench-{port}.log")
        os.environ["CALCULATOR_PORT"] = str(port)
        launcher.wait_ready(port, proc)
    try:
        started = time.monotonic()
        answered = asyncio.run(answered_results(profiles))
        answered_seconds = time.monotonic() - started
        short_truth = asyncio.run(answered_results(truths)) if check_graph else None
    finally:
        if proc is not None:
            launcher.stop(proc)

    rules = compare(truth, [rules_verdicts(p, ids) for p in profiles], questions)
    openfisca = compare(truth, [openfisca_verdicts(r) for r in answered], questions)
    mismatches = None
    if short_truth is not None:
        mismatches = [(index, bid, a[bid], b.get(bid)) for index, (a, b) in enumerate(zip(truth, short_truth, strict=True))
                      if a is not None and b is not None for bid in a if a[bid] != b.get(bid)]
    return {"truths": truths, "truth": truth, "rules": rules, "openfisca": openfisca, "mismatches": mismatches,
            "per_question": per_question,
            "failed": sum(r is None for r in truth) + sum(r is None for r in answered),
            "truth_seconds": truth_seconds, "answered_seconds": answered_seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=54)
    parser.add_argument("--also", default="", help="comma-separated profile keys answered as if asked")
    parser.add_argument("--no-graph-check", action="store_true")
    args = parser.parse_args()
    also = tuple(k for k in args.also.split(",") if k)
    out = run(args.n, args.seed, check_graph=not args.no_graph_check, also=also)
    types: dict[str, int] = {}
    for t in out["truths"]:
        types[t["_type"]] = types.get(t["_type"], 0) + 1
    print(f"Differential benchmark: {args.n} households of the 54 (seed {args.seed}), OpenFisca-France 176.1.8, "
          f"period {PERIOD}" + (f"; also answered: {', '.join(also)}" if also else ""))
    print("  types: " + ", ".join(f"{k} {v}" for k, v in sorted(types.items())))
    print(f"  truth (full graph, one batch per 100) {out['truth_seconds']:.1f} s; answered profiles through "
          f"the calculator {out['answered_seconds']:.1f} s; failed computations {out['failed']}")
    for line in out["rules"].lines("Catalogue rules on the answers (today's engine):"):
        print(line)
    for line in out["openfisca"].lines("OpenFisca on the answers (calculator):"):
        print(line)
    print(f"  questions asked, per question (households out of {args.n}):")
    for qid, count in sorted(out["per_question"].items(), key=lambda kv: -kv[1]):
        print(f"    {qid:28s} {count:4d}")
    print("  per benefit (OpenFisca pays / bot likely & paid / bot likely), rules -> openfisca:")
    for bid, (paid, hits, likely) in sorted(out["openfisca"].by_benefit.items()):
        rp, rh, rl = out["rules"].by_benefit.get(bid, [0, 0, 0])
        print(f"    {bid:26s} rules {rp:3d}/{rh:3d}/{rl:3d}   openfisca {paid:3d}/{hits:3d}/{likely:3d}")
    if out["mismatches"] is not None:
        print(f"Short graph (neutralised variables, history filled in) vs full graph: {len(out['mismatches'])} "
              "benefit results differ")
        for index, bid, full, short in out["mismatches"][:10]:
            print(f"    household {index} ({out['truths'][index]['_type']}) {bid}: full {full} short {short}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
