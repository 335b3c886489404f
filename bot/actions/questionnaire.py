"""The questionnaire form, a thin adapter over the `questionnaire` service: a Rasa message becomes
a `questionnaire.Message`, a `questionnaire.Prompt` becomes a chat message with buttons. The state
lives in slots (the profile in one slot per question, the rest in the `questionnaire` slot)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

import questionnaire as service
from benefits import evaluate
from bot.actions.buttons import PRIVACY, button
from bot.actions.tracker_profile import (
    answers_this_message,
    channel_of,
    latest_entities,
    latest_intent,
    latest_situations,
    latest_text,
    profile_from_tracker,
    question,
    state_events,
    state_from_tracker,
)
from calculator import client as calculator
from guide.wording import guide_questions
from stats.record import record, record_results
from urgent.policy import already_helped

log = logging.getLogger(__name__)

# Intents that step out of the questionnaire when the message is not an answer; rules then
# take over (urgent situations too, unless already handled: see _urgent_is_answer).
INTERRUPTIONS = {
    "goodbye", "start_over", "talk_to_person", "bot_challenge", "what_can_you_do", "privacy",
    "delete_data", "book_appointment", "cancel_appointment", "reschedule_appointment", "why_not",
}
INTERRUPTION_CONFIDENCE = 0.6
CLEAR_INTERRUPTION = 0.85
# Intents that are commands to the questionnaire itself (buttons and typed text).
COMMAND_INTENTS = {"go_back": "back", "why_question": "why", "modify_answer": "modify"}
MAX_BUTTONS = 8
FIRST_RESULTS_AFTER = service.FIRST_RESULTS_AFTER
START = ("D'accord, je vais vous poser quelques questions, une à la fois. Vous pouvez répondre "
         "« je ne sais pas » quand vous n'êtes pas sûr(e).")
GUIDE_INTRO = ("Mode accompagnant : je vous souffle les questions à poser à la personne, une à la fois. "
               "Vous pouvez corriger une réponse à tout moment en l'écrivant, par exemple « en fait elle a 3 enfants ».")
INTERRUPT = object()   # the message is not for the questionnaire: reject, a rule answers


def on_profile_changed(profile: dict[str, Any]) -> None:
    """Called once after every change of the profile: OpenFisca starts computing in the
    background as soon as the answers that matter are known, so that the results screen finds
    its verdicts in the calculator's cache (answers that do not change the situation cost nothing)."""
    calculator.prefetch(profile)


def _is_payload(text: str) -> bool:
    return text.startswith("/")


def _urgent_is_answer(tracker: Tracker, q, profile: dict[str, Any]) -> bool:  # noqa: ANN001
    """An alarm must not block the questionnaire: when help for every situation of the message was
    already given in this conversation and the text answers the question, it is an answer."""
    helped = already_helped(latest_situations(tracker), tracker.get_slot("urgent_situations"))
    return helped and service.is_answer(q, latest_text(tracker), profile)


def to_message(tracker: Tracker, q, profile: dict[str, Any]):  # noqa: ANN001, ANN201
    """The latest Rasa message as a questionnaire Message, or INTERRUPT."""
    intent, confidence = latest_intent(tracker)
    text = latest_text(tracker)
    entities = latest_entities(tracker)
    if intent == "urgent_situation":
        return service.Message(text=text) if q is not None and _urgent_is_answer(tracker, q, profile) else INTERRUPT
    if entities.get("q_action"):
        return service.Message(command=str(entities["q_action"]), target=entities.get("question"))
    if intent in COMMAND_INTENTS and (_is_payload(text) or q is None or not service.corrections(text) and (
            confidence >= CLEAR_INTERRUPTION or not service.is_answer(q, text, profile))):
        # A typed correction ("je me suis trompée, je suis propriétaire") stays a correction.
        command = COMMAND_INTENTS[intent]
        if command == "modify" and not entities.get("question"):
            command = "recap"
        return service.Message(command=command, target=entities.get("question"))
    if q is None:
        return None
    if "answer" in entities or q.id in entities:
        named = entities.get("question") or q.id
        value = entities["answer"] if "answer" in entities else entities[q.id]
        values = value if isinstance(value, list) else [value]
        toggle = q.type == "multi_choice" and not isinstance(value, list)
        if named != q.id:
            return ("stale", named, values)
        return service.Message(values=values, toggle=toggle)
    if intent == "skip_question":
        return service.Message(command="skip")
    if intent == "dont_know" and _is_payload(text):
        return service.Message(command="unknown")
    if intent in INTERRUPTIONS and confidence >= CLEAR_INTERRUPTION:
        return INTERRUPT  # "vous êtes un robot ?" must not be read as "1 an"
    if intent in INTERRUPTIONS and confidence >= INTERRUPTION_CONFIDENCE \
            and not service.is_answer(q, text, profile) and not service.corrections(text):
        return INTERRUPT
    return service.Message(text=text)


@dataclass
class Answer:
    """What the latest message says about one question, for other forms (booking asks the commune)."""

    status: str  # "ok", "failed", "candidates", "interrupt"
    updates: dict[str, Any] = field(default_factory=dict)
    hint: str | None = None
    candidates: list[dict[str, str]] | None = None


def read_answer(q, tracker: Tracker) -> Answer:  # noqa: ANN001
    """The latest message read by the questionnaire service as an answer to `q`."""
    profile = profile_from_tracker(tracker)
    message = to_message(tracker, q, profile)
    if message is INTERRUPT:
        return Answer("interrupt")
    if not isinstance(message, service.Message):
        return Answer("failed", hint=service.service.NOT_UNDERSTOOD)
    state = service.State(profile=dict(profile), asked=q.id, streak=1,
                          tries=int(tracker.get_slot("question_tries") or 0))
    step = service.handle(state, message, q)
    if step.kind in ("answered", "corrected", "skipped"):
        return Answer("ok", {k: state.profile.get(k) for k in set(profile) | set(state.profile)
                             if profile.get(k) != state.profile.get(k)})
    if step.candidates:
        return Answer("candidates", candidates=[{"code": c, "name": n} for c, n in step.candidates])
    return Answer("failed", hint=state.note or service.service.NOT_UNDERSTOOD)


def answer_events(q, answer: Answer, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:  # noqa: ANN001
    """Slot events for an answer; a failed one says why and counts the try."""
    if answer.status == "failed":
        dispatcher.utter_message(text=answer.hint)
        return [SlotSet("question_tries", float(tracker.get_slot("question_tries") or 0) + 1)]
    if answer.status == "candidates":
        return [SlotSet("commune_candidates", answer.candidates)]
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
        state = state_from_tracker(tracker)
        before = dict(state.profile)
        events: list[EventType] = []
        guide = bool(tracker.get_slot("guide_mode"))
        if not requested and latest_entities(tracker).get("choice") == "guide":
            guide = True
            events.append(SlotSet("guide_mode", True))
        if not requested and not state.profile:
            record("conversation_started", channel=channel_of(tracker), mode="guide" if guide else "self")
        active = (tracker.active_loop or {}).get("name") == "profile_form"
        fresh = answers_this_message(tracker)
        q = question(requested) if requested and fresh and active else None
        if fresh and active:
            message = to_message(tracker, q, state.profile)
        elif fresh:
            # The form was just started by the resident's message: only a command counts
            # ("Question précédente" after the results), never an answer to a stale question.
            message = to_message(tracker, None, state.profile)
        else:
            message = None
        if message is INTERRUPT:
            if active:
                return []  # rejected: a rule takes over
            message = None   # the form is being opened: ask its question (there is no other ask)
        if isinstance(message, tuple):   # a button of an earlier message: change that answer
            _, named, values = message
            earlier = service.question_by_id(named)
            if earlier is not None and named in state.profile and earlier.type != "multi_choice":
                service.handle(state, service.Message(values=values), earlier)
            state.asked = requested
        elif message is not None:
            step = service.handle(state, message, q)
            if step.candidates:
                events.append(SlotSet("commune_candidates", [{"code": c, "name": n} for c, n in step.candidates]))
            elif q is not None and q.id in state.profile:
                events.append(SlotSet("commune_candidates", None))
        if state.profile != before:
            on_profile_changed(dict(state.profile))
        stats = {"channel": channel_of(tracker), "mode": "guide" if guide else "self",
                 "commune": state.profile.get("commune")}
        if state.mode == "recap":
            # The recap, shown here; the form needs a requested slot to stay open.
            ask(dispatcher, state, guide=guide)
            return events + state_events(state, before) + [SlotSet("requested_slot", requested or state.order[0])]
        nxt = service.current_question(state)
        if nxt is None:
            # Results now: all is known, or enough for a first screen (then offer to refine).
            if not tracker.get_slot("profile_complete"):
                record("conversation_finished", **stats)
                record_results(evaluate(state.profile).likely, **stats)
            events += state_events(state, before)
            events += [SlotSet("requested_slot", None), SlotSet("profile_complete", True),
                       SlotSet("more_questions", service.more_questions(state))]
            return events
        if nxt.id != requested:
            record("question_asked", key=nxt.id, **stats)
        # The question is asked here, in the same action-server call: the domain has no
        # action_ask_<question>, so Rasa's form asks nothing more (one round trip per turn).
        candidates = next((e["value"] for e in events if e.get("name") == "commune_candidates"),
                          tracker.get_slot("commune_candidates")) if nxt.id == "commune" else None
        ask(dispatcher, state, guide=guide, candidates=candidates)
        return events + state_events(state, before) + [SlotSet("requested_slot", nxt.id)]


def _choice_button(q, choice: service.Choice) -> dict[str, str]:  # noqa: ANN001
    title = f"✓ {choice.title}" if choice.ticked else choice.title
    return button(title, "inform", question=q.id, answer=choice.value)


def render(prompt: service.Prompt, *, guide: bool = False, first: bool = False,
           candidates: list[dict[str, str]] | None = None) -> tuple[str, list[dict[str, str]]]:
    """A prompt as one chat message: text and at most MAX_BUTTONS buttons (a question's own
    choices are never cut)."""
    if prompt.kind == "recap":
        lines = [f"• {line.label} : {line.value}" for line in prompt.recap]
        text = "\n".join(filter(None, [prompt.note, "Voici vos réponses :", *lines, "Laquelle voulez-vous changer ?"]))
        buttons = [button(line.label, "modify_answer", question=line.question_id)
                   for line in prompt.recap[-(MAX_BUTTONS - 1):]]
        return text, buttons + [button("C'est bon, continuer", "inform", q_action="continue")]
    q = prompt.question
    asked = q.text
    if guide:
        # Guide mode: the assistant speaks to the volunteer, with a tip for delicate questions.
        wording = guide_questions().get(q.id)
        if wording:
            asked = wording.ask + (f"\nConseil : {wording.tip}" if wording.tip else "")
    if prompt.current:
        asked += f"\n(Réponse actuelle : {prompt.current})"
    buttons = [_choice_button(q, c) for c in prompt.choices]
    if candidates:
        asked = "Plusieurs communes correspondent. Laquelle est la vôtre ?"
        buttons = [button(c["name"], "inform", question=q.id, answer=c["code"]) for c in candidates][:MAX_BUTTONS - 1]
    elif prompt.multi:
        buttons.append(button("C'est tout", "inform", q_action="done"))
    extras = []
    if prompt.allow_unknown:
        extras.append(button("Je ne sais pas", "dont_know"))
    if prompt.allow_skip:
        extras.append(button("Passer cette question", "skip_question"))
    if prompt.offer_person:
        extras.append(button("Parler à quelqu'un", "talk_to_person"))
    if prompt.allow_back:
        extras.append(button("Question précédente", "go_back"))
    extras.append(button("Pourquoi cette question ?", "why_question"))
    if first:
        extras.append(PRIVACY)
    for extra in extras:
        if len(buttons) < MAX_BUTTONS or extra["payload"] in ("/skip_question", "/dont_know"):
            buttons.append(extra)
    text = "\n".join(filter(None, [prompt.note, prompt.progress, asked]))
    return text, buttons


def ask(dispatcher: CollectingDispatcher, state: service.State, *, guide: bool = False,
        candidates: list[dict[str, str]] | None = None, question_id: str | None = None) -> bool:
    """Shows what the questionnaire asks now (a question or the recap) as one chat message; the
    state is updated (how often the question was shown, its note): store it after this call.
    `question_id` shows that question now ("Modifier une réponse"). False when it is results time."""
    if question_id and state.mode is None:
        current = service.current_question(state)
        if current is None or current.id != question_id:
            state.modifying = question_id
    prompt = service.present(state)
    if prompt is None:
        return False
    first = prompt.kind == "question" and not state.profile and state.streak == 1 and not state.history
    if first:   # the introduction travels with the first question: one message, not two
        prompt.note = "\n".join(filter(None, [GUIDE_INTRO if guide else START, prompt.note]))
    text, buttons = render(prompt, guide=guide, first=first, candidates=candidates)
    dispatcher.utter_message(text=text, buttons=buttons or None)
    return True


__all__ = ["Answer", "ValidateProfileForm", "answer_events", "ask", "on_profile_changed",
           "profile_from_tracker", "question", "read_answer", "render"]
