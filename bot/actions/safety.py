"""Every action runs behind two guards, installed once by `bot/actions/__init__.py`:

1. Before it runs, the tracker it receives is cleaned of values of the wrong type where the type
   is certain (`/inform{"reference": 5}` gives an int where every action expects a string):
   identifiers become strings, coordinates numbers, anything else of a wrong shape is dropped.
2. If it raises anyway, the resident gets a polite French message, a form asks its question
   again (the slots being validated are emptied), and the log holds the action's name and the
   exception's type only: never the tracker, the message or the exception's text.

Actions read slots and entities through the typed accessors below (`text_slot`, `entity_text`,
`number_slot`...) rather than `tracker.get_slot`, so a value of the wrong type reads as missing.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from privacy import links

log = logging.getLogger(__name__)

SORRY_FORM = "Désolé, je n'ai pas pu lire cette réponse. Pouvez-vous la redonner autrement ?"
SORRY = "Désolé, un problème m'empêche de répondre à cela. Pouvez-vous réessayer ou reformuler ?"

# Slots and entities that only ever hold a string (identifiers, names, numbers as typed).
TEXT_SLOTS = frozenset({"reference_to_cancel", "booking_reference", "cancel_contact", "booking_slot", "booking_contact",
                        "booking_first_name", "booking_team", "requested_slot"})
TEXT_ENTITIES = frozenset({"reference", "phone", "slot_choice", "choice", "benefit_id", "commune"})
NUMBER_ENTITIES = frozenset({"latitude", "longitude"})


# ---------------------------------------------------------------- typed accessors

def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return str(value)
    return None


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def text_slot(tracker: Tracker, name: str) -> str | None:
    """The slot as a string (a number is written out), None when missing or of another type."""
    return _as_text(tracker.get_slot(name))


def number_slot(tracker: Tracker, name: str) -> float | None:
    return _as_number(tracker.get_slot(name))


def bool_slot(tracker: Tracker, name: str) -> bool:
    """True only for a real True (or 'true'): anything else, including a typo'd payload, is False."""
    value = tracker.get_slot(name)
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def list_slot(tracker: Tracker, name: str) -> list:
    value = tracker.get_slot(name)
    return list(value) if isinstance(value, list) else []


def _entities(tracker: Tracker) -> list[dict]:
    raw = (tracker.latest_message or {}).get("entities") if isinstance(tracker.latest_message, dict) else None
    return [e for e in raw or [] if isinstance(e, dict) and isinstance(e.get("entity"), str)]


def entity_text(tracker: Tracker, name: str) -> str | None:
    for entity in _entities(tracker):
        if entity["entity"] == name and (value := _as_text(entity.get("value"))) is not None:
            return value
    return None


def entity_number(tracker: Tracker, name: str) -> float | None:
    for entity in _entities(tracker):
        if entity["entity"] == name and (value := _as_number(entity.get("value"))) is not None:
            return value
    return None


# ---------------------------------------------------------------- guard 1: clean the tracker

def _clean_entity(entity: Any) -> dict | None:
    if not isinstance(entity, dict) or not isinstance(entity.get("entity"), str):
        return None
    name, value = entity["entity"], entity.get("value")
    if name in TEXT_ENTITIES:
        value = _as_text(value)
    elif name in NUMBER_ENTITIES:
        value = _as_number(value)
    if value is None:
        return None
    return {**entity, "value": value}


def clean_latest_message(message: Any) -> dict:
    if not isinstance(message, dict):
        return {"text": "", "intent": {}, "entities": []}
    message = dict(message)
    if not isinstance(message.get("text"), str):
        message["text"] = ""
    if not isinstance(message.get("intent"), dict):
        message["intent"] = {}
    entities = message.get("entities")
    message["entities"] = [e for e in map(_clean_entity, entities if isinstance(entities, list) else []) if e]
    return message


def clean_tracker_json(tracker: Any) -> dict:
    """A copy of the tracker JSON sent by Rasa, with wrongly typed values fixed or dropped."""
    if not isinstance(tracker, dict):
        return tracker
    tracker = dict(tracker)
    slots = dict(tracker.get("slots") or {}) if isinstance(tracker.get("slots"), dict) else {}
    for name in TEXT_SLOTS & slots.keys():
        if slots[name] is not None:
            slots[name] = _as_text(slots[name])
    tracker["slots"] = slots
    tracker["latest_message"] = clean_latest_message(tracker.get("latest_message"))
    return tracker


# ---------------------------------------------------------------- guard 2: a crash answers politely

def _slots_being_validated(action_call: dict) -> list[str]:
    try:
        return list(Tracker.from_dict(action_call["tracker"]).slots_to_validate())
    except Exception:  # noqa: BLE001 - a tracker too broken to read: nothing to empty
        return []


def fallback_response(executor: ActionExecutor, action_name: str, action_call: dict) -> dict:
    dispatcher = CollectingDispatcher()
    events: list[dict] = []
    if action_name.startswith("validate_"):
        events = [SlotSet(name, None) for name in _slots_being_validated(action_call)]
        dispatcher.utter_message(text=SORRY_FORM)
    elif not action_name.startswith("action_ask_"):
        dispatcher.utter_message(text=SORRY)
    else:
        dispatcher.utter_message(text=SORRY_FORM)
    return executor._create_api_response(events, dispatcher.messages)


_installed = False


def install() -> None:
    """Wrap ActionExecutor.run once: clean the tracker, then answer politely on any crash."""
    global _installed
    if _installed:
        return
    _installed = True
    original = ActionExecutor.run

    async def guarded_run(self: ActionExecutor, action_call: dict) -> dict | None:
        name = action_call.get("next_action") if isinstance(action_call, dict) else None
        if not isinstance(name, str):
            return await original(self, action_call)
        action_call = {**action_call, "tracker": clean_tracker_json(action_call.get("tracker"))}
        sender = (action_call.get("tracker") or {}).get("sender_id") if isinstance(action_call.get("tracker"), dict) else None
        # Links made by this action belong to this conversation: erased with it.
        context = links.current_conversation.set(sender if isinstance(sender, str) else None)
        try:
            return await original(self, action_call)
        except (ActionExecutionRejection, ActionNotFoundException):
            raise  # Rasa's own flow (a form rejecting its turn, an unknown action)
        except Exception as exc:  # noqa: BLE001 - the resident must get an answer
            log.error("action %s failed: %s", name, type(exc).__name__)
            return fallback_response(self, name, action_call)
        finally:
            links.current_conversation.reset(context)

    ActionExecutor.run = guarded_run
