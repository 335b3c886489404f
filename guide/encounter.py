"""One encounter in guide mode: which question comes next, reading an answer (a button or what
the volunteer typed, parsed by `answers.parse` like the chatbot does), corrections, the recap.

The question order is the engine's (`benefits.next_question`), the same as in the chatbot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import answers
from answers.choices import resolve_table
from benefits import load_catalogue, next_question
from benefits.explain import join_fr, money
from benefits.schema import Question
from guide.state import Encounter
from guide.wording import guide_questions
from territory import commune_by_code

UNKNOWN = answers.UNKNOWN
NOT_UNDERSTOOD = "Je n'ai pas compris cette réponse."
EMPTY_ANSWER = "Choisissez une réponse, ou notez ce que la personne a dit, s'il vous plaît."
UNKNOWN_NOT_ACCEPTED = ("Même une estimation aide beaucoup. Si la personne ne sait vraiment pas, "
                        "appuyez sur « Passer la question ».")
BAD_BUTTON = "Cette réponse n'est pas prévue pour cette question. Choisissez un des boutons, s'il vous plaît."
MAX_TEXT = 300   # a longer text is not an answer to one question


@dataclass
class Outcome:
    """What the volunteer's answer says: `updates` for the profile, or a polite `error`."""

    ok: bool
    updates: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    candidates: list[tuple[str, str]] = field(default_factory=list)   # (INSEE code, name)


def question_by_id(question_id: str | None) -> Question | None:
    compiled = load_catalogue().questions_by_id.get(question_id or "")
    return compiled.question if compiled else None


def answered_count(profile: dict[str, Any]) -> int:
    """Answers given, counted like the chatbot (a "je ne sais pas" counts)."""
    return sum(1 for q in load_catalogue().questions if profile.get(q.id) is not None)


def more_questions(profile: dict[str, Any]) -> bool:
    return next_question(profile) is not None


def current_question(encounter: Encounter) -> Question | None:
    """The next question to ask, or None when it is time for the results."""
    if answered_count(encounter.profile) >= encounter.budget:
        return None
    return next_question(encounter.profile)


def can_ask(question: Question, profile: dict[str, Any]) -> bool:
    """False when the question makes no sense for this person (rent of an owner)."""
    catalogue = load_catalogue()
    compiled = catalogue.questions_by_id[question.id]
    if compiled.asked_when is None:
        return True
    return compiled.asked_when.eval(catalogue.facts.build(profile)) is not False


def parser_options(question: Question, profile: dict[str, Any]) -> Any:
    """What answers.parse needs for this question, as the chatbot gives it: the synonyms table of
    answers/data/synonyms.yml when there is one, else the button titles; the number of children."""
    if question.type in ("choice", "multi_choice"):
        if resolve_table(question.id) is not None:
            return question.id
        return {str(b.value): [b.title] for b in question.buttons}
    if question.type == "ages_list":
        count = profile.get("children_count")
        return {"count": int(count)} if isinstance(count, int | float) and not isinstance(count, bool) else None
    return None


def _known_extras(extras: dict[str, Any]) -> dict[str, Any]:
    known = load_catalogue().questions_by_id
    return {k: v for k, v in (extras or {}).items() if k in known}


def _from_buttons(question: Question, values: list[str], profile: dict[str, Any]) -> Outcome:
    if question.type == "commune":
        found = commune_by_code(values[0])
        return Outcome(True, {question.id: found.insee_code}) if found else Outcome(False, error=BAD_BUTTON)
    if question.type in ("choice", "multi_choice"):
        allowed = {str(b.value): b.value for b in question.buttons}
        if not all(v in allowed for v in values):
            return Outcome(False, error=BAD_BUTTON)
        if question.type == "multi_choice":
            return Outcome(True, {question.id: [allowed[v] for v in dict.fromkeys(values)]})
        return Outcome(True, {question.id: allowed[values[0]]})
    # Numbers ("3 ou plus" sends 3) and oui/non go through the same parser as typed text.
    result = answers.parse(question.type, values[0], parser_options(question, profile))
    if result.ok and not result.is_unknown:
        return Outcome(True, {question.id: result.value, **_known_extras(result.extras)})
    return Outcome(False, error=BAD_BUTTON)


def read_answer(question: Question, profile: dict[str, Any], *, buttons: list[str] | None = None,
                text: str = "", unknown: bool = False) -> Outcome:
    """Read the volunteer's answer: "je ne sais pas"/"passer", button value(s), else free text."""
    if unknown:
        return Outcome(True, {question.id: UNKNOWN})
    values = [v.strip() for v in (buttons or []) if v and v.strip()]
    if values:
        return _from_buttons(question, values, profile)
    text = (text or "").strip()
    if not text:
        return Outcome(False, error=EMPTY_ANSWER)
    if len(text) > MAX_TEXT:
        return Outcome(False, error="Cette réponse est trop longue. Notez seulement l'essentiel, s'il vous plaît.")
    result = answers.parse(question.type, text, parser_options(question, profile))
    if result.ok and result.is_unknown:
        if question.accepts_unknown:
            return Outcome(True, {question.id: UNKNOWN})
        return Outcome(False, error=UNKNOWN_NOT_ACCEPTED)
    if result.ok:
        return Outcome(True, {question.id: result.value, **_known_extras(result.extras)})
    if result.candidates and question.type == "commune":
        return Outcome(False, error="Plusieurs communes correspondent. Choisissez la bonne, s'il vous plaît.",
                       candidates=[(str(code), str(name)) for code, name in result.candidates][:8])
    hint = result.hint or ""
    return Outcome(False, error=f"{NOT_UNDERSTOOD} {hint}".strip())


def apply_answer(encounter: Encounter, question_id: str, updates: dict[str, Any]) -> None:
    """Store the answer (a correction keeps its place in the list), then forget the answers a
    correction made meaningless: the rent of someone who is now an owner, children's ages when
    the number of children changed."""
    profile = encounter.profile
    old_count = profile.get("children_count")
    profile.update(updates)
    for key in updates:
        if key not in encounter.order:
            encounter.order.append(key)
    ages = profile.get("children_ages")
    if (old_count != profile.get("children_count") and "children_ages" not in updates
            and isinstance(ages, list) and len(ages) != profile.get("children_count")):
        profile.pop("children_ages", None)
    catalogue = load_catalogue()
    for _ in range(2):  # a dropped answer can make another one meaningless
        facts = catalogue.facts.build(profile)
        for compiled in catalogue.questions:
            if compiled.id in profile and compiled.asked_when is not None \
                    and compiled.asked_when.eval(facts) is False:
                profile.pop(compiled.id)
    encounter.order[:] = [q for q in encounter.order if q in profile]


# --- showing answers --------------------------------------------------------------------------


def _number(value: Any) -> str:
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


def button_title(question: Question, value: Any) -> str:
    """The title shown to the volunteer for a button value (shorter wording when the data has one)."""
    entry = guide_questions().get(question.id)
    if entry and str(value) in entry.buttons:
        return entry.buttons[str(value)]
    button = question.button_for(value)
    return button.title if button else str(value)


def display_value(question: Question, value: Any) -> str:
    """An answer in plain words for the volunteer's list of answers."""
    if value == UNKNOWN:
        return "Ne sait pas, ou question passée"
    if question.type == "amount":
        return money(float(value)) + " par mois"
    if question.type == "age":
        return f"{_number(value)} ans"
    if question.type == "ages_list":
        return (join_fr([_number(a) for a in value]) + " ans") if value else "—"
    if question.type == "commune":
        found = commune_by_code(str(value))
        return found.name if found else str(value)
    if question.type == "yes_no":
        return "Oui" if value is True else "Non" if value is False else str(value)
    if question.type == "multi_choice":
        return join_fr([button_title(question, v) for v in value]) if isinstance(value, list) else str(value)
    if question.type == "choice" or question.buttons:
        return button_title(question, value)
    return _number(value) if isinstance(value, int | float) else str(value)


@dataclass(frozen=True)
class RecapLine:
    question_id: str
    label: str
    value: str


def recap(encounter: Encounter) -> list[RecapLine]:
    """The answers given so far, in the order they were given."""
    wording = guide_questions()
    lines = []
    for question_id in encounter.order:
        question = question_by_id(question_id)
        if question is None or question_id not in encounter.profile:
            continue
        label = wording[question_id].label if question_id in wording else question.label
        lines.append(RecapLine(question_id, label, display_value(question, encounter.profile[question_id])))
    return lines
