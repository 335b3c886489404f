"""calculator.situation: profile -> OpenFisca situation (no OpenFisca needed)."""

import pytest

from calculator.mapping import MappingError, load_mapping, parse_mapping
from calculator.situation import build_situation, incomes_by_kind, months_back, school_from_age

PERIOD = "2026-12"
BASE = {"age": 35, "household": "alone", "children_count": 0, "income_monthly": 0, "income_kinds": ["none"],
        "housing": "tenant", "rent": 450, "work": "job_seeker", "disability": "none", "commune": "54395"}


def test_single_person_entities_and_periods():
    s = build_situation(BASE, PERIOD)
    assert list(s["individus"]) == ["demandeur"]
    assert s["familles"]["famille"]["parents"] == ["demandeur"]
    assert s["foyers_fiscaux"]["foyer_fiscal"]["declarants"] == ["demandeur"]
    menage = s["menages"]["menage"]
    assert menage["personne_de_reference"] == ["demandeur"]
    assert menage["statut_occupation_logement"][PERIOD] == "locataire_vide"
    assert menage["loyer"][PERIOD] == 450
    assert menage["depcom"][PERIOD] == "54395"
    person = s["individus"]["demandeur"]
    # 35 on the first day of the month (OpenFisca's `age`), birthday later in the month.
    assert person["date_naissance"]["ETERNITY"] == "1990-12-15"
    assert person["activite"][PERIOD] == "chomeur"
    assert "salaire_net" not in person


def test_resources_spread_from_january_n_minus_7_with_taxable_and_gross():
    # RSA/PPA read the 3 previous months, AL the last 12, bourses and chèque énergie the RFR of N-2.
    s = build_situation({**BASE, "income_kinds": ["salary"], "income_monthly": 1200}, PERIOD)
    person = s["individus"]["demandeur"]
    assert set(person["salaire_net"]) == set(months_back(PERIOD, 2019))
    assert len(person["salaire_net"]) == 96 and set(person["salaire_net"].values()) == {1200}
    assert person["salaire_imposable"]["2024-01"] == pytest.approx(1228.8)
    assert set(s["foyers_fiscaux"]["foyer_fiscal"]["rfr"]) == {str(y) for y in range(2019, 2026)}
    assert person["salaire_de_base"][PERIOD] == pytest.approx(1200 / 0.78, abs=0.01)
    # RFR = taxable yearly income less the 10 % deduction (CGI art. 83).
    assert s["foyers_fiscaux"]["foyer_fiscal"]["rfr"]["2024"] == pytest.approx(1228.8 * 12 * 0.9, abs=0.01)


def test_income_split_by_kind_when_amounts_by_type_missing():
    assert incomes_by_kind({"income_monthly": 1000, "income_kinds": ["salary", "unemployment"]}) == \
        {"salary": 500, "unemployment": 500}
    assert incomes_by_kind({"income_monthly": 1000, "income_kinds": ["benefits"]}) == {"salary": 1000}
    assert incomes_by_kind({"income_monthly": "unknown", "income_kinds": ["salary"]}) == {}
    # Contract keys by type win over the total.
    assert incomes_by_kind({"income_monthly": 1500, "income_salary": 900, "income_pension": 600,
                            "income_kinds": ["salary", "pension"]}) == {"salary": 900, "pension": 600}


def test_couple_with_children_school_and_disability():
    profile = {**BASE, "household": "couple", "partner_age": 33, "partner_work": "employed",
               "partner_income_kinds": ["salary"], "partner_income_salary": 1400,
               "children_count": 3, "children_ages": [2, 12, 16], "children_school": ["none", "college", "lycee"],
               "children_disabled": 1, "housing": "social_tenant"}
    s = build_situation(profile, PERIOD)
    assert s["familles"]["famille"]["parents"] == ["demandeur", "conjoint"]
    assert s["familles"]["famille"]["enfants"] == ["enfant_1", "enfant_2", "enfant_3"]
    assert s["menages"]["menage"]["conjoint"] == ["conjoint"]
    assert s["individus"]["conjoint"]["salaire_net"][PERIOD] == 1400
    assert s["individus"]["conjoint"]["statut_marital"][PERIOD] == "marie"
    assert s["individus"]["enfant_2"]["scolarite"][PERIOD] == "college"
    assert s["individus"]["enfant_3"]["scolarite"][PERIOD] == "lycee"
    # AEEH: taux d'incapacité ≥ 80 % (CSS art. L541-1).
    assert s["individus"]["enfant_1"]["taux_incapacite"][PERIOD] == 0.8
    assert "handicap" not in s["individus"]["enfant_2"]
    assert s["menages"]["menage"]["statut_occupation_logement"][PERIOD] == "locataire_hlm"


def test_school_derived_from_age_when_not_asked():
    assert [school_from_age(a) for a in (1, 4, 8, 11, 14, 15, 17, 19, 22)] == \
        ["none", "maternelle", "primaire", "college", "college", "lycee", "lycee", "superieur", "none"]
    s = build_situation({**BASE, "children_count": 1, "children_ages": [13]}, PERIOD)
    assert s["individus"]["enfant_1"]["scolarite"][PERIOD] == "college"


def test_disability_rates():
    s = build_situation({**BASE, "disability": "rate_50_79"}, PERIOD)
    person = s["individus"]["demandeur"]
    assert person["taux_incapacite"][PERIOD] == 0.5
    # AAH at 50-79 % needs a restriction substantielle et durable d'accès à l'emploi (CSS L821-2).
    assert person["aah_restriction_substantielle_durable_acces_emploi"][PERIOD] is True


def test_missing_and_unknown_answers_have_documented_defaults():
    s = build_situation({"age": "unknown", "housing": "tenant", "rent": "unknown", "commune": "unknown",
                         "children_count": 2, "children_ages": "unknown"}, PERIOD)
    assert s["menages"]["menage"]["loyer"][PERIOD] == 0
    assert s["menages"]["menage"]["depcom"][PERIOD] == "54395"
    assert len(s["familles"]["famille"]["enfants"]) == 2
    assert build_situation({}, PERIOD)["individus"]["demandeur"]["date_naissance"]["ETERNITY"] == "1985-12-15"
    with pytest.raises(ValueError):
        build_situation(BASE, "2026-13")


def test_owner_hosted_homeless():
    for housing, statut in (("owner", "proprietaire"), ("hosted", "loge_gratuitement"), ("homeless", "sans_domicile")):
        menage = build_situation({**BASE, "housing": housing}, PERIOD)["menages"]["menage"]
        assert menage["statut_occupation_logement"][PERIOD] == statut
        assert "loyer" not in menage


def test_mapping_ids_exist_in_catalogue_and_validation_errors():
    from benefits import load_catalogue
    ids = {b.id for b in load_catalogue().benefits}
    mapping = load_mapping()
    assert set(mapping) <= ids, set(mapping) - ids
    with pytest.raises(MappingError, match="rsa: field 'kind'"):
        parse_mapping({"rsa": {"variable": "rsa", "kind": "weekly"}})
    with pytest.raises(MappingError, match="unknown field"):
        parse_mapping({"rsa": {"variable": "rsa", "amount": 1}})
    with pytest.raises(MappingError, match="'unless' names"):
        parse_mapping({"css": {"variable": "x", "unless": "nothing"}})


def test_the_grouped_answers_reach_the_situation():
    # benefits.household.expand: the same derivation as the engine's facts.
    profile = {"age": 41, "household": "couple", "partner_age": 44, "children_count": 2, "children_ages": [9, 4],
               "income_kinds": ["salary"], "income_salary": 1300, "partner_income_kinds": ["unemployment"],
               "partner_income_unemployment": 800, "housing": "tenant", "rent": 600, "commune": "54395",
               "situations": ["disability", "pregnant"], "disability_who": ["partner", "child"],
               "partner_disability": "rate_80_plus"}
    s = build_situation(profile, PERIOD)
    me, partner = s["individus"]["demandeur"], s["individus"]["conjoint"]
    assert me["enceinte"][PERIOD] is True
    assert me["activite"][PERIOD] == "actif"             # a salary at 41: employed, not asked
    assert partner["activite"][PERIOD] == "chomeur"      # unemployment benefit alone: job seeker
    assert "handicap" not in me and partner["taux_incapacite"][PERIOD] == 0.8
    assert s["individus"]["enfant_1"]["handicap"][PERIOD] is True and "handicap" not in s["individus"]["enfant_2"]
    # An answer given wins over what the grouped answers imply.
    assert build_situation({**profile, "work": "student"}, PERIOD)["individus"]["demandeur"]["activite"][PERIOD] == "etudiant"
    assert "enceinte" not in build_situation({**profile, "situations": ["none"]}, PERIOD)["individus"]["demandeur"]


def test_with_unborn_child_adds_the_baby_to_the_family_only():
    from calculator.compute import _expecting, with_unborn_child

    s = build_situation({**BASE, "situations": ["pregnant"]}, PERIOD)
    assert _expecting(s) and not _expecting(build_situation(BASE, PERIOD))
    baby = with_unborn_child(s, PERIOD)
    assert baby["individus"]["enfant_a_naitre"] == {"date_naissance": {"ETERNITY": "2027-02-01"}}
    assert baby["familles"]["famille"]["enfants"] == ["enfant_a_naitre"]
    assert "enfant_a_naitre" not in s["individus"] and s["familles"]["famille"]["enfants"] == []
    assert "enfant_a_naitre" not in baby["menages"]["menage"]["enfants"]
    with pytest.raises(MappingError, match="with_unborn"):
        parse_mapping({"paje_prime_naissance": {"variable": "paje_naissance", "with_unborn": "yes"}})
