"""The warm tax-benefit system and batched computations (runs in the OpenFisca env, .venv-calc).

Several households asked together are merged into one situation (ids prefixed `h<i>_`) and
computed in one Simulation: OpenFisca's cost is per `calculate` call over the dependency graph,
vectorised over entities, so 10 households cost little more than one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from calculator.mapping import Computed, MappingError, load_mapping

log = logging.getLogger(__name__)
ENTITY_KEYS = {"famille": "familles", "menage": "menages", "foyer_fiscal": "foyers_fiscaux"}
GROUP_ROLES = {  # roles of each group entity that list person ids
    "familles": ("parents", "enfants"),
    "foyers_fiscaux": ("declarants", "personnes_a_charge"),
    "menages": ("personne_de_reference", "conjoint", "enfants", "autres"),
}


# Resources a conversation never asks about (default 0 in every household it builds): their
# formulas pull in the payroll, ARE and capital-income graphs for every month back to N-7.
# Neutralised, they answer 0 at once. bench_openfisca.py checks that results do not change.
NEUTRALISED = (
    "allocation_retour_emploi", "complement_are_brut", "allocation_securisation_professionnelle",
    "indemnites_journalieres", "indemnites_journalieres_imposables", "indemnites_chomage_partiel",
    "revenus_stage_formation_pro", "indemnites_stage", "remuneration_apprenti", "hsup",
    "indemnites_compensatrices_conges_payes", "primes_fonction_publique", "traitement_indiciaire_brut",
    "indemnite_residence", "supplement_familial_traitement", "avantage_en_nature", "gipa",
    "pensions_alimentaires_percues", "pensions_alimentaires_versees_individu", "prestation_compensatoire",
    "gains_exceptionnels", "revenus_capital", "revenus_locatifs", "revenus_capitaux_prelevement_liberatoire",
    "revenus_capitaux_prelevement_forfaitaire_unique_ir", "revenus_capitaux_prelevement_bareme",
    "rente_viagere_titre_onereux", "rente_accident_travail", "dedommagement_victime_amiante",
    "prime_forfaitaire_mensuelle_reprise_activite", "indemnites_volontariat", "bourse_recherche",
    "rpns_auto_entrepreneur_CA_bic", "rpns_auto_entrepreneur_CA_achat_revente", "rpns_imposables",
    "rsa_base_ressources_patrimoine_individu", "livret_a", "epargne_revenus_non_imposables",
    "valeur_locative_immo_non_loue", "valeur_locative_terrains_non_loues",
    # The ASS needs `ass_precondition_remplie`, which no answer gives: always 0 here.
    "ass", "indemnites_journalieres_maladie", "indemnites_journalieres_accident_travail",
    "indemnites_journalieres_maladie_professionnelle", "indemnites_journalieres_maternite",
    "indemnites_journalieres_paternite", "indemnites_journalieres_adoption",
)
# Benefits a person's answers already rule out, set to 0 for every month so that OpenFisca does
# not evaluate them over the 12-36 months other benefits count them as resources:
# the AAH (and its complements) without an incapacity rate of 50 % (CSS L821-1, L821-2), the ASI
# without a pension d'invalidité (CSS L815-24), the ASPA while every adult is under 60 (L815-1).
NO_AAH = ("aah", "caah", "mva")
NO_ASI = ("asi",)
ASPA_MIN_AGE = 60
# Resources spelled out for every person (0 when the situation gives none) back to January of
# N-7, as the builder declares them, so that no payroll or pension formula runs for anyone.
EXTENDED = ("salaire_net", "salaire_imposable", "salaire_de_base", "chomage_net", "chomage_imposable",
            "chomage_brut", "retraite_nette", "retraite_imposable", "retraite_brute", "pensions_invalidite",
            "rpns_auto_entrepreneur_CA_bnc")
HISTORY_YEARS = 7


def load_tax_benefit_system(neutralised=NEUTRALISED):
    from openfisca_france import FranceTaxBenefitSystem
    tbs = FranceTaxBenefitSystem()
    for name in neutralised:
        tbs.neutralize_variable(name)
    return tbs


def _months(period: str, years: int) -> list[str]:
    year, month = int(period[:4]), int(period[5:])
    return [f"{y:04d}-{m:02d}" for y in range(year - years, year + 1) for m in range(1, 13)
            if (y, m) <= (year, month)]


def shorten(situation: Mapping[str, Any], period: str) -> dict[str, Any]:
    """The same households with the inputs their answers already imply, for every month read.

    Applied to the merged batch: OpenFisca holds one array per variable and period for the whole
    population, so an input given to some persons gives the others the default instead of the
    formula; a benefit is set to 0 only when no person of the batch can have it."""
    months = _months(period, HISTORY_YEARS)
    out = dict(situation)
    individus = {}
    for person_id, person in situation.get("individus", {}).items():
        person = dict(person)
        for name in EXTENDED:
            given = person.get(name) or {}
            first = given[min(given)] if given else 0.0
            person[name] = {m: given.get(m, first) for m in months}
        individus[person_id] = person
    out["individus"] = individus
    no_aah = not any(rate >= 0.5 for p in individus.values() for rate in (p.get("taux_incapacite") or {}).values())
    no_asi = not any(v for p in individus.values() for v in p["pensions_invalidite"].values())
    for person in individus.values():
        for name in (NO_AAH if no_aah else ()) + (NO_ASI if no_asi else ()):
            person.setdefault(name, dict.fromkeys(months, 0.0))
    foyers = {}
    year = int(period[:4])
    for foyer_id, foyer in situation.get("foyers_fiscaux", {}).items():
        foyer = dict(foyer)
        rfr = dict(foyer.get("rfr") or {})
        first = rfr[min(rfr)] if rfr else None
        if first is not None:
            foyer["rfr"] = {str(y): rfr.get(str(y), first) for y in range(year - HISTORY_YEARS, year + 1)}
        foyers[foyer_id] = foyer
    out["foyers_fiscaux"] = foyers
    familles = {k: dict(v) for k, v in situation.get("familles", {}).items()}
    ages = [_age(individus[p].get("date_naissance", {}).get("ETERNITY"), period)
            for famille in familles.values() for p in famille.get("parents", [])]
    if ages and all(a is not None and a < ASPA_MIN_AGE for a in ages):
        for famille in familles.values():
            famille.setdefault("aspa", dict.fromkeys(months, 0.0))
    out["familles"] = familles
    return out


def _age(born: str | None, period: str) -> int | None:
    if not born:
        return None
    year, month = int(period[:4]), int(period[5:])
    return year - int(born[:4]) - ((month, 1) < (int(born[5:7]), int(born[8:10])))


def check_mapping(tbs, mapping: Mapping[str, Computed]) -> None:
    """Every variable exists with the entity and period benefits.yml says (clear error otherwise)."""
    for item in mapping.values():
        variable = tbs.variables.get(item.variable)
        where = f"benefits.yml: {item.id}"
        if variable is None:
            raise MappingError(f"{where}: OpenFisca-France has no variable {item.variable!r}")
        if variable.entity.key != item.entity:
            raise MappingError(f"{where}: {item.variable} is defined on {variable.entity.key}, not {item.entity}")
        if str(variable.definition_period) != item.period:
            raise MappingError(f"{where}: {item.variable} is defined per {variable.definition_period}, not {item.period}")


def merge(situations: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One situation holding every household, ids prefixed by the household's index."""
    merged: dict[str, dict[str, Any]] = {"individus": {}, "familles": {}, "foyers_fiscaux": {}, "menages": {}}
    for index, situation in enumerate(situations):
        prefix = f"h{index}_"
        for person_id, person in situation.get("individus", {}).items():
            merged["individus"][prefix + person_id] = person
        for key, roles in GROUP_ROLES.items():
            for group_id, group in situation.get(key, {}).items():
                merged[key][prefix + group_id] = {
                    name: ([prefix + p for p in value] if name in roles else value)
                    for name, value in group.items()
                }
    return merged


def _expecting(situation: Mapping[str, Any]) -> bool:
    """A pregnancy in the household (the builder sets `enceinte` on the pregnant person)."""
    return any(any((person.get("enceinte") or {}).values()) for person in situation.get("individus", {}).values())


UNBORN_ID = "enfant_a_naitre"
UNBORN_MONTHS = 2   # OpenFisca's paje_naissance: paid for the children born two months after the period


def with_unborn_child(situation: Mapping[str, Any], period: str) -> dict[str, Any]:
    """The household with the expected baby in the family, born UNBORN_MONTHS after `period`."""
    year, month = int(period[:4]), int(period[5:]) + UNBORN_MONTHS
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    out = {key: dict(value) if isinstance(value, dict) else value for key, value in situation.items()}
    out["individus"] = {**situation["individus"], UNBORN_ID: {"date_naissance": {"ETERNITY": f"{year:04d}-{month:02d}-01"}}}
    out["familles"] = {famille_id: {**famille, "enfants": [*famille.get("enfants", []), UNBORN_ID]}
                       for famille_id, famille in situation.get("familles", {}).items()}
    return out


def _household_of(ids: Sequence[str]) -> list[int]:
    return [int(i[1:i.index("_")]) for i in ids]


class Calculator:
    """A loaded tax-benefit system; `compute` answers a batch of households of one period."""

    def __init__(self, mapping: Mapping[str, Computed] | None = None, tbs=None, short_graph: bool = True):
        self.mapping = dict(mapping or load_mapping())
        self.short_graph = short_graph
        self.tbs = tbs or load_tax_benefit_system(NEUTRALISED if short_graph else ())
        check_mapping(self.tbs, self.mapping)
        self.calculate_calls = 0

    def compute(self, situations: Sequence[Mapping[str, Any]], period: str) -> list[dict[str, dict]]:
        """Per household: catalogue id -> {eligible, monthly, yearly}. Raises on a bad situation."""
        from openfisca_core.simulation_builder import SimulationBuilder

        count = len(situations)
        raw: dict[str, list[float]] = {}
        items = [item for item in self.mapping.values() if not item.with_unborn]
        self._calculate(SimulationBuilder, situations, list(range(count)), period, items, raw, count)
        unborn_items = [item for item in self.mapping.values() if item.with_unborn]
        for item in unborn_items:
            raw[item.id] = [0.0] * count
        expecting = [index for index, situation in enumerate(situations) if _expecting(situation)]
        if unborn_items and expecting:
            with_baby = [with_unborn_child(situations[index], period) for index in expecting]
            self._calculate(SimulationBuilder, with_baby, expecting, period, unborn_items, raw, count)
        return [self._read(raw, index) for index in range(count)]

    def _calculate(self, builder, situations: Sequence[Mapping[str, Any]], indexes: Sequence[int], period: str,
                   items: Sequence[Computed], raw: dict[str, list[float]], count: int) -> None:
        """Computes `items` for `situations` (households `indexes` of the batch) into `raw`."""
        merged = merge(situations)
        if self.short_graph:
            merged = shorten(merged, period)
        simulation = builder().build_from_entities(self.tbs, merged)
        for item in items:
            at = period if item.period == "month" else period[:4]
            values = simulation.calculate(item.variable, at)
            population = simulation.populations[item.entity]
            totals = raw.setdefault(item.id, [0.0] * count)
            for household, value in zip(_household_of(population.ids), values.tolist(), strict=True):
                totals[indexes[household]] += float(value)

    def _read(self, raw: Mapping[str, list[float]], index: int) -> dict[str, dict]:
        results: dict[str, dict] = {}
        for item in self.mapping.values():
            value = raw[item.id][index]
            eligible = value > 0.005
            monthly = yearly = None
            if item.kind == "monthly":
                monthly, yearly = value, value * 12
            elif item.kind in ("yearly", "one_off"):
                monthly, yearly = value / 12, value
            results[item.id] = {
                "eligible": eligible,
                "monthly": None if monthly is None else round(monthly, 2),
                "yearly": None if yearly is None else round(yearly, 2),
            }
            if item.kind == "cost":
                # What the household pays each month (the CSS's participation), not an amount received.
                results[item.id]["cost"] = round(value, 2) if eligible else None
        for item in self.mapping.values():
            if item.unless and results[item.unless]["eligible"]:
                results[item.id]["eligible"] = False
        return results

    def compute_each(self, situations: Sequence[Mapping[str, Any]], period: str) -> list[dict | None]:
        """Like `compute`, but a household that fails alone does not fail the others (None)."""
        try:
            return list(self.compute(situations, period))
        except Exception:  # noqa: BLE001 - one bad situation must not fail the batch
            if len(situations) == 1:
                log.warning("calculator: a situation failed to compute", exc_info=True)
                return [None]
        out: list[dict | None] = []
        for situation in situations:
            out.extend(self.compute_each([situation], period))
        return out


def main() -> None:
    """`python -m calculator.compute [--full-graph] < {"period", "situations"}` -> results as JSON.

    Used by the benchmarks for the reference ("truth") computation: no worker, no shortcut."""
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--full-graph", action="store_true", help="no neutralised variable, no history filled in")
    args = parser.parse_args()
    body = json.load(sys.stdin)
    calculator = Calculator(short_graph=not args.full_graph)
    json.dump(calculator.compute_each(body["situations"], body["period"]), sys.stdout)


if __name__ == "__main__":
    main()
