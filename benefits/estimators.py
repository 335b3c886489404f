"""Amount estimators, chosen by name in a catalogue entry (`amount.estimator`).

An estimator takes the compiled benefit and the person's facts and returns an `Estimate`, or None
when it cannot say. New estimators (an OpenFisca call, say) register with `register_estimator`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from benefits.rules import Leaf, Node, table_value
from benefits.schema import BenefitEntry

PERIOD_MONTHS = {"monthly": 1, "yearly": 12}


@dataclass(frozen=True)
class Estimate:
    value: float          # euros, for `period`
    period: str           # monthly | yearly | one_off | in_kind | variable
    exact: bool = True    # False: an upper bound ("jusqu'à")

    @property
    def yearly(self) -> float:
        """A comparable figure for ranking (one-off and in-kind amounts count once)."""
        return self.value * 12 if self.period == "monthly" else self.value


class BenefitLike(Protocol):
    entry: BenefitEntry
    rule: Node


Estimator = Callable[[BenefitLike, Mapping[str, Any]], Estimate | None]
ESTIMATORS: dict[str, Estimator] = {}


def register_estimator(name: str) -> Callable[[Estimator], Estimator]:
    def decorator(function: Estimator) -> Estimator:
        ESTIMATORS[name] = function
        return function

    return decorator


def estimate(benefit: BenefitLike, facts: Mapping[str, Any]) -> Estimate | None:
    amount = benefit.entry.amount
    name = amount.estimator or ("fixed" if amount.value is not None else None)
    if name is None:
        return None
    estimator = ESTIMATORS.get(name)
    if estimator is None:
        return None
    try:
        return estimator(benefit, facts)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        # A broken estimate must never break the answer; the text of the amount still shows.
        return None


def _household(facts: Mapping[str, Any]) -> tuple[str, int] | None:
    household, children = facts.get("household"), facts.get("children_count")
    if household in ("alone", "couple") and isinstance(children, int):
        return household, children
    return None


@register_estimator("fixed")
def fixed(benefit: BenefitLike, facts: Mapping[str, Any]) -> Estimate | None:
    amount = benefit.entry.amount
    if amount.value is None:
        return None
    return Estimate(amount.value, amount.kind, exact=True)


@register_estimator("by_household")
def by_household(benefit: BenefitLike, facts: Mapping[str, Any]) -> Estimate | None:
    """Amount read from `amount.table` for the person's household (alone/couple, children)."""
    amount = benefit.entry.amount
    household = _household(facts)
    if amount.table is None or household is None:
        return fixed(benefit, facts)
    return Estimate(table_value(amount.table, *household), amount.kind, exact=True)


def income_ceiling(benefit: BenefitLike, facts: Mapping[str, Any]) -> tuple[float, str] | None:
    """The income ceiling of the benefit for this household, and its period (monthly/yearly)."""
    for leaf in benefit.rule.leaves():
        if not isinstance(leaf, Leaf) or leaf.field not in ("income_monthly", "income_yearly", "income_taxable_yearly"):
            continue
        bound = leaf.tests.get("max")
        if bound is None:
            continue
        period = "monthly" if leaf.field == "income_monthly" else "yearly"
        if isinstance(bound, dict):
            household = _household(facts)
            if household is None:
                return None
            return table_value(bound, *household), period
        return float(bound), period
    return None


@register_estimator("differential")
def differential(benefit: BenefitLike, facts: Mapping[str, Any]) -> Estimate | None:
    """Ceiling minus resources: what a top-up benefit (ASPA, RSA, ASI...) brings the person to."""
    amount = benefit.entry.amount
    income = facts.get("income_monthly")
    household = _household(facts)
    if amount.table is not None and household is not None:
        ceiling, period = table_value(amount.table, *household), amount.kind
    else:
        found = income_ceiling(benefit, facts)
        if found is not None:
            ceiling, period = found
        elif amount.value is not None:
            ceiling, period = amount.value, amount.kind
        else:
            return None
    if period not in PERIOD_MONTHS:
        period = "monthly"
    if income is None:
        return Estimate(ceiling, period, exact=False)
    resources = income * PERIOD_MONTHS[period]
    value = max(0.0, ceiling - resources)
    target = amount.kind if amount.kind in PERIOD_MONTHS else period
    value = value * PERIOD_MONTHS[target] / PERIOD_MONTHS[period]
    return Estimate(round(value, 2), target, exact=True)
