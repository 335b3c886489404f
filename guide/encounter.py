"""One encounter in guide mode, over the questionnaire service (the chatbot's): which question
comes next, reading an answer (a button or what the volunteer typed), corrections, "Question
précédente", the recap. Only the volunteer's wording is the guide's own.

The volunteer sees the person and always has "Passer la question": unlike the chat, a question is
not skipped for them after two misunderstandings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import questionnaire as service
from benefits.schema import Question
from guide.state import Encounter
from guide.wording import guide_questions
from questionnaire import consistency
from questionnaire.display import display_value as plain_value
from questionnaire.service import read_text, read_values

UNKNOWN = service.UNKNOWN
NOT_UNDERSTOOD = "Je n'ai pas compris cette réponse."
EMPTY_ANSWER = "Choisissez une réponse, ou notez ce que la personne a dit, s'il vous plaît."
UNKNOWN_NOT_ACCEPTED = ("Même une estimation aide beaucoup. Si la personne ne sait vraiment pas, "
                        "appuyez sur « Passer la question ».")
BAD_BUTTON = "Cette réponse n'est pas prévue pour cette question. Choisissez un des boutons, s'il vous plaît."
TOO_LONG = "Cette réponse est trop longue. Notez seulement l'essentiel, s'il vous plaît."
MAX_TEXT = service.service.MAX_TEXT

question_by_id = service.question_by_id
can_ask = service.can_ask
visible_buttons = service.visible_buttons   # "Veuf ou veuve" only to a person who lives alone
why = service.why


@dataclass
class Outcome:
    """What the volunteer's answer says: `updates` for the profile, or a polite `error`."""

    ok: bool
    updates: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    candidates: list[tuple[str, str]] = field(default_factory=list)   # (INSEE code, name)


def answered_count(profile: dict[str, Any]) -> int:
    """Answers given, counted like the chatbot (a "je ne sais pas" counts)."""
    return service.State(profile=dict(profile)).answered()


def more_questions(profile: dict[str, Any]) -> bool:
    return service.more_questions(service.State(profile=dict(profile)))


def current_question(encounter: Encounter) -> Question | None:
    """The next question to ask, or None when it is time for the results."""
    state = encounter.to_state()
    question = service.current_question(state)
    encounter.modifying = state.modifying
    return question


def progress(encounter: Encounter) -> str:
    return service.progress(encounter.to_state())


def read_answer(question: Question, profile: dict[str, Any], *, buttons: list[str] | None = None,
                text: str = "", unknown: bool = False) -> Outcome:
    """Read the volunteer's answer: "je ne sais pas"/"passer", button value(s), else free text."""
    if unknown:
        return Outcome(True, {question.id: UNKNOWN})
    values = [v.strip() for v in (buttons or []) if v and v.strip()]
    if values:
        reading = read_values(question, values, profile)
        return Outcome(True, reading.updates) if reading.ok else Outcome(False, error=BAD_BUTTON)
    text = (text or "").strip()
    if not text:
        return Outcome(False, error=EMPTY_ANSWER)
    if len(text) > MAX_TEXT:
        return Outcome(False, error=TOO_LONG)
    reading = read_text(question, text, profile)
    if reading.ok:
        return Outcome(True, reading.updates)
    if reading.unknown_refused:
        return Outcome(False, error=UNKNOWN_NOT_ACCEPTED)
    if reading.candidates:
        return Outcome(False, error="Plusieurs communes correspondent. Choisissez la bonne, s'il vous plaît.",
                       candidates=reading.candidates)
    return Outcome(False, error=f"{NOT_UNDERSTOOD} {reading.hint}".strip())


def apply_answer(encounter: Encounter, question_id: str, updates: dict[str, Any]) -> None:
    """Store the answer with the service's consistency rules (the same as in the chat)."""
    state = encounter.to_state()
    consistency.apply(state, question_id, updates)
    if state.modifying == question_id and question_id in updates:
        state.modifying = None
    encounter.update_from(state)


def go_back(encounter: Encounter) -> bool:
    """ "Question précédente": undo the latest answer, to ask it again. False: nothing to undo."""
    state = encounter.to_state()
    step = service.service.back(state)
    encounter.update_from(state)
    return bool(step.updates) or state.modifying is not None


# --- showing answers --------------------------------------------------------------------------


def button_title(question: Question, value: Any) -> str:
    """The title shown to the volunteer for a button value (shorter wording when the data has one)."""
    entry = guide_questions().get(question.id)
    if entry and str(value) in entry.buttons:
        return entry.buttons[str(value)]
    button = question.button_for(value)
    return button.title if button else str(value)


def display_value(question: Question, value: Any) -> str:
    """An answer in plain words for the volunteer's list of answers."""
    return plain_value(question, value, button_title)


@dataclass(frozen=True)
class RecapLine:
    question_id: str
    label: str
    value: str


def recap(encounter: Encounter) -> list[RecapLine]:
    """The answers given so far, in the order they were given (the volunteer's short labels)."""
    wording = guide_questions()
    return [RecapLine(line.question_id, wording[line.question_id].label if line.question_id in wording else line.label,
                      line.value)
            for line in service.recap(encounter.to_state(), button_title)]
