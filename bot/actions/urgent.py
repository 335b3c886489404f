"""Urgent situations: the right numbers and local help first, then continue or book."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.buttons import button
from bot.actions.tracker_profile import UNKNOWN, latest_text
from urgent.detector import situation_ids
from urgent.help import build_help


def _situations(tracker: Tracker) -> list[str]:
    """From the NLU component's entities, else detected again (a button or a DIET guess)."""
    found = [e.get("value") for e in (tracker.latest_message or {}).get("entities") or []
             if e.get("entity") == "situation"]
    return found or situation_ids(latest_text(tracker))


class ActionUrgentHelp(Action):
    def name(self) -> str:
        return "action_urgent_help"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        situations = _situations(tracker)
        commune = tracker.get_slot("commune")
        help_ = build_help(situations, commune if commune not in (None, UNKNOWN) else None)
        buttons = [button("Prendre rendez-vous", "book_appointment")]
        if tracker.get_slot("requested_slot") or any(tracker.get_slot(s) is not None for s in ("age", "household")):
            buttons.insert(0, button("Continuer mes questions", "continue"))
        else:
            buttons.insert(0, button("Trouver mes aides", "start_benefits_check"))
        dispatcher.utter_message(text=help_.text(), buttons=buttons)
        # Remembered for the team (sent only with the resident's consent at booking).
        known = list(tracker.get_slot("urgent_situations") or [])
        return [SlotSet("urgent_situations", known + [s for s in help_.situations if s not in known])]
