"""The questionnaire form's validation action, with real Trackers: French answers as residents
type them land in the right slot, bad ones get a gentle re-ask, interruptions are let through."""

from __future__ import annotations

import pytest

from bot.actions.questionnaire import ValidateProfileForm
from tests.action_helpers import ask_now, make_tracker, run_action, slot_events

FORM = ValidateProfileForm()

# (question asked, what the resident typed, expected slot value)
ANSWERS = [
    ("age", "68", 68), ("age", "j'ai 68 ans", 68), ("age", "soixante-huit ans", 68),
    ("age", "jai 34ans", 34), ("age", "vingt cinq", 25), ("age", "quatre-vingt-dix ans", 90),
    ("age", "J'AI 52 ANS", 52), ("age", "19 ans bientot 20", 19),
    ("household", "seul", "alone"), ("household", "je vis seule", "alone"),
    ("household", "célibataire", "alone"), ("household", "celibataire", "alone"),
    ("household", "veuve", "alone"), ("household", "divorcé", "alone"),
    ("household", "en couple", "couple"), ("household", "marié", "couple"),
    ("household", "pacsée", "couple"), ("household", "avec mon mari", "couple"),
    ("household", "seule avec mes enfants", "alone"),
    ("children_count", "2", 2), ("children_count", "deux", 2), ("children_count", "j'ai 2 gosses", 2),
    ("children_count", "aucun", 0), ("children_count", "pas d'enfant", 0), ("children_count", "non", 0),
    ("children_count", "trois enfants", 3), ("children_count", "un seul", 1),
    ("income_monthly", "1200", 1200), ("income_monthly", "1 200 €", 1200),
    ("income_monthly", "1200 euros", 1200), ("income_monthly", "mille deux cents euros", 1200),
    ("income_monthly", "800 balles", 800), ("income_monthly", "900 par mois", 900),
    ("income_monthly", "12000 par an", 1000), ("income_monthly", "rien", 0),
    ("income_monthly", "pas de revenus", 0), ("income_monthly", "1200e", 1200),
    ("income_monthly", "environ 1500", 1500), ("income_monthly", "entre 800 et 900", 850),
    ("housing", "locataire", "tenant"), ("housing", "je loue un appart", "tenant"),
    ("housing", "hlm", "social_tenant"), ("housing", "logement social", "social_tenant"),
    ("housing", "proprio", "owner"), ("housing", "propriétaire", "owner"),
    ("housing", "hébergé chez ma soeur", "hosted"), ("housing", "chez mes parents", "hosted"),
    ("housing", "sdf", "homeless"),
    ("rent", "450", 450), ("rent", "450 euros", 450), ("rent", "cinq cents", 500),
    ("rent", "600 charges comprises", 600),
    ("work", "chui au chomage", "job_seeker"), ("work", "je suis au chômage", "job_seeker"),
    ("work", "pole emploi", "job_seeker"), ("work", "je bosse", "employed"),
    ("work", "salarié en cdi", "employed"), ("work", "intérim", "employed"),
    ("work", "étudiant", "student"), ("work", "etudiante a la fac", "student"),
    ("work", "en alternance", "apprentice"), ("work", "retraité", "retired"),
    ("work", "à la retraite", "retired"), ("work", "en invalidité", "unable"),
    ("disability", "non", "none"), ("disability", "aucun", "none"),
    ("disability", "oui 80%", "rate_80_plus"), ("disability", "taux de 50 %", "rate_50_79"),
    ("disability", "rqth", "recognised_other"),
    ("commune", "nancy", "54395"), ("commune", "Nancy", "54395"), ("commune", "malzeville", "54339"),
    ("commune", "st max", "54482"), ("commune", "saint-max", "54482"),
    ("commune", "essey les nancy", "54184"), ("commune", "maxeville", "54357"),
    ("commune", "j'habite à Lunéville", "54329"), ("commune", "vandoeuvre", "54547"),
    ("commune", "nanci", "54395"), ("commune", "54000", "54395"),
]


@pytest.mark.parametrize(("asked", "typed", "expected"), ANSWERS)
def test_typed_answer_fills_the_slot(asked, typed, expected):
    events, dispatcher = run_action(FORM, make_tracker({"requested_slot": asked}, typed))
    slots = slot_events(events)
    assert slots.get(asked) == expected, (typed, slots, dispatcher.messages)
    assert "requested_slot" in slots


def test_eighty_cases_at_least():
    assert len(ANSWERS) >= 80


def test_button_value_is_taken_as_is():
    events, _ = run_action(FORM, make_tracker({"requested_slot": "housing"}, '/inform{"housing":"owner"}',
                                              entities={"housing": "owner"}))
    assert slot_events(events)["housing"] == "owner"


def test_forged_button_value_is_refused():
    events, dispatcher = run_action(FORM, make_tracker({"requested_slot": "housing"}, '/inform{"housing":"castle"}',
                                                       entities={"housing": "castle"}))
    assert "housing" not in slot_events(events)


def test_bad_answer_gets_a_hint_and_counts_the_try():
    events, dispatcher = run_action(FORM, make_tracker({"requested_slot": "age", "question_tries": 0,
                                                        "questionnaire": {"a": "age", "s": 1}}, "bof"))
    slots = slot_events(events)
    assert "age" not in slots and slots["question_tries"] == 1
    assert slots["requested_slot"] == "age"
    # The hint travels with the question asked again, in the same call: one message.
    assert len(dispatcher.messages) == 1
    assert "Je n'ai pas bien compris" in dispatcher.messages[0]["text"]
    assert "Quel âge avez-vous ?" in dispatcher.messages[0]["text"]


def test_unknown_is_accepted_where_the_question_allows_it():
    events, _ = run_action(FORM, make_tracker({"requested_slot": "income_monthly"}, "jsp", intent="dont_know"))
    assert slot_events(events)["income_monthly"] == "unknown"


def test_unknown_age_is_reasked_then_accepted_after_two_tries():
    events, _ = run_action(FORM, make_tracker({"requested_slot": "age", "question_tries": 0}, "je sais pas"))
    assert "age" not in slot_events(events)
    events, _ = run_action(FORM, make_tracker({"requested_slot": "age", "question_tries": 2}, "je sais pas"))
    assert slot_events(events)["age"] == "unknown"


def test_skip_after_two_tries():
    events, _ = run_action(FORM, make_tracker({"requested_slot": "age", "question_tries": 2}, "/skip_question",
                                              intent="skip_question"))
    assert slot_events(events)["age"] == "unknown"


def test_correction_of_an_earlier_answer():
    events, _ = run_action(FORM, make_tracker({"requested_slot": "housing", "children_count": 2},
                                              "en fait j'ai 3 enfants"))
    assert slot_events(events)["children_count"] == 3


def test_children_ages_found_with_the_count():
    events, _ = run_action(FORM, make_tracker({"requested_slot": "children_count"},
                                              "on est 3 avec ma fille de 4 ans"))
    slots = slot_events(events)
    assert slots["children_count"] == 1 and slots.get("children_ages") == [4]


@pytest.mark.parametrize("intent", ["talk_to_person", "goodbye", "bot_challenge", "start_over"])
def test_interruptions_are_rejected_so_rules_answer(intent):
    texts = {"talk_to_person": "je veux parler à quelqu'un", "goodbye": "au revoir",
             "bot_challenge": "vous êtes un robot ?", "start_over": "je veux recommencer"}
    events, _ = run_action(FORM, make_tracker({"requested_slot": "age"}, texts[intent], intent=intent))
    assert events == []


def test_urgent_message_is_always_rejected():
    events, _ = run_action(FORM, make_tracker({"requested_slot": "age"}, "45 ans et je dors dehors",
                                              intent="urgent_situation", confidence=1.0))
    assert events == []


def test_finished_profile_ends_the_form():
    profile = {"age": 68, "household": "alone", "children_count": 0, "income_monthly": 720,
               "income_kinds": ["pension"], "housing": "tenant", "rent": 450, "work": "retired",
               "disability": "none", "commune": "54395", "situations": ["none"], "current_benefits": ["none"],
               "scholarship": False, "health_cover": "unknown"}
    events, _ = run_action(FORM, make_tracker({**profile, "requested_slot": "commune"}, "nancy"))
    slots = slot_events(events)
    assert slots["requested_slot"] is None and slots["profile_complete"] is True


def test_ask_actions_use_the_question_wording_and_buttons():
    _, dispatcher = ask_now({"requested_slot": "household"}, "household")
    message = dispatcher.messages[0]
    assert "seul" in message["text"].lower()
    payloads = [b["payload"] for b in message["buttons"]]
    assert '/inform{"question":"household","answer":"alone"}' in payloads


def test_ask_offers_skip_after_a_failed_try():
    _, dispatcher = ask_now({"requested_slot": "age", "question_tries": 1,
                             "questionnaire": {"a": "age", "s": 1, "t": 1}}, "age")
    assert any(b["title"] == "Passer cette question" for b in dispatcher.messages[0]["buttons"])
