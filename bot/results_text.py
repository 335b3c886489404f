"""How results are worded, for the chat and the volunteers' page alike: amounts, the one-line
conclusion, short names for buttons. Plain Python (no Rasa), so the guide can use it too."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from benefits import BenefitResult, Catalogue, load_catalogue

# Aids of which one gets only one (the larger): never added twice in the monthly total.
ALTERNATIVES = ({"rsa", "rsa_majore"}, {"apl", "alf", "als"}, {"css_gratuite", "css_participative"})


def euros(value: float) -> str:
    """412.3 -> '412', 1188 -> '1 188' (French thousands separator, no cents: it is an estimate)."""
    return f"{round(value):,}".replace(",", "\u202f")


def _shortened(name: str) -> str:
    match = re.search(r"^(.+?)\s*\(([^()]+)\)\s*$", name)
    if not match:
        return name
    outside, inside = match.group(1), match.group(2).strip()
    return inside if len(inside.split()) <= 2 else outside  # an acronym or a short common name


@lru_cache(maxsize=4)
def _ambiguous(catalogue: Catalogue) -> frozenset[str]:
    counts = Counter(_shortened(b.entry.name) for b in catalogue.benefits)
    return frozenset(name for name, n in counts.items() if n > 1)


def short_name(result: BenefitResult) -> str:
    """'Minimum vieillesse (ASPA)' -> 'ASPA'; 'Jeun'Est (carte et application …)' -> 'Jeun'Est'.
    Two aids never share a short name (buttons must have distinct names): the full name then."""
    short = _shortened(result.name)
    return result.name if short in _ambiguous(load_catalogue()) else short


def amount_phrase(result: BenefitResult) -> str:
    """'Environ 412 € par mois.' from the estimate, else the catalogue's amount sentence."""
    est = result.estimate
    if est is not None and est.value > 0:
        word = "Environ" if est.exact else "Jusqu'à"
        period = {"monthly": " par mois", "yearly": " par an", "one_off": " en une fois"}.get(est.period, "")
        return f"{word} {euros(est.value)} €{period}."
    return first_sentence(result.amount_text)


def first_sentence(text: str | None) -> str:
    text = " ".join((text or "").split())
    match = re.search(r"^(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


def monthly_total(likely: list[BenefitResult]) -> float:
    """Sum of the monthly estimates, counting only the larger of alternative aids."""
    values = {r.id: r.estimate.value for r in likely
              if r.estimate is not None and r.estimate.period == "monthly" and r.estimate.value > 0}
    for group in ALTERNATIVES:
        present = [i for i in values if i in group]
        if len(present) > 1:
            keep = max(present, key=values.get)
            for other in present:
                if other != keep:
                    del values[other]
    return sum(values.values())


def conclusion(likely: list[BenefitResult]) -> str:
    count = len(likely)
    if not count:
        # Never "you are entitled to nothing": someone can always check with the person.
        return ("Avec vos réponses, je ne trouve pas d'aide sûre. Cela ne veut pas dire que vous n'avez "
                "droit à rien : une personne peut regarder votre situation avec vous.")
    total = monthly_total(likely)
    head = "1 aide probable" if count == 1 else f"{count} aides probables"
    if total >= 1:
        return f"{head}, environ {euros(total)} € par mois en tout."
    return "Une aide semble possible pour vous." if count == 1 else f"{count} aides semblent possibles pour vous."
