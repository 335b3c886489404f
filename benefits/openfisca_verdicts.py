"""OpenFisca's verdicts on national benefits, merged into the catalogue's results.

The calculator (`calculator/`, a separate process) gives, for each catalogue entry marked
`computed_by: openfisca`, whether the household is eligible and the monthly amount. Where it
answers, it wins over the catalogue's rules, which are approximations:
- the status is OpenFisca's (likely / not_now), except while the rules still wait for answers
  (the questionnaire goes on: "unknown" with what is missing) and except a check only a person
  can make, on a fact nobody asks: the entry-level `needs_check` (ASF: the other parent's
  maintenance) and, for entries with `openfisca_keeps_checks: true`, the checks in their
  conditions (AAH at 50-79 %: the MDPH's "restriction substantielle et durable d'accès à
  l'emploi"). Checks written as approximations of a calculation (the housing aids' and the
  prime d'activité's "it depends on the rent / on who earns what") are settled by OpenFisca;
- the amount is OpenFisca's, exact; for the CSS with participation, which has no amount received,
  the reason gives what the household would pay each month (OpenFisca's participation);
- the reason says it in plain words: « Selon le calcul officiel (OpenFisca), ... environ
  412 € par mois. »
Without the calculator, the rules answer and the result says the exact amount is not available.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from benefits import explain
from benefits.catalogue_loader import Benefit, Catalogue
from benefits.estimators import Estimate
from benefits.rules import PersonCheck, person_checks

OPENFISCA = "openfisca"
OFFICIAL = "Selon le calcul officiel (OpenFisca)"
NOT_AVAILABLE = "Le montant exact n'est pas disponible pour l'instant."
PERIOD_WORDS = {"monthly": "par mois", "yearly": "par an", "one_off": "en une fois"}


@dataclass(frozen=True)
class Verdict:
    """What the calculator says of one benefit (monthly euros; 0 when not eligible)."""

    eligible: bool
    monthly: float = 0.0            # for a benefit paid once a year (ARS, bourses): yearly / 12
    yearly: float | None = None     # optional, for those benefits: the amount of the year
    cost: float | None = None       # optional: what the household pays a month (CSS with participation)

    @classmethod
    def read(cls, value: Any) -> Verdict | None:
        """A verdict from a dict or an object with `eligible` and `monthly`; None if unreadable."""
        if isinstance(value, Verdict):
            return value
        get = value.get if isinstance(value, Mapping) else (lambda key, default=None: getattr(value, key, default))
        eligible = get("eligible", None)
        if not isinstance(eligible, bool):
            return None
        try:
            monthly = float(get("monthly", 0.0) or 0.0)
            yearly = get("yearly", None)
            yearly = None if yearly is None else float(yearly)
            cost = get("cost", None)
            cost = None if cost is None else max(0.0, float(cost))
        except (TypeError, ValueError):
            return None
        return cls(eligible, max(0.0, monthly) if eligible else 0.0, yearly if eligible else None,
                   cost if eligible else None)


def is_computed(benefit: Benefit) -> bool:
    return benefit.entry.computed_by == OPENFISCA


def verdicts(national: Mapping[str, Any] | None) -> dict[str, Verdict] | None:
    if national is None:
        return None
    found = {}
    for benefit_id, value in national.items():
        verdict = Verdict.read(value)
        if verdict is not None:
            found[str(benefit_id)] = verdict
    return found


def amount_estimate(benefit: Benefit, verdict: Verdict) -> Estimate | None:
    """OpenFisca's amount, in the benefit's own period when it is paid once a year."""
    if not verdict.eligible:
        return None
    kind = benefit.entry.amount.kind
    if kind in ("one_off", "yearly"):
        # Paid once a year (ARS, bourses): `yearly` when given, else the monthly average x 12.
        yearly = verdict.yearly if verdict.yearly else verdict.monthly * 12
        return Estimate(round(yearly, 2), kind, exact=True) if yearly > 0 else None
    if verdict.monthly > 0:
        return Estimate(round(verdict.monthly, 2), "monthly", exact=True)
    return None


def amount_phrase(estimate: Estimate | None) -> str:
    """« environ 412 € par mois » (rounded to the euro), or "" when there is no amount."""
    if estimate is None or estimate.value <= 0:
        return ""
    return f"environ {explain.money(round(estimate.value))} {PERIOD_WORDS.get(estimate.period, '')}".rstrip()


def cost_phrase(verdict: Verdict) -> str:
    """« vous paieriez environ 38 € par mois pour votre foyer » (the CSS's participation), or ""."""
    if not verdict.eligible or not verdict.cost:
        return ""
    return f"vous paieriez environ {explain.money(round(verdict.cost))} par mois pour votre foyer"


def kept_checks(benefit: Benefit, facts: Mapping[str, Any]) -> list[str]:
    """The checks OpenFisca cannot settle: facts nobody asks (see the module's docstring)."""
    checks: list[str] = []
    if benefit.entry.openfisca_keeps_checks:
        person_checks(benefit.rule, facts, checks)
    for child in benefit.rule.children:
        if isinstance(child, PersonCheck) and child.path == "needs_check" and child.sentence not in checks:
            checks.append(child.sentence)
    return checks


def _update(result: Any, **fields: Any) -> Any:
    # The result was just built for this evaluation and its reasons not read yet: updating it in
    # place is safe, and much cheaper than dataclasses.replace on the hot path.
    for name, value in fields.items():
        setattr(result, name, value)
    return result


def apply(result: Any, catalogue: Catalogue, benefit: Benefit, facts: Mapping[str, Any],
          verdict: Verdict) -> Any:
    """The rules' result of a computed benefit with OpenFisca's verdict and amount."""
    from benefits.engine import LIKELY, NOT_NOW, UNKNOWN  # engine imports this module

    estimate = amount_estimate(benefit, verdict)
    if result.status == UNKNOWN and result.missing:
        # The questionnaire is not over: more answers could change OpenFisca's verdict too.
        return _update(result, estimate=estimate)
    label = explain.benefit_label(benefit)
    amount = amount_phrase(estimate) or cost_phrase(verdict)
    if not verdict.eligible:
        agrees = result.status == NOT_NOW
        rule_reasons = result.explainer

        def not_now_reasons() -> list[str]:
            if agrees:
                return [*rule_reasons(), f"{OFFICIAL}, c'est confirmé."]
            return [f"{OFFICIAL}, {label} {explain.is_not_possible(label)} pour l'instant avec vos réponses."]

        return _update(result, status=NOT_NOW, estimate=None, missing=[], checks=[], explainer=not_now_reasons)
    checks = kept_checks(benefit, facts)
    if checks:
        def check_reasons() -> list[str]:
            tail = f"{OFFICIAL}, si c'est le cas : {amount}." if amount else \
                f"{OFFICIAL}, elle est possible si c'est le cas."
            return [*(explain._sentence(c) for c in checks), tail]

        return _update(result, status=UNKNOWN, estimate=estimate, missing=[], checks=checks, explainer=check_reasons)
    agrees = result.status == LIKELY
    rule_reasons = result.explainer

    def likely_reasons() -> list[str]:
        if agrees:
            return [*rule_reasons(), f"{OFFICIAL} : {amount}." if amount else f"{OFFICIAL}, c'est confirmé."]
        tail = f" : {amount}." if amount else "."
        return [f"{OFFICIAL}, {label} {explain.seems_possible(label)} pour vous{tail}"]

    return _update(result, status=LIKELY, estimate=estimate, missing=[], checks=[], explainer=likely_reasons)


def without_calculator(result: Any, benefit: Benefit) -> Any:
    """A computed benefit answered by the rules alone: no approximate amount is shown."""
    from benefits.engine import NOT_NOW

    if result.status == NOT_NOW:
        return result
    rough = result.estimate.yearly if result.estimate else 0.0
    rule_reasons = result.explainer
    return _update(result, estimate=None, typical_yearly=result.typical_yearly or rough,
                   explainer=lambda: [*rule_reasons(), NOT_AVAILABLE])
