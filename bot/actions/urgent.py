"""Urgent situations: the right numbers and local help first, then a person, then the rest."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.buttons import button
from bot.actions.tracker_profile import UNKNOWN, latest_text
from urgent.detector import situation_ids
from urgent.help import build_help
from urgent.policy import person_first


def _situations(tracker: Tracker) -> list[str]:
    """From the NLU component's entities, else detected again (a button or a DIET guess)."""
    found = [e.get("value") for e in (tracker.latest_message or {}).get("entities") or []
             if e.get("entity") == "situation"]
    return found or situation_ids(latest_text(tracker))


def _buttons(tracker: Tracker, situations: list[str]) -> list[dict[str, str]]:
    """The safest choice first: a person for suicide, violence, a child or a medical
    emergency; "Continuer mes questions" always last."""
    in_questionnaire = tracker.get_slot("requested_slot") or any(
        tracker.get_slot(s) is not None for s in ("age", "household"))
    rest = (button("Continuer mes questions", "continue") if in_questionnaire
            else button("Trouver mes aides", "start_benefits_check"))
    book = button("Prendre rendez-vous", "book_appointment")
    if person_first(situations):
        return [button("Parler à quelqu'un", "talk_to_person"), book, rest]
    return [book, rest]


class ActionUrgentHelp(Action):
    def name(self) -> str:
        return "action_urgent_help"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        situations = _situations(tracker)
        commune = tracker.get_slot("commune")
        help_ = build_help(situations, commune if commune not in (None, UNKNOWN) else None)
        messages = help_.chat_messages()
        for text in messages[:-1]:
            dispatcher.utter_message(text=text)
        dispatcher.utter_message(text=messages[-1], buttons=_buttons(tracker, list(help_.situations)))
        # Remembered for the team (sent only with the resident's consent at booking), and
        # so that the same answer is read as an answer next time (urgent.policy).
        known = list(tracker.get_slot("urgent_situations") or [])
        return [SlotSet("urgent_situations", known + [s for s in help_.situations if s not in known])]
