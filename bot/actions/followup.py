"""The follow-up consent asked in the chat (issue 15): "Dans quelques jours, puis-je vous demander
si vous avez pu faire la demande ?", once per conversation, at the booking recap (a slot of
booking_form) or after the last results screen of a simulation without booking.

A yes plans the 6- and 30-day messages (followup.service) on the channel the resident used:
Telegram (the chat), or the widget (its conversation, which shows the question when the resident
comes back). A no is kept: the question is not asked again in this conversation.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

import answers
from bot.actions.buttons import MENU, button
from bot.actions.tracker_profile import UNKNOWN, channel_of, latest_intent, latest_text, profile_from_tracker
from bot.actions.tracker_profile import telegram_chat_id as chat_id_of
from followup import service as followup_service

log = logging.getLogger(__name__)

SLOT = "followup_consent"
ASKED = "asked"  # asked, not answered: not asked again
PENDING = "followup"  # pending_confirmation while the question after the results waits for an answer
QUESTION = "Dans quelques jours, puis-je vous demander si vous avez pu faire la demande ?"
CHANNELS = ("telegram", "web")


def target(tracker: Tracker) -> dict[str, Any] | None:
    """Where the follow-up would go: the Telegram chat, or the widget's conversation; None for a
    channel that cannot carry it (the terminal, the volunteer's guide)."""
    if tracker.get_slot("guide_mode"):
        return None
    channel = channel_of(tracker)
    if channel == "telegram":
        chat_id = chat_id_of(tracker)
        return {"channel": "telegram", "telegram_chat_id": chat_id} if chat_id else None
    if channel == "web" and tracker.sender_id:
        return {"channel": "web", "conversation_id": tracker.sender_id}
    return None


def can_ask(tracker: Tracker) -> bool:
    """Never twice in a conversation, and only where the answer can be used."""
    return tracker.get_slot(SLOT) is None and target(tracker) is not None


def ask(dispatcher: CollectingDispatcher) -> None:
    dispatcher.utter_message(text=QUESTION, buttons=[button("Oui", "affirm"), button("Non", "deny")])


def ask_after_results(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """After the last results screen of a simulation without booking: the question, once."""
    if tracker.get_slot("booking_reference") or not can_ask(tracker):
        return []
    ask(dispatcher)
    return [SlotSet(SLOT, ASKED), SlotSet("pending_confirmation", PENDING)]


def read_consent(intent: str, text: str) -> bool | None:
    """True / False from "oui" / "non" (typed or the buttons), None when it is neither."""
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    parsed = answers.parse("yes_no", text or "")
    return parsed.value if parsed.ok and isinstance(parsed.value, bool) else None


def thanks(channel: str) -> str:
    if channel == "telegram":
        return ("Merci ! Je vous écrirai ici dans 6 jours environ, puis dans un mois. "
                "Vous pourrez répondre en un clic.")
    return ("Merci ! Si vous revenez sur cette page dans quelques jours, je vous poserai la question. "
            "Vous pourrez répondre en un clic.")


REFUSED = "D'accord, je ne vous écrirai pas. Vous pouvez revenir quand vous voulez."


class AskFollowupConsent(Action):
    """The question inside booking_form, before the recap."""

    def name(self) -> str:
        return "action_ask_followup_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        ask(dispatcher)
        return []


class ActionFollowupConsent(Action):
    """The answer to the question asked after the results (rules_followup.yml)."""

    def name(self) -> str:
        return "action_followup_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        intent, _ = latest_intent(tracker)
        consent = read_consent(intent, latest_text(tracker))
        done = [SlotSet("pending_confirmation", None)]
        where = target(tracker)
        if not consent or where is None:
            dispatcher.utter_message(text=REFUSED, buttons=MENU)
            return done + [SlotSet(SLOT, False)]
        profile = profile_from_tracker(tracker)
        commune = profile.get("commune")
        try:
            from bot.actions.results import evaluation_of  # noqa: PLC0415 - results imports this module

            likely = [r.id for r in (await evaluation_of(tracker)).likely]
            followup_service.schedule(
                **where, first_name=tracker.get_slot("booking_first_name"),
                commune=commune if isinstance(commune, str) and commune != UNKNOWN else None, benefits=likely)
        except Exception:  # noqa: BLE001 - the conversation goes on; nothing personal is logged
            log.exception("follow-up consent: scheduling failed")
            dispatcher.utter_message(text="Merci ! Je n'arrive pas à l'enregistrer pour le moment. "
                                          "Vous pouvez revenir quand vous voulez.", buttons=MENU)
            return done + [SlotSet(SLOT, ASKED)]
        dispatcher.utter_message(text=thanks(where["channel"]), buttons=MENU)
        return done + [SlotSet(SLOT, True)]
