"""Handing over to a person: the nearest team's contact and the booking offer."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.buttons import button
from bot.actions.tracker_profile import UNKNOWN, latest_entities
from directory.nearest import LocationError, TeamMatch, nearest_team


def team_for(tracker: Tracker) -> TeamMatch | None:
    """The team for the resident: from a shared location, else from their commune."""
    return team_near(tracker.get_slot("commune"), tracker.get_slot("location"))


def team_near(commune: str | None, location: dict | None) -> TeamMatch | None:
    location = location or {}
    try:
        if location.get("latitude") is not None:
            return nearest_team(lat=location["latitude"], lon=location["longitude"])
        if commune and commune != UNKNOWN:
            return nearest_team(commune=commune)
    except LocationError:
        return None
    return None


def team_sentence(match: TeamMatch) -> str:
    team = match.team
    text = f"L'équipe la plus proche : {team.name}, {match.phrase}."
    if team.phone:
        text += f"\nTéléphone : {team.phone}"
    return text


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        match = team_for(tracker)
        if match:
            text = "Bien sûr. Des personnes peuvent vous recevoir ou vous appeler.\n\n" + team_sentence(match)
        else:
            text = ("Bien sûr. Des travailleurs sociaux et des bénévoles peuvent vous recevoir ou vous appeler. "
                    "Je peux prendre rendez-vous pour vous : je vous demanderai votre commune pour trouver "
                    "l'équipe la plus proche.")
        dispatcher.utter_message(text=text, buttons=[
            button("Prendre rendez-vous", "book_appointment"),
            button("Être rappelé(e)", "book_appointment", slot_choice="callback"),
            button("Continuer mes questions", "continue"),
        ], json_message={"ask_location": True} if not match else None)
        return []


class ActionShareLocation(Action):
    """A location shared from Telegram: remember it and name the nearest team."""

    def name(self) -> str:
        return "action_share_location"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        entities = latest_entities(tracker)
        try:
            location = {"latitude": float(entities["latitude"]), "longitude": float(entities["longitude"])}
        except (KeyError, TypeError, ValueError):
            dispatcher.utter_message(text="Je n'ai pas reçu votre position. Vous pouvez aussi m'écrire votre commune.")
            return []
        try:
            match = nearest_team(lat=location["latitude"], lon=location["longitude"])
        except LocationError as exc:
            dispatcher.utter_message(text=str(exc))
            return []
        if match is None:
            dispatcher.utter_message(text="Je ne trouve pas d'équipe près de cette position, en Meurthe-et-Moselle.")
            return [SlotSet("location", location)]
        dispatcher.utter_message(text=team_sentence(match), buttons=[
            button("Prendre rendez-vous", "book_appointment"),
            button("Trouver mes aides", "start_benefits_check"),
        ])
        return [SlotSet("location", location), SlotSet("booking_team", match.team.id)]
