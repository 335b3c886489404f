"""Small conversation actions: fallback, resuming the questionnaire, erasing data."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, Restarted, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.buttons import MENU, PRIVACY, button
from bot.actions.tracker_profile import latest_intent, profile_from_tracker
from privacy.erase import erase_everything
from privacy.trackers import StoreUnavailable
from questionnaire import REFINE_BUDGET


class ActionFallback(Action):
    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        maybe_urgent = any(r.get("name") == "urgent_situation" and (r.get("confidence") or 0) >= 0.3
                           for r in ranking[:2])
        safety = (" Si vous êtes en danger maintenant, appelez le 112 : c'est gratuit, jour et nuit."
                  if maybe_urgent else "")
        dispatcher.utter_message(
            text="Pardon, je n'ai pas bien compris. Vous pouvez choisir ci-dessous, ou écrire autrement." + safety,
            buttons=MENU + [PRIVACY] + ([button("Continuer mes questions", "continue")]
                            if _has_answers(tracker) else []))
        # As Rasa's own fallback: forget the unclear message, so that the policies do not
        # predict the fallback again and again (it is also the core fallback action).
        return [UserUtteranceReverted()]


class ActionResume(Action):
    def name(self) -> str:
        return "action_resume"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        events: list[EventType] = [SlotSet("question_tries", 0), SlotSet("pending_confirmation", None)]
        if tracker.get_slot("more_questions"):
            dispatcher.utter_message(text="D'accord, encore quelques questions pour préciser vos résultats.")
            return events + [SlotSet("question_budget", REFINE_BUDGET), SlotSet("more_questions", False)]
        if tracker.get_slot("profile_complete"):
            dispatcher.utter_message(text="Je reprends vos résultats.")
        elif _has_answers(tracker):
            dispatcher.utter_message(text="D'accord, on reprend là où nous en étions.")
        else:
            dispatcher.utter_message(text="D'accord, commençons.")
        return events


def _has_answers(tracker: Tracker) -> bool:
    return bool(profile_from_tracker(tracker))


class ActionGreet(Action):
    """The greeting; a returning resident (answers kept from an earlier visit) is offered to
    resume where they stopped or to start again."""

    def name(self) -> str:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        if not _has_answers(tracker):
            dispatcher.utter_message(response="utter_greet")
            return []
        if tracker.get_slot("profile_complete"):
            text = ("Bonjour ! Vous aviez déjà répondu à mes questions. Voulez-vous revoir vos résultats, "
                    "ou tout recommencer ?")
            resume = button("Revoir mes résultats", "continue")
        else:
            text = ("Bonjour ! Vous aviez commencé à répondre à mes questions. Voulez-vous reprendre là où "
                    "vous en étiez ?")
            resume = button("Reprendre là où j'en étais", "continue")
        dispatcher.utter_message(text=text, buttons=[resume, button("Recommencer", "start_over"), PRIVACY])
        return []


class ActionAskDeleteData(Action):
    def name(self) -> str:
        return "action_ask_delete_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(
            text="Voulez-vous vraiment effacer vos réponses et vos demandes de rendez-vous ? "
                 "Cela ne peut pas être annulé.",
            buttons=[button("Oui, tout effacer", "affirm"), button("Non, garder", "deny")])
        return [SlotSet("pending_confirmation", "delete_data")]


class ActionDeleteData(Action):
    def name(self) -> str:
        return "action_delete_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        intent, _ = latest_intent(tracker)
        if intent != "affirm":
            dispatcher.utter_message(text="D'accord, je n'efface rien.")
            return [SlotSet("pending_confirmation", None)]
        try:
            # The conversation is erased once Rasa has saved this very turn (else Rasa writes it back).
            report = erase_everything(tracker.sender_id, after_turn=True)
        except StoreUnavailable:
            dispatcher.utter_message(text="Je n'arrive pas à effacer pour le moment. Pouvez-vous réessayer "
                                          "dans quelques minutes ?")
            return [SlotSet("pending_confirmation", None)]
        dispatcher.utter_message(text=f"C'est fait. {report.sentence_fr()} Si vous revenez, nous repartirons de zéro.",
                                 buttons=MENU)
        # After a restart nothing is left to predict from: wait for the person.
        return [ActiveLoop(None), Restarted(), FollowupAction("action_listen")]


class ActionStartOver(Action):
    """"Recommencer": asks for confirmation first (answers are lost), then forgets them; "Non"
    keeps everything (a rule then carries on with the questions)."""

    def name(self) -> str:
        return "action_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        intent, _ = latest_intent(tracker)
        confirming = tracker.get_slot("pending_confirmation") == "start_over"
        if confirming and intent == "deny":
            dispatcher.utter_message(text="D'accord, je garde vos réponses.")
            return [SlotSet("pending_confirmation", None)]
        if (confirming and intent == "affirm") or not _has_answers(tracker):
            dispatcher.utter_message(text="C'est reparti de zéro : j'ai oublié vos réponses. Que voulez-vous faire ?",
                                     buttons=MENU)
            return [ActiveLoop(None), Restarted(), FollowupAction("action_listen")]
        dispatcher.utter_message(
            text="Voulez-vous vraiment tout recommencer ? J'oublierai toutes vos réponses.",
            buttons=[button("Oui, tout effacer", "affirm"), button("Non, continuer", "deny")])
        return [SlotSet("pending_confirmation", "start_over")]
