"""Benchmark of the benefits engine on the real catalogue.

Prints: time to evaluate the whole catalogue for one profile (goal <= 2 ms), time to pick the
next question (goal <= 5 ms), and, for the realism personas of tests/test_benefits_realism.py
(answering next_question from the persona): questions before a first "likely" result, questions
until nothing is left to ask, and how many of the final "likely" benefits are already found after
8 answers (the bot's first results screen) - all of them, and those with money at stake.

Run: .venv/bin/python scripts/benchmarks/bench_engine.py
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benefits import evaluate, load_catalogue, next_question, statuses  # noqa: E402

REALISM_TESTS = Path(__file__).resolve().parents[2] / "tests" / "test_benefits_realism.py"
STOP_AFTER = 8  # the bot shows a first results screen after 8 answers


def _load_personas() -> dict[str, dict]:
    """The realism personas of the tests (typical residents of the 54, every question answered)."""
    spec = importlib.util.spec_from_file_location("benefits_realism_personas", REALISM_TESTS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.PERSONAS


PERSONAS: dict[str, dict] = _load_personas()


def _time(function, repeat: int) -> float:
    """Median time of one call, in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def conversation(persona: dict, catalogue) -> tuple[int | None, list[str], dict, dict]:
    """(questions before a first likely result, questions asked, profile after 8 answers, final profile)."""
    profile: dict = {}
    asked: list[str] = []
    first_result = None
    early: dict | None = None
    while True:
        if len(asked) == STOP_AFTER and early is None:
            early = dict(profile)
        # A first result: a benefit with conditions of its own (not one open to everybody) is likely.
        if first_result is None and any(
            status == "likely" and catalogue.by_id[benefit_id].entry.conditions
            for benefit_id, status in statuses(profile, catalogue).items()
        ):
            first_result = len(asked)
        question = next_question(profile, catalogue)
        if question is None or len(asked) > 40:
            return first_result, asked, dict(profile) if early is None else early, profile
        asked.append(question.id)
        profile[question.id] = persona.get(question.id, "unknown")


def _likely(profile: dict, catalogue) -> set[str]:
    return {b for b, s in statuses(profile, catalogue).items() if s == "likely"}


def _with_money(ids: set[str], catalogue) -> set[str]:
    def has_amount(benefit_id: str) -> bool:
        amount = catalogue.by_id[benefit_id].entry.amount
        return bool(amount.value or amount.estimator or amount.typical_yearly)

    return {b for b in ids if has_amount(b)}


def main() -> None:
    start = time.perf_counter()
    catalogue = load_catalogue()
    load_ms = (time.perf_counter() - start) * 1000
    print(f"catalogue: {len(catalogue.benefits)} benefits, {len(catalogue.questions)} questions "
          f"(first load {load_ms:.0f} ms)")

    profile = PERSONAS["single_father_two_children_nancy"]
    partial = {k: profile[k] for k in ("age", "household", "commune")}
    evaluate(profile, catalogue)
    print(f"evaluate, full profile, statuses only : {_time(lambda: statuses(profile, catalogue), 300):.3f} ms")
    print(f"evaluate, full profile (ranked)       : {_time(lambda: evaluate(profile, catalogue), 300):.3f} ms"
          "  (goal <= 2 ms)")
    print(f"  + reasons of every likely result    : "
          f"{_time(lambda: [r.reasons for r in evaluate(profile, catalogue).likely], 100):.3f} ms")
    print(f"next_question, empty profile          : {_time(lambda: next_question({}, catalogue), 300):.3f} ms"
          "  (goal <= 5 ms)")
    print(f"next_question, 3 answers              : {_time(lambda: next_question(partial, catalogue), 300):.3f} ms")

    firsts, totals, coverage, money_coverage = [], [], [], []
    print(f"\npersona: questions before a first 'likely' / until the end | likely found after {STOP_AFTER} "
          "answers / at the end (all; with money)")
    for name, persona in PERSONAS.items():
        first, asked, early, full = conversation(persona, catalogue)
        final, found = _likely(full, catalogue), _likely(early, catalogue)
        money_final, money_found = _with_money(final, catalogue), _with_money(found, catalogue)
        firsts.append(first if first is not None else len(asked))
        totals.append(len(asked))
        coverage.append(len(found & final) / len(final) if final else 1.0)
        money_coverage.append(len(money_found & money_final) / len(money_final) if money_final else 1.0)
        flag = "" if first is not None and first <= STOP_AFTER else "   <-- no result within 8"
        print(f"  {name:<44} {str(first):>2} / {len(asked):>2} | all {len(found & final):>2}/{len(final):<2}"
              f" money {len(money_found & money_final)}/{len(money_final)}{flag}")
        missed = sorted(money_final - money_found)
        print(f"      asked: {', '.join(asked)}")
        if missed:
            print(f"      money found only after {STOP_AFTER} answers: {', '.join(missed)}")
    print(f"\nfirst result: median {statistics.median(firsts)}, max {max(firsts)} (goal <= {STOP_AFTER})")
    print(f"whole conversation: median {statistics.median(totals)}, max {max(totals)} questions")
    print(f"after {STOP_AFTER} answers: {statistics.mean(coverage):.0%} of the final likely benefits found "
          f"(min {min(coverage):.0%}); with money at stake {statistics.mean(money_coverage):.0%} "
          f"(min {min(money_coverage):.0%})")


if __name__ == "__main__":
    main()
