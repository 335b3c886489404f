"""The questionnaire form: the benefits engine chooses each question, answers are parsed here."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

import answers
from benefits import evaluate, load_questions, next_question
from bot.actions.buttons import PRIVACY, button
from bot.actions.tracker_profile import (
    UNKNOWN,
    channel_of,
    latest_entities,
    latest_intent,
    latest_text,
    profile_from_tracker,
    question,
    question_ids,
)
from guide.wording import guide_questions
from stats.record import record, record_results
from territory.communes import commune_by_code

log = logging.getLogger(__name__)

# Intents that step out of the questionnaire when the message is not an answer; rules then
# take over (urgent situations always do).
INTERRUPTIONS = {
    "goodbye", "start_over", "talk_to_person", "bot_challenge", "what_can_you_do", "privacy",
    "delete_data", "book_appointment", "cancel_appointment", "reschedule_appointment", "why_not",
}
INTERRUPTION_CONFIDENCE = 0.6
CLEAR_INTERRUPTION = 0.85
MAX_TRIES = 2
UNKNOWN_NOT_ACCEPTED = "Même une réponse approximative m'aide beaucoup. Vous pouvez aussi passer la question."


SYNONYM_TABLES = {"housing", "work", "household", "income_kinds", "disability"}


def _options(q, tracker: Tracker | None = None) -> Any:  # noqa: ANN001
    """What answers.parse needs to read this question: a synonyms table, the button titles,
    or the number of children for their ages."""
    if q.type in ("choice", "multi_choice"):
        if q.id in SYNONYM_TABLES:
            return q.id
        return {str(b.value): [b.title] for b in (q.buttons or [])}
    if q.type == "ages_list" and tracker is not None:
        count = tracker.get_slot("children_count")
        return {"count": int(count)} if isinstance(count, (int, float)) else None
    return None


def _entity_answer(q, entities: dict[str, Any]) -> tuple[bool, Any]:  # noqa: ANN001
    """A value sent by a button (`/inform{"housing":"tenant"}`), checked against the question."""
    if q.id not in entities:
        return False, None
    value = entities[q.id]
    if value == UNKNOWN:
        return True, UNKNOWN
    if q.type == "commune":
        return (True, str(value)) if commune_by_code(str(value)) else (False, None)
    if q.type in ("choice", "multi_choice") and q.buttons:
        allowed = {str(b.value) for b in q.buttons}
        values = value if isinstance(value, list) else [value]
        if not all(str(v) in allowed for v in values):
            return False, None
        return True, [str(v) for v in values] if q.type == "multi_choice" else str(values[0])
    # Numbers from buttons ("3 ou plus" sends 3) go through the same parser as typed text.
    result = answers.parse(q.type, str(value), _options(q))
    return (True, result.value) if result.ok and not result.is_unknown else (False, None)


def _parse(q, text: str, tracker: Tracker):  # noqa: ANN001, ANN202
    return answers.parse(q.type, text, _options(q, tracker))


def _corrections(text: str, skip: str | None) -> dict[str, Any]:
    """Earlier answers corrected in passing ("en fait j'ai 3 enfants")."""
    known = set(question_ids())
    return {k: v for k, v in answers.detect_corrections(text).items() if k in known and k != skip}


@dataclass
class Answer:
    """What the latest message says about one question."""

    status: str  # "ok", "failed", "candidates", "interrupt"
    updates: dict[str, Any] = field(default_factory=dict)
    hint: str | None = None
    candidates: list[dict[str, str]] | None = None


def read_answer(q, tracker: Tracker) -> Answer:  # noqa: ANN001
    """Parse the latest message as an answer to `q` (button value, free text, "je ne sais pas",
    skip, or a correction of an earlier answer)."""
    intent, confidence = latest_intent(tracker)
    if intent == "urgent_situation":
        return Answer("interrupt")  # the urgent-situation rule answers first
    text = latest_text(tracker)
    found, value = _entity_answer(q, latest_entities(tracker))
    if found:
        return Answer("ok", {q.id: value})
    if intent == "skip_question":
        return Answer("ok", {q.id: UNKNOWN})
    if intent in INTERRUPTIONS and confidence >= CLEAR_INTERRUPTION:
        # "vous êtes un robot ?" must not be read as "1 an".
        return Answer("interrupt")
    result = _parse(q, text, tracker)
    if result.ok and result.is_unknown:
        if q.accepts_unknown or _tries(tracker) >= MAX_TRIES:
            return Answer("ok", {q.id: UNKNOWN})
        return Answer("failed", hint=UNKNOWN_NOT_ACCEPTED)
    if result.ok:
        known = set(question_ids())
        updates = {q.id: result.value, **{k: v for k, v in (result.extras or {}).items() if k in known}}
        updates.update(_corrections(text, q.id))
        return Answer("ok", updates)
    corrections = _corrections(text, q.id)
    if corrections:
        return Answer("ok", corrections)
    if result.candidates and q.type == "commune":
        return Answer("candidates", candidates=[{"code": v, "name": label} for v, label in result.candidates])
    if intent in INTERRUPTIONS and confidence >= INTERRUPTION_CONFIDENCE:
        return Answer("interrupt")  # not an answer: let the rules handle the interruption
    return Answer("failed", hint=result.hint or "Je n'ai pas bien compris votre réponse.")


def answer_events(q, answer: Answer, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:  # noqa: ANN001
    """Slot events for an answer; a failed one says why and counts the try."""
    if answer.status == "failed":
        dispatcher.utter_message(text=answer.hint)
        return [SlotSet("question_tries", _tries(tracker) + 1)]
    if answer.status == "candidates":
        return [SlotSet("commune_candidates", answer.candidates), SlotSet("question_tries", _tries(tracker))]
    events: list[EventType] = [SlotSet(k, v) for k, v in answer.updates.items()]
    if q.id in answer.updates:
        events += [SlotSet("question_tries", 0), SlotSet("commune_candidates", None)]
    return events


class ValidateProfileForm(Action):
    def name(self) -> str:
        return "validate_profile_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        requested = tracker.get_slot("requested_slot")
        profile = profile_from_tracker(tracker)
        events: list[EventType] = []
        guide = bool(tracker.get_slot("guide_mode"))
        if not requested and latest_entities(tracker).get("choice") == "guide":
            guide = True
            events.append(SlotSet("guide_mode", True))
            dispatcher.utter_message(text=GUIDE_INTRO)
        if not requested and not profile:
            record("conversation_started", channel=channel_of(tracker), mode="guide" if guide else "self")
        if requested:
            answer = read_answer(question(requested), tracker)
            if answer.status == "interrupt":
                return []  # rejected: a rule takes over
            events = answer_events(question(requested), answer, dispatcher, tracker)
            if answer.status == "candidates":
                return events
            profile.update(answer.updates)
        nxt = next_question(profile)
        answered = sum(1 for qid in question_ids() if profile.get(qid) is not None)
        stats = {"channel": channel_of(tracker), "mode": "guide" if guide else "self",
                 "commune": profile.get("commune")}
        if nxt is None or answered >= _budget(tracker):
            # Results now: all is known, or enough for a first screen (then offer to refine).
            if not tracker.get_slot("profile_complete"):
                record("conversation_finished", **stats)
                record_results(evaluate(profile).likely, **stats)
            events += [SlotSet("requested_slot", None), SlotSet("profile_complete", True),
                       SlotSet("more_questions", nxt is not None)]
            return events
        if nxt.id != requested:
            record("question_asked", key=nxt.id, **stats)
        events.append(SlotSet("requested_slot", nxt.id))
        return events


FIRST_RESULTS_AFTER = 8  # answers before a first results screen
GUIDE_INTRO = ("Mode accompagnant : je vous souffle les questions à poser à la personne, une à la fois. "
               "Vous pouvez corriger une réponse à tout moment en l'écrivant, par exemple « en fait elle a 3 enfants ».")


def _budget(tracker: Tracker) -> int:
    return int(tracker.get_slot("question_budget") or FIRST_RESULTS_AFTER)


def _tries(tracker: Tracker) -> int:
    return int(tracker.get_slot("question_tries") or 0)


class AskQuestion(Action):
    """Asks one question of benefits/questions.yml, with its buttons."""

    question_id = ""

    def name(self) -> str:
        return f"action_ask_{self.question_id}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        q = question(self.question_id)
        tries = _tries(tracker)
        buttons = [button(b.title, "inform", **{q.id: b.value}) for b in (q.buttons or [])]
        candidates = tracker.get_slot("commune_candidates") if q.type == "commune" else None
        text = q.text
        if tracker.get_slot("guide_mode"):
            # Guide mode: the assistant speaks to the volunteer, with a tip for delicate questions.
            wording = guide_questions().get(q.id)
            if wording:
                text = wording.ask + (f"\nConseil : {wording.tip}" if wording.tip else "")
        if candidates:
            text = "Plusieurs communes correspondent. Laquelle est la vôtre ?"
            buttons = [button(c["name"], "inform", commune=c["code"]) for c in candidates][:8]
        if q.accepts_unknown:
            buttons.append(button("Je ne sais pas", "dont_know"))
        if tries >= MAX_TRIES:
            buttons.append(button("Passer cette question", "skip_question"))
        if tries == 0 and not candidates and q.id == _first_question_id():
            buttons.append(PRIVACY)
        dispatcher.utter_message(text=text, buttons=buttons or None)
        return []


def _first_question_id() -> str:
    return load_questions()[0].id


def _ask_action(question_id: str) -> type[AskQuestion]:
    return type(f"AskQuestion_{question_id}", (AskQuestion,), {"question_id": question_id})


# One ask action per question of the catalogue (the domain declares the same names).
ASK_ACTIONS = [_ask_action(q.id) for q in load_questions()]
