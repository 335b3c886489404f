"""`needs_check`: what only a person can check keeps a benefit from ever being "likely".

Built on copies of the fixture catalogue with a few extra entries, so that each test shows one
behaviour: status, reasons, ranking, the question picker and the schema errors.
"""

import shutil
from pathlib import Path

import pytest

from benefits import CatalogueError, evaluate, explain_why_not, load_catalogue, next_question, statuses
from benefits.catalogue_loader import clear_cache
from benefits.next_question import question_scores

FIXTURES = Path(__file__).parent / "fixtures" / "catalogue"

ENTRY = """\
id: {id}
name: {name}
administrator: cpam
category: sante
summary: Une aide de test.
conditions: {conditions}
{extra}amount:
  kind: {kind}
{amount}  text: Un montant.
how_to_apply:
  where: À la CPAM.
territory: {{scope: departement, codes: ["54"]}}
sources:
  - url: https://www.ameli.fr
    title: ameli
    checked: 2026-01-01
confidence: high
"""

AME_CHECK = "L'AME est seulement pour les personnes étrangères sans titre de séjour."
CHILD_CHECK = "Cette aide est pour un enfant handicapé reconnu par la MDPH."


def _entry(bid, name, conditions="[]", extra="", kind="in_kind", amount=""):
    return ENTRY.format(id=bid, name=name, conditions=conditions, extra=extra, kind=kind, amount=amount)


EXTRA_ENTRIES = {
    # Entry-level needs_check, with an income ceiling and a rare status.
    "t_ame": _entry("t_ame", "Soins des personnes sans titre de séjour (test)",
                    conditions="\n  - income_monthly: {max: 900}",
                    extra=f"needs_check: {AME_CHECK}\nrare: true\n", kind="in_kind",
                    amount="  typical_yearly: 600\n"),
    # Condition-level needs_check: an answer can make it likely, otherwise a person checks.
    "t_child": _entry("t_child", "Allocation enfant (test)",
                      conditions=("\n  - children_count: {min: 1}\n  - any:\n"
                                  "      - disability: {in: [rate_80_plus]}\n"
                                  f"      - needs_check: {CHILD_CHECK}"),
                      kind="monthly", amount="  value: 150\n"),
    # A big amount and a small one, each decided by one question of its own.
    "t_big": _entry("t_big", "Grosse aide (test)", conditions="\n  - health_cover: {in: [none]}",
                    kind="monthly", amount="  value: 800\n"),
    "t_small": _entry("t_small", "Petite aide (test)", conditions="\n  - situations: {includes: pregnant}",
                      kind="one_off", amount="  value: 20\n"),
}


@pytest.fixture(scope="module")
def cat(tmp_path_factory):
    directory = tmp_path_factory.mktemp("needs_check") / "catalogue"
    shutil.copytree(FIXTURES, directory)
    for bid, text in EXTRA_ENTRIES.items():
        (directory / f"{bid}.yml").write_text(text, encoding="utf-8")
    clear_cache()
    yield load_catalogue(directory)
    clear_cache()


PERSON = {
    "age": 40, "household": "alone", "children_count": 0, "income_monthly": 500, "income_kinds": ["none"],
    "housing": "hosted", "work": "job_seeker", "disability": "none", "commune": "54395",
    "health_cover": "private", "situations": ["none"],
}


# --- status and reasons --------------------------------------------------------------------------


def test_conditions_hold_gives_to_check_never_likely(cat):
    result = evaluate(PERSON, cat).by_id["t_ame"]
    assert result.status == "unknown"
    assert result.to_check and result.missing == []
    assert result.reasons == [AME_CHECK]
    assert result.checks == [AME_CHECK]


def test_a_failed_condition_still_gives_not_now(cat):
    assert statuses({**PERSON, "income_monthly": 901}, cat)["t_ame"] == "not_now"


def test_missing_answers_are_listed_before_the_check(cat):
    result = evaluate({"commune": "54395"}, cat).by_id["t_ame"]
    assert result.status == "unknown" and not result.to_check
    # The household's income: whether there is a partner, then the kinds of income (and amounts).
    assert result.missing == ["household", "income_kinds"]
    assert result.reasons == ["Pour savoir, il nous manque : votre situation de couple et l'origine de vos revenus.",
                              AME_CHECK]


def test_no_profile_ever_makes_a_needs_check_entry_likely(cat):
    for income in (0, 100, 899):
        for household in ("alone", "couple"):
            profile = {**PERSON, "income_monthly": income, "household": household}
            assert statuses(profile, cat)["t_ame"] == "unknown"


def test_condition_level_check_lets_an_answer_decide(cat):
    parent = {**PERSON, "children_count": 1, "children_ages": [4]}
    assert statuses({**parent, "disability": "rate_80_plus"}, cat)["t_child"] == "likely"
    result = evaluate(parent, cat).by_id["t_child"]
    assert result.status == "unknown" and result.to_check
    assert result.reasons == [CHILD_CHECK]
    assert statuses(PERSON, cat)["t_child"] == "not_now"  # no child: the check is not reached


def test_to_dict_says_what_to_check(cat):
    data = evaluate(PERSON, cat).by_id["t_ame"].to_dict()
    assert data["status"] == "unknown" and data["to_check"] is True
    assert data["checks"] == [AME_CHECK]


def test_why_not_answer_for_an_entry_to_check(cat):
    text = explain_why_not(PERSON, "t_ame", cat)
    assert "un point doit être vérifié avec une personne" in text
    assert AME_CHECK in text and "CCAS de Nancy" in text


# --- ranking ----------------------------------------------------------------------------------


def test_ranking_money_first_services_for_all_last_rare_checks_last(cat):
    senior = {**PERSON, "age": 70, "income_monthly": 700, "income_kinds": ["pension"], "work": "retired",
              "children_count": 1, "children_ages": [15]}
    results = evaluate(senior, cat).results
    ids = [r.id for r in results]
    likely = [r.id for r in results if r.status == "likely"]
    assert likely[0] == "f_aspa"            # money first
    assert likely[-1] == "f_open"           # a service open to everyone last
    unknown = [r for r in results if r.status == "unknown"]
    assert [r.id for r in unknown][-1] == "t_ame"  # rare check last of all unknowns
    assert ids.index("t_child") < ids.index("t_ame")


def test_unknowns_that_answers_decide_come_before_those_to_check(cat):
    profile = {k: v for k, v in PERSON.items() if k not in ("health_cover",)}
    profile.update(children_count=1, children_ages=[4])
    unknown = evaluate(profile, cat).unknown
    kinds = [r.to_check for r in unknown]
    assert kinds == sorted(kinds)  # False (answers decide) before True (a person checks)
    assert unknown[0].id == "t_big"


# --- the question picker ------------------------------------------------------------------------


def test_a_check_asks_no_question(cat):
    scores = question_scores(PERSON, cat)
    assert not scores  # everything left is a check, a "je ne sais pas", or decided


def test_the_larger_amount_is_asked_first(cat):
    profile = {k: v for k, v in PERSON.items() if k not in ("health_cover", "situations")}
    scores = question_scores(profile, cat)
    assert scores["health_cover"] > scores["situations"]
    assert next_question(profile, cat).id == "health_cover"


def test_an_entry_to_check_weighs_less_than_the_same_money_without_check(cat):
    from benefits.next_question import benefit_weight

    facts = cat.facts.build({})
    assert benefit_weight(cat.by_id["t_ame"], facts) < benefit_weight(cat.by_id["f_open"], facts)


# --- schema -------------------------------------------------------------------------------------


def _problems(tmp_path: Path, bid: str, text: str) -> str:
    directory = tmp_path / f"catalogue_{len(list(tmp_path.iterdir()))}"
    shutil.copytree(FIXTURES, directory)
    (directory / f"{bid}.yml").write_text(text, encoding="utf-8")
    clear_cache()
    try:
        with pytest.raises(CatalogueError) as error:
            load_catalogue(directory)
    finally:
        clear_cache()
    return str(error.value)


def test_needs_check_must_be_a_sentence(tmp_path):
    text = _entry("t_bad", "Mauvaise (test)", extra="needs_check: oui\n")
    assert "t_bad.yml: needs_check: String should have at least 10 characters" in _problems(tmp_path, "t_bad", text)


def test_condition_needs_check_must_be_a_sentence_without_why_not(tmp_path):
    text = _entry("t_bad", "Mauvaise (test)", conditions="\n  - needs_check: [1, 2]")
    assert "t_bad.yml: conditions[0].needs_check: expects a plain-French sentence" in _problems(tmp_path, "t_bad", text)
    text = _entry("t_bad", "Mauvaise (test)",
                  conditions="\n  - needs_check: Une phrase assez longue.\n    why_not: Non.")
    assert "t_bad.yml: conditions[0]: a needs_check condition takes no why/why_not" in _problems(tmp_path, "t_bad", text)


def test_typical_yearly_cannot_be_negative(tmp_path):
    text = _entry("t_bad", "Mauvaise (test)", amount="  typical_yearly: -5\n")
    assert "t_bad.yml: amount.typical_yearly" in _problems(tmp_path, "t_bad", text)


def test_every_real_entry_with_needs_check_is_never_likely():
    catalogue = load_catalogue()
    checked = [b for b in catalogue.benefits if b.entry.needs_check]
    assert len(checked) >= 20
    for benefit in checked:
        assert benefit.to_check
