"""Reading the resident's profile, the questionnaire state and the context out of a Rasa tracker."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from benefits import load_questions
from questionnaire import FIRST_RESULTS_AFTER, State

UNKNOWN = "unknown"
STATE_SLOT = "questionnaire"   # the questionnaire's state but the profile (order, history, tries...)


def question_ids() -> list[str]:
    return [q.id for q in load_questions()]


def question(question_id: str):  # noqa: ANN201 - a benefits.schema.Question
    for q in load_questions():
        if q.id == question_id:
            return q
    raise KeyError(question_id)


def profile_from_tracker(tracker: Tracker) -> dict[str, Any]:
    """The answers given so far, keyed by question id (missing = not asked yet)."""
    profile: dict[str, Any] = {}
    for qid in question_ids():
        value = tracker.get_slot(qid)
        if value is not None:
            profile[qid] = value
    return profile


def state_from_tracker(tracker: Tracker) -> State:
    """The questionnaire state: the profile from the question slots, the rest from one slot.
    `question_tries` and `question_budget` stay slots of their own (booking and "Préciser" use them)."""
    state = State.from_data(tracker.get_slot(STATE_SLOT), profile_from_tracker(tracker))
    budget = tracker.get_slot("question_budget")
    state.budget = int(budget) if isinstance(budget, int | float) and budget >= 1 else FIRST_RESULTS_AFTER
    tries = tracker.get_slot("question_tries")
    state.tries = int(tries) if isinstance(tries, int | float) else state.tries
    return state


def state_events(state: State, before: dict[str, Any]) -> list[SlotSet]:
    """Slot events for what changed: answers (None for a dropped one), then the state."""
    events = [SlotSet(k, state.profile.get(k)) for k in question_ids()
              if before.get(k) != state.profile.get(k)]
    return events + [SlotSet(STATE_SLOT, state.to_data()), SlotSet("question_tries", float(state.tries))]


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def latest_intent(tracker: Tracker) -> tuple[str, float]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name") or "", float(intent.get("confidence") or 0.0)


def latest_entities(tracker: Tracker) -> dict[str, Any]:
    return {e["entity"]: e.get("value") for e in (tracker.latest_message or {}).get("entities") or []}


def latest_situations(tracker: Tracker) -> list[str]:
    return [e.get("value") for e in (tracker.latest_message or {}).get("entities") or []
            if e.get("entity") == "situation" and e.get("value")]


def answers_this_message(tracker: Tracker) -> bool:
    """True when the action runs right after the resident's message (the form asked and the
    person answered); False when the form was just started by a rule after another action
    ("/continue", "Non, continuer"): that message is then not an answer."""
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            return True
        if kind == "action" and event.get("name") not in ("profile_form", "action_listen", None):
            return False
    return True


def channel_of(tracker: Tracker) -> str:
    """'telegram', 'web', 'guide' or 'rest', from the metadata the channels attach."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata") or {}
            if metadata.get("channel"):
                return str(metadata["channel"])
    return "rest"


def telegram_chat_id(tracker: Tracker) -> str | None:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            chat_id = (event.get("metadata") or {}).get("chat_id")
            if chat_id:
                return str(chat_id)
    if tracker.sender_id.startswith("tg-"):
        return tracker.sender_id[3:]
    return None
