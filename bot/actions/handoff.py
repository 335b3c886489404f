"""Handing over to a person: the nearest team's contact and the booking offer."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.buttons import button
from bot.actions.tracker_profile import UNKNOWN, latest_entities
from directory.contact import phone_contact
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
    """The nearest team, and always a number to call when one is known for the place."""
    text = f"L'équipe la plus proche : {match.team.name}, {match.phrase}."
    contact = phone_contact(None, match)
    if contact:
        text += f"\nPour appeler : {contact.sentence()}"
    return text


def contact_lines(commune: str | None, match: TeamMatch | None, short: bool = False) -> list[str]:
    """A person to call, with a phone number; without a commune, how to get one."""
    contact = phone_contact(commune, match)
    if contact is None:
        return ["Une personne peut vous aider. Dites-moi votre commune (bouton « Prendre rendez-vous ») : "
                "je vous donnerai le numéro de l'équipe la plus proche."]
    if short:
        return [f"Une personne peut vous aider. Pour appeler : {contact.sentence()}."]
    lines = ["Une personne peut regarder tout cela avec vous.", f"Pour appeler : {contact.sentence()}."]
    if match is not None and not contact.name.startswith(match.team.name):
        lines.append(f"Pour la rencontrer : {match.team.name}, {match.phrase}.")
    return lines


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        match = team_for(tracker)
        lines = ["Bien sûr. Des personnes peuvent vous recevoir ou vous appeler."]
        if match:
            lines.append(team_sentence(match))
        else:
            contact = phone_contact(tracker.get_slot("commune"), None)
            lines += ([f"Pour appeler : {contact.sentence()}."] if contact else
                      ["Je peux prendre rendez-vous pour vous : je vous demanderai votre commune, pour "
                       "trouver l'équipe la plus proche et son numéro."])
        dispatcher.utter_message(text="\n\n".join(lines), buttons=[
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
