"""The questionnaire service, the same for the chatbot, the guide and any future channel.

It reads one message against the question asked (button values, free text through
`answers.parse`, "je ne sais pas", skip, corrections of earlier answers in passing, commands such
as "question précédente"), applies it with the consistency rules, and says what to show next as a
channel-neutral `Prompt`. The adapters only turn their input into a `Message` and a `Prompt` into
their own buttons or HTML.

No question loops: after two misunderstandings of the same question (or when it has been shown
three times in a row without an answer) it is skipped with a kind word, recorded as "unknown",
and a person is offered.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import answers
from answers.choices import resolve_table
from benefits import load_catalogue, next_question
from benefits.schema import Question
from questionnaire import consistency
from questionnaire.data import command_in_text, why
from questionnaire.display import TitleFor, default_title, display_value, label_of
from questionnaire.state import FIRST_RESULTS_AFTER, REFINE_BUDGET, State
from territory import commune_by_code

UNKNOWN = answers.UNKNOWN
MAX_TRIES = 2        # misunderstandings of one question before it is skipped
MAX_STREAK = 3       # times one question may be shown in a row
MAX_TEXT = 300       # a longer text is not an answer to one question
COMMANDS = ("back", "why", "done", "skip", "unknown", "recap", "modify", "continue")

NOT_UNDERSTOOD = "Je n'ai pas bien compris votre réponse."
UNKNOWN_NOT_ACCEPTED = ("Même une réponse approximative m'aide beaucoup. "
                        "Sinon, appuyez sur « Passer ».")
SKIPPED_KINDLY = ("Ce n'est pas grave, passons à la suite. Une personne de l'équipe pourra "
                  "regarder ce point avec vous si vous le souhaitez.")
SKIPPED = "D'accord, je passe cette question."
NOTHING_TO_UNDO = "Nous sommes à la première question."
BACK = "D'accord, revenons à la question précédente."
CHOOSE_ONE = "Choisissez au moins une réponse, puis « C'est tout »."
BAD_BUTTON = "Cette réponse n'est pas prévue pour cette question. Choisissez un des boutons, s'il vous plaît."
TOO_LONG = "Votre réponse est un peu longue. Pouvez-vous l'écrire en quelques mots ?"
PICK_TO_CHANGE = "Quelle réponse voulez-vous changer ? Choisissez-la dans la liste."
NOTHING_TO_CHANGE = "Vous n'avez encore répondu à aucune question."
CORRECTED = "C'est noté, j'ai corrigé."


@dataclass
class Message:
    """One input from any channel. `values`: button value(s); `toggle`: a multi-choice tap that
    adds or removes one value (the chatbot) rather than the whole list (the guide's checkboxes)."""

    text: str = ""
    values: list[Any] | None = None
    toggle: bool = False
    command: str | None = None    # one of COMMANDS
    target: str | None = None     # for "modify": the question to change


@dataclass
class Step:
    """What handling a message did. kind: answered, corrected, not_understood, skipped, toggled,
    candidates, why, back, recap, modify, continue."""

    kind: str
    updates: dict[str, Any] = field(default_factory=dict)
    candidates: list[tuple[str, str]] = field(default_factory=list)   # (INSEE code, name)
    error: str = ""

    @property
    def changed_profile(self) -> bool:
        return bool(self.updates)


@dataclass(frozen=True)
class Choice:
    value: str
    title: str
    ticked: bool = False


@dataclass(frozen=True)
class RecapLine:
    question_id: str
    label: str
    value: str


@dataclass
class Prompt:
    """What to show now. kind "question" (with its choices and the navigation the channel should
    offer) or "recap" (the answers, each of which can be changed)."""

    kind: str
    question: Question | None = None
    text: str = ""
    note: str = ""
    progress: str = ""
    choices: list[Choice] = field(default_factory=list)
    multi: bool = False
    allow_unknown: bool = False
    allow_skip: bool = False
    allow_back: bool = False
    offer_person: bool = False
    current: str | None = None          # the answer being changed, in plain words
    recap: list[RecapLine] = field(default_factory=list)
    candidates: list[tuple[str, str]] = field(default_factory=list)


# --- questions ---------------------------------------------------------------------------------


def question_by_id(question_id: str | None) -> Question | None:
    compiled = load_catalogue().questions_by_id.get(question_id or "")
    return compiled.question if compiled else None


def can_ask(question: Question, profile: dict[str, Any]) -> bool:
    """False when the question makes no sense for this person (the rent of an owner)."""
    catalogue = load_catalogue()
    compiled = catalogue.questions_by_id[question.id]
    if compiled.asked_when is None:
        return True
    return compiled.asked_when.eval(catalogue.facts.build(profile)) is not False


def visible_buttons(question: Question, profile: dict[str, Any]) -> list[Any]:
    """The question's buttons to show this person (`shown_when`: "Veuf ou veuve" only to a
    person who lives alone, "Mon conjoint" only to a couple)."""
    catalogue = load_catalogue()
    compiled = catalogue.questions_by_id.get(question.id)
    if compiled is None or not compiled.shown_when:
        return list(question.buttons)
    return compiled.visible_buttons(catalogue.facts.build(profile))


def parser_options(question: Question, profile: dict[str, Any]) -> Any:
    """What answers.parse needs: the synonyms table of answers/data/synonyms.yml when there is
    one, else the button titles; the number of children for their ages."""
    if question.type in ("choice", "multi_choice"):
        if resolve_table(question.id) is not None:
            return question.id
        return {str(b.value): [b.title] for b in question.buttons}
    if question.type == "ages_list":
        count = profile.get("children_count")
        return {"count": int(count)} if isinstance(count, int | float) and not isinstance(count, bool) else None
    if question.type == "school_levels":   # one level per child, aligned with their ages
        ages = profile.get("children_ages")
        return {"ages": ages} if isinstance(ages, list) else None
    return None


def exclusive_values(question: Question) -> set[str]:
    """Multi-choice values that stand alone ("Aucun revenu"): tapping one validates at once."""
    table = resolve_table(question.id) if question.type == "multi_choice" else None
    found = set(table.exclusive) if table is not None else set()
    return found | {str(b.value) for b in question.buttons if str(b.value) == "none"}


def _known(updates: dict[str, Any]) -> dict[str, Any]:
    known = load_catalogue().questions_by_id
    return {k: v for k, v in (updates or {}).items() if k in known}


def corrections(text: str, skip: str | None = None) -> dict[str, Any]:
    """Earlier answers corrected in passing ("en fait j'ai 3 enfants")."""
    return {k: v for k, v in _known(answers.detect_corrections(text)).items() if k != skip}


# --- reading an answer -------------------------------------------------------------------------


@dataclass
class Reading:
    """The latest message read against one question: ok + updates, or not (hint, candidates)."""

    ok: bool
    updates: dict[str, Any] = field(default_factory=dict)
    hint: str = ""
    unknown_refused: bool = False
    candidates: list[tuple[str, str]] = field(default_factory=list)


def read_text(question: Question, text: str, profile: dict[str, Any], *, tries: int = 0) -> Reading:
    """Free text as an answer to `question` (plus corrections of other answers in passing)."""
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        return Reading(False, hint=TOO_LONG)
    found = corrections(text, question.id)
    if found:
        # "en fait on a 3 enfants" while the disability is asked: a correction, not "3 %" (the
        # question asked comes again, that is no misunderstanding).
        return Reading(True, found)
    result = answers.parse(question.type, text, parser_options(question, profile))
    if result.ok and result.is_unknown:
        if question.accepts_unknown or tries >= 1:
            return Reading(True, {question.id: UNKNOWN})
        return Reading(False, hint=UNKNOWN_NOT_ACCEPTED, unknown_refused=True)
    if result.ok:
        return Reading(True, {question.id: result.value, **_known(result.extras)})
    if result.candidates and question.type == "commune":
        return Reading(False, hint="Plusieurs communes correspondent. Laquelle est la vôtre ?",
                       candidates=[(str(code), str(name)) for code, name in result.candidates][:8])
    return Reading(False, hint=result.hint or NOT_UNDERSTOOD)


def read_values(question: Question, values: list[Any], profile: dict[str, Any]) -> Reading:
    """Button values, checked against the question (a forged value is refused)."""
    values = [v for v in values if v is not None and str(v).strip()]
    if not values:
        return Reading(False, hint=BAD_BUTTON)
    if any(str(v) == UNKNOWN for v in values):
        return Reading(True, {question.id: UNKNOWN})
    if question.type == "commune":
        found = commune_by_code(str(values[0]))
        return Reading(True, {question.id: found.insee_code}) if found else Reading(False, hint=BAD_BUTTON)
    if question.type in ("choice", "multi_choice") and question.buttons:
        allowed = {str(b.value): b.value for b in question.buttons}
        if not all(str(v) in allowed for v in values):
            return Reading(False, hint=BAD_BUTTON)
        if question.type == "multi_choice":
            return Reading(True, {question.id: [allowed[str(v)] for v in dict.fromkeys(str(v) for v in values)]})
        return Reading(True, {question.id: allowed[str(values[0])]})
    if question.type == "yes_no" and isinstance(values[0], bool):
        return Reading(True, {question.id: values[0]})
    # Numbers ("3 ou plus" sends 3) and oui/non go through the same parser as typed text.
    result = answers.parse(question.type, str(values[0]), parser_options(question, profile))
    if result.ok and not result.is_unknown:
        return Reading(True, {question.id: result.value, **_known(result.extras)})
    return Reading(False, hint=BAD_BUTTON)


def is_answer(question: Question | None, text: str, profile: dict[str, Any]) -> bool:
    """Does this text answer the question? (An alarm already handled must not block it.)"""
    if question is None or not (text or "").strip():
        return False
    reading = read_text(question, text, profile)
    return reading.ok and question.id in reading.updates


# --- the service -------------------------------------------------------------------------------

# next_question is a pure function of the profile (and the catalogue) and costs a few ms: a turn
# asks it for the same profile several times (choosing, showing, counting the progress), so the
# latest answers are kept. A changed catalogue (another object) is never served an old answer.
_NEXT_CACHE: OrderedDict[str, tuple[Any, Question | None]] = OrderedDict()
_NEXT_CACHE_SIZE = 512


def _next_question(profile: dict[str, Any], catalogue: Any = None) -> Question | None:  # noqa: ANN401
    catalogue = catalogue or load_catalogue()
    key = json.dumps(profile, sort_keys=True, default=str)
    hit = _NEXT_CACHE.get(key)
    if hit is not None and hit[0] is catalogue:
        _NEXT_CACHE.move_to_end(key)
        return hit[1]
    question = next_question(profile, catalogue)
    _NEXT_CACHE[key] = (catalogue, question)
    if len(_NEXT_CACHE) > _NEXT_CACHE_SIZE:
        _NEXT_CACHE.popitem(last=False)
    return question



def current_question(state: State) -> Question | None:
    """The question to ask now, or None when it is time for the results."""
    if state.modifying:
        question = question_by_id(state.modifying)
        if question is not None and can_ask(question, state.profile):
            return question
        state.modifying = None
    if state.answered() >= state.budget:
        return None
    following = _next_question(state.profile)
    if following is not None and _commune_now(state):
        return question_by_id(EARLY_QUESTION)
    return following


# Asked among the first questions whatever the engine's order: local aids, the nearest team and
# a phone number to call on the first results screen all depend on it.
EARLY_QUESTION = "commune"
EARLY_BY = 3   # at the latest as the third question


def _commune_now(state: State) -> bool:
    if EARLY_QUESTION in state.profile or state.answered() < EARLY_BY - 1:
        return False
    question = question_by_id(EARLY_QUESTION)
    return question is not None and can_ask(question, state.profile)


def more_questions(state: State) -> bool:
    """Can more answers change a result? ("Préciser mes résultats")"""
    return _next_question(state.profile) is not None


def refine(state: State) -> None:
    state.budget = REFINE_BUDGET
    state.mode = None


def finished(state: State) -> bool:
    return state.mode is None and current_question(state) is None


def _store(state: State, question: Question, updates: dict[str, Any]) -> Step:
    changed = consistency.apply(state, question.id, updates)
    if question.id in updates:
        state.tries = 0
        state.selected = []
        if state.modifying == question.id:
            state.modifying = None
        return Step("answered", {k: state.profile.get(k) for k in changed})
    state.note = CORRECTED
    return Step("corrected", {k: state.profile.get(k) for k in changed})


def _skip(state: State, question: Question, note: str) -> Step:
    step = _store(state, question, {question.id: UNKNOWN})
    state.note = note
    step.kind = "skipped"
    return step


def _misunderstood(state: State, question: Question, reading: Reading) -> Step:
    state.tries += 1
    state.misunderstood += 1
    if state.tries >= MAX_TRIES or state.streak >= MAX_STREAK:
        state.offer_person = True
        return _skip(state, question, SKIPPED_KINDLY)
    state.note = reading.hint or NOT_UNDERSTOOD
    return Step("not_understood", candidates=reading.candidates, error=state.note)


def back(state: State) -> Step:
    state.selected, state.mode = [], None
    question_id = consistency.undo(state)
    if question_id is None:
        state.note = NOTHING_TO_UNDO
        return Step("back")
    state.modifying = question_id
    state.tries = 0
    state.note = BACK
    return Step("back", {question_id: state.profile.get(question_id)})


def modify(state: State, question_id: str | None) -> Step:
    question = question_by_id(question_id)
    if question is None or not can_ask(question, state.profile):
        state.mode = "recap"
        state.note = PICK_TO_CHANGE
        return Step("recap")
    state.mode, state.modifying, state.selected, state.tries = None, question.id, [], 0
    return Step("modify")


def show_recap(state: State) -> Step:
    if not state.order:
        state.note = NOTHING_TO_CHANGE
        return Step("continue")
    state.mode, state.selected = "recap", []
    return Step("recap")


def _recap_target(state: State, text: str) -> str | None:
    options = {}
    for question_id in state.order:
        question = question_by_id(question_id)
        if question is not None:
            options[question_id] = [question.label, question.label.split(" ", 1)[-1]]
    if not options or not (text or "").strip():
        return None
    result = answers.parse("choice", text, options)
    return str(result.value) if result.ok and not result.is_unknown else None


def _handle_recap(state: State, message: Message) -> Step:
    if message.command == "modify" and message.target:
        return modify(state, message.target)
    if message.command in ("done", "continue", "back", "skip"):
        state.mode = None
        return Step("continue")
    target = _recap_target(state, message.text) if message.text else None
    if target:
        return modify(state, target)
    state.note = PICK_TO_CHANGE
    return Step("recap")


def _toggle(state: State, question: Question, values: list[Any]) -> Step:
    allowed = {str(b.value) for b in question.buttons}
    if not all(str(v) in allowed for v in values):
        return Step("not_understood", error=BAD_BUTTON)
    exclusive = exclusive_values(question)
    for value in (str(v) for v in values):
        if value in exclusive:
            return _store(state, question, {question.id: [value]})   # "Aucun revenu": nothing to add
        if value in state.selected:
            state.selected.remove(value)
        else:
            state.selected = [v for v in state.selected if v not in exclusive] + [value]
    order = [str(b.value) for b in question.buttons]
    state.selected.sort(key=order.index)
    return Step("toggled")


def handle(state: State, message: Message, question: Question | None = None) -> Step:
    """Read one message against the question asked (default: the current one) and apply it."""
    state.note, state.offer_person = "", False
    if state.mode == "recap":
        return _handle_recap(state, message)
    command = message.command
    if command == "back":
        return back(state)
    if command == "recap":
        return show_recap(state)
    if command == "modify":
        return modify(state, message.target)
    question = question or question_by_id(state.asked) or current_question(state)
    if command == "continue" or question is None:
        return Step("continue")
    if command == "why":
        state.note = why(question.id)
        return Step("why")
    if command == "skip":
        return _skip(state, question, SKIPPED)
    if command == "unknown":
        if question.accepts_unknown or state.tries >= 1:
            return _skip(state, question, "")
        return _misunderstood(state, question, Reading(False, hint=UNKNOWN_NOT_ACCEPTED))
    multi = question.type == "multi_choice"
    if command == "done":
        if multi and state.selected:
            return _store(state, question, {question.id: list(state.selected)})
        if multi:
            state.note = CHOOSE_ONE
            return Step("not_understood", error=CHOOSE_ONE)
        return Step("continue")
    if message.values:
        if multi and message.toggle:
            return _toggle(state, question, message.values)
        reading = read_values(question, message.values, state.profile)
        if not reading.ok:
            state.note = reading.hint
            return Step("not_understood", error=reading.hint)
        return _store(state, question, reading.updates)
    text = (message.text or "").strip()
    if not text:
        state.note = NOT_UNDERSTOOD
        return Step("not_understood", error=NOT_UNDERSTOOD)
    reading = read_text(question, text, state.profile, tries=state.tries)
    if reading.ok:
        return _store(state, question, reading.updates)
    if reading.candidates:   # several communes of that name: not a misunderstanding
        state.note = reading.hint
        return Step("candidates", candidates=reading.candidates, error=reading.hint)
    if not reading.unknown_refused and (named := command_in_text(text)):
        return handle(state, Message(command=named), question)
    return _misunderstood(state, question, reading)


# --- showing -----------------------------------------------------------------------------------


def estimated_total(state: State) -> int:
    """How many questions in this round, roughly: the answers given plus those the engine would
    still ask if every next answer were "je ne sais pas" (capped by the budget)."""
    profile = dict(state.profile)
    count = state.answered()
    catalogue = load_catalogue()
    while count < state.budget:
        question = _next_question(profile, catalogue)
        if question is None:
            break
        profile[question.id] = UNKNOWN
        count += 1
    return max(count, state.answered() + 1)


def progress(state: State) -> str:
    total = estimated_total(state)
    number = min(state.answered() + 1, total)
    if state.budget > FIRST_RESULTS_AFTER:
        return f"Question {number} sur {total} environ (pour préciser)"
    return f"Question {number} sur {total} environ"


def recap(state: State, title: TitleFor = default_title) -> list[RecapLine]:
    """The answers given so far, in the order given, in plain words."""
    lines = []
    for question_id in state.order:
        question = question_by_id(question_id)
        if question is None or question_id not in state.profile:
            continue
        lines.append(RecapLine(question_id, label_of(question), display_value(question, state.profile[question_id], title)))
    return lines


def present(state: State, *, candidates: list[tuple[str, str]] | None = None) -> Prompt | None:
    """What to show now (None: the results). Counts how often a question is shown in a row."""
    note, offer_person = state.note, state.offer_person
    state.note, state.offer_person = "", False
    if state.mode == "recap":
        return Prompt("recap", note=note, recap=recap(state), text="Voici vos réponses. Laquelle voulez-vous changer ?")
    question = current_question(state)
    if question is None:
        return None
    if question.id == state.asked:
        state.streak += 1
    else:
        state.asked, state.streak, state.tries, state.selected = question.id, 1, 0, []
    multi = question.type == "multi_choice"
    shown = visible_buttons(question, state.profile)
    if multi:
        choices = [Choice(str(b.value), b.title, str(b.value) in state.selected) for b in shown]
    elif question.type == "yes_no" and not question.buttons:
        choices = [Choice("oui", "Oui"), Choice("non", "Non")]
    else:
        choices = [Choice(str(b.value), b.title) for b in shown]
    correcting = question.id in state.profile and state.profile[question.id] is not None
    current = display_value(question, state.profile[question.id]) if correcting else None
    return Prompt("question", question=question, text=question.text, note=note,
                  progress="" if correcting else progress(state), choices=choices, multi=multi,
                  allow_unknown=question.accepts_unknown,
                  allow_skip=state.tries >= 1 or state.streak >= 2,
                  allow_back=bool(state.history), offer_person=offer_person, current=current,
                  candidates=list(candidates or []))
