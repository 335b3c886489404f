"""Attacks on the action server with wrongly typed payloads: no crash, no tracker in the logs."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor

from bot.actions import safety

SECRET_ANSWER = "mon revenu est de 734 euros et ma fille est handicapée"


def call(action: str, slots: dict[str, Any] | None = None, entities: list | None = None,
         intent: str = "inform", text: str = "", active_loop: str | None = None) -> dict:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []}
    return {
        "next_action": action, "version": "3.6.21", "domain": {},
        "tracker": {"sender_id": "sec-test", "slots": dict(slots or {}), "latest_message": latest,
                    "events": [{"event": "user", "text": SECRET_ANSWER, "parse_data": latest,
                                "metadata": {"channel": "web"}}],
                    "paused": False, "followup_action": None,
                    "active_loop": {"name": active_loop} if active_loop else {},
                    "latest_action_name": "action_listen"},
    }


@pytest.fixture(scope="module")
def executor() -> ActionExecutor:
    safety.install()
    executor = ActionExecutor()
    executor.register_package("bot.actions")
    return executor


class Boom(Action):
    def name(self) -> str:
        return "action_test_boom"

    async def run(self, dispatcher, tracker, domain):  # noqa: ANN001, ANN201
        dispatcher.utter_message(text="half a reply")
        raise ValueError(f"tracker was {tracker.current_state()}")


class ValidateBoom(Action):
    def name(self) -> str:
        return "validate_test_boom_form"

    async def run(self, dispatcher, tracker, domain):  # noqa: ANN001, ANN201
        raise KeyError(tracker.latest_message["text"])


def test_crashing_action_answers_politely_and_logs_only_the_type(executor: ActionExecutor,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    executor.register_action(Boom)
    with caplog.at_level(logging.DEBUG):
        response = asyncio.run(executor.run(call("action_test_boom", {"income_monthly": 734})))
    texts = [m["text"] for m in response["responses"]]
    assert texts == [safety.SORRY]  # the half reply is not sent
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "action_test_boom" in logged and "ValueError" in logged
    assert "734" not in logged and "revenu" not in logged


def test_crashing_validation_asks_again(executor: ActionExecutor) -> None:
    executor.register_action(ValidateBoom)
    response = asyncio.run(executor.run(call("validate_test_boom_form", {"reference_to_cancel": "AB12"},
                                             active_loop="test_boom_form")))
    assert response["responses"][0]["text"] == safety.SORRY_FORM
    assert all(e["value"] is None for e in response["events"])


@pytest.mark.parametrize("value", [5, 5.5, True, None, [], {"x": 1}, ["RDV"], "", "\x00\x1b[31m"])
def test_cancel_form_with_a_wrongly_typed_reference(executor: ActionExecutor, value: Any) -> None:
    # The attack from the review: /inform{"reference": 5} during the cancel form.
    for requested in ("reference_to_cancel", "cancel_contact", None):
        response = asyncio.run(executor.run(call(
            "validate_cancel_form", {"requested_slot": requested, "reference_to_cancel": value},
            entities=[{"entity": "reference", "value": value}, {"entity": "phone", "value": value}],
            active_loop="cancel_form")))
        assert isinstance(response, dict)
        assert all(m.get("text") != safety.SORRY for m in response["responses"])


def test_typed_accessors_read_wrong_types_as_missing() -> None:
    from tests.action_helpers import make_tracker

    tracker = make_tracker(slots={"a": 5, "b": {"x": 1}, "c": "true", "d": "3,5", "e": "x"},
                           entities={"reference": 7, "latitude": "48.6", "phone": ["x"]})
    assert safety.text_slot(tracker, "a") == "5" and safety.text_slot(tracker, "b") is None
    assert safety.bool_slot(tracker, "c") and not safety.bool_slot(tracker, "a")
    assert safety.number_slot(tracker, "d") == 3.5 and safety.number_slot(tracker, "e") is None
    assert safety.entity_text(tracker, "reference") == "7" and safety.entity_text(tracker, "phone") is None
    assert safety.entity_number(tracker, "latitude") == 48.6
    assert safety.list_slot(tracker, "b") == []


def test_tracker_cleaning() -> None:
    cleaned = safety.clean_tracker_json({"slots": {"reference_to_cancel": 5, "booking_team": {"x": 1}, "age": 40},
                                         "latest_message": {"text": 3, "intent": "x", "entities": [
                                             {"entity": "reference", "value": 12}, {"value": "no name"},
                                             {"entity": "latitude", "value": "nan"},
                                             {"entity": "age", "value": 40}]}})
    assert cleaned["slots"] == {"reference_to_cancel": "5", "booking_team": None, "age": 40}
    msg = cleaned["latest_message"]
    assert msg["text"] == "" and msg["intent"] == {}
    assert msg["entities"] == [{"entity": "reference", "value": "12"}, {"entity": "age", "value": 40}]
