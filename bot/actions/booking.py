"""Booking a meeting with the nearest team, and cancelling or moving it by reference code."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

import answers
from benefits import evaluate
from benefits.profile_summary import profile_summary
from booking import service
from booking.contacts import clean_first_name, display_phone, normalize_phone
from booking.errors import (
    BookingError,
    InvalidInput,
    RequestClosed,
    RequestNotFound,
    SlotTaken,
    SlotUnavailable,
)
from booking.ics_links import ics_url
from booking.notify import deliver_pending_in_background
from booking.references import normalize_reference
from booking.slots import _MONTHS, WEEKDAYS, format_local, free_slots, is_public_holiday, nearest_free_slot
from bot.actions import followup as followup_consent
from bot.actions.buttons import MENU, button
from bot.actions.handoff import team_for, team_near, team_sentence
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
from followup import service as followup_service
from guide.results import documents_to_bring
from guide.summary_links import summary_url
from stats.record import record
from territory.communes import commune_by_code

log = logging.getLogger(__name__)
SLOT_OFFER = 3
CALLBACK, OTHER_TIME, TELEGRAM, KEEP = "callback", "other_time", "telegram", "keep"
PARIS = ZoneInfo("Europe/Paris")
DAYS_OFFERED = 3
PARTS_OF_DAY = ("le matin", "l'après-midi", "en fin de journée")
ANY_TIME = "peu importe"
ASAP = "dès que possible"
PREFERENCE_MAX = 60
# What "Modifier" on the recap can change, and the slots it clears.
CHANGES = {
    "change_slot": ("Le moment", ("booking_slot", "booking_time_day", "booking_time_part")),
    "change_name": ("Le prénom", ("booking_first_name",)),
    "change_contact": ("Le contact", ("booking_contact",)),
    "change_consent": ("Le résumé envoyé", ("booking_consent",)),
    "change_followup": ("Le message de suivi", ("followup_consent",)),
}
INTERRUPTIONS = ("goodbye", "start_over", "talk_to_person", "delete_data", "bot_challenge", "privacy",
                 "urgent_situation")
ORDINALS = {"premier": 0, "1er": 0, "1": 0, "deuxieme": 1, "second": 1, "2": 1, "troisieme": 2, "3": 2}


def _offered(team_id: str) -> list:
    with session_scope() as session:
        return free_slots(session, team_id, limit=SLOT_OFFER)


# A slot of another team travels as "<ISO start>|<team id>" in the slot_choice entity.
OTHER_TEAM_SEP = "|"


def _nearest_offer(tracker: Tracker, exclude_team: str | None):  # noqa: ANN202 - booking.slots.SlotOffer
    """When the usual team is full: the nearest team with a free slot soon (issue 15), or None."""
    commune = tracker.get_slot("commune")
    if not isinstance(commune, str) or not commune_by_code(commune):
        return None
    with session_scope() as session:
        return nearest_free_slot(session, commune=commune, exclude_team=exclude_team)


def split_choice(choice: str) -> tuple[str, str | None]:
    """("<ISO start>", team id or None) from a slot_choice value."""
    start, _sep, team_id = str(choice).partition(OTHER_TEAM_SEP)
    return start, (team_id or None)


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


def working_days(today: date | None = None, count: int = DAYS_OFFERED) -> list[str]:
    """The next working days as French labels: 'lundi 8 décembre'."""
    day = today or datetime.now(PARIS).date()
    found: list[str] = []
    while len(found) < count:
        day += timedelta(days=1)
        if day.weekday() < 5 and not is_public_holiday(day):
            number = "1er" if day.day == 1 else str(day.day)
            found.append(f"{WEEKDAYS[day.weekday()]} {number} {_MONTHS[day.month - 1]}")
    return found


def preference_note(day: str | None, part: str | None) -> str | None:
    """'lundi 8 décembre, le matin' for the team; None when the resident left it open."""
    bits = [b for b in (day, part) if b and b != ANY_TIME]
    return ", ".join(bits) or None


def _typed_preference(text: str) -> str | None:
    """A moment typed in the resident's words ('mardi vers 10 h'), kept short and plain."""
    text = " ".join("".join(ch for ch in text if ch.isprintable()).split())
    return text[:PREFERENCE_MAX] or None


class ValidateBookingForm(Action):
    """Dynamic booking questions: the commune first when unknown, then slot (and for a call-back or
    "un autre moment", the day and the part of the day), name, contact, consent, and the recap."""

    def name(self) -> str:
        return "validate_booking_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        requested = tracker.get_slot("requested_slot")
        events: list[EventType] = []
        if tracker.get_slot("pending_confirmation") == followup_consent.PENDING:
            # The question after the results was left unanswered: a "oui" here answers the booking form.
            events.append(SlotSet("pending_confirmation", None))
        values: dict[str, Any] = {}
        if not requested and latest_entities(tracker).get("slot_choice") in (CALLBACK, OTHER_TIME) \
                and latest_intent(tracker)[0] == "book_appointment":
            # "Être rappelé(e)" from the handoff: the moment is chosen already.
            values["booking_slot"] = latest_entities(tracker)["slot_choice"]
            events.append(SlotSet("booking_slot", values["booking_slot"]))
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
            elif requested == "booking_confirmed" and entities.get("choice") in CHANGES:
                # "Modifier" -> what to change: clear it, the form asks it again, then the recap.
                cleared = CHANGES[entities["choice"]][1]
                events += [SlotSet(k, None) for k in cleared]
                values.update({k: None for k in cleared})
            else:
                value, error = self._read(requested, text, entities, intent, tracker)
                if value is None and error is None and intent in INTERRUPTIONS:
                    return []
                if error:
                    dispatcher.utter_message(text=error)
                    events.append(SlotSet("question_tries", float(tracker.get_slot("question_tries") or 0) + 1))
                elif value is not None:
                    if requested == "booking_slot":
                        value, other_team = split_choice(value) if value not in (CALLBACK, OTHER_TIME, KEEP) \
                            else (value, None)
                        if other_team and get_directory().teams.get(other_team) is not None:
                            # The nearest team with a free slot, offered because the usual one was full.
                            events.append(SlotSet("booking_team", other_team))
                    values[requested] = value
                    events += [SlotSet(requested, value), SlotSet("question_tries", 0)]
        slots = {k: tracker.get_slot(k) for k in ("commune", "booking_slot", "booking_time_day", "booking_time_part",
                                                  "booking_first_name", "booking_contact", "booking_consent",
                                                  "followup_consent", "booking_confirmed", "location")}
        slots.update(values)
        if values.get("booking_slot") == KEEP:
            # Moving an appointment, then "Garder mon rendez-vous": nothing changes.
            return events + [SlotSet("booking_slot", None), SlotSet("booking_confirmed", False),
                             SlotSet("requested_slot", None)]
        if requested and requested != "booking_confirmed" and values.get(requested) is not None \
                and slots.get("booking_confirmed") is not None:
            # Any change after the recap is recapped again before anything is written.
            events.append(SlotSet("booking_confirmed", None))
            slots["booking_confirmed"] = None
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
        keys = ["booking_slot"]
        if slots.get("booking_slot") in (CALLBACK, OTHER_TIME):
            keys += ["booking_time_day", "booking_time_part"]
        keys += ["booking_first_name", "booking_contact", "booking_consent"]
        if slots.get("followup_consent") is None and not tracker.get_slot("reschedule_reference") \
                and followup_consent.target(tracker) is not None:
            keys.append("followup_consent")  # once per conversation, where a message can reach the resident
        keys.append("booking_confirmed")
        for key in keys:
            if slots.get(key) is None:
                return key
        return None

    def _read(self, requested: str, text: str, entities: dict[str, Any], intent: str,
              tracker: Tracker) -> tuple[Any, str | None]:
        if requested == "booking_slot":
            choice = entities.get("slot_choice")
            team_id = tracker.get_slot("booking_team")
            offered = _offered(team_id) if team_id else []
            if choice in (CALLBACK, OTHER_TIME, KEEP):
                return choice, None
            if choice:
                start, _other = split_choice(choice)
                try:
                    datetime.fromisoformat(start)
                    return str(choice), None
                except ValueError:
                    pass
            found = _slot_choice_from_text(text, offered)
            if found:
                return found, None
            if intent in ("inform", "affirm", "deny", "nlu_fallback", "dont_know"):
                return None, "Je n'ai pas compris quel moment vous convient. Choisissez un bouton, ou écrivez « le premier »."
            return None, None
        if requested in ("booking_time_day", "booking_time_part"):
            choice = entities.get("choice")
            if isinstance(choice, str) and choice.strip():
                return _typed_preference(choice), None
            if intent in ("dont_know", "deny"):
                return ANY_TIME, None
            if intent in INTERRUPTIONS:
                return None, None
            typed = _typed_preference(text)
            if typed:
                return typed, None
            return None, "Choisissez un bouton, ou écrivez le moment qui vous arrange."
        if requested == "booking_confirmed":
            parsed = answers.parse("yes_no", text)
            if entities.get("choice") == "confirm" or intent == "affirm" or (parsed.ok and parsed.value is True):
                return True, None
            return None, None  # "Modifier", "non" or anything else: the ask shows what can change
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
        if requested == "followup_consent":
            consent = followup_consent.read_consent(intent, text)
            if consent is None and intent in INTERRUPTIONS:
                return None, None
            if consent is None:
                return None, "Répondez par oui ou par non, s'il vous plaît."
            return consent, None
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
        moving = bool(tracker.get_slot("reschedule_reference"))
        intro = ""
        if team is not None and match and match.team.id == team.id:
            intro = team_sentence(match) + "\n\n"
        elif team is not None:
            intro = f"L'équipe : {team.name}.\n\n"
        offered = _offered(team_id) if team_id else []
        buttons = [button(s.label[0].upper() + s.label[1:], "inform", slot_choice=s.start.isoformat()) for s in offered]
        buttons += [button("Un autre moment", "inform", slot_choice=OTHER_TIME),
                    button("Être rappelé(e)", "inform", slot_choice=CALLBACK)]
        if moving:
            buttons.append(button("Garder mon rendez-vous", "inform", slot_choice=KEEP))
            question_text = "Quel nouveau moment vous convient ?"
        else:
            question_text = "Quel moment vous convient ?"
        if not offered:
            offer = None if moving else _nearest_offer(tracker, team_id)
            if offer is not None:
                other, slot = offer.match.team, offer.first_slot
                where = f" ({offer.match.phrase})" if getattr(offer.match, "phrase", None) else ""
                question_text = ("Cette équipe n'a pas de créneau libre en ligne bientôt. "
                                 f"L'équipe « {other.name} »{where} peut vous recevoir {slot.label}. "
                                 "Vous pouvez aussi être rappelé(e).")
                buttons.insert(0, button(f"{slot.label[0].upper() + slot.label[1:]} avec {other.name}", "inform",
                                         slot_choice=f"{slot.start.isoformat()}{OTHER_TEAM_SEP}{other.id}"))
            else:
                question_text = "Je ne vois pas de créneau libre en ligne pour cette équipe. Voulez-vous être rappelé(e) ?"
        dispatcher.utter_message(text=intro + question_text, buttons=buttons)
        return []


class AskBookingTimeDay(Action):
    """For a call-back or "un autre moment": which day suits the resident."""

    def name(self) -> str:
        return "action_ask_booking_time_day"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        callback = tracker.get_slot("booking_slot") == CALLBACK
        question_text = ("Quel jour préférez-vous qu'on vous appelle ?" if callback else
                         "Quel jour vous arrangerait pour le rendez-vous ?")
        days = working_days()
        buttons = [button("Dès que possible", "inform", choice=ASAP)]
        buttons += [button(d[0].upper() + d[1:], "inform", choice=d) for d in days]
        buttons.append(button("Peu importe", "inform", choice=ANY_TIME))
        dispatcher.utter_message(text=question_text + " Vous pouvez aussi l'écrire.", buttons=buttons)
        return []


class AskBookingTimePart(Action):
    def name(self) -> str:
        return "action_ask_booking_time_part"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        buttons = [button(p[0].upper() + p[1:], "inform", choice=p) for p in PARTS_OF_DAY]
        buttons.append(button("Peu importe", "inform", choice=ANY_TIME))
        dispatcher.utter_message(text="Plutôt à quel moment de la journée ?", buttons=buttons)
        return []


def answered_slot(tracker: Tracker) -> str | None:
    """The slot that was asked when the resident wrote their latest message."""
    events = list(tracker.events)
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=None)
    if last_user is None:
        return None
    for event in reversed(events[:last_user]):
        if event.get("event") == "slot" and event.get("name") == "requested_slot":
            return event.get("value")
    return None


def moment_text(choice: str | None, day: str | None, part: str | None) -> str:
    if choice == CALLBACK:
        note = preference_note(day, part)
        return "L'équipe vous rappelle" + (f" : {note}" if note else ", au moment qui l'arrange")
    if choice == OTHER_TIME:
        note = preference_note(day, part)
        return "Un moment à convenir avec l'équipe" + (f" (vous préférez : {note})" if note else "")
    try:
        return f"Le {format_local(datetime.fromisoformat(str(choice)))}"
    except ValueError:
        return "À convenir"


def recap_text(tracker: Tracker) -> str:
    directory = get_directory()
    team = directory.teams.get(tracker.get_slot("booking_team") or "")
    choice = tracker.get_slot("booking_slot")
    lines = ["Je récapitule avant d'envoyer votre demande :"]
    if team is not None:
        lines.append(f"• Équipe : {team.name}")
        if choice not in (CALLBACK, OTHER_TIME) and team.places:
            place = directory.meeting_place(team)
            lines.append(f"• Lieu : {place.name}" + (f", {place.address}" if place.address else ""))
    lines.append(f"• Moment : {moment_text(choice, tracker.get_slot('booking_time_day'), tracker.get_slot('booking_time_part'))}")
    lines.append(f"• Prénom : {tracker.get_slot('booking_first_name')}")
    contact = tracker.get_slot("booking_contact")
    lines.append("• Contact : " + ("ici, sur Telegram" if contact == TELEGRAM else display_phone(contact)))
    lines.append("• Résumé de vos réponses : " + ("envoyé à l'équipe" if tracker.get_slot("booking_consent")
                                                  else "non envoyé"))
    if isinstance(tracker.get_slot("followup_consent"), bool):
        lines.append("• Message dans quelques jours pour savoir si vous avez pu faire la demande : "
                     + ("oui" if tracker.get_slot("followup_consent") else "non"))
    lines.append("Est-ce que tout est juste ?")
    return "\n".join(lines)


class AskBookingConfirmed(Action):
    """The recap before anything is written; after "Modifier", what to change."""

    def name(self) -> str:
        return "action_ask_booking_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        intent, _ = latest_intent(tracker)
        # "Modifier", or "non" typed at the recap (not the "non" that answered the consent question).
        modify = latest_entities(tracker).get("choice") == "modify" or (
            intent == "deny" and answered_slot(tracker) == "booking_confirmed")
        if modify:
            asked = isinstance(tracker.get_slot("followup_consent"), bool)
            dispatcher.utter_message(text="Que voulez-vous changer ?", buttons=[
                button(title, "inform", choice=key) for key, (title, _slots) in CHANGES.items()
                if key != "change_followup" or asked])
            return []
        dispatcher.utter_message(text=recap_text(tracker), buttons=[
            button("Confirmer", "affirm"), button("Modifier", "inform", choice="modify")])
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
    """What to bring, once each (a wider wording covers a narrower one), an ID first."""
    docs = documents_to_bring(likely)[:6]
    if not any(_plain(d).startswith("pièce d'identité") for d in docs):
        docs.insert(0, "Pièce d'identité")
    return docs


def _plain(text: str) -> str:
    return text.strip().lower().replace("’", "'")


class ActionConfirmBooking(Action):
    def name(self) -> str:
        return "action_confirm_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        team_id = tracker.get_slot("booking_team")
        choice = tracker.get_slot("booking_slot")
        contact = tracker.get_slot("booking_contact")
        consent = bool(tracker.get_slot("booking_consent"))
        follow_up = tracker.get_slot("followup_consent") is True
        moving = tracker.get_slot("reschedule_reference")
        reset = [SlotSet(k, None) for k in ("booking_slot", "booking_consent", "requested_slot", "booking_confirmed",
                                            "booking_time_day", "booking_time_part", "reschedule_reference",
                                            "booking_mode")]
        if tracker.get_slot("booking_confirmed") is not True:
            text = ("D'accord, votre rendez-vous ne change pas." if moving else
                    "D'accord, je n'envoie rien. Vous pouvez reprendre quand vous voulez.")
            dispatcher.utter_message(text=text, buttons=MENU)
            return reset
        note = preference_note(tracker.get_slot("booking_time_day"), tracker.get_slot("booking_time_part"))
        profile = profile_from_tracker(tracker)
        evaluation = evaluate(profile)
        commune = commune_by_code(profile["commune"]) if profile.get("commune") not in (None, UNKNOWN) else None
        summary = "\n".join(profile_summary(profile, commune.name if commune else None)) if consent else None
        # Result objects, not ids: the team sees names and estimated amounts (booking.labels).
        likely = list(evaluation.likely) if consent else None
        channel = channel_of(tracker)
        chat_id = telegram_chat_id(tracker) if channel == "telegram" else None
        common = dict(team_id=team_id, first_name=tracker.get_slot("booking_first_name"),
                      contact_channel="telegram" if contact == TELEGRAM else ("web" if channel == "web" else "phone"),
                      telegram_chat_id=chat_id, conversation_id=tracker.sender_id, consent_summary=consent,
                      summary=summary, likely_benefits=likely,
                      urgent_flag=consent and bool(tracker.get_slot("urgent_situations")),
                      to_check=[r for r in evaluation.unknown if r.to_check] if consent else None,
                      urgent_situations=list(tracker.get_slot("urgent_situations") or []),
                      commune=commune.insee_code if commune else None, followup_consent=follow_up)
        retry = [SlotSet("booking_slot", None), SlotSet("booking_confirmed", None), FollowupAction("booking_form")]
        try:
            if moving:
                request = _move(moving, choice, note, common)
            elif choice in (CALLBACK, OTHER_TIME):
                request = service.book_callback(kind=choice, contact_phone=contact, preferred_time_note=note,
                                                **common)
            else:
                request = service.book_slot(slot_start=datetime.fromisoformat(choice),
                                            contact_phone=None if contact == TELEGRAM else contact, **common)
        except (SlotTaken, SlotUnavailable) as exc:
            dispatcher.utter_message(text=exc.message)
            return retry
        except BookingError as exc:
            dispatcher.utter_message(text=exc.message + " Pouvez-vous réessayer ?", buttons=MENU)
            return reset
        deliver_pending_in_background()  # tell the team now; the web process retries failures
        if follow_up and not moving:
            _schedule_followup(request.id)
        record("appointment_requested", key="slot" if request.slot_start else request.kind, channel=channel,
               mode="guide" if tracker.get_slot("guide_mode") else "self", commune=profile.get("commune"))
        head = f"C'est fait : votre rendez-vous est déplacé, {request.first_name}." if moving else None
        dispatcher.utter_message(text=confirmation_text(request, evaluation.likely, head=head, channel=channel,
                                                                follow_up=follow_up and not moving),
                                 buttons=manage_buttons(request),
                                 json_message={"ics_url": ics_url(request.reference)} if request.slot_start else None)
        dispatcher.utter_message(text=summary_line(profile, request.reference))
        return reset + [SlotSet("booking_reference", request.reference)]


def _schedule_followup(request_id: int) -> None:
    """The 6- and 30-day messages of a booking whose resident said yes (once: followup.service)."""
    try:
        followup_service.schedule_for_request(request_id)
    except Exception:  # noqa: BLE001 - the booking stands; the team can follow up itself
        log.exception("booking: follow-up scheduling failed")


def _proof(request) -> str | None:  # noqa: ANN001
    """What proves the request is the resident's (checked when the move was asked)."""
    return request.telegram_chat_id or request.contact_phone


def _move(reference: str, choice: str, note: str | None, common: dict):  # noqa: ANN202
    """To another slot: one atomic update (service.reschedule). To a call-back or another time:
    the new request first, then the old one cancelled, so that the resident never has nothing."""
    old = service.find_by_reference(reference)
    if old is None:
        raise RequestNotFound("not found")
    if choice not in (CALLBACK, OTHER_TIME):
        return service.reschedule(reference, datetime.fromisoformat(choice), contact=_proof(old))
    phone = common.get("contact_phone") or old.contact_phone
    values = {**common, "team_id": old.team_id, "first_name": old.first_name}
    new = service.book_callback(kind=choice, contact_phone=phone, preferred_time_note=note, **values)
    service.cancel(reference, contact=_proof(old))
    return new


def manage_buttons(request) -> list[dict[str, str]]:  # noqa: ANN001
    if request.slot_start:
        return [button("Changer de moment", "reschedule_appointment"),
                button("Annuler ce rendez-vous", "cancel_appointment")]
    return [button("Annuler ma demande", "cancel_appointment")]


def confirmation_text(request, likely: list, head: str | None = None, channel: str = "web",  # noqa: ANN001
                      follow_up: bool = False) -> str:
    directory = get_directory()
    team = directory.teams.get(request.team_id)
    lines = [head or f"C'est noté, {request.first_name} !", f"Votre référence : {request.reference}."]
    if request.slot_start:
        place = directory.meeting_place(team) if team and team.places else None
        where = f", {place.label}" if place else ""
        if place and place.address:
            where += f" ({place.address})"
        lines.append(f"Rendez-vous le {format_local(request.slot_start)}{where}, avec {team.name if team else 'l’équipe'}.")
    else:
        when = f" ({request.preferred_time_note})" if request.preferred_time_note else ""
        lines.append(f"{team.name if team else 'L’équipe'} va vous rappeler au {display_phone(request.contact_phone)}"
                     f"{when}.")
    docs = _documents(likely)
    lines.append("À apporter : " + ", ".join(d[0].lower() + d[1:].rstrip(".") for d in docs) + ".")
    if request.slot_start:
        reminder = "il vous le rappellera la veille" if channel != "telegram" else \
            "je vous enverrai aussi un rappel ici la veille"
        lines.append(f"Ajoutez-le à votre agenda ({reminder}) : {ics_url(request.reference)}")
    if team is not None and team.phone:
        lines.append(f"Téléphone de l'équipe : {team.phone}")
    if follow_up:
        where = "ici" if channel == "telegram" else "sur cette page, quand vous reviendrez"
        lines.append(f"Dans 6 jours environ, je vous demanderai {where} si vous avez pu faire la demande.")
    lines.append("Pour annuler ou changer, utilisez les boutons ci-dessous, ou donnez votre référence.")
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
        cancelling = latest_intent_name_in_history(tracker) != "reschedule_appointment"
        if requested == "cancel_confirmed":
            parsed = answers.parse("yes_no", latest_text(tracker))
            if intent == "affirm" or (parsed.ok and parsed.value is True):
                return events + [SlotSet("cancel_confirmed", True), SlotSet("requested_slot", None)]
            if intent == "deny" or (parsed.ok and parsed.value is False):
                return events + [SlotSet("cancel_confirmed", False), SlotSet("requested_slot", None)]
            dispatcher.utter_message(text="Répondez par oui ou par non, s'il vous plaît.")
            return events + [SlotSet("requested_slot", "cancel_confirmed")]
        if requested == "cancel_contact":
            try:
                phone = normalize_phone(latest_text(tracker))
            except InvalidInput as exc:
                dispatcher.utter_message(text=exc.message)
                return []
            events.append(SlotSet("cancel_contact", phone))
            request = service.find_by_reference(reference)
            # A wrong number goes straight to "je ne trouve pas": nothing about the appointment is shown.
            proven = request is not None and _is_theirs(request, phone)
            return events + [SlotSet("requested_slot", "cancel_confirmed" if cancelling and proven else None)]
        if not reference:
            return events + [SlotSet("requested_slot", "reference_to_cancel")]
        request = service.find_by_reference(reference)
        own = request is not None and request.conversation_id == tracker.sender_id
        if request is None:
            return events + [SlotSet("requested_slot", None)]
        if own:
            return events + [SlotSet("requested_slot", "cancel_confirmed" if cancelling else None)]
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


class AskCancelConfirmed(Action):
    def name(self) -> str:
        return "action_ask_cancel_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        request = service.find_by_reference(tracker.get_slot("reference_to_cancel"))
        when = f" du {format_local(request.slot_start)}" if request is not None and request.slot_start else ""
        reference = request.reference if request is not None else tracker.get_slot("reference_to_cancel")
        dispatcher.utter_message(text=f"Voulez-vous vraiment annuler le rendez-vous {reference}{when} ?",
                                 buttons=[button("Oui, annuler", "affirm"), button("Non, le garder", "deny")])
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
    """Cancels the request (this conversation's, or proven by the phone number given at booking),
    after a yes; to move it, the booking form asks a new moment and the move is one atomic update
    (booking.service.reschedule): the old slot is kept until the new one is booked."""

    def name(self) -> str:
        return "action_cancel_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        reference = tracker.get_slot("reference_to_cancel")
        request = service.find_by_reference(reference)
        # booking_mode is cleared too: a move left half-way must not make this answer open the form.
        reset = [SlotSet("reference_to_cancel", None), SlotSet("cancel_contact", None),
                 SlotSet("cancel_confirmed", None), SlotSet("booking_mode", None)]
        if request is not None and request.conversation_id == tracker.sender_id:
            contact = request.telegram_chat_id or request.contact_phone
        else:
            contact = tracker.get_slot("cancel_contact")
        moving = latest_intent_name_in_history(tracker) == "reschedule_appointment"
        if not moving and tracker.get_slot("cancel_confirmed") is False:
            dispatcher.utter_message(text="D'accord, je garde votre rendez-vous.", buttons=MENU)
            return reset
        try:
            if request is None or not contact or not _is_theirs(request, contact):
                raise RequestNotFound("not found")
            if moving:
                if request.status not in service.OPEN_STATUSES:
                    raise RequestClosed("Ce rendez-vous est déjà annulé ou terminé. Vous pouvez en demander un nouveau.")
                dispatcher.utter_message(text=f"Choisissons un autre moment pour le rendez-vous {request.reference}. "
                                              "L'ancien reste réservé tant que le nouveau n'est pas confirmé.")
                return reset + [SlotSet("booking_team", request.team_id), SlotSet("booking_slot", None),
                                SlotSet("reschedule_reference", request.reference),
                                SlotSet("booking_first_name", request.first_name),
                                SlotSet("booking_contact", TELEGRAM if request.contact_channel == "telegram"
                                        and not request.contact_phone else request.contact_phone),
                                SlotSet("booking_consent", request.consent_summary),
                                SlotSet("booking_confirmed", None), SlotSet("booking_mode", "reschedule"),
                                FollowupAction("booking_form")]
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
        dispatcher.utter_message(text=f"C'est fait : le rendez-vous {reference} est annulé. "
                                      "Vous pouvez en prendre un autre quand vous voulez.",
                                 buttons=[button("Prendre un autre rendez-vous", "book_appointment")])
        return reset + [SlotSet("booking_reference", None)]


def _is_theirs(request, contact) -> bool:  # noqa: ANN001
    """The same proof as booking.service: the Telegram chat or the phone number given at booking."""
    if request.telegram_chat_id and str(contact) == request.telegram_chat_id:
        return True
    try:
        return request.contact_phone is not None and normalize_phone(str(contact)) == request.contact_phone
    except InvalidInput:
        return False


def latest_intent_name_in_history(tracker: Tracker) -> str | None:
    """The intent that opened the cancel form (cancel or reschedule)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            name = (event.get("parse_data") or {}).get("intent", {}).get("name")
            if name in ("cancel_appointment", "reschedule_appointment"):
                return name
    return None
