"""The Rasa domain and the benefits questions must agree: one slot and one place in the form per
question, and no ask action or response for them (validate_profile_form asks, in the same call)."""

from pathlib import Path

import yaml

from benefits import load_questions

DOMAIN = yaml.safe_load((Path(__file__).resolve().parent.parent / "bot" / "domain.yml").read_text())


def test_every_question_has_a_slot_and_a_place_in_the_form():
    ids = [q.id for q in load_questions()]
    missing_slots = [i for i in ids if i not in DOMAIN["slots"]]
    form_slots = DOMAIN["forms"]["profile_form"]["required_slots"]
    assert not missing_slots, f"add these slots to bot/domain.yml: {missing_slots}"
    assert sorted(form_slots) == sorted(ids), "profile_form.required_slots must list every question"


def test_no_question_has_an_ask_action_or_response():
    # Rasa's form would call it after validate_profile_form: the question twice, two round trips.
    asked_by_rasa = [name for i in load_questions()
                     for name in (f"action_ask_{i.id}", f"action_ask_profile_form_{i.id}",
                                  f"utter_ask_{i.id}", f"utter_ask_profile_form_{i.id}")
                     if name in DOMAIN["actions"] or name in DOMAIN["responses"]]
    assert not asked_by_rasa, f"remove from bot/domain.yml (scripts/sync_domain.py --write): {asked_by_rasa}"


def test_sync_domain_check_and_write_agree(tmp_path, monkeypatch):
    import scripts.sync_domain as sync

    ids = [q.id for q in load_questions()]
    text = sync.DOMAIN.read_text(encoding="utf-8")
    assert not any(sync.differences(yaml.safe_load(text), ids).values())
    # A question added to the catalogue, and an old ask action left behind: --write fixes both.
    broken = text.replace("actions:\n", f"actions:\n  - action_ask_{ids[0]}\n", 1)
    diff = sync.differences(yaml.safe_load(broken), [*ids, "new_question"])
    assert diff["missing slots"] == ["new_question"] and diff["ask actions of questions (validate_profile_form asks them)"]
    fixed = yaml.safe_load(sync._write(broken, [*ids, "new_question"], diff))
    assert not any(sync.differences(fixed, [*ids, "new_question"]).values())


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
