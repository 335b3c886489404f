"""The Rasa domain and the benefits questions must agree: one slot and one ask action per question."""

from pathlib import Path

import yaml

from benefits import load_questions

DOMAIN = yaml.safe_load((Path(__file__).resolve().parent.parent / "bot" / "domain.yml").read_text())


def test_every_question_has_a_slot_an_ask_action_and_a_place_in_the_form():
    ids = [q.id for q in load_questions()]
    missing_slots = [i for i in ids if i not in DOMAIN["slots"]]
    missing_actions = [i for i in ids if f"action_ask_{i}" not in DOMAIN["actions"]]
    form_slots = DOMAIN["forms"]["profile_form"]["required_slots"]
    assert not missing_slots, f"add these slots to bot/domain.yml: {missing_slots}"
    assert not missing_actions, f"add these actions to bot/domain.yml: {missing_actions}"
    assert sorted(form_slots) == sorted(ids), "profile_form.required_slots must list every question"


def test_question_slots_are_filled_by_the_action_server_only():
    for q in load_questions():
        assert DOMAIN["slots"][q.id]["mappings"] == [{"type": "custom"}], q.id


def test_every_declared_action_exists_in_the_action_server():
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("bot.actions")
    custom = [a for a in DOMAIN["actions"] if not a.startswith("utter_")]
    missing = [a for a in custom if a not in executor.actions]
    assert not missing, f"no rasa_sdk action named {missing}"
