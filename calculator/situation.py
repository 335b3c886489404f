"""Turns a resident's profile (the household contract of DEVELOPERS.md) into an OpenFisca situation.

Plain Python (no OpenFisca import): the action server builds the situation, the calculator
process computes it. One situation = one household: persons `demandeur`, `conjoint`,
`enfant_1`..., one famille, one foyer fiscal, one ménage.

Periods. Benefits are asked for the month `period` (YYYY-MM). The RSA and the prime d'activité
average the 3 previous months, the AAH and the aides au logement the last 12 months, the
bourses and the chèque énergie use the revenu fiscal of year N-2, and some formulas look further
back: resources are declared as the same monthly amount for every month from January of N-7 up
to `period` (the profile knows today's income only, so it is assumed stable). The revenu fiscal
de référence of N-7..N-1 is given directly (taxable income minus the 10 % deduction, CGI art. 83
and 158-5-a) so that OpenFisca does not run the whole income-tax graph to find it.

Defaults when a key is missing or "unknown" (so that a partial profile still computes; the
client only asks for a computation once `ready(profile)` holds):
- incomes by type missing: `income_monthly` is split evenly among `income_kinds` (benefits and
  none excluded), all of it the resident's; no kind known: salary.
- the grouped answers (situations, disability_who, work implied by the kinds of income) are
  turned into the keys below by `benefits.household.expand`, the engine's own derivation.
- partner's age: the resident's; partner's work: implied by the partner's kinds of income
  (`benefits.household.implied_work`), else "other"; partner's disability: none.
- `children_school`: derived from the age (Code de l'éducation L131-1, classes by age).
- `rent` missing for a tenant: 0 (no housing aid computed rather than an invented one).
- commune missing: Nancy (54395), the most populated commune of the 54.
- couples are a single foyer fiscal (married or PACS), as aides-jeunes does by default.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from benefits.household import expand

UNKNOWN = "unknown"
DEFAULT_COMMUNE = "54395"

# The profile's net monthly amounts by type -> OpenFisca monthly input variables.
INCOME_VARIABLES = {
    "salary": "salaire_net",
    "unemployment": "chomage_net",
    "pension": "retraite_nette",
    "invalidity": "pensions_invalidite",
    "self_employed": "rpns_auto_entrepreneur_CA_bnc",   # turnover of a micro-entrepreneur (BNC)
}
# Net -> taxable and gross, set alongside the net amount because OpenFisca reads them (the ASPA
# and the ASI count gross pensions, CSS art. R815-22; the aides au logement taxable income).
# Taxable = net + CSG non déductible + CRDS (2,9 % of 98,25 % of gross ≈ 2,4 % of net; 3,4 %+0,5 %
# on pensions). Gross: salaries ≈ net / 0,78 (employee contributions of the private sector),
# unemployment ≈ net / 0,933 (CSG 6,2 % + CRDS 0,5 %), pensions ≈ net / 0,909 (CSG 8,3 %, CRDS, CASA).
TAXABLE_FACTOR = {"salaire_net": 1.024, "chomage_net": 1.024, "retraite_nette": 1.04, "pensions_invalidite": 1.04}
COMPANIONS = {
    "salaire_net": (("salaire_imposable", 1.024), ("salaire_de_base", 1 / 0.78)),
    "chomage_net": (("chomage_imposable", 1.024), ("chomage_brut", 1 / 0.933)),
    "retraite_nette": (("retraite_imposable", 1.04), ("retraite_brute", 1 / 0.909)),
}
# A micro-entrepreneur (BNC) keeps 66 % of the turnover after the 34 % abatement (CGI art. 102 ter).
SELF_EMPLOYED_SHARE = 0.66
FISCAL_DEDUCTION = 0.9   # 10 % deduction for professional expenses / pensions

HOUSING = {
    "tenant": "locataire_vide",
    "social_tenant": "locataire_hlm",
    "owner": "proprietaire",
    "hosted": "loge_gratuitement",
    "homeless": "sans_domicile",
}
ACTIVITY = {
    "employed": "actif",
    "apprentice": "actif",
    "job_seeker": "chomeur",
    "student": "etudiant",
    "retired": "retraite",
    "unable": "inactif",
    "other": "inactif",
}
SCHOOL = {
    "none": "inconnue",
    "maternelle": "maternelle",
    "primaire": "primaire",
    "college": "college",
    "lycee": "lycee",
    "superieur": "enseignement_superieur",
}
# Disability answer -> (taux_incapacite, restriction substantielle et durable d'accès à l'emploi).
# 50-79 %: the AAH also needs the RSDAE (CSS art. L821-2), assumed granted by the MDPH.
DISABILITY = {
    "rate_80_plus": (0.8, False),
    "rate_50_79": (0.5, True),
    "recognised_other": (0.0, False),
}
CHILD_DISABILITY_RATE = 0.8   # AEEH base: taux ≥ 80 % (CSS art. L541-1)

HISTORY_YEARS = 7
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def current_period(today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    return f"{today.year:04d}-{today.month:02d}"


def _known(value: Any) -> bool:
    return value is not None and value != UNKNOWN


def _number(value: Any, default: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return max(0.0, float(value))


def _int(value: Any, default: int | None = None) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return int(value)


def school_from_age(age: int) -> str:
    """The usual class at an age (Code de l'éducation: école from 3, collège 11-14, lycée 15-17)."""
    if age < 3:
        return "none"
    if age < 6:
        return "maternelle"
    if age < 11:
        return "primaire"
    if age < 15:
        return "college"
    if age < 18:
        return "lycee"
    return "superieur" if age < 21 else "none"


def months_back(period: str, start_year: int) -> list[str]:
    """Every month from January of `start_year` up to `period`, oldest first."""
    year, month = int(period[:4]), int(period[5:])
    months = []
    y, m = start_year, 1
    while (y, m) <= (year, month):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def birth_date(age: int, period: str) -> str:
    """A birth date giving `age` on the first day of `period` (birthday later in the month)."""
    year, month = int(period[:4]), int(period[5:])
    return dt.date(year - age - 1, month, 15).isoformat()


def incomes_by_kind(profile: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Net monthly amounts by kind for the resident (prefix "") or the partner ("partner_")."""
    kinds = profile.get(f"{prefix}income_kinds")
    kinds = [k for k in kinds if k in INCOME_VARIABLES] if isinstance(kinds, list) else []
    amounts = {k: _number(profile.get(f"{prefix}income_{k}")) for k in INCOME_VARIABLES
               if _known(profile.get(f"{prefix}income_{k}"))}
    if amounts or prefix:
        return {k: v for k, v in amounts.items() if v > 0}
    total = _number(profile.get("income_monthly"))
    if total <= 0:
        return {}
    kinds = kinds or ["salary"]
    return {k: total / len(kinds) for k in kinds}


def _series(months: Iterable[str], value: Any) -> dict[str, Any]:
    return dict.fromkeys(months, value)


def _person(period: str, months: list[str], age: int, work: Any, disability: Any,
            incomes: Mapping[str, float]) -> dict[str, Any]:
    person: dict[str, Any] = {"date_naissance": {"ETERNITY": birth_date(age, period)}}
    person["activite"] = _series(months[-13:], ACTIVITY.get(work, "inactif"))
    if work == "apprentice":
        person["apprenti"] = {period: True}
    rate, rsdae = DISABILITY.get(disability, (0.0, False))
    if disability in DISABILITY:
        person["handicap"] = _series(months[-13:], True)
        person["taux_incapacite"] = _series(months[-13:], rate)
        if rsdae:
            person["aah_restriction_substantielle_durable_acces_emploi"] = _series(months[-13:], True)
    if work == "unable":
        person["inapte_travail"] = _series(months[-13:], True)
    for kind, amount in incomes.items():
        variable = INCOME_VARIABLES[kind]
        if kind == "self_employed":
            person[variable] = _series(months, round(amount / SELF_EMPLOYED_SHARE, 2))
            continue
        person[variable] = _series(months, round(amount, 2))
        for companion, factor in COMPANIONS.get(variable, ()):
            person[companion] = _series(months, round(amount * factor, 2))
    return person


def _rfr(incomes: Iterable[Mapping[str, float]]) -> float:
    yearly = 0.0
    for by_kind in incomes:
        for kind, amount in by_kind.items():
            if kind == "self_employed":
                yearly += amount * 12   # already the taxable profit (turnover after abatement)
            else:
                yearly += amount * TAXABLE_FACTOR[INCOME_VARIABLES[kind]] * 12 * FISCAL_DEDUCTION
    return round(yearly, 2)


def build_situation(profile: Mapping[str, Any], period: str | None = None) -> dict[str, Any]:
    """The OpenFisca situation of the profile's household for the month `period` (default: now).

    Only inputs: the calculator adds the variables to compute."""
    period = period or current_period()
    if not _PERIOD.match(period):
        raise ValueError(f"period must be YYYY-MM, got {period!r}")
    profile = profile if isinstance(profile, Mapping) else {}
    # The keys the grouped questions settle (pregnant, children_disabled, work...), in one place.
    profile = {**profile, **expand(profile)}
    year = int(period[:4])
    months = months_back(period, year - HISTORY_YEARS)

    age = _int(profile.get("age"), 40)
    couple = profile.get("household") == "couple"
    individus: dict[str, Any] = {}
    resident_incomes = incomes_by_kind(profile)
    individus["demandeur"] = _person(period, months, age, profile.get("work"), profile.get("disability"),
                                     resident_incomes)
    if profile.get("pregnant") is True:
        individus["demandeur"]["enceinte"] = _series(months[-10:], True)
    parents = ["demandeur"]
    incomes = [resident_incomes]
    if couple:
        partner_incomes = incomes_by_kind(profile, "partner_")
        partner_work = profile.get("partner_work") if _known(profile.get("partner_work")) else "other"
        individus["conjoint"] = _person(period, months, _int(profile.get("partner_age"), age), partner_work,
                                        profile.get("partner_disability"), partner_incomes)
        parents.append("conjoint")
        incomes.append(partner_incomes)
        marital = _series(months[-13:], "marie")
        individus["demandeur"]["statut_marital"] = marital
        individus["conjoint"]["statut_marital"] = dict(marital)

    children = _children(profile, period, months)
    individus.update(children)
    enfants = list(children)

    housing = profile.get("housing")
    menage: dict[str, Any] = {
        "personne_de_reference": ["demandeur"],
        "enfants": enfants,
        "depcom": _series(months[-13:], _commune(profile.get("commune"))),
    }
    if couple:
        menage["conjoint"] = ["conjoint"]
    if housing in HOUSING:
        menage["statut_occupation_logement"] = _series(months[-13:], HOUSING[housing])
    if housing in ("tenant", "social_tenant"):
        menage["loyer"] = _series(months[-13:], round(_number(profile.get("rent")), 2))

    rfr = _rfr(incomes)
    foyer = {"declarants": parents, "personnes_a_charge": enfants,
             "rfr": {str(y): rfr for y in range(year - HISTORY_YEARS, year)}}
    famille = {"parents": parents, "enfants": enfants}
    return {
        "individus": individus,
        "familles": {"famille": famille},
        "foyers_fiscaux": {"foyer_fiscal": foyer},
        "menages": {"menage": menage},
    }


def _commune(value: Any) -> str:
    code = str(value) if _known(value) else ""
    return code if re.fullmatch(r"\d[\dAB]\d{3}", code) else DEFAULT_COMMUNE


def _children(profile: Mapping[str, Any], period: str, months: list[str]) -> dict[str, Any]:
    count = _int(profile.get("children_count"), 0) or 0
    ages = profile.get("children_ages")
    ages = [a for a in ages if isinstance(a, int) and not isinstance(a, bool)] if isinstance(ages, list) else []
    schools = profile.get("children_school")
    schools = schools if isinstance(schools, list) else []
    disabled = _int(profile.get("children_disabled"), 0) or 0
    count = max(count, len(ages))
    children: dict[str, Any] = {}
    for index in range(count):
        # An unknown age: 10, a school-age child (ARS, bourses not decided for nothing).
        age = ages[index] if index < len(ages) else 10
        school = schools[index] if index < len(schools) and schools[index] in SCHOOL else school_from_age(age)
        child: dict[str, Any] = {
            "date_naissance": {"ETERNITY": birth_date(min(max(age, 0), 30), period)},
            "scolarite": _series(months[-13:], SCHOOL[school]),
        }
        if school == "superieur":
            child["activite"] = _series(months[-13:], "etudiant")
        if index < disabled:
            child["handicap"] = _series(months[-13:], True)
            child["taux_incapacite"] = _series(months[-13:], CHILD_DISABILITY_RATE)
        children[f"enfant_{index + 1}"] = child
    return children
