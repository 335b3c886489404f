"""Names instead of ids in what staff read: benefits (catalogue names and estimated amounts) and
urgent situations (labels of urgent/data/situations.yml).

Requests store benefits as a JSON list; older rows hold plain ids, newer ones mappings
`{"id", "name", "amount"}` written at booking time by `benefit_entries`, so the team notification,
the inbox and the CSV read the same names even if the catalogue changes later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

PERIOD_WORDS = {"monthly": "par mois", "yearly": "par an", "one_off": "une fois"}


@lru_cache(maxsize=1)
def _catalogue_names() -> dict[str, tuple[str, str]]:
    """benefit id -> (name, the catalogue's amount text)."""
    from benefits.catalogue_loader import load_catalogue  # noqa: PLC0415 (loaded on first use only)

    return {b.id: (b.name, b.entry.amount.text or "") for b in load_catalogue().benefits}


@lru_cache(maxsize=1)
def _situation_labels() -> dict[str, str]:
    from urgent.situations import load  # noqa: PLC0415

    return {s.id: s.label for s in load().situations}


def _euros(value: float) -> str:
    from benefits.explain import money  # noqa: PLC0415

    return money(value)


def _estimate_text(estimate: Any) -> str:
    if isinstance(estimate, Mapping):
        value, period, exact = estimate.get("value"), estimate.get("period"), estimate.get("exact", True)
    elif estimate is not None:
        value, period, exact = estimate.value, estimate.period, estimate.exact
    else:
        return ""
    if not isinstance(value, (int, float)) or value <= 0 or period not in PERIOD_WORDS:
        return ""
    return f"{'environ' if exact else 'jusqu’à'} {_euros(value)} {PERIOD_WORDS[period]}"


def benefit_entry(item: Any) -> dict | None:
    """One benefit as {"id", "name", "amount"}: from an id, a mapping (BenefitResult.to_dict() or
    a stored entry) or a BenefitResult. Unknown ids keep the id as their name."""
    if item is None:
        return None
    if isinstance(item, str):
        benefit_id, name, amount = item, None, ""
    elif isinstance(item, Mapping):
        benefit_id = str(item.get("id") or "")
        name = item.get("name")
        amount = item.get("amount") or _estimate_text(item.get("estimate"))
    else:
        benefit_id, name = str(getattr(item, "id", "")), getattr(item, "name", None)
        amount = _estimate_text(getattr(item, "estimate", None))
    known = _catalogue_names().get(benefit_id)
    if not name:
        name = known[0] if known else benefit_id
    if not amount and known and len(known[1]) <= 60:
        amount = known[1]  # a short catalogue text ("Jusqu'à 300 € par an"); long ones are left out
    if not name:
        return None
    return {"id": benefit_id, "name": str(name), "amount": str(amount or "")}


def benefit_entries(items: Iterable[Any] | None) -> list[dict]:
    if not isinstance(items, (list, tuple)):
        return []
    return [e for e in (benefit_entry(i) for i in items) if e]


def benefit_names(items: Iterable[Any] | None) -> list[str]:
    return [e["name"] for e in benefit_entries(items)]


def benefit_name(benefit_id: str) -> str:
    known = _catalogue_names().get(benefit_id)
    return known[0] if known else benefit_id


def all_benefits() -> list[tuple[str, str]]:
    """(id, name) of every benefit of the catalogue, by name: the choices of "droits ouverts"."""
    return sorted(((i, n) for i, (n, _t) in _catalogue_names().items()), key=lambda x: x[1].lower())


def situation_labels(ids: Iterable[str] | None) -> list[str]:
    if not isinstance(ids, (list, tuple)):
        return []
    labels = _situation_labels()
    return [labels.get(str(i), str(i)) for i in ids]
