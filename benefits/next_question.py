"""next_question(profile): the unanswered question that decides the most money still open.

Each benefit whose status is still unknown shares its weight among the questions that could
decide it (a benefit waiting for one answer gives that question its whole weight, one waiting for
three answers gives each a third). The weight grows with the yearly amount at stake (the
estimate, else the entry's `typical_yearly`), so that the bot, which shows results after 8
answers, has asked first what decides the largest amounts. A benefit that a person must check
anyway (`needs_check`) weighs less: the best answer can only make it "to check"; a rare one
(asylum, no residence permit) weighs very little. The question with the most points is asked; on
a tie, the one written first in questions.yml. A question is only candidate when its
`asked_when` holds; when `asked_when` is itself unknown (rent before housing), the points go to
the questions it needs. A benefit still possible whose amount needs an answer its verdict does not
(`amount.needs`: the rent of a housing aid) gives that question half its weight. A personal
question (`delicate`: income, health) waits a little at equal stakes, and never comes among the
first two questions: the age opens the conversation (`OPENING`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benefits.catalogue_loader import Benefit, Catalogue, load_catalogue
from benefits.estimators import estimate
from benefits.rules import ASSUME_CHECKS
from benefits.schema import Question

# Tuned on the personas of scripts/benchmarks/bench_engine.py (after-8 coverage).
BASE_WEIGHT = 0.4          # every open benefit counts, even without an amount
EUROS_PER_POINT = 1000.0   # + (euros a year / 1 000) ** AMOUNT_EXPONENT points
AMOUNT_EXPONENT = 0.7      # < 1 damps the largest amounts (the AAH must not outweigh everything)
CHECK_FACTOR = 0.15        # a benefit that stays "to check" whatever the answers
AMOUNT_FACTOR = 0.5        # a question the amount needs (the rent), once the benefit is possible
RARE_FACTOR = 0.02         # ... and concerns few residents
DELICATE_FACTOR = 0.9      # a personal question (income, health) waits a little at equal stakes
OPENING = "age"            # the first question, whatever the scores (a simple one, used everywhere)
PLAIN_FIRST = 2            # no personal (delicate) question among the first two
FEW_FACTOR = 0.15          # a benefit for a situation few residents are in (`rare`: a disabled child)


def benefit_weight(benefit: Benefit, facts: Mapping[str, Any]) -> float:
    """How much deciding this benefit is worth: more when more money is at stake, less when a
    person must check it whatever the answers."""
    found = estimate(benefit, facts)
    yearly = found.yearly if found is not None else 0.0
    yearly = yearly or (benefit.entry.amount.typical_yearly or 0.0)
    weight = BASE_WEIGHT + (yearly / EUROS_PER_POINT) ** AMOUNT_EXPONENT
    if benefit.to_check and benefit.rule.eval({**facts, ASSUME_CHECKS: False}) is False:
        # Only a person's check could make it possible: answers can at best make it "to check".
        weight *= RARE_FACTOR if benefit.entry.rare else CHECK_FACTOR
    elif benefit.entry.rare:
        weight *= FEW_FACTOR
    return weight


def _askable(catalogue: Catalogue, wanted: set[str], facts: Mapping[str, Any], answered: set[str],
             depth: int = 0, memo: dict[tuple[str, int], frozenset[str]] | None = None) -> set[str]:
    """The questions to ask now so as to learn the `wanted` ones (resolving `asked_when`).
    `memo` keeps each question's answer for one profile (the income's many sources recur)."""
    result: set[str] = set()
    for question_id in wanted:
        if memo is not None and (question_id, depth) in memo:
            result |= memo[question_id, depth]
            continue
        found = _askable_one(catalogue, question_id, facts, answered, depth, memo)
        if memo is not None:
            memo[question_id, depth] = found
        result |= found
    return result


def _askable_one(catalogue: Catalogue, question_id: str, facts: Mapping[str, Any], answered: set[str],
                 depth: int, memo: dict[tuple[str, int], frozenset[str]] | None) -> frozenset[str]:
    if question_id in answered:
        return frozenset()
    question = catalogue.questions_by_id.get(question_id)
    if question is None:
        return frozenset()
    if question.asked_when is None:
        return frozenset((question_id,))
    holds = question.asked_when.eval(facts)
    if holds is True:
        return frozenset((question_id,))
    if holds is None and depth < 3:
        needed: set[str] = set()
        question.asked_when.missing(facts, answered, needed)
        return frozenset(_askable(catalogue, needed, facts, answered, depth + 1, memo))
    return frozenset()


def question_scores(profile: Mapping[str, Any], catalogue: Catalogue | None = None) -> dict[str, float]:
    """Points of every question that can still change a result (empty: nothing left to ask)."""
    catalogue = catalogue or load_catalogue()
    facts = catalogue.facts.build(profile)
    answered = catalogue.facts.answered(profile)
    scores: dict[str, float] = {}
    cache: dict[frozenset[str], set[str]] = {}
    memo: dict[tuple[str, int], frozenset[str]] = {}
    for benefit in catalogue.benefits:
        status = benefit.rule.eval(facts)
        if status is not False and benefit.entry.amount.needs:
            # The verdict may be settled, the amount still needs an answer (the rent).
            needed = _askable(catalogue, set(benefit.entry.amount.needs), facts, answered, memo=memo)
            for question_id in needed:
                scores[question_id] = scores.get(question_id, 0.0) + \
                    AMOUNT_FACTOR * benefit_weight(benefit, facts) / len(needed)
        if status is not None:
            continue
        wanted: set[str] = set()
        benefit.rule.missing(facts, answered, wanted)
        if not wanted:
            continue  # only "je ne sais pas" answers stand in the way: nothing to ask
        key = frozenset(wanted)
        if key not in cache:
            cache[key] = _askable(catalogue, wanted, facts, answered, memo=memo)
        askable = cache[key]
        if not askable:
            continue
        share = benefit_weight(benefit, facts) / len(askable)
        for question_id in askable:
            scores[question_id] = scores.get(question_id, 0.0) + share
    return scores


def next_question(profile: Mapping[str, Any], catalogue: Catalogue | None = None) -> Question | None:
    """The best question to ask next, or None when no answer can change any result."""
    catalogue = catalogue or load_catalogue()
    profile = profile if isinstance(profile, Mapping) else {}
    scores = question_scores(profile, catalogue)
    if not scores:
        return None
    delicate = {q for q in scores if catalogue.questions_by_id[q].question.delicate}
    for question_id in delicate:
        scores[question_id] *= DELICATE_FACTOR
    answered = len(catalogue.facts.answered(profile))
    if answered == 0 and OPENING in scores:
        # The conversation opens with a simple question every rule uses.
        return catalogue.questions_by_id[OPENING].question
    if answered < PLAIN_FIRST and len(delicate) < len(scores):
        # ... and no personal question comes among the first ones.
        scores = {q: v for q, v in scores.items() if q not in delicate}
    order = catalogue.question_order
    best = max(scores, key=lambda q: (round(scores[q], 9), -order.get(q, len(order))))
    return catalogue.questions_by_id[best].question
