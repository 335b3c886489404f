"""evaluate(profile): every benefit of the catalogue with a status, reasons and an amount.

Statuses: "likely" (every condition holds), "not_now" (one condition fails for an answer the
person gave), "unknown" (some answer is missing or was "je ne sais pas", or a condition only a
person can check: `needs_check`). The answer is never empty: it always names a person to check
with.

Ranking: likely first, the largest yearly amounts first, services open to everyone last; then
the unknowns that more answers would decide, then those to check with a person, the rare cases
(asylum, no residence permit...) last.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from benefits import explain, openfisca_verdicts
from benefits.catalogue_loader import Benefit, Catalogue, load_catalogue
from benefits.estimators import Estimate, estimate
from benefits.rules import person_checks
from benefits.schema import CATEGORIES, HowToApply, Institution, Source

LIKELY, NOT_NOW, UNKNOWN = "likely", "not_now", "unknown"
STATUS_ORDER = {LIKELY: 0, UNKNOWN: 1, NOT_NOW: 2}
CONFIDENCE_ORDER = {"high": 0, "medium": 1, "low": 2}

# Used only if the institutions folder lacks the Département (e.g. a test fixture).
FALLBACK_CONTACT = Institution(
    id="departement_54",
    name="Département de Meurthe-et-Moselle (Maisons départementales des solidarités)",
    website="https://meurthe-et-moselle.fr",
)


@dataclass
class BenefitResult:
    id: str
    name: str
    category: str
    status: str
    missing: list[str]                # question ids still needed (unknown status only)
    summary: str
    amount_text: str
    estimate: Estimate | None
    administrator: Institution | None
    how_to_apply: HowToApply
    sources: list[Source]
    confidence: str
    # Reasons are phrased only when read: most of the ~100 results are never shown.
    explainer: Callable[[], list[str]] = field(default=lambda: [], repr=False, compare=False)
    checks: list[str] = field(default_factory=list)   # what a person must check (unknown only)
    typical_yearly: float = 0.0       # the entry's rough yearly value when nothing is estimated
    open_to_all: bool = False         # a service for everyone living there (ranked last)
    rare: bool = False                # the check concerns few residents (ranked last of unknowns)

    @cached_property
    def reasons(self) -> list[str]:
        """Plain-French sentences saying why (likely), why not (not_now) or what is missing."""
        return self.explainer()

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)

    @property
    def yearly_value(self) -> float:
        return self.estimate.yearly if self.estimate else 0.0

    @property
    def impact(self) -> float:
        """Euros a year at stake for the person: the estimate, else the entry's typical value."""
        return self.yearly_value or self.typical_yearly

    @property
    def to_check(self) -> bool:
        """Unknown only because of something a person must check (no question left to ask)."""
        return self.status == UNKNOWN and bool(self.checks) and not self.missing

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "category_label": self.category_label,
            "status": self.status,
            "reasons": self.reasons,
            "missing": self.missing,
            "summary": self.summary,
            "amount_text": self.amount_text,
            "estimate": None if self.estimate is None else {
                "value": self.estimate.value, "period": self.estimate.period, "exact": self.estimate.exact,
            },
            "administrator": None if self.administrator is None else self.administrator.model_dump(),
            "how_to_apply": self.how_to_apply.model_dump(),
            "sources": [s.model_dump(mode="json") for s in self.sources],
            "confidence": self.confidence,
            "checks": self.checks,
            "to_check": self.to_check,
        }


@dataclass
class Evaluation:
    results: list[BenefitResult]
    human_contacts: list[Institution]   # never empty: someone who can check with the person
    message: str
    by_id: dict[str, BenefitResult] = field(default_factory=dict)

    def with_status(self, status: str) -> list[BenefitResult]:
        return [r for r in self.results if r.status == status]

    @property
    def likely(self) -> list[BenefitResult]:
        return self.with_status(LIKELY)

    @property
    def unknown(self) -> list[BenefitResult]:
        return self.with_status(UNKNOWN)

    @property
    def not_now(self) -> list[BenefitResult]:
        return self.with_status(NOT_NOW)

    def status_of(self, benefit_id: str) -> str | None:
        result = self.by_id.get(benefit_id)
        return result.status if result else None

    def by_category(self, status: str = LIKELY) -> dict[str, list[BenefitResult]]:
        """Results of one status grouped by category label, in ranking order."""
        groups: dict[str, list[BenefitResult]] = {}
        for result in self.with_status(status):
            groups.setdefault(result.category_label, []).append(result)
        return groups

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "human_contacts": [c.model_dump() for c in self.human_contacts],
            "results": [r.to_dict() for r in self.results],
        }


def status_of(benefit: Benefit, facts: Mapping[str, Any]) -> str:
    value = benefit.rule.eval(facts)
    return LIKELY if value is True else NOT_NOW if value is False else UNKNOWN


def _explainer(catalogue: Catalogue, benefit: Benefit, facts: Mapping[str, Any], profile: Mapping[str, Any],
               status: str) -> Callable[[], list[str]]:
    if status == LIKELY:
        return lambda: explain.likely_reasons(catalogue, benefit, facts)
    if status == NOT_NOW:
        return lambda: explain.not_now_reasons(catalogue, benefit, facts)
    return lambda: explain.unknown_reasons(catalogue, benefit, facts, profile)


def _result(catalogue: Catalogue, benefit: Benefit, facts: Mapping[str, Any],
            profile: Mapping[str, Any]) -> BenefitResult:
    status = status_of(benefit, facts)
    entry = benefit.entry
    missing = explain.missing_questions(catalogue, benefit, facts, profile) if status == UNKNOWN else []
    checks: list[str] = []
    if status == UNKNOWN and benefit.to_check:
        person_checks(benefit.rule, facts, checks)
    return BenefitResult(
        id=entry.id,
        name=entry.name,
        category=entry.category,
        status=status,
        missing=missing,
        summary=entry.summary,
        amount_text=entry.amount.text,
        estimate=estimate(benefit, facts) if status != NOT_NOW else None,
        administrator=catalogue.institutions.get(entry.administrator),
        how_to_apply=entry.how_to_apply,
        sources=list(entry.sources),
        confidence=entry.confidence,
        explainer=_explainer(catalogue, benefit, facts, profile, status),
        checks=checks,
        typical_yearly=entry.amount.typical_yearly or 0.0,
        open_to_all=benefit.open_to_all,
        rare=entry.rare,
    )


def _rank_key(result: BenefitResult) -> tuple:
    # Money the person would otherwise miss comes first: likely results by yearly amount, the
    # services open to everyone last. Unknowns: those more answers would decide, then those a
    # person must check, the rare cases last; each group by amount.
    if result.status == LIKELY:
        group = 1 if result.open_to_all else 0
    elif result.status == UNKNOWN:
        group = 2 if result.rare else (1 if result.to_check else 0)
    else:
        group = 0
    return (
        STATUS_ORDER[result.status],
        group,
        -result.impact,
        len(result.missing),
        CONFIDENCE_ORDER.get(result.confidence, 3),
        result.name,
    )


def human_contacts(catalogue: Catalogue, profile: Mapping[str, Any]) -> list[Institution]:
    """Who can check the person's rights with them: the local CCAS when known, the Département."""
    contacts = []
    commune = profile.get("commune")
    if commune:
        for institution in catalogue.institutions.values():
            if str(commune) in institution.communes and institution.id.startswith("ccas_"):
                contacts.append(institution)
    contacts.append(catalogue.institutions.get("departement_54", FALLBACK_CONTACT))
    return contacts


def monthly_total(results: list[BenefitResult]) -> float:
    """Euros a month of the likely results whose monthly amount is known exactly."""
    return sum(r.estimate.value for r in results
               if r.status == LIKELY and r.estimate is not None and r.estimate.exact and r.estimate.period == "monthly")


def _message(likely: int, unknown: int, contact: Institution, total: float = 0.0) -> str:
    if likely == 1:
        head = "Une aide semble possible pour vous"
        head += f", environ {explain.money(round(total))} par mois." if total >= 1 else "."
    elif likely > 1:
        head = f"{likely} aides semblent possibles pour vous"
        head += f", environ {explain.money(round(total))} par mois en tout." if total >= 1 else "."
    elif unknown:
        head = "Il nous manque encore quelques réponses pour être sûrs."
    else:
        head = "Nous n'avons pas trouvé d'aide sûre pour l'instant."
    phone = f" ({contact.phone})" if contact.phone else ""
    return f"{head} Une personne peut vérifier votre situation avec vous : {contact.name}{phone}."


def _final_result(catalogue: Catalogue, benefit: Benefit, facts: Mapping[str, Any], profile: Mapping[str, Any],
                  found: Mapping[str, openfisca_verdicts.Verdict] | None) -> BenefitResult:
    result = _result(catalogue, benefit, facts, profile)
    if not openfisca_verdicts.is_computed(benefit):
        return result
    verdict = found.get(benefit.id) if found is not None else None
    if verdict is None:
        return openfisca_verdicts.without_calculator(result, benefit)
    return openfisca_verdicts.apply(result, catalogue, benefit, facts, verdict)


def evaluate(profile: Mapping[str, Any], catalogue: Catalogue | None = None,
             national: Mapping[str, Any] | None = None) -> Evaluation:
    """Every benefit of the catalogue for this profile, ranked: likely first, by amount.

    `national`: the calculator's answer, benefit id -> {eligible, monthly} (dict or object), for
    the entries marked `computed_by: openfisca`; it wins over their rules (openfisca_verdicts).
    None: the calculator is not available, the rules answer without an exact amount.
    """
    catalogue = catalogue or load_catalogue()
    profile = profile if isinstance(profile, Mapping) else {}
    facts = catalogue.facts.build(profile)
    found = openfisca_verdicts.verdicts(national if isinstance(national, Mapping) else None)
    results = [_final_result(catalogue, b, facts, profile, found) for b in catalogue.benefits]
    results.sort(key=_rank_key)
    contacts = human_contacts(catalogue, profile)
    likely = sum(1 for r in results if r.status == LIKELY)
    unknown = sum(1 for r in results if r.status == UNKNOWN)
    return Evaluation(
        results=results,
        human_contacts=contacts,
        message=_message(likely, unknown, contacts[0], monthly_total(results)),
        by_id={r.id: r for r in results},
    )


def evaluate_one(benefit: Benefit, profile: Mapping[str, Any], catalogue: Catalogue | None = None,
                 national: Mapping[str, Any] | None = None) -> BenefitResult:
    catalogue = catalogue or load_catalogue()
    found = openfisca_verdicts.verdicts(national if isinstance(national, Mapping) else None)
    return _final_result(catalogue, benefit, catalogue.facts.build(profile), profile, found)


def statuses(profile: Mapping[str, Any], catalogue: Catalogue | None = None,
             national: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Only the status of each benefit: the fast path for tests and the question picker (the
    rules alone unless `national` is given, see evaluate)."""
    catalogue = catalogue or load_catalogue()
    if national is not None:
        return {r.id: r.status for r in evaluate(profile, catalogue, national).results}
    facts = catalogue.facts.build(profile)
    return {b.id: status_of(b, facts) for b in catalogue.benefits}
