"""Real rasa_sdk Trackers and CollectingDispatchers for testing actions without a Rasa server."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher


def make_tracker(slots: dict[str, Any] | None = None, text: str = "", intent: str = "inform",
                 confidence: float = 0.95, entities: dict[str, Any] | None = None,
                 sender: str = "test-sender", channel: str = "rest",
                 active_loop: str | None = "profile_form") -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": confidence},
              "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
              "metadata": {"channel": channel}}
    events = [{"event": "user", "text": text, "parse_data": latest, "metadata": {"channel": channel}}]
    return Tracker(sender_id=sender, slots=dict(slots or {}), latest_message=latest, events=events,
                   paused=False, followup_action=None,
                   active_loop={"name": active_loop} if active_loop else {},
                   latest_action_name="action_listen")


def run_action(action: Action, tracker: Tracker) -> tuple[list[dict], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return events, dispatcher


def slot_events(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def ask_now(slots: dict[str, Any], question_id: str) -> tuple[list[dict], CollectingDispatcher]:
    """Shows one question as the questionnaire would ("Modifier une réponse"), with the state's
    slot events: for tests that start from a given question."""
    from bot.actions.questionnaire import ask
    from bot.actions.tracker_profile import state_events, state_from_tracker

    tracker = make_tracker(slots)
    state = state_from_tracker(tracker)
    before = dict(state.profile)
    dispatcher = CollectingDispatcher()
    ask(dispatcher, state, guide=bool(slots.get("guide_mode")), question_id=question_id)
    return state_events(state, before), dispatcher
