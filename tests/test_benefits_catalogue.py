"""Checks over ALL the real data files: catalogue entries, institutions, questions."""

import csv
import datetime as dt
from pathlib import Path

import pytest
import yaml

from benefits import load_catalogue, load_institutions, load_questions
from benefits.catalogue_loader import CATALOGUE_DIR, INSTITUTIONS_DIR
from benefits.rules import DERIVED_FACTS

ROOT = Path(__file__).resolve().parent.parent
COMMUNES_CSV = ROOT / "territory" / "data" / "communes_54.csv"
FILES = sorted(CATALOGUE_DIR.glob("*.yml"))

REQUIRED_INSTITUTIONS = {
    "caf", "cpam", "carsat", "msa", "france_travail", "departement_54", "mdph_54", "metropole_grand_nancy",
    "region_grand_est", "etat", "ccas_nancy", "ccas_essey_les_nancy", "ccas_malzeville", "ccas_maxeville",
    "ccas_saint_max", "crous_lorraine", "action_logement", "ofii", "agirc_arrco", "ancv", "banque_alimentaire_54",
    "education_nationale", "justice", "pass_culture", "mission_locale", "ville_nancy",
}


def _communes_rows():
    path = COMMUNES_CSV
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()  # raises CatalogueError listing every file/field problem


def test_whole_catalogue_loads_and_every_file_is_an_entry(catalogue):
    assert {b.id for b in catalogue.benefits} == {p.stem for p in FILES}


def test_at_least_100_entries(catalogue):
    assert len(catalogue.benefits) >= 100


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_id_equals_file_name(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["id"] == path.stem


def test_ids_are_unique(catalogue):
    ids = [b.id for b in catalogue.benefits]
    assert len(ids) == len(set(ids))


def test_administrators_are_known_institutions(catalogue):
    institutions = load_institutions()
    unknown = {b.id: b.entry.administrator for b in catalogue.benefits if b.entry.administrator not in institutions}
    assert not unknown


def test_required_institutions_exist_with_a_website():
    institutions = load_institutions()
    assert REQUIRED_INSTITUTIONS <= set(institutions)
    assert {p.stem for p in INSTITUTIONS_DIR.glob("*.yml")} == set(institutions)
    for institution in institutions.values():
        assert institution.website.startswith("https://")


def test_territory_codes_are_live_codes_of_the_54(catalogue):
    rows = _communes_rows()
    communes = {r["insee_code"] for r in rows}
    epcis = {r["epci_code"] for r in rows}
    problems = []
    for benefit in catalogue.benefits:
        territory = benefit.entry.territory
        valid = {"communes": communes, "epci": epcis, "departement": {"54"}}.get(territory.scope)
        if valid is not None:
            problems += [(benefit.id, c) for c in territory.codes if c not in valid]
        # Codes used inside conditions too.
        for leaf in benefit.rule.leaves():
            if leaf.field == "commune":
                problems += [(benefit.id, c) for c in leaf.tests.get("in", []) if c not in communes]
            if leaf.field == "epci":
                problems += [(benefit.id, c) for c in leaf.tests.get("in", []) if c not in epcis]
    assert not problems


def test_sources_checked_dates_are_not_in_the_future(catalogue):
    today = dt.date.today()
    future = [(b.id, s.checked) for b in catalogue.benefits for s in b.entry.sources if s.checked > today]
    assert not future


def test_every_condition_refers_to_a_question_or_a_derived_fact(catalogue):
    known = {q.id for q in load_questions()} | set(DERIVED_FACTS)
    unknown = {(b.id, leaf.field) for b in catalogue.benefits for leaf in b.rule.leaves() if leaf.field not in known}
    assert not unknown


def test_questions_are_well_formed():
    questions = load_questions()
    ids = [q.id for q in questions]
    assert len(ids) == len(set(ids))
    core = {"age", "household", "children_count", "children_ages", "income_monthly", "income_kinds",
            "housing", "rent", "work", "disability", "commune"}
    assert core <= set(ids)
    for question in questions:
        assert question.text.count("?") == 1, f"{question.id}: one question per message"
        if question.type in ("choice", "multi_choice"):
            assert question.buttons
        if question.asked_when and question.id not in NO_SKIPPED_VALUE:
            assert question.skipped_value is not None, f"{question.id}: needs a skipped_value"


# Derived facts take their value from other answers (income_monthly from the amounts by type,
# children_school from the ages); the partner's age and situation have no value for a single
# person: rules guard them with `household: couple` (checked below).
# work and disability_who: what stands for them when not asked is derived (benefits/household.py).
NO_SKIPPED_VALUE = set(DERIVED_FACTS) | {"partner_age", "work", "disability_who"}


def test_a_single_person_is_never_kept_waiting_for_a_partner_answer(catalogue):
    from benefits import evaluate

    single = {"age": 66, "household": "alone", "children_count": 0, "income_kinds": ["pension"],
              "income_pension": 800, "housing": "tenant", "rent": 400, "work": "retired",
              "disability": "rate_50_79", "commune": "54395"}
    waiting = {r.id: r.missing for r in evaluate(single, catalogue).results
               if any(m.startswith("partner_") for m in r.missing)}
    assert not waiting


def test_summaries_are_short_plain_sentences(catalogue):
    too_long = [b.id for b in catalogue.benefits if len(b.entry.summary) > 400]
    assert not too_long


@pytest.mark.parametrize("typed, benefit_id", [
    ("prime d'activité", "prime_activite"), ("le RSA", "rsa"), ("minimum vieillesse", "aspa"),
    ("aide au logement", "apl"), ("chèque énergie", "cheque_energie"), ("AAH", "aah"),
])
def test_names_residents_type_find_the_entry(catalogue, typed, benefit_id):
    from benefits import find_benefit

    assert find_benefit(catalogue, typed).id == benefit_id
