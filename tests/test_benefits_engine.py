"""The engine on a small fixture catalogue: statuses, ranking, reasons, questions, loading errors."""

import shutil
from pathlib import Path

import pytest

from benefits import CatalogueError, evaluate, explain_why_not, find_benefit, load_catalogue, next_question
from benefits.catalogue_loader import clear_cache
from benefits.estimators import ESTIMATORS, estimate, register_estimator
from benefits.explain import money
from benefits.next_question import question_scores

FIXTURES = Path(__file__).parent / "fixtures" / "catalogue"
NB = "\u00a0"

SENIOR = {
    "age": 68, "household": "alone", "children_count": 0, "income_monthly": 720,
    "income_kinds": ["pension"], "commune": "54395",
}


@pytest.fixture(scope="module")
def cat():
    return load_catalogue(FIXTURES)


# --- statuses and ranking --------------------------------------------------------------------


def test_statuses_for_a_senior_in_nancy(cat):
    result = evaluate(SENIOR, cat)
    assert result.status_of("f_aspa") == "likely"
    assert result.status_of("f_metro") == "likely"
    assert result.status_of("f_family") == "not_now"  # no children
    assert result.status_of("f_student") == "not_now"  # 68 and no children


def test_likely_first_and_largest_amount_first(cat):
    results = evaluate(SENIOR, cat).results
    statuses = [r.status for r in results]
    assert statuses == sorted(statuses, key=["likely", "unknown", "not_now"].index)
    assert results[0].id == "f_aspa"  # the only likely one with money


def test_grouping_by_category(cat):
    groups = evaluate(SENIOR, cat).by_category("likely")
    assert set(groups) == {"Personnes âgées", "Transports", "Accès aux droits"}


def test_empty_profile_gives_unknowns_never_not_now(cat):
    result = evaluate({}, cat)
    assert not result.not_now
    assert result.status_of("f_open") == "unknown"  # territory needs the commune


def test_outside_the_metropole_the_local_benefit_is_not_now(cat):
    result = evaluate({**SENIOR, "commune": "54001"}, cat)  # Abaucourt
    assert result.status_of("f_metro") == "not_now"
    assert "Métropole du Grand Nancy" in result.by_id["f_metro"].reasons[0]


def test_always_a_human_to_check_with(cat):
    for profile in ({}, SENIOR, {"age": 30, "commune": "57463"}):
        result = evaluate(profile, cat)
        assert result.human_contacts
        assert "vérifier" in result.message
    assert evaluate(SENIOR, cat).human_contacts[0].id == "ccas_nancy"


def test_bad_profile_does_not_crash(cat):
    result = evaluate({"age": "vieux", "children_ages": ["x"], "commune": 54395, "income_kinds": "salary"}, cat)
    assert result.status_of("f_metro") == "unknown"
    assert evaluate(None, cat).results  # type: ignore[arg-type]


# --- reasons ----------------------------------------------------------------------------------


def test_likely_reason_sentence(cat):
    reasons = evaluate(SENIOR, cat).by_id["f_aspa"].reasons
    assert reasons[0] == f"Vous avez 68 ans, vivez seul(e) et votre retraite est de 720{NB}€ : l'ASPA semble possible."


def test_not_now_reason_from_question_template_and_from_why_not(cat):
    result = evaluate({**SENIOR, "age": 60}, cat)
    assert result.by_id["f_aspa"].reasons == ["Cette aide est pour les personnes de 65 ans ou plus."]
    assert result.by_id["f_metro"].reasons == ["Le transport gratuit commence à 65 ans."]


def test_not_now_reason_for_an_income_ceiling_names_the_figures(cat):
    result = evaluate({**SENIOR, "income_monthly": 1044.59}, cat)
    assert result.by_id["f_aspa"].reasons == [
        f"Les revenus de votre foyer (1{NB}044,59{NB}€ par mois) dépassent le plafond de cette aide "
        f"(1{NB}043,59{NB}€ par mois)."
    ]


def test_unknown_reason_lists_what_is_missing(cat):
    result = evaluate({"age": 70, "commune": "54395"}, cat)
    aspa = result.by_id["f_aspa"]
    assert aspa.status == "unknown"
    # The household's income is learnt from the kinds of income, then one amount per kind.
    assert aspa.missing == ["household", "income_kinds"]
    assert aspa.reasons == ["Pour savoir, il nous manque : votre situation de couple et l'origine de vos revenus."]


def test_unknown_answer_is_reported_as_not_sure(cat):
    aspa = evaluate({**SENIOR, "income_monthly": "unknown"}, cat).by_id["f_aspa"]
    assert aspa.status == "unknown"
    assert "pas sûr(e) pour : les revenus de votre foyer" in aspa.reasons[0]


def test_money_format():
    assert money(720) == f"720{NB}€"
    assert money(1043.59) == f"1{NB}043,59{NB}€"
    assert money(12523.1) == f"12{NB}523,10{NB}€"


# --- "pourquoi pas ... ?" -------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["f_aspa", "ASPA", "minimum vieillesse", "Minimum vieilesse", "l'aspa"])
def test_find_benefit_by_id_or_fuzzy_name(cat, query):
    assert find_benefit(cat, query).id == "f_aspa"


def test_find_benefit_unknown_name(cat):
    assert find_benefit(cat, "zzz qqq") is None
    assert find_benefit(cat, "  ") is None


def test_why_not_answers(cat):
    young = {**SENIOR, "age": 60}
    text = explain_why_not(young, "minimum vieillesse", cat)
    assert text.startswith("L'ASPA ne semble pas possible pour l'instant.")
    assert "65 ans ou plus" in text and "CCAS de Nancy" in text
    assert explain_why_not(SENIOR, "aspa", cat).startswith("Bonne nouvelle ! Vous avez 68 ans")
    assert "il nous manque" in explain_why_not({}, "aspa", cat)
    assert explain_why_not({}, "allocation licorne", cat).startswith("Je ne trouve pas")


# --- estimators ---------------------------------------------------------------------------------


def test_differential_estimate_is_ceiling_minus_resources(cat):
    aspa = cat.by_id["f_aspa"]
    facts = cat.facts.build(SENIOR)
    assert estimate(aspa, facts).value == pytest.approx(1043.59 - 720)
    couple = cat.facts.build({**SENIOR, "household": "couple", "income_monthly": 1000})
    assert estimate(aspa, couple).value == pytest.approx(620.18)
    unknown_income = estimate(aspa, cat.facts.build({"household": "alone", "children_count": 0}))
    assert unknown_income.value == pytest.approx(1043.59) and not unknown_income.exact


def test_fixed_estimate_and_plugging_a_new_estimator(cat):
    assert estimate(cat.by_id["f_family"], {}).value == 420
    register_estimator("test_double")(lambda benefit, facts: None)
    assert "test_double" in ESTIMATORS
    del ESTIMATORS["test_double"]


# --- next question --------------------------------------------------------------------------------


def test_next_question_follows_asked_when(cat):
    assert next_question({"age": 20, "children_count": 0, "work": "student", "commune": "54395"}, cat).id == "housing"
    profile = {"age": 20, "children_count": 0, "work": "student", "commune": "54395", "housing": "tenant"}
    assert next_question(profile, cat).id == "rent"
    # An owner is never asked the rent.
    owner = {**profile, "housing": "owner", "household": "alone", "income_monthly": 900}
    assert next_question(owner, cat) is None


def test_children_ages_only_when_there_are_children(cat):
    base = {**SENIOR, "age": 40, "household": "couple", "income_monthly": 2000, "housing": "owner", "work": "employed"}
    assert next_question({**base, "children_count": 2}, cat).id == "children_ages"
    scores = question_scores({**base, "children_count": 0}, cat)
    assert "children_ages" not in scores


def test_unknown_answer_counts_as_answered(cat):
    profile = {**SENIOR, "income_monthly": "unknown"}
    assert next_question(profile, cat) is None
    assert "income_monthly" not in question_scores(profile, cat)


def test_next_question_none_when_everything_is_decided(cat):
    assert next_question(SENIOR, cat) is None


def test_asking_questions_reaches_a_result(cat):
    # The income is asked by type: a pension of 720 EUR (SENIOR's total).
    persona = {**SENIOR, "housing": "owner", "work": "retired", "disability": "none",
               "income_pension": SENIOR["income_monthly"]}
    persona.pop("income_monthly")
    profile: dict = {}
    asked = []
    while (question := next_question(profile, cat)) is not None:
        assert question.id not in asked
        asked.append(question.id)
        profile[question.id] = persona.get(question.id, "unknown")
    assert len(asked) <= 6
    assert evaluate(profile, cat).status_of("f_aspa") == "likely"


def test_question_buttons_offer_je_ne_sais_pas_when_accepted(cat):
    income = cat.questions_by_id["income_monthly"].question
    assert income.as_buttons()[-1] == {"title": "Je ne sais pas", "payload": "unknown"}
    household = cat.questions_by_id["household"].question
    assert {"title": "Seul(e)", "payload": "alone"} in household.as_buttons()


# --- loading errors name the file and the field --------------------------------------------------


def _copy_fixtures(tmp_path: Path) -> Path:
    target = tmp_path / "catalogue"
    shutil.copytree(FIXTURES, target)
    return target


def _problems(directory: Path) -> str:
    clear_cache()
    with pytest.raises(CatalogueError) as error:
        load_catalogue(directory)
    clear_cache()
    return str(error.value)


def test_schema_error_names_file_and_field(tmp_path):
    directory = _copy_fixtures(tmp_path)
    text = (directory / "f_aspa.yml").read_text().replace("kind: monthly", "kind: weekly")
    (directory / "f_aspa.yml").write_text(text)
    assert "f_aspa.yml: amount.kind" in _problems(directory)


def test_rule_error_names_file_and_condition(tmp_path):
    directory = _copy_fixtures(tmp_path)
    text = (directory / "f_aspa.yml").read_text().replace("age: {min: 65}", "agee: {min: 65}")
    (directory / "f_aspa.yml").write_text(text)
    assert "f_aspa.yml: conditions[0].agee: unknown field 'agee'" in _problems(directory)


def test_choice_typo_and_unknown_institution_are_reported(tmp_path):
    directory = _copy_fixtures(tmp_path)
    text = (directory / "f_student.yml").read_text()
    text = text.replace("[tenant, social_tenant]", "[locataire]").replace("administrator: caf", "administrator: cafe")
    (directory / "f_student.yml").write_text(text)
    problems = _problems(directory)
    assert "f_student.yml: conditions[3].housing.in: unknown value 'locataire' for 'housing'" in problems
    assert "f_student.yml: administrator: unknown institution 'cafe'" in problems


def test_id_must_match_file_name_and_yaml_must_parse(tmp_path):
    directory = _copy_fixtures(tmp_path)
    (directory / "f_open.yml").rename(directory / "f_other.yml")
    (directory / "broken.yml").write_text("id: [unclosed\n")
    problems = _problems(directory)
    assert "f_other.yml: id: 'f_open' differs from the file name 'f_other'" in problems
    assert "broken.yml: not valid YAML" in problems


def test_bad_territory_code_is_reported(tmp_path):
    directory = _copy_fixtures(tmp_path)
    text = (directory / "f_metro.yml").read_text().replace('"245400676"', '"999999999"')
    (directory / "f_metro.yml").write_text(text)
    assert "f_metro.yml: territory.codes: '999999999' is not a EPCI code" in _problems(directory)
