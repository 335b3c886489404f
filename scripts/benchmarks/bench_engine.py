"""Benchmark of the benefits engine on the real catalogue.

Prints: time to evaluate the whole catalogue for one profile (goal <= 2 ms), time to pick the
next question (goal <= 5 ms), and how many questions typical personas are asked (by calling
next_question and answering from the persona) before a first "likely" result (goal <= 8) and
before nothing is left to ask.

Run: .venv/bin/python scripts/benchmarks/bench_engine.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benefits import evaluate, load_catalogue, next_question, statuses  # noqa: E402

# Typical residents met by the outreach teams (answers to every question; "unknown" = je ne sais pas).
PERSONAS: dict[str, dict] = {
    "retraitée seule, petite retraite (Nancy)": {
        "age": 68, "household": "alone", "children_count": 0, "income_monthly": 720, "income_kinds": ["pension"],
        "housing": "social_tenant", "rent": 380, "work": "retired", "disability": "none", "commune": "54395",
        "widowed": True, "needs_daily_help": False, "current_benefits": ["none"], "health_cover": "none",
    },
    "mère seule, 2 enfants, temps partiel (Malzéville)": {
        "age": 34, "household": "alone", "children_count": 2, "children_ages": [4, 9], "income_monthly": 1100,
        "income_kinds": ["salary"], "housing": "social_tenant", "rent": 520, "work": "employed",
        "disability": "none", "commune": "54339", "pregnant": False, "widowed": False,
        "current_benefits": ["apl"], "health_cover": "none",
    },
    "homme seul sans revenu (Saint-Max)": {
        "age": 45, "household": "alone", "children_count": 0, "income_monthly": 0, "income_kinds": ["none"],
        "housing": "hosted", "work": "job_seeker", "disability": "none", "commune": "54482", "pregnant": False,
        "widowed": False, "current_benefits": ["none"], "health_cover": "none",
    },
    "couple, 3 enfants, un salaire (Maxéville)": {
        "age": 39, "household": "couple", "children_count": 3, "children_ages": [2, 7, 12], "income_monthly": 1900,
        "income_kinds": ["salary"], "housing": "tenant", "rent": 750, "work": "employed", "disability": "none",
        "commune": "54357", "pregnant": False, "current_benefits": ["none"], "health_cover": "private",
    },
    "étudiant boursier (Nancy)": {
        "age": 20, "household": "alone", "children_count": 0, "income_monthly": 300, "income_kinds": ["none"],
        "housing": "tenant", "rent": 420, "work": "student", "disability": "none", "commune": "54395",
        "scholarship": True, "pregnant": False, "widowed": False, "current_benefits": ["none"], "health_cover": "none",
    },
    "adulte handicapé 80 % (Essey)": {
        "age": 52, "household": "alone", "children_count": 0, "income_monthly": 200, "income_kinds": ["benefits"],
        "housing": "social_tenant", "rent": 350, "work": "unable", "disability": "rate_80_plus",
        "commune": "54184", "pregnant": False, "widowed": False, "needs_daily_help": True,
        "current_benefits": ["none"], "health_cover": "none",
    },
    "couple retraité rural (Vézelise)": {
        "age": 74, "household": "couple", "children_count": 0, "income_monthly": 1500, "income_kinds": ["pension"],
        "housing": "owner", "work": "retired", "disability": "none", "commune": "54563",
        "needs_daily_help": "unknown", "current_benefits": ["none"], "health_cover": "private",
    },
    "jeune de 19 ans sans emploi (Lunéville)": {
        "age": 19, "household": "alone", "children_count": 0, "income_monthly": 0, "income_kinds": ["none"],
        "housing": "hosted", "work": "job_seeker", "disability": "none", "commune": "54329", "pregnant": False,
        "widowed": False, "current_benefits": ["none"], "health_cover": "none",
    },
    "salarié seul au Smic, revenus inconnus (Laxou)": {
        "age": 29, "household": "alone", "children_count": 0, "income_monthly": "unknown", "income_kinds": ["salary"],
        "housing": "tenant", "rent": 560, "work": "employed", "disability": "none", "commune": "54304",
        "pregnant": False, "widowed": False, "current_benefits": ["none"], "health_cover": "private",
    },
    "parents d'un bébé, couple (Vandœuvre)": {
        "age": 27, "household": "couple", "children_count": 1, "children_ages": [0], "income_monthly": 2100,
        "income_kinds": ["salary", "unemployment"], "housing": "social_tenant", "rent": 480, "work": "employed",
        "disability": "none", "commune": "54547", "pregnant": False, "current_benefits": ["apl"],
        "health_cover": "private",
    },
}


def _time(function, repeat: int) -> float:
    """Median time of one call, in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def conversation(persona: dict, catalogue) -> tuple[int | None, int, list[str]]:
    """(questions before a first likely result, questions before the end, questions asked)."""
    profile: dict = {}
    asked: list[str] = []
    first_result = None
    while True:
        # A first result: a benefit with conditions of its own (not one open to everybody) is likely.
        if first_result is None and any(
            status == "likely" and catalogue.by_id[benefit_id].entry.conditions
            for benefit_id, status in statuses(profile, catalogue).items()
        ):
            first_result = len(asked)
        question = next_question(profile, catalogue)
        if question is None or len(asked) > 40:
            return first_result, len(asked), asked
        asked.append(question.id)
        profile[question.id] = persona.get(question.id, "unknown")


def main() -> None:
    start = time.perf_counter()
    catalogue = load_catalogue()
    load_ms = (time.perf_counter() - start) * 1000
    print(f"catalogue: {len(catalogue.benefits)} benefits, {len(catalogue.questions)} questions "
          f"(first load {load_ms:.0f} ms)")

    profile = PERSONAS["mère seule, 2 enfants, temps partiel (Malzéville)"]
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

    firsts, totals = [], []
    print("\npersona: questions before a first 'likely' / questions until nothing is left to ask")
    for name, persona in PERSONAS.items():
        first, total, asked = conversation(persona, catalogue)
        firsts.append(first if first is not None else total)
        totals.append(total)
        flag = "" if first is not None and first <= 8 else "   <-- over the goal of 8"
        print(f"  {name:<50} {str(first):>4} / {total:>2}{flag}")
        print(f"      {', '.join(asked)}")
    print(f"\nfirst result: median {statistics.median(firsts)}, max {max(firsts)} (goal <= 8)")
    print(f"whole conversation: median {statistics.median(totals)}, max {max(totals)}")


if __name__ == "__main__":
    main()
