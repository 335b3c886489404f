"""Differential check: the assistant's verdicts against OpenFisca computed on the whole household.

1. `generate(n, seed)`: plausible households of the 54 (couples, single parents, seniors,
   disability, students, owners, hosted and homeless people), every contract key filled in
   (the "truth").
2. `interview(truth)`: the resident answers the bot's questions (`benefits.next_question`),
   each from the truth by question id; questions that do not exist are not asked. Returns the
   answered profile and the number of questions.
3. `compare(...)`: per household × national benefit of calculator/benefits.yml, the bot's
   verdict ("likely" or not, and a monthly amount) against the truth's OpenFisca result.

The bot's verdict is either the catalogue rules alone (`rules_verdicts`, today's engine) or
OpenFisca computed on the answered profile (`openfisca_verdicts`: "OpenFisca wins for what it
models"). Plain Python; the computations go through the calculator (see bench_differential.py).
"""

from __future__ import annotations

import csv
import random
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from benefits.household import grouped_answers
from calculator.mapping import load_mapping
from calculator.situation import school_from_age

SMIC_NET = 1443.0  # SMIC net mensuel 2026 (35 h), order of magnitude for generated salaries
KINDS = ("salary", "self_employed", "pension", "unemployment", "invalidity")
MAX_QUESTIONS = 40


def _communes() -> tuple[list[str], list[int]]:
    from benefits.communes import communes_csv_path
    path = communes_csv_path()
    with path.open(encoding="utf-8") as handle:
        rows = [(r["insee_code"], int(r["population"] or 0)) for r in csv.DictReader(handle)]
    return [r[0] for r in rows], [max(r[1], 1) for r in rows]


def _adult(rng: random.Random, age: int, kind: str) -> dict[str, Any]:
    """work, disability and incomes by kind for one adult of a household type."""
    if age >= 62 and rng.random() < 0.9:
        work = "retired"
    elif kind == "student":
        work = "student"
    elif kind == "disability":
        work = rng.choice(["unable", "unable", "employed", "job_seeker"])
    else:
        work = rng.choices(["employed", "job_seeker", "unable", "other", "apprentice"], [55, 25, 5, 10, 5])[0]
    if kind == "disability":
        disability = rng.choice(["rate_80_plus", "rate_80_plus", "rate_50_79", "recognised_other"])
    else:
        disability = rng.choices(["none", "rate_80_plus", "rate_50_79", "recognised_other"], [92, 2, 2, 4])[0]
    income: dict[str, float] = {}
    if work == "employed":
        share = rng.choice([0.3, 0.5, 0.8, 1.0, 1.0, 1.2, 1.5, 2.0, 2.6])
        if rng.random() < 0.12:
            income["self_employed"] = round(SMIC_NET * share * rng.uniform(0.5, 1.0), -1)
        else:
            income["salary"] = round(SMIC_NET * share * rng.uniform(0.9, 1.1), -1)
    elif work == "apprentice":
        income["salary"] = round(SMIC_NET * rng.uniform(0.43, 0.78), -1)
    elif work == "job_seeker" and rng.random() < 0.55:
        income["unemployment"] = round(rng.uniform(500, 1500), -1)
    elif work == "student" and rng.random() < 0.35:
        income["salary"] = round(rng.uniform(200, 700), -1)
    elif work == "retired":
        income["pension"] = round(rng.choice([rng.uniform(500, 1000), rng.uniform(1000, 2400)]), -1)
    if disability == "recognised_other" and work in ("unable", "other") or (work == "unable" and rng.random() < 0.4):
        income["invalidity"] = round(rng.uniform(300, 1000), -1)
    if work == "job_seeker" and rng.random() < 0.15:
        income["salary"] = round(rng.uniform(200, 700), -1)
    return {"work": work, "disability": disability, "income": income}


TYPES = ("single", "couple", "couple_children", "single_parent", "senior", "disability", "student")
TYPE_WEIGHTS = (22, 12, 22, 16, 14, 8, 6)


def generate(n: int, seed: int = 54) -> list[dict[str, Any]]:
    """`n` full households (contract keys of DEVELOPERS.md and BRIEF), reproducible by seed."""
    rng = random.Random(seed)
    codes, weights = _communes()
    households = []
    for _ in range(n):
        kind = rng.choices(TYPES, TYPE_WEIGHTS)[0]
        age = {"senior": rng.randint(62, 92), "student": rng.randint(18, 26),
               "single": rng.randint(19, 64)}.get(kind, rng.randint(20, 60))
        couple = kind in ("couple", "couple_children") or (kind in ("senior", "disability") and rng.random() < 0.4)
        children = 0
        if kind in ("couple_children", "single_parent"):
            children = rng.choices([1, 2, 3, 4], [40, 35, 18, 7])[0]
        elif kind == "disability" and rng.random() < 0.3:
            children = rng.randint(1, 2)
        me = _adult(rng, age, kind)
        truth: dict[str, Any] = {"age": age, "household": "couple" if couple else "alone",
                                 "work": me["work"], "disability": me["disability"], "commune": rng.choices(codes, weights)[0]}
        _incomes(truth, me["income"], "")
        total = sum(me["income"].values())
        if couple:
            partner_age = max(18, min(95, age + rng.randint(-6, 6)))
            partner = _adult(rng, partner_age, "senior" if kind == "senior" else "couple")
            truth.update({"partner_age": partner_age, "partner_work": partner["work"],
                          "partner_disability": partner["disability"]})
            _incomes(truth, partner["income"], "partner_")
            total += sum(partner["income"].values())
        ages = sorted((rng.randint(0, min(20, max(0, age - 16))) for _ in range(children)), reverse=True)
        truth["children_count"] = children
        if children:
            truth["children_ages"] = ages
            truth["children_school"] = [school_from_age(a) if a < 18 or rng.random() < 0.5 else "none" for a in ages]
            truth["children_disabled"] = 1 if rng.random() < 0.07 else 0
        truth["income_monthly"] = round(total, 2)
        housing_weights = {"senior": [15, 20, 55, 7, 3], "student": [55, 15, 0, 28, 2]}.get(kind, [33, 30, 22, 10, 5])
        housing = rng.choices(["tenant", "social_tenant", "owner", "hosted", "homeless"], housing_weights)[0]
        truth["housing"] = housing
        size = 1 + couple + children
        if housing == "tenant":
            truth["rent"] = round(rng.uniform(330, 520) + 90 * (size - 1), -1)
        elif housing == "social_tenant":
            truth["rent"] = round(rng.uniform(250, 400) + 60 * (size - 1), -1)
        truth.update({"pregnant": age < 45 and rng.random() < 0.04, "current_benefits": ["none"],
                      "scholarship": kind == "student" and rng.random() < 0.4, "widowed": False,
                      "needs_daily_help": age >= 80 and rng.random() < 0.4,
                      "health_cover": rng.choice(["none", "private", "private"])})
        truth.update(grouped_answers(truth))
        truth["_type"] = kind
        households.append(truth)
    return households


def _incomes(truth: dict[str, Any], income: Mapping[str, float], prefix: str) -> None:
    truth[f"{prefix}income_kinds"] = sorted(income) or ["none"]
    for kind in KINDS:
        if kind in income:
            truth[f"{prefix}income_{kind}"] = income[kind]


def interview(truth: Mapping[str, Any], catalogue=None) -> tuple[dict[str, Any], int]:
    """The profile the bot gets by asking its own questions, answered from the truth."""
    profile, asked = interview_ids(truth, catalogue)
    return profile, len(asked)


def interview_ids(truth: Mapping[str, Any], catalogue=None) -> tuple[dict[str, Any], list[str]]:
    """`interview`, with the ids of the questions asked, in order."""
    from benefits import next_question
    profile: dict[str, Any] = {}
    asked: list[str] = []
    while len(asked) < MAX_QUESTIONS:
        question = next_question(profile, catalogue)
        if question is None:
            break
        value = truth.get(question.id)
        if value is None:
            value = "unknown" if question.accepts_unknown else getattr(question, "skipped_value", None)
        if value is None:
            # A question the truth has no answer for and that refuses "je ne sais pas": stop there.
            break
        profile[question.id] = value
        asked.append(question.id)
    return profile, asked


@dataclass
class Verdict:
    likely: bool
    not_now: bool
    monthly: float | None


def openfisca_verdicts(results: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Verdict]:
    if results is None:
        return {}
    return {bid: Verdict(bool(r["eligible"]), not r["eligible"], r.get("monthly") if r["eligible"] else None)
            for bid, r in results.items()}


def rules_verdicts(profile: Mapping[str, Any], ids: Sequence[str]) -> dict[str, Verdict]:
    from benefits import LIKELY, NOT_NOW, evaluate
    evaluation = evaluate(profile)
    out = {}
    for bid in ids:
        result = evaluation.by_id.get(bid)
        if result is None:
            continue
        monthly = None
        if result.estimate is not None and result.estimate.period in ("monthly", "yearly", "one_off"):
            monthly = result.estimate.value if result.estimate.period == "monthly" else result.estimate.value / 12
        out[bid] = Verdict(result.status == LIKELY, result.status == NOT_NOW, monthly)
    return out


@dataclass
class Figures:
    pairs: int = 0
    paid: int = 0
    likely: int = 0
    hits: int = 0
    false_no: int = 0
    errors: list[float] = field(default_factory=list)
    no_amount: int = 0
    questions: list[int] = field(default_factory=list)
    by_benefit: dict[str, list[int]] = field(default_factory=dict)   # id -> [paid, hits, likely]

    @property
    def recall(self) -> float:
        return self.hits / self.paid if self.paid else 1.0

    @property
    def precision(self) -> float:
        return self.hits / self.likely if self.likely else 1.0

    def quantile(self, q: float) -> float:
        if not self.errors:
            return float("nan")
        ordered = sorted(self.errors)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def lines(self, title: str) -> list[str]:
        qs = self.questions or [0]
        return [
            f"{title}",
            f"  household x benefit pairs {self.pairs}, OpenFisca pays {self.paid}, bot says likely {self.likely}",
            f"  strict recall {self.recall:.3f}   precision {self.precision:.3f}   false 'no' {self.false_no}",
            f"  amount relative error: median {self.quantile(0.5):.1%}  p90 {self.quantile(0.9):.1%}"
            f"  (on {len(self.errors)} amounts; {self.no_amount} likely-and-paid without an amount)",
            f"  questions asked: median {statistics.median(qs):g}  max {max(qs)}",
        ]


def compare(truths: Sequence[Mapping[str, Mapping[str, Any]] | None], verdicts: Sequence[Mapping[str, Verdict]],
            questions: Sequence[int]) -> Figures:
    mapping = load_mapping()
    figures = Figures(questions=list(questions))
    for truth, verdict in zip(truths, verdicts, strict=True):
        if truth is None:
            continue
        for bid, item in mapping.items():
            if bid not in truth:
                continue
            said = verdict.get(bid)
            if said is None:
                continue
            figures.pairs += 1
            paid = bool(truth[bid]["eligible"])
            stats = figures.by_benefit.setdefault(bid, [0, 0, 0])
            figures.paid += paid
            figures.likely += said.likely
            stats[0] += paid
            stats[2] += said.likely
            if paid and said.likely:
                figures.hits += 1
                stats[1] += 1
                expected = truth[bid].get("monthly")
                if item.has_amount and expected:
                    if said.monthly is None:
                        figures.no_amount += 1
                    else:
                        figures.errors.append(abs(said.monthly - expected) / expected)
            if paid and said.not_now:
                figures.false_no += 1
    return figures
