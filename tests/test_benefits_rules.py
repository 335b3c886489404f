"""The rule language of DEVELOPERS.md: three-valued evaluation, every test kind, derived facts."""

import pytest

from benefits.catalogue_loader import load_catalogue
from benefits.rules import (
    RuleError,
    compile_condition,
    compile_conditions,
    table_value,
    territory_node,
)

RSA_TABLE = {
    "alone": [651.69, 977.54, 1172.84],
    "couple": [977.54, 1172.84, 1368.35],
    "extra_child": 260.68,
}


def ev(condition, facts):
    return compile_condition(condition, "c").eval(facts)


# --- three values ---------------------------------------------------------------------------


def test_missing_field_is_unknown_not_false():
    assert ev({"age": {"min": 65}}, {}) is None
    assert ev({"age": {"min": 65}}, {"age": 70}) is True
    assert ev({"age": {"min": 65}}, {"age": 64}) is False


def test_min_and_max_are_inclusive():
    rule = {"age": {"min": 18, "max": 24}}
    assert [ev(rule, {"age": a}) for a in (17, 18, 24, 25)] == [False, True, True, False]


def test_all_is_false_if_any_false_else_unknown_if_any_unknown():
    rule = compile_conditions([{"age": {"min": 65}}, {"household": {"in": ["alone"]}}])
    assert rule.eval({"age": 70, "household": "alone"}) is True
    assert rule.eval({"age": 70}) is None
    assert rule.eval({"age": 30}) is False  # false wins over unknown


def test_any_is_true_if_any_true_else_unknown_if_any_unknown():
    rule = {"any": [{"age": {"min": 25}}, {"children_count": {"min": 1}}]}
    assert ev(rule, {"age": 20, "children_count": 1}) is True
    assert ev(rule, {"age": 30}) is True  # true wins over unknown
    assert ev(rule, {"age": 20}) is None
    assert ev(rule, {"age": 20, "children_count": 0}) is False


def test_not_swaps_true_and_false_and_keeps_unknown():
    rule = {"not": {"work": {"in": ["student"]}}}
    assert ev(rule, {"work": "student"}) is False
    assert ev(rule, {"work": "employed"}) is True
    assert ev(rule, {}) is None


def test_empty_conditions_hold():
    assert compile_conditions([]).eval({}) is True


# --- test kinds -------------------------------------------------------------------------------


def test_in_and_not_in_on_choices():
    assert ev({"housing": {"in": ["tenant", "social_tenant"]}}, {"housing": "owner"}) is False
    assert ev({"work": {"not_in": ["student"]}}, {"work": "employed"}) is True
    assert ev({"work": {"not_in": ["student"]}}, {"work": "student"}) is False


def test_children_ages_tests():
    assert ev({"children_ages": {"any_between": [0, 2]}}, {"children_ages": [2, 7]}) is True
    assert ev({"children_ages": {"any_between": [0, 2]}}, {"children_ages": [3, 7]}) is False
    assert ev({"children_ages": {"all_between": [6, 18]}}, {"children_ages": [6, 18]}) is True
    assert ev({"children_ages": {"all_between": [6, 18]}}, {"children_ages": [6, 19]}) is False
    count = {"children_ages": {"count_between": [6, 18], "min": 2}}
    assert ev(count, {"children_ages": [5, 6, 18]}) is True
    assert ev(count, {"children_ages": [5, 6, 19]}) is False


def test_income_kinds_includes_tests():
    assert ev({"income_kinds": {"includes": "salary"}}, {"income_kinds": ["salary", "benefits"]}) is True
    assert ev({"income_kinds": {"includes": "salary"}}, {"income_kinds": ["pension"]}) is False
    rule = {"income_kinds": {"includes_any": ["salary", "self_employed"]}}
    assert ev(rule, {"income_kinds": ["self_employed"]}) is True
    assert ev(rule, {"income_kinds": ["none"]}) is False
    assert ev({"income_kinds": {"not_includes_any": ["salary"]}}, {"income_kinds": ["pension"]}) is True


def test_bare_value_means_equals():
    assert ev({"pregnant": True}, {"pregnant": True}) is True
    assert ev({"pregnant": True}, {"pregnant": False}) is False


def test_commune_codes_compare_as_strings():
    assert ev({"commune": {"in": [54395, "54339"]}}, {"commune": "54395"}) is True
    assert ev({"epci": {"in": ["245400676"]}}, {"epci": "200070589"}) is False


# --- ceilings by household ---------------------------------------------------------------------


def test_table_value_by_children_and_extra_child():
    assert table_value(RSA_TABLE, "alone", 0) == 651.69
    assert table_value(RSA_TABLE, "couple", 2) == 1368.35
    assert table_value(RSA_TABLE, "alone", 4) == pytest.approx(1172.84 + 2 * 260.68)


def test_table_value_by_household_size():
    table = {"household_size": [10339, 15508, 18609, 21711], "extra_person": 4135}
    assert table_value(table, "alone", 0) == 10339
    assert table_value(table, "couple", 1) == 18609
    assert table_value(table, "couple", 3) == 21711 + 4135


def test_table_ceiling_is_inclusive_and_one_euro_above_fails():
    rule = {"income_monthly": {"max": RSA_TABLE}}
    facts = {"household": "alone", "children_count": 1}
    assert ev(rule, {**facts, "income_monthly": 977.54}) is True
    assert ev(rule, {**facts, "income_monthly": 978.54}) is False


def test_table_with_unknown_household_decides_only_when_all_households_agree():
    rule = {"income_monthly": {"max": RSA_TABLE}}
    assert ev(rule, {"children_count": 0, "income_monthly": 600}) is True  # under both ceilings
    assert ev(rule, {"children_count": 0, "income_monthly": 800}) is None  # under couple's only
    assert ev(rule, {"children_count": 0, "income_monthly": 5000}) is False
    # Unknown number of children: the ceiling may be very high, so never "false".
    assert ev(rule, {"household": "alone", "income_monthly": 5000}) is None
    assert ev(rule, {"household": "alone", "income_monthly": 500}) is True


# --- territory ---------------------------------------------------------------------------------


def test_territory_nodes():
    assert territory_node("national", []) is None
    metro = territory_node("epci", ["245400676"])
    assert metro.eval({"epci": "245400676"}) is True
    assert metro.eval({}) is None
    assert territory_node("departement", []).eval({"departement": "57"}) is False


# --- compile errors name the place ---------------------------------------------------------------


@pytest.mark.parametrize(
    "conditions, where",
    [
        ([{"age": {"minimum": 65}}], "conditions[0].age.minimum"),
        ([{"age": {"min": 65}, "household": {"in": ["alone"]}}], "conditions[0]"),
        ([{"any": []}], "conditions[0].any"),
        ([{"income_monthly": {"max": {"alone": [1]}}}], "conditions[0].income_monthly.max"),
        ([{"children_ages": {"any_between": [0]}}], "conditions[0].children_ages.any_between"),
        ("age >= 65", "conditions"),
    ],
)
def test_compile_errors_give_the_path(conditions, where):
    with pytest.raises(RuleError) as error:
        compile_conditions(conditions)
    assert error.value.path == where


def test_unknown_field_and_wrong_test_are_refused_with_kinds():
    kinds = {"age": "number", "housing": "scalar"}
    with pytest.raises(RuleError, match="unknown field 'agee'"):
        compile_conditions([{"agee": {"min": 1}}], kinds=kinds)
    with pytest.raises(RuleError, match="does not apply"):
        compile_conditions([{"housing": {"min": 1}}], kinds=kinds)


# --- facts: coercion, skipped questions, derived facts ---------------------------------------


@pytest.fixture(scope="module")
def facts_of():
    catalogue = load_catalogue("tests/fixtures/catalogue")
    return catalogue.facts.build


def test_derived_facts(facts_of):
    facts = facts_of({
        "household": "couple", "children_count": 3, "children_ages": [1, 2, 19],
        "income_monthly": 1000, "commune": "54395",
    })
    assert facts["household_size"] == 5
    assert facts["children_under_3"] == 2
    assert facts["children_under_20"] == 3
    assert facts["income_yearly"] == 12000
    assert facts["epci"] == "245400676"
    assert facts["departement"] == "54"


def test_commune_outside_the_54_has_no_epci_of_the_54(facts_of):
    facts = facts_of({"commune": "57463"})
    assert facts["departement"] == "57"
    assert facts["epci"] == ""


def test_skipped_questions_take_their_skipped_value(facts_of):
    facts = facts_of({"children_count": 0, "housing": "owner"})
    assert facts["children_ages"] == []
    assert facts["children_under_3"] == 0
    assert facts["rent"] == 0
    assert "rent" not in facts_of({"housing": "tenant"})
    assert "children_ages" not in facts_of({"children_count": 2})


def test_unknown_and_unreadable_answers_are_unknown(facts_of):
    facts = facts_of({"age": "unknown", "income_monthly": "beaucoup", "children_count": -1, "rent": "450,50"})
    assert "age" not in facts and "income_monthly" not in facts and "children_count" not in facts
    assert facts["rent"] == 450.5
    assert "income_yearly" not in facts
