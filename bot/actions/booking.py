"""Booking a meeting with the nearest team, and cancelling or moving it by reference code."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

import answers
from benefits import evaluate
from benefits.profile_summary import profile_summary
from booking import service
from booking.contacts import clean_first_name, display_phone, normalize_phone
from booking.errors import BookingError, InvalidInput, RequestNotFound, SlotTaken, SlotUnavailable
from booking.ics_links import ics_url
from booking.notify import deliver_pending_in_background
from booking.references import normalize_reference
from booking.slots import format_local, free_slots
from bot.actions.buttons import MENU, button
from bot.actions.handoff import team_for, team_near
from bot.actions.questionnaire import answer_events, question, read_answer
from bot.actions.tracker_profile import (
    UNKNOWN,
    channel_of,
    latest_entities,
    latest_intent,
    latest_text,
    profile_from_tracker,
    telegram_chat_id,
)
from core.db import session_scope
from directory.loader import get_directory
from guide.summary_links import summary_url
from stats.record import record
from territory.communes import commune_by_code

SLOT_OFFER = 3
CALLBACK, OTHER_TIME, TELEGRAM = "callback", "other_time", "telegram"
ORDINALS = {"premier": 0, "1er": 0, "1": 0, "deuxieme": 1, "second": 1, "2": 1, "troisieme": 2, "3": 2}


def _offered(team_id: str) -> list:
    with session_scope() as session:
        return free_slots(session, team_id, limit=SLOT_OFFER)


def _slot_choice_from_text(text: str, offered: list) -> str | None:
    plain = answers.normalize(text)
    if re.search(r"rappel", plain):
        return CALLBACK
    if re.search(r"autre (moment|jour|date|heure)", plain):
        return OTHER_TIME
    for word, index in ORDINALS.items():
        if re.search(rf"\b{word}\b", plain) and index < len(offered):
            return offered[index].start.isoformat()
    for slot in offered:
        label = answers.normalize(slot.label)
        day = label.split()[0]
        if re.search(rf"\b{day}\b", plain):
            return slot.start.isoformat()
    return None


class ValidateBookingForm(Action):
    """Dynamic booking questions: the commune first when unknown, then slot, name, contact, consent."""

    def name(self) -> str:
        return "validate_booking_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        requested = tracker.get_slot("requested_slot")
        events: list[EventType] = []
        values: dict[str, Any] = {}
        if requested:
            intent, _ = latest_intent(tracker)
            if intent == "urgent_situation":
                return []
            text = latest_text(tracker)
            entities = latest_entities(tracker)
            if requested == "commune" and entities.get("latitude") is not None:
                # A location shared from Telegram replaces the commune.
                try:
                    location = {"latitude": float(entities["latitude"]), "longitude": float(entities["longitude"])}
                except (KeyError, TypeError, ValueError):
                    location = None
                if location:
                    values["location"] = location
                    events.append(SlotSet("location", location))
            elif requested == "commune":
                answer = read_answer(question("commune"), tracker)
                if answer.status == "interrupt":
                    return []
                events += answer_events(question("commune"), answer, dispatcher, tracker)
                values.update(answer.updates)
            else:
                value, error = self._read(requested, text, entities, intent, tracker)
                if value is None and error is None and intent in ("goodbye", "start_over", "talk_to_person",
                                                                   "delete_data", "bot_challenge", "privacy"):
                    return []
                if error:
                    dispatcher.utter_message(text=error)
                    events.append(SlotSet("question_tries", float(tracker.get_slot("question_tries") or 0) + 1))
                elif value is not None:
                    values[requested] = value
                    events += [SlotSet(requested, value), SlotSet("question_tries", 0)]
        slots = {k: tracker.get_slot(k) for k in ("commune", "booking_slot", "booking_first_name",
                                                  "booking_contact", "booking_consent", "location")}
        slots.update(values)
        team_id = tracker.get_slot("booking_team")
        if not team_id and (slots["commune"] not in (None, UNKNOWN) or slots["location"]):
            match = team_near(slots["commune"], slots["location"])
            if match:
                team_id = match.team.id
                events.append(SlotSet("booking_team", team_id))
        events.append(SlotSet("requested_slot", self._next(slots, team_id, tracker)))
        return events

    @staticmethod
    def _next(slots: dict[str, Any], team_id: str | None, tracker: Tracker) -> str | None:
        if not team_id:
            return "commune"
        for key in ("booking_slot", "booking_first_name", "booking_contact", "booking_consent"):
            if slots.get(key) is None:
                return key
        return None

    def _read(self, requested: str, text: str, entities: dict[str, Any], intent: str,
              tracker: Tracker) -> tuple[Any, str | None]:
        if requested == "booking_slot":
            choice = entities.get("slot_choice")
            team_id = tracker.get_slot("booking_team")
            offered = _offered(team_id) if team_id else []
            if choice in (CALLBACK, OTHER_TIME):
                return choice, None
            if choice:
                try:
                    datetime.fromisoformat(str(choice))
                    return str(choice), None
                except ValueError:
                    pass
            found = _slot_choice_from_text(text, offered)
            if found:
                return found, None
            if intent in ("inform", "affirm", "deny", "nlu_fallback", "dont_know"):
                return None, "Je n'ai pas compris quel moment vous convient. Choisissez un bouton, ou écrivez « le premier »."
            return None, None
        if requested == "booking_first_name":
            if intent in ("deny", "dont_know") and not entities:
                return None, "Un prénom suffit, ou un surnom si vous préférez. Comment puis-je vous appeler ?"
            name = re.sub(r"^(je m'?appel+e?|moi c'?est|c'?est|appelez[- ]moi|mon pr[ée]nom (est|c'?est))\s+", "",
                          text.strip(), flags=re.IGNORECASE)
            try:
                return clean_first_name(name), None
            except InvalidInput as exc:
                return None, exc.message
        if requested == "booking_contact":
            if entities.get("phone"):
                text = str(entities["phone"])
            elif entities.get("choice") == TELEGRAM and channel_of(tracker) == "telegram":
                return TELEGRAM, None
            try:
                return normalize_phone(text), None
            except InvalidInput as exc:
                if tracker.get_slot("booking_slot") in (CALLBACK, OTHER_TIME):
                    return None, exc.message
                return None, exc.message
        if requested == "booking_consent":
            parsed = answers.parse("yes_no", text)
            if intent == "affirm" or (parsed.ok and parsed.value is True):
                return True, None
            if intent == "deny" or (parsed.ok and parsed.value is False):
                return False, None
            return None, "Répondez par oui ou par non, s'il vous plaît."
        return None, None


class AskBookingSlot(Action):
    def name(self) -> str:
        return "action_ask_booking_slot"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        team_id = tracker.get_slot("booking_team")
        directory = get_directory()
        team = directory.teams.get(team_id) if team_id else None
        match = team_for(tracker)
        intro = ""
        if team is not None:
            intro = f"L'équipe la plus proche : {team.name}"
            if match and match.team.id == team.id:
                intro += f", {match.phrase}"
            intro += ".\n"
        offered = _offered(team_id) if team_id else []
        buttons = [button(s.label[0].upper() + s.label[1:], "inform", slot_choice=s.start.isoformat()) for s in offered]
        buttons += [button("Un autre moment", "inform", slot_choice=OTHER_TIME),
                    button("Être rappelé(e)", "inform", slot_choice=CALLBACK)]
        question_text = "Quel moment vous convient ?" if offered else \
            "Je ne vois pas de créneau libre en ligne pour cette équipe. Voulez-vous être rappelé(e) ?"
        dispatcher.utter_message(text=intro + question_text, buttons=buttons)
        return []


class AskBookingFirstName(Action):
    def name(self) -> str:
        return "action_ask_booking_first_name"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(text="Quel prénom puis-je donner à l'équipe ? Un surnom suffit si vous préférez.")
        return []


class AskBookingContact(Action):
    def name(self) -> str:
        return "action_ask_booking_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        callback = tracker.get_slot("booking_slot") in (CALLBACK, OTHER_TIME)
        if channel_of(tracker) == "telegram" and not callback:
            dispatcher.utter_message(
                text="Comment l'équipe peut-elle vous joindre ? Ici sur Telegram, ou par téléphone ?",
                buttons=[button("Ici, sur Telegram", "inform", choice=TELEGRAM)],
                json_message={"ask_contact": True})
        else:
            dispatcher.utter_message(
                text="Quel est votre numéro de téléphone ? Par exemple : 06 12 34 56 78.",
                json_message={"ask_contact": True} if channel_of(tracker) == "telegram" else None)
        return []


class AskBookingConsent(Action):
    def name(self) -> str:
        return "action_ask_booking_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(
            text="Puis-je envoyer à l'équipe un résumé de vos réponses et des aides trouvées ? "
                 "Cela l'aide à préparer le rendez-vous. Sans votre accord, elle aura seulement votre prénom, "
                 "votre contact et le moment choisi.",
            buttons=[button("Oui, envoyer le résumé", "affirm"), button("Non, sans résumé", "deny")])
        return []


def _documents(likely: list) -> list[str]:
    seen: list[str] = []
    for result in likely:
        for doc in result.how_to_apply.documents:
            if doc not in seen:
                seen.append(doc)
    return seen[:6]


class ActionConfirmBooking(Action):
    def name(self) -> str:
        return "action_confirm_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        team_id = tracker.get_slot("booking_team")
        choice = tracker.get_slot("booking_slot")
        contact = tracker.get_slot("booking_contact")
        consent = bool(tracker.get_slot("booking_consent"))
        profile = profile_from_tracker(tracker)
        evaluation = evaluate(profile)
        commune = commune_by_code(profile["commune"]) if profile.get("commune") not in (None, UNKNOWN) else None
        summary = "\n".join(profile_summary(profile, commune.name if commune else None)) if consent else None
        likely_ids = [r.id for r in evaluation.likely] if consent else None
        channel = channel_of(tracker)
        chat_id = telegram_chat_id(tracker) if channel == "telegram" else None
        common = dict(team_id=team_id, first_name=tracker.get_slot("booking_first_name"),
                      contact_channel="telegram" if contact == TELEGRAM else ("web" if channel == "web" else "phone"),
                      telegram_chat_id=chat_id, conversation_id=tracker.sender_id, consent_summary=consent,
                      summary=summary, likely_benefits=likely_ids,
                      urgent_flag=consent and bool(tracker.get_slot("urgent_situations")))
        reset = [SlotSet(k, None) for k in ("booking_slot", "booking_consent", "requested_slot")]
        try:
            if choice in (CALLBACK, OTHER_TIME):
                request = service.book_callback(kind=choice, contact_phone=contact, **common)
            else:
                request = service.book_slot(slot_start=datetime.fromisoformat(choice),
                                            contact_phone=None if contact == TELEGRAM else contact, **common)
        except SlotTaken as exc:
            dispatcher.utter_message(text=exc.message)
            return [SlotSet("booking_slot", None), FollowupAction("booking_form")]
        except SlotUnavailable as exc:
            dispatcher.utter_message(text=exc.message)
            return [SlotSet("booking_slot", None), FollowupAction("booking_form")]
        except BookingError as exc:
            dispatcher.utter_message(text=exc.message + " Pouvez-vous réessayer ?", buttons=MENU)
            return reset
        deliver_pending_in_background()  # tell the team now; the web process retries failures
        record("appointment_requested", key="slot" if request.slot_start else request.kind, channel=channel,
               mode="guide" if tracker.get_slot("guide_mode") else "self", commune=profile.get("commune"))
        dispatcher.utter_message(text=confirmation_text(request, evaluation.likely),
                                 json_message={"ics_url": ics_url(request.reference)})
        dispatcher.utter_message(text=summary_line(profile, request.reference))
        return reset + [SlotSet("booking_reference", request.reference)]


def confirmation_text(request, likely: list) -> str:  # noqa: ANN001
    directory = get_directory()
    team = directory.teams.get(request.team_id)
    lines = [f"C'est noté, {request.first_name} ! Votre référence : {request.reference}."]
    if request.slot_start:
        place = directory.meeting_place(team) if team and team.places else None
        where = f", {place.label}" if place else ""
        if place and place.address:
            where += f" ({place.address})"
        lines.append(f"Rendez-vous le {format_local(request.slot_start)}{where}, avec {team.name if team else 'l’équipe'}.")
    else:
        lines.append(f"{team.name if team else 'L’équipe'} va vous rappeler au {display_phone(request.contact_phone)}.")
    docs = _documents(likely)
    lines.append("À apporter : pièce d'identité" + (", " + ", ".join(d.lower().rstrip('.') for d in docs) if docs else "") + ".")
    lines.append(f"Pour l'ajouter à votre agenda : {ics_url(request.reference)}")
    lines.append("Pour annuler ou changer, écrivez « annuler mon rendez-vous » et donnez votre référence.")
    return "\n".join(lines)


def summary_line(profile: dict, reference: str) -> str:
    return f"Votre résumé avec le rendez-vous, à garder ou à imprimer : {summary_url(profile, reference)}"


class ValidateCancelForm(Action):
    """The reference (known in this conversation, or typed), then, for a request made from
    another conversation, the phone number given at booking as proof."""

    def name(self) -> str:
        return "validate_cancel_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        requested = tracker.get_slot("requested_slot")
        intent, _ = latest_intent(tracker)
        if requested and intent in ("goodbye", "start_over", "urgent_situation", "talk_to_person"):
            return []
        events: list[EventType] = []
        reference = tracker.get_slot("reference_to_cancel")
        if requested == "reference_to_cancel":
            typed = latest_entities(tracker).get("reference") or normalize_reference(_reference_in(latest_text(tracker)))
            if not typed:
                dispatcher.utter_message(text="Je ne reconnais pas cette référence. Elle ressemble à « AV-7K3P ».")
                return [SlotSet("question_tries", float(tracker.get_slot("question_tries") or 0) + 1)]
            reference = typed
            events.append(SlotSet("reference_to_cancel", reference))
        elif requested is None and not reference and tracker.get_slot("booking_reference"):
            reference = tracker.get_slot("booking_reference")
            events.append(SlotSet("reference_to_cancel", reference))
        if requested == "cancel_contact":
            try:
                phone = normalize_phone(latest_text(tracker))
            except InvalidInput as exc:
                dispatcher.utter_message(text=exc.message)
                return []
            events.append(SlotSet("cancel_contact", phone))
            return events + [SlotSet("requested_slot", None)]
        if not reference:
            return events + [SlotSet("requested_slot", "reference_to_cancel")]
        request = service.find_by_reference(reference)
        own = request is not None and request.conversation_id == tracker.sender_id
        if request is None or own:
            return events + [SlotSet("requested_slot", None)]
        return events + [SlotSet("requested_slot", "cancel_contact")]


def _reference_in(text: str) -> str:
    match = re.search(r"\b(av[\s\-_.]?)?[2-9a-z]{4}\b", text, flags=re.IGNORECASE)
    return match.group(0) if match else text


class AskReferenceToCancel(Action):
    def name(self) -> str:
        return "action_ask_reference_to_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(text="Quelle est la référence de votre rendez-vous ? Elle ressemble à « AV-7K3P ».")
        return []


class AskCancelContact(Action):
    def name(self) -> str:
        return "action_ask_cancel_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(text="Pour vérifier que c'est bien vous : quel numéro de téléphone avez-vous "
                                      "donné pour ce rendez-vous ?")
        return []


class ActionCancelBooking(Action):
    """Cancels the request (this conversation's, or proven by the phone number given at booking);
    to move it, the resident then picks a new moment in the booking form."""

    def name(self) -> str:
        return "action_cancel_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        reference = tracker.get_slot("reference_to_cancel")
        request = service.find_by_reference(reference)
        reset = [SlotSet("reference_to_cancel", None), SlotSet("cancel_contact", None)]
        if request is not None and request.conversation_id == tracker.sender_id:
            contact = request.telegram_chat_id or request.contact_phone
        else:
            contact = tracker.get_slot("cancel_contact")
        moving = latest_intent_name_in_history(tracker) == "reschedule_appointment"
        try:
            if request is None or not contact:
                raise RequestNotFound("not found")
            service.cancel(reference, contact=contact)
        except RequestNotFound:
            # The same answer whether the reference or the number is wrong, on purpose.
            dispatcher.utter_message(
                text="Je ne trouve pas de rendez-vous avec cette référence et ce numéro. Vous pouvez appeler "
                     "l'équipe directement.", buttons=[button("Parler à quelqu'un", "talk_to_person")])
            return reset
        except BookingError as exc:
            dispatcher.utter_message(text=exc.message)
            return reset
        if moving:
            dispatcher.utter_message(text=f"J'ai libéré votre ancien créneau ({reference}). Choisissons-en un autre.")
            return reset + [SlotSet("booking_team", request.team_id), SlotSet("booking_slot", None),
                            SlotSet("booking_first_name", request.first_name),
                            SlotSet("booking_contact", TELEGRAM if request.contact_channel == "telegram"
                                    else request.contact_phone),
                            SlotSet("booking_consent", request.consent_summary),
                            FollowupAction("booking_form")]
        dispatcher.utter_message(text=f"C'est fait : le rendez-vous {reference} est annulé. "
                                      "Vous pouvez en prendre un autre quand vous voulez.",
                                 buttons=[button("Prendre un autre rendez-vous", "book_appointment")])
        return reset + [SlotSet("booking_reference", None)]


def latest_intent_name_in_history(tracker: Tracker) -> str | None:
    """The intent that opened the cancel form (cancel or reschedule)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            name = (event.get("parse_data") or {}).get("intent", {}).get("name")
            if name in ("cancel_appointment", "reschedule_appointment"):
                return name
    return None
