"""The household's questions (income by type, the partner, the children's school level and
disability), OpenFisca's verdicts in the engine, and the dated parameters."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from benefits import CatalogueError, evaluate, load_catalogue, next_question, statuses
from benefits.catalogue_loader import clear_cache
from benefits.children import school_levels
from benefits.parameter_loader import PARAMETERS_DIR, load_parameters
from benefits.rules import INCOME_AMOUNTS
from benefits.schema import BenefitEntry

NB = "\u00a0"
FIXTURES = Path(__file__).parent / "fixtures" / "catalogue"


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def conversation(persona: dict, catalogue, limit: int = 40) -> tuple[list[str], dict]:
    """Answers next_question from the persona ("je ne sais pas" for what it lacks)."""
    profile: dict = {}
    asked: list[str] = []
    while (question := next_question(profile, catalogue)) is not None and len(asked) < limit:
        assert question.id not in asked, question.id
        asked.append(question.id)
        profile[question.id] = persona.get(question.id, "unknown")
    return asked, profile


SINGLE_TENANT = {
    "age": 45, "household": "alone", "children_count": 0, "income_kinds": ["salary"], "income_salary": 1100,
    "housing": "tenant", "rent": 520, "work": "employed", "disability": "none", "commune": "54395",
    "situations": ["none"], "health_cover": "private",
}
COUPLE = {
    "age": 50, "household": "couple", "children_count": 0, "income_kinds": ["salary"], "income_salary": 1300,
    "housing": "owner", "work": "employed", "commune": "54395", "situations": ["disability"],
    "disability_who": ["partner"], "health_cover": "private", "partner_age": 52, "partner_disability": "rate_80_plus",
    "partner_income_kinds": ["benefits"], "current_benefits": ["none"],
}


# --- questions asked only when they matter ------------------------------------------------------


def test_a_single_person_is_never_asked_about_a_partner(catalogue):
    asked, _profile = conversation(SINGLE_TENANT, catalogue)
    assert not [q for q in asked if q.startswith("partner_")]
    assert "income_salary" in asked and "income_monthly" not in asked  # one amount per kind


def test_an_owner_is_never_asked_the_rent_a_tenant_is(catalogue):
    owner = {**SINGLE_TENANT, "housing": "owner"}
    owner.pop("rent")
    assert "rent" not in conversation(owner, catalogue)[0]
    assert "rent" in conversation(SINGLE_TENANT, catalogue)[0]


def test_a_couple_is_asked_the_partner_disability_and_the_partner_aah_is_found(catalogue):
    asked, profile = conversation(COUPLE, catalogue)
    assert {"situations", "disability_who", "partner_disability", "partner_income_kinds"} <= set(asked)
    assert "disability" not in asked          # the resident is not the one with a disability
    assert statuses(profile, catalogue)["aah"] == "likely"
    # The same couple without a disabled partner: no AAH.
    assert statuses({**COUPLE, "partner_disability": "none"}, catalogue)["aah"] == "not_now"
    resident_only = {k: v for k, v in COUPLE.items() if k != "partner_disability"}
    assert statuses({**resident_only, "disability_who": ["self"], "disability": "none"}, catalogue)["aah"] == "not_now"


def test_a_partner_of_65_opens_the_aspa(catalogue):
    couple = {**COUPLE, "age": 60, "partner_age": 67, "partner_disability": "none", "work": "retired",
              "income_kinds": ["pension"], "income_pension": 700, "partner_income_kinds": ["pension"],
              "partner_income_pension": 600}
    couple.pop("income_salary")
    assert statuses(couple, catalogue)["aspa"] == "likely"
    assert statuses({**couple, "partner_age": 62}, catalogue)["aspa"] == "not_now"


def test_an_invalidity_pension_opens_the_asi(catalogue):
    person = {**SINGLE_TENANT, "income_kinds": ["invalidity"], "income_invalidity": 600, "work": "unable",
              "disability": "recognised_other"}
    person.pop("income_salary")
    assert statuses(person, catalogue)["asi"] == "likely"
    assert statuses({**person, "age": 66}, catalogue)["asi"] == "not_now"
    assert statuses(SINGLE_TENANT, catalogue)["asi"] == "not_now"


def test_children_disability_only_with_children_and_it_decides_the_aeeh(catalogue):
    assert "disability_who" not in conversation(SINGLE_TENANT, catalogue)[0]
    family = {**SINGLE_TENANT, "children_count": 1, "children_ages": [8], "situations": ["disability"],
              "disability_who": ["child"]}
    asked = conversation(family, catalogue)[0]
    assert "disability_who" in asked and "disability" not in asked
    assert statuses(family, catalogue)["aeeh"] == "likely"
    assert statuses({**family, "situations": ["none"], "disability_who": None}, catalogue)["aeeh"] == "not_now"
    # An older profile's count still counts.
    old = {k: v for k, v in family.items() if k not in ("situations", "disability_who")}
    assert statuses({**old, "children_disabled": 1}, catalogue)["aeeh"] == "likely"


def test_school_level_read_from_the_age_asked_only_when_it_leaves_a_doubt(catalogue):
    low_income = {**SINGLE_TENANT, "income_salary": 900, "children_count": 2}
    clear = {**low_income, "children_ages": [13, 8]}
    assert "children_school" not in conversation(clear, catalogue)[0]
    assert statuses(clear, catalogue)["bourse_college"] == "likely"
    doubtful = {**low_income, "children_ages": [11, 8], "children_school": ["primaire", "primaire"]}
    assert "children_school" in conversation(doubtful, catalogue)[0]
    assert statuses(doubtful, catalogue)["bourse_college"] == "not_now"
    in_college = {**doubtful, "children_school": ["college", "primaire"]}
    assert statuses(in_college, catalogue)["bourse_college"] == "likely"
    reasons = evaluate(in_college, catalogue).by_id["bourse_college"].reasons
    assert "vos enfants sont au collège et en primaire" in reasons[0]
    # Too much income for any bourse: the class is not worth a question.
    rich = {**doubtful, "income_salary": 6000}
    assert "children_school" not in conversation(rich, catalogue)[0]


def test_school_levels_from_ages():
    assert school_levels([2, 4, 8, 11, 13, 15, 17, 19, 22]) == [
        "none", "maternelle", "primaire", None, "college", None, "lycee", None, "superieur"]
    assert school_levels([11, 8], ["college", "unknown"]) == ["college", "primaire"]
    # Only the classes of the children whose age leaves a doubt, in order (read without the ages).
    assert school_levels([7, 11, 15], ["college", "lycee"]) == ["primaire", "college", "lycee"]
    assert school_levels([7, 11], ["college", "lycee", "none"]) == ["primaire", None]


# --- the household's income, derived from the amounts by type --------------------------------


def test_income_is_the_sum_of_both_adults_amounts_by_type(catalogue):
    profile = {"household": "couple", "income_kinds": ["salary", "unemployment"], "income_salary": 600,
               "income_unemployment": 400.5, "partner_income_kinds": ["pension"], "partner_income_pension": 900}
    facts = catalogue.facts.build(profile)
    assert facts["income_monthly"] == 1900.5 and facts["income_yearly"] == 1900.5 * 12
    # Until the partner's income is known, the household's is not.
    assert "income_monthly" not in catalogue.facts.build({**profile, "partner_income_pension": "unknown"})
    # A single person: the partner does not count; "no income" and "benefits only" are 0.
    assert catalogue.facts.build({"household": "alone", "income_kinds": ["none"]})["income_monthly"] == 0
    assert catalogue.facts.build({"household": "alone", "income_kinds": ["benefits"]})["income_monthly"] == 0


def test_ceilings_on_taxable_income_see_the_10_percent_deduction(catalogue):
    # Bourses, ARS, PAJE... are capped on the revenu fiscal de référence (or the CAF's net
    # taxable income): 90 % of the net income, not the net income itself.
    parameters, _ = load_parameters()
    deduction = parameters["impot.abattement_frais_professionnels"].at(date.today())
    facts = catalogue.facts.build({"household": "alone", "income_kinds": ["salary"], "income_salary": 2000})
    assert facts["income_taxable_yearly"] == round(2000 * 12 * (1 - deduction), 2) == 21600
    ars = [leaf for leaf in catalogue.by_id["ars"].rule.leaves() if leaf.field.startswith("income")]
    assert [leaf.field for leaf in ars] == ["income_taxable_yearly"]


def test_the_total_is_asked_only_when_an_amount_by_type_was_not_known(catalogue):
    persona = {**SINGLE_TENANT, "income_salary": "unknown", "income_monthly": 1100}
    asked, profile = conversation(persona, catalogue)
    assert asked.index("income_salary") < asked.index("income_monthly")
    assert catalogue.facts.build(profile)["income_monthly"] == 1100
    assert "income_monthly" not in conversation(SINGLE_TENANT, catalogue)[0]


def test_a_total_given_directly_settles_the_income(catalogue):
    # An earlier profile (or a correction, "en fait je gagne 1 200 €"): no amount by type is asked.
    profile = {**SINGLE_TENANT, "income_monthly": 1200}
    profile.pop("income_salary")
    assert catalogue.facts.build(profile)["income_monthly"] == 1200
    from benefits.next_question import question_scores

    assert "income_salary" not in question_scores(profile, catalogue)
    # "je ne sais pas" to the total is an answer too: nothing more is asked about the income.
    unsure = question_scores({**profile, "income_monthly": "unknown"}, catalogue)
    assert not {"income_salary", "income_monthly"} & set(unsure)


def test_every_kind_of_income_has_its_amount_question(catalogue):
    for kind, question_id in INCOME_AMOUNTS.items():
        assert kind in catalogue.questions_by_id["income_kinds"].question.choice_values
        for qid in (question_id, f"partner_{question_id}"):
            assert catalogue.questions_by_id[qid].question.type == "amount", qid


# --- OpenFisca's verdicts win for what it models ---------------------------------------------------

PERSON = {**SINGLE_TENANT, "income_salary": 1400}


def test_without_the_calculator_rules_answer_and_say_the_amount_is_not_available(catalogue):
    result = evaluate(PERSON, catalogue)
    prime = result.by_id["prime_activite"]
    assert prime.status == "likely" and prime.estimate is None
    assert prime.reasons[-1] == "Le montant exact n'est pas disponible pour l'instant."
    local = result.by_id["stan_gratuite_weekend"]
    assert "Le montant exact n'est pas disponible pour l'instant." not in local.reasons


def test_openfisca_turns_a_rule_likely_into_not_now_and_a_not_now_into_likely(catalogue):
    assert statuses(PERSON, catalogue)["prime_activite"] == "likely"
    assert statuses(PERSON, catalogue)["rsa"] == "not_now"
    national = {"prime_activite": {"eligible": False, "monthly": 0}, "rsa": {"eligible": True, "monthly": 96.4}}
    result = evaluate(PERSON, catalogue, national)
    prime, rsa = result.by_id["prime_activite"], result.by_id["rsa"]
    prime_label = catalogue.by_id["prime_activite"].entry.short_name
    assert prime.status == "not_now" and prime.estimate is None
    assert prime.reasons == [f"Selon le calcul officiel (OpenFisca), {prime_label} n'est pas possible "
                             "pour l'instant avec vos réponses."]
    assert rsa.status == "likely"
    assert rsa.estimate.value == 96.4 and rsa.estimate.exact and rsa.estimate.period == "monthly"
    assert rsa.reasons[-1].endswith(f"semble possible pour vous : environ 96{NB}€ par mois.")
    assert statuses(PERSON, catalogue, national)["rsa"] == "likely"


def test_why_not_answers_with_openfisca_verdict(catalogue):
    from benefits import explain_why_not

    text = explain_why_not(PERSON, "RSA", catalogue, {"rsa": {"eligible": True, "monthly": 96.4}})
    assert text.startswith("Bonne nouvelle !") and f"environ 96{NB}€ par mois" in text


def test_openfisca_amount_when_rules_agree(catalogue):
    national = {"prime_activite": {"eligible": True, "monthly": 412.3}}
    prime = evaluate(PERSON, catalogue, national).by_id["prime_activite"]
    assert prime.status == "likely" and prime.estimate.value == 412.3
    assert prime.reasons[-1] == f"Selon le calcul officiel (OpenFisca) : environ 412{NB}€ par mois."


def test_objects_are_read_like_dicts_and_garbage_is_ignored(catalogue):
    class Answer:
        eligible, monthly = True, 250.0

    result = evaluate(PERSON, catalogue, {"als": Answer(), "prime_activite": {"eligible": "yes"}})
    assert result.by_id["als"].estimate.value == 250.0
    assert result.by_id["prime_activite"].estimate is None  # unreadable: the rules answer


def test_a_check_nobody_can_answer_stays_with_openfisca_amount(catalogue):
    mother = {**SINGLE_TENANT, "children_count": 1, "children_ages": [5], "children_disabled": 0}
    asf = evaluate(mother, catalogue, {"asf": {"eligible": True, "monthly": 200.78}}).by_id["asf"]
    assert asf.status == "unknown" and asf.to_check
    assert "pension alimentaire" in asf.reasons[0]
    assert asf.reasons[-1] == f"Selon le calcul officiel (OpenFisca), si c'est le cas : environ 201{NB}€ par mois."
    # AAH at 50-79 %: the MDPH's recognition of a lasting difficulty to work is checked by a person.
    disabled = {**SINGLE_TENANT, "disability": "rate_50_79", "income_salary": 300}
    aah = evaluate(disabled, catalogue, {"aah": {"eligible": True, "monthly": 700}}).by_id["aah"]
    assert aah.status == "unknown" and aah.to_check and aah.estimate.value == 700
    aah_80 = evaluate({**disabled, "disability": "rate_80_plus"}, catalogue,
                      {"aah": {"eligible": True, "monthly": 700}}).by_id["aah"]
    assert aah_80.status == "likely"


def test_while_answers_are_missing_the_result_stays_unknown(catalogue):
    partial = {"age": 45, "commune": "54395"}
    rsa = evaluate(partial, catalogue, {"rsa": {"eligible": True, "monthly": 500}}).by_id["rsa"]
    assert rsa.status == "unknown" and rsa.missing


def test_local_aids_keep_their_rules_whatever_openfisca_says(catalogue):
    rules = evaluate(PERSON, catalogue).by_id["stan_gratuite_weekend"].status
    assert evaluate(PERSON, catalogue, {"stan_gratuite_weekend": {"eligible": False}}).by_id[
        "stan_gratuite_weekend"].status == rules


def test_a_benefit_paid_once_a_year_is_shown_for_the_year(catalogue):
    family = {**SINGLE_TENANT, "income_salary": 900, "children_count": 1, "children_ages": [8],
              "children_disabled": 0}
    ars = evaluate(family, catalogue, {"ars": {"eligible": True, "monthly": 35.57}}).by_id["ars"]
    assert ars.estimate.period == "one_off" and ars.estimate.value == 426.84
    assert ars.reasons[-1].endswith(f"environ 427{NB}€ en une fois.")
    given = evaluate(family, catalogue, {"ars": {"eligible": True, "monthly": 0, "yearly": 426.86}}).by_id["ars"]
    assert given.estimate.value == 426.86
    # Not a monthly amount: left out of the total per month.
    from benefits.engine import monthly_total

    with_ars = evaluate(family, catalogue, {"ars": {"eligible": True, "monthly": 35.57}})
    without = evaluate(family, catalogue, {"ars": {"eligible": False}})
    assert monthly_total(with_ars.results) == monthly_total(without.results)


def test_plural_names_agree():
    from benefits.explain import seems_possible

    assert seems_possible("les allocations familiales") == "semblent possibles"
    assert seems_possible("l'AAH") == "semble possible"


def test_a_plural_benefit_refused_by_openfisca_agrees(catalogue):
    family = {**SINGLE_TENANT, "children_count": 2, "children_ages": [4, 8], "children_disabled": 0}
    af = evaluate(family, catalogue, {"allocations_familiales": {"eligible": False}}).by_id["allocations_familiales"]
    assert af.reasons == ["Selon le calcul officiel (OpenFisca), les allocations familiales ne sont pas possibles "
                          "pour l'instant avec vos réponses."]
    liked = evaluate({**family, "children_count": 1, "children_ages": [4]}, catalogue,
                     {"allocations_familiales": {"eligible": True, "monthly": 152.25}}).by_id["allocations_familiales"]
    assert liked.reasons == [f"Selon le calcul officiel (OpenFisca), les allocations familiales semblent possibles "
                             f"pour vous : environ 152{NB}€ par mois."]


def test_the_one_line_total_with_french_agreements(catalogue):
    national = {"prime_activite": {"eligible": True, "monthly": 412.3}, "als": {"eligible": True, "monthly": 128}}
    result = evaluate(PERSON, catalogue, national)
    count = len(result.likely)
    assert result.message.startswith(f"{count} aides semblent possibles pour vous, environ 540{NB}€ par mois en tout.")
    from benefits.engine import _message
    from benefits.schema import Institution

    contact = Institution(id="x", name="CCAS", website="https://example.org")
    assert _message(1, 0, contact, 412.3).startswith(f"Une aide semble possible pour vous, environ 412{NB}€ par mois.")
    assert _message(2, 0, contact, 0).startswith("2 aides semblent possibles pour vous.")


# --- catalogue schema: computed_by ----------------------------------------------------------------


def test_the_national_entries_openfisca_computes_are_marked(catalogue):
    computed = {b.id for b in catalogue.benefits if b.entry.computed_by == "openfisca"}
    assert {"aah", "aspa", "asi", "rsa", "prime_activite", "apl", "als", "alf", "allocations_familiales",
            "asf", "ars", "css_gratuite", "css_participative", "bourse_college", "bourse_lycee"} <= computed
    assert all(catalogue.by_id[b].entry.openfisca_variable for b in computed)
    assert all(catalogue.by_id[b].entry.territory.scope == "national" for b in computed)


def _copy_fixtures(tmp_path: Path) -> Path:
    directory = tmp_path / "catalogue"
    shutil.copytree(FIXTURES, directory)
    return directory


def test_a_computed_entry_without_variable_is_reported_with_file_and_field(tmp_path):
    directory = _copy_fixtures(tmp_path)
    path = directory / "f_aspa.yml"
    data = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**data, "computed_by": "openfisca"}, allow_unicode=True))
    clear_cache()
    try:
        with pytest.raises(CatalogueError) as error:
            load_catalogue(directory)
    finally:
        clear_cache()
    assert any("f_aspa.yml" in p and "openfisca_variable" in p for p in error.value.problems)


def test_an_unknown_parameter_is_reported_with_file_and_field(tmp_path):
    directory = _copy_fixtures(tmp_path)
    path = directory / "f_aspa.yml"
    text = path.read_text().replace("alone: [1043.59]", "alone: [{parameter: aspa.plafond_inconnu}]")
    path.write_text(text)
    clear_cache()
    try:
        with pytest.raises(CatalogueError) as error:
            load_catalogue(directory)
    finally:
        clear_cache()
    problems = error.value.problems
    assert any("f_aspa.yml: conditions[1].income_monthly.max.alone[0]: unknown parameter 'aspa.plafond_inconnu'"
               in p for p in problems), problems


# --- dated parameters ---------------------------------------------------------------------------


def test_every_parameter_has_a_reference_a_unit_and_a_value_today():
    parameters, problems = load_parameters()
    assert not problems
    assert len(parameters) >= 10
    today = date.today()
    for name, parameter in parameters.items():
        assert parameter.metadata.reference, name
        assert parameter.metadata.unit, name
        assert parameter.at(today) is not None, f"{name} has no value on {today}"


def test_parameters_are_read_by_the_rules(catalogue):
    parameters, _ = load_parameters()
    css = parameters["css.plafond_gratuite_avec_forfait_logement"].at(date.today())
    leaves = [leaf for leaf in catalogue.by_id["css_gratuite"].rule.leaves() if leaf.field == "income_monthly"]
    assert any(leaf.tests.get("max") == css for leaf in leaves)
    assert catalogue.by_id["pass_jeunes_54"].entry.amount.value == parameters[
        "meurthe_et_moselle.pass_jeunes_54_montant"].at(date.today())


def test_a_figure_shared_by_several_entries_lives_in_one_parameter_file():
    # The ceilings once copied into several entries are now only in benefits/parameters/.
    catalogue_dir = Path(__file__).parent.parent / "benefits" / "catalogue"
    texts = {p.name: p.read_text() for p in catalogue_dir.glob("*.yml")}
    for figure in ("783.38", "1084.88", "573.49", "1011.69"):
        assert not [name for name, text in texts.items() if figure in text], figure
    assert (PARAMETERS_DIR / "css" / "plafond_gratuite_avec_forfait_logement.yml").is_file()


def test_a_parameter_without_reference_is_refused(tmp_path):
    (tmp_path / "x.yml").write_text("description: Un plafond.\nmetadata: {unit: currency-EUR}\n"
                                    "values: {2025-01-01: {value: 12}}\n")
    _parameters, problems = load_parameters(tmp_path)
    assert problems == ["benefits/parameters/x.yml: metadata.reference: Field required"]


def test_parameter_values_by_date():
    entry = BenefitEntry  # the schema imports cleanly with the new fields
    assert "computed_by" in entry.model_fields
    parameters, _ = load_parameters()
    rsa = parameters["rsa.plafond_avec_forfait_logement"]
    assert rsa.at(date(2020, 1, 1)) is None
    assert rsa.at(date(2026, 4, 1))["alone"][0] == 573.49


# --- the summary for the team, and the domain check --------------------------------------------


def test_summary_for_the_team_shows_the_derived_income_and_the_partner():
    from benefits.profile_summary import profile_summary

    lines = profile_summary({"age": 50, "household": "couple", "children_count": 0, "income_kinds": ["salary"],
                             "income_salary": 1300, "partner_income_kinds": ["pension"],
                             "partner_income_pension": 500, "partner_age": 67, "partner_disability": "none"})
    assert f"Revenus du foyer : 1{' '}800 € par mois (Salaire)" in lines
    # The partner's work is read from the kinds of income (a pension at 67: retired).
    assert "Conjoint(e) : 67 ans, Retraité(e), revenus : Retraite" in lines


def test_sync_domain_finds_what_the_domain_lacks():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "sync_domain", Path(__file__).parent.parent / "scripts" / "sync_domain.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    domain = yaml.safe_load(module.DOMAIN.read_text())
    ids = [q.id for q in load_catalogue().questions]
    assert not any(module.differences(domain, ids).values())
    del domain["slots"]["partner_age"]
    domain["forms"]["profile_form"]["required_slots"].remove("children_school")
    found = module.differences(domain, ids)
    assert found["missing slots"] == ["partner_age"]
    assert found["missing in profile_form"] == ["children_school"]
    # --write adds the lines without touching the rest of the file.
    text = module.DOMAIN.read_text()
    stripped = text.replace("  partner_age: {type: any, influence_conversation: false, mappings: [{type: custom}]}\n", "")
    rewritten = module._write(stripped, ids, module.differences(yaml.safe_load(stripped), ids))
    assert not any(module.differences(yaml.safe_load(rewritten), ids).values())
    assert "# Conversation state kept by the actions." in rewritten


def test_the_css_with_participation_says_what_the_household_would_pay(catalogue):
    # OpenFisca models the participation (what the household pays), not an amount received.
    person = {**PERSON, "income_salary": 1250, "health_cover": "none"}
    national = {"css_participative": {"eligible": True, "monthly": None, "cost": 22.0},
                "css_gratuite": {"eligible": False, "monthly": None}}
    css = evaluate(person, catalogue, national).by_id["css_participative"]
    assert css.status == "likely" and css.estimate is None
    assert css.reasons[-1].endswith(f"vous paieriez environ 22{NB}€ par mois pour votre foyer.")


def test_the_prime_a_la_naissance_is_openfiscas_for_a_pregnancy(catalogue):
    assert catalogue.by_id["paje_prime_naissance"].entry.computed_by == "openfisca"
    expecting = {**PERSON, "situations": ["pregnant"]}
    national = {"paje_prime_naissance": {"eligible": True, "monthly": 91.55, "yearly": 1098.57}}
    prime = evaluate(expecting, catalogue, national).by_id["paje_prime_naissance"]
    assert prime.status == "likely" and prime.estimate.value == 1098.57 and prime.estimate.period == "one_off"
    assert prime.reasons[-1].endswith(f"environ 1{NB}099{NB}€ en une fois.")
    assert statuses({**PERSON, "situations": ["none"]}, catalogue)["paje_prime_naissance"] == "not_now"
