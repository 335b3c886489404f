"""A short summary of a resident's answers for the team that will receive them (with consent)."""

from __future__ import annotations

from typing import Any

from benefits.catalogue_loader import load_catalogue, load_questions
from benefits.household import expand

UNKNOWN = "unknown"


def _money(value: Any) -> str:
    return f"{float(value):,.0f} €".replace(",", " ")


def _label(question_id: str, value: Any) -> str:
    """The button title for a choice value, else the value itself."""
    for q in load_questions():
        if q.id == question_id:
            titles = {str(b.value): b.title for b in (q.buttons or [])}
            if isinstance(value, list):
                return ", ".join(titles.get(str(v), str(v)) for v in value)
            return titles.get(str(value), str(value))
    return str(value)


def profile_summary(profile: dict[str, Any], commune_name: str | None = None) -> list[str]:
    """Lines such as '68 ans', 'Seul(e), 2 enfant(s) (3 et 7 ans)', in plain words for staff."""
    profile = {**profile, **expand(profile)}   # pregnant, children_disabled... from the grouped answers

    def known(key: str) -> bool:
        return profile.get(key) not in (None, UNKNOWN)

    lines: list[str] = []
    if known("age"):
        lines.append(f"{profile['age']} ans")
    family = []
    if known("household"):
        family.append(_label("household", profile["household"]))
    if known("children_count"):
        count = int(profile["children_count"])
        text = "sans enfant à charge" if count == 0 else f"{count} enfant(s) à charge"
        ages = profile.get("children_ages")
        if count and isinstance(ages, list) and ages:
            text += " (" + ", ".join(str(a) for a in ages) + " ans)"
        family.append(text)
    if family:
        lines.append(", ".join(family))
    if known("children_disabled") and int(profile["children_disabled"]) > 0:
        lines.append(f"Enfant(s) avec un handicap reconnu : {int(profile['children_disabled'])}")
    # The household's income: the total given, or the sum of the amounts by type (both adults).
    income_total = load_catalogue().facts.build(profile).get("income_monthly")
    if income_total is not None:
        income = f"Revenus du foyer : {_money(income_total)} par mois"
        if known("income_kinds"):
            income += f" ({_label('income_kinds', profile['income_kinds'])})"
        lines.append(income)
    if profile.get("household") == "couple":
        partner = []
        if known("partner_age"):
            partner.append(f"{profile['partner_age']} ans")
        if known("partner_work"):
            partner.append(_label("work", profile["partner_work"]))
        if known("partner_income_kinds"):
            partner.append(f"revenus : {_label('partner_income_kinds', profile['partner_income_kinds'])}")
        if known("partner_disability") and profile["partner_disability"] != "none":
            partner.append(f"handicap : {_label('partner_disability', profile['partner_disability'])}")
        if partner:
            lines.append("Conjoint(e) : " + ", ".join(partner))
    if known("housing"):
        housing = f"Logement : {_label('housing', profile['housing'])}"
        if known("rent"):
            housing += f", loyer {_money(profile['rent'])}"
        lines.append(housing)
    if known("work"):
        lines.append(f"Activité : {_label('work', profile['work'])}")
    if known("disability") and profile["disability"] != "none":
        lines.append(f"Handicap : {_label('disability', profile['disability'])}")
    elif "self" in (profile.get("disabled_people") or []):
        lines.append("Handicap reconnu (taux non précisé)")
    situations = [text for key, text in (("pregnant", "grossesse en cours"), ("widowed", "veuf ou veuve"),
                                         ("needs_daily_help", "besoin d'aide au quotidien")) if profile.get(key) is True]
    if situations:
        lines.append("Situation : " + ", ".join(situations))
    if commune_name:
        lines.append(f"Commune : {commune_name}")
    return lines
