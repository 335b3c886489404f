"""The questionnaire service (questionnaire/): French answers, corrections, consistency, back,
modify, recap, progress, "pourquoi", misunderstandings that never loop, multi-choice taps."""

from __future__ import annotations

import json

import pytest

import questionnaire as q
from questionnaire import consistency
from questionnaire.data import QuestionnaireDataError, _load, _Why, command_in_text, why_texts
from questionnaire.service import SKIPPED_KINDLY, read_text


def asked(state: q.State) -> str:
    prompt = q.present(state)
    assert prompt is not None and prompt.kind == "question"
    return prompt.question.id


def answer(state: q.State, text: str = "", **kwargs) -> q.Step:
    asked(state)
    return q.handle(state, q.Message(text=text, **kwargs))


def ask(question_id: str, profile: dict | None = None) -> q.State:
    """A state where `question_id` is the question being asked (as the form asks it)."""
    return q.State(profile=dict(profile or {}), order=list(profile or {}), asked=question_id, streak=1,
                   modifying=question_id)


# (question, what the resident typed, expected value)
ANSWERS = [
    ("age", "68", 68), ("age", "j'ai soixante-huit ans", 68), ("age", "né en 1958", None),
    ("household", "je vis seule", "alone"), ("household", "avec mon mari", "couple"),
    ("children_count", "aucun", 0), ("children_count", "deux gosses", 2),
    ("income_monthly", "mille deux cents euros", 1200), ("income_monthly", "rien", 0),
    ("income_kinds", "je touche 650 € par mois en tout, ma petite retraite plus la réversion de mon mari",
     ["pension"]),
    ("income_kinds", "ma retraite plus le rsa", ["pension", "benefits"]),
    ("income_kinds", "salaire et chômage", ["salary", "unemployment"]),
    ("income_kinds", "rien du tout", ["none"]),
    ("housing", "je loue un appart", "tenant"), ("housing", "hlm", "social_tenant"),
    ("housing", "chez ma soeur", "hosted"), ("rent", "450 euros", 450),
    ("work", "chui au chomage", "job_seeker"), ("work", "à la retraite", "retired"),
    ("disability", "rqth", "recognised_other"), ("disability", "non", "none"),
    ("commune", "saint max", "54482"), ("commune", "54000", "54395"),
    ("situations", "je suis enceinte", ["pregnant"]), ("situations", "non aucune", ["none"]),
    ("situations", "veuve, et j'ai besoin d'aide pour la toilette", ["widowed", "daily_help"]),
    ("situations", "mon fils a un handicap", ["disability"]),
    ("disability_who", "mon mari", ["partner"]), ("disability_who", "moi et mon fils", ["self", "child"]),
    ("disability", "80 %", "rate_80_plus"), ("disability", "je sais pas", "unknown"),
    ("current_benefits", "le rsa et l'apl", ["rsa", "apl"]),
    ("health_cover", "je sais pas", "unknown"),
]


@pytest.mark.parametrize(("question_id", "typed", "expected"), ANSWERS)
def test_french_answers(question_id, typed, expected):
    profile = {"age": 30, "housing": "tenant", "household": "alone", "work": "student"}
    profile.pop(question_id, None)
    state = ask(question_id, profile)
    step = q.handle(state, q.Message(text=typed))
    assert step.kind == "answered", (typed, state.note)
    if expected is not None:
        assert state.profile[question_id] == expected


def test_two_misunderstandings_skip_kindly_and_offer_a_person():
    state = ask("income_kinds", {"income_monthly": 650})
    assert q.handle(state, q.Message(text="bof")).kind == "not_understood"
    assert state.tries == 1 and state.note
    prompt = q.present(state)
    assert prompt.question.id == "income_kinds" and prompt.allow_skip and prompt.note
    step = q.handle(state, q.Message(text="euh c'est compliqué"))
    assert step.kind == "skipped" and state.profile["income_kinds"] == "unknown"
    prompt = q.present(state)
    assert prompt.question.id != "income_kinds"
    assert prompt.note == SKIPPED_KINDLY and prompt.offer_person
    assert state.misunderstood == 2


def test_no_question_is_shown_more_than_three_times_in_a_row():
    state = q.State()
    shown = []
    for _ in range(12):
        prompt = q.present(state)
        shown.append(prompt.question.id)
        q.handle(state, q.Message(text="zzz"))
    runs = max(len(list(g)) for g in __import__("itertools").groupby(shown) for g in [list(g[1])])
    assert runs <= 3


def test_unknown_refused_once_then_accepted():
    state = ask("work")
    assert q.handle(state, q.Message(text="je ne sais pas")).kind == "not_understood"
    q.present(state)
    q.handle(state, q.Message(text="je sais pas"))
    assert state.profile["work"] == "unknown" and asked(state) != "work"


def test_corrections_in_passing_and_consistency():
    state = ask("disability", {"age": 40, "children_count": 2, "children_ages": [3, 6], "housing": "tenant",
                               "rent": 500})
    step = q.handle(state, q.Message(text="en fait on a 3 enfants"))
    assert step.kind == "corrected" and state.profile["children_count"] == 3
    assert "children_ages" not in state.profile          # re-asked: the count changed
    q.present(state)
    q.handle(state, q.Message(text="je me suis trompé, je suis propriétaire"))
    assert state.profile["housing"] == "owner" and "rent" not in state.profile


def test_back_undoes_the_last_answer_and_asks_it_again():
    state = q.State()
    first = asked(state)
    q.handle(state, q.Message(text="45 ans"))
    second = asked(state)
    q.handle(state, q.Message(text=answer_for(second)))
    assert second in state.profile
    step = q.handle(state, q.Message(command="back"))
    assert step.kind == "back" and second not in state.profile
    assert asked(state) == second
    q.handle(state, q.Message(command="back"))
    assert asked(state) == first and state.profile == {}
    q.handle(state, q.Message(command="back"))
    assert q.present(state).note == q.service.NOTHING_TO_UNDO


def test_back_restores_what_a_correction_dropped():
    state = ask("work", {"housing": "tenant", "rent": 500})
    q.handle(state, q.Message(text="en fait je suis propriétaire"))
    assert "rent" not in state.profile
    q.handle(state, q.Message(command="back"))
    assert state.profile["housing"] == "tenant" and state.profile["rent"] == 500


def answer_for(question_id: str) -> str:
    return {"household": "seule", "children_count": "aucun", "income_monthly": "900 euros", "age": "40",
            "housing": "locataire", "work": "je travaille", "disability": "non", "income_kinds": "salaire",
            "commune": "nancy", "rent": "400", "pregnant": "non"}.get(question_id, "je ne sais pas")


def test_modify_from_the_recap_then_carry_on():
    state = q.State()
    for _ in range(3):
        question_id = asked(state)
        q.handle(state, q.Message(text=answer_for(question_id)))
    lines = q.recap(state)
    assert [line.question_id for line in lines] == state.order
    assert lines[0].label.startswith("Votre") and lines[0].value
    q.handle(state, q.Message(command="recap"))
    assert q.present(state).kind == "recap"
    q.handle(state, q.Message(text="mon âge"))   # typed in the recap: the question it names
    prompt = q.present(state)
    assert prompt.question.id == "age" and prompt.current == "40 ans" and not prompt.progress
    q.handle(state, q.Message(text="52 ans"))
    assert state.profile["age"] == 52 and state.modifying is None
    assert asked(state) not in ("age",)


def test_multi_choice_taps_accumulate_until_done():
    state = ask("income_kinds", {"income_monthly": 900})
    assert q.handle(state, q.Message(values=["pension"], toggle=True)).kind == "toggled"
    prompt = q.present(state)
    assert prompt.question.id == "income_kinds" and prompt.multi
    assert [c.value for c in prompt.choices if c.ticked] == ["pension"]
    q.handle(state, q.Message(values=["salary"], toggle=True))
    q.handle(state, q.Message(values=["salary"], toggle=True))   # untick
    q.handle(state, q.Message(values=["benefits"], toggle=True))
    assert q.handle(state, q.Message(command="done")).kind == "answered"
    assert state.profile["income_kinds"] == ["pension", "benefits"]


def test_multi_choice_none_validates_at_once_and_done_needs_a_choice():
    state = ask("income_kinds")
    assert q.handle(state, q.Message(command="done")).kind == "not_understood"
    q.present(state)
    q.handle(state, q.Message(values=["pension"], toggle=True))
    assert q.handle(state, q.Message(values=["none"], toggle=True)).kind == "answered"
    assert state.profile["income_kinds"] == ["none"]


def test_typed_done_validates_the_selection():
    state = ask("income_kinds")
    q.handle(state, q.Message(values=["salary"], toggle=True))
    q.present(state)
    assert q.handle(state, q.Message(text="c'est tout")).kind == "answered"
    assert state.profile["income_kinds"] == ["salary"]


def test_forged_button_is_refused():
    state = ask("housing")
    assert q.handle(state, q.Message(values=["castle"])).kind == "not_understood"
    assert "housing" not in state.profile


def test_why_and_progress():
    state = q.State()
    prompt = q.present(state)
    assert prompt.progress == "Question 1 sur 8 environ"
    q.handle(state, q.Message(text="pourquoi cette question ?"))
    prompt = q.present(state)
    assert prompt.note == q.why(prompt.question.id) and "âge" in prompt.note
    assert q.why("no_such_question") == why_texts()[0]


def test_progress_is_honest_when_little_is_left():
    profile = {"age": 68, "household": "alone", "children_count": 0, "income_monthly": 720,
               "income_kinds": ["pension"], "housing": "owner", "work": "retired", "disability": "none"}
    state = q.State(profile=dict(profile), budget=q.REFINE_BUDGET)
    prompt = q.present(state)
    number, total = [int(w) for w in prompt.progress.split() if w.isdigit()]
    assert number == 9 and total >= number


def test_results_after_eight_answers_then_refine():
    state = q.State()
    for _ in range(8):
        question_id = asked(state)
        q.handle(state, q.Message(text=answer_for(question_id)))
    assert q.present(state) is None and q.finished(state)
    if q.more_questions(state):
        q.refine(state)
        assert q.present(state) is not None


def test_state_round_trips_through_json_and_tolerates_junk():
    state = q.State()
    asked(state)
    q.handle(state, q.Message(text="40 ans"))
    data = json.loads(json.dumps(state.to_data()))
    again = q.State.from_data(data, state.profile)
    assert again.order == state.order and again.history == state.history
    junk = q.State.from_data({"o": 3, "h": ["x"], "b": "a", "sel": None, "mode": "evil"}, {"age": 40})
    assert junk.order == ["age"] and junk.history == [] and junk.budget == q.FIRST_RESULTS_AFTER
    assert junk.mode is None


def test_an_answer_already_handled_alarm_can_be_read():
    assert q.is_answer(q.question_by_id("income_monthly"), "plus rien ne rentre", {})
    assert not q.is_answer(q.question_by_id("age"), "je dors dehors", {})


def test_commands_in_text_only_for_short_messages():
    assert command_in_text("question précédente") == "back"
    assert command_in_text("pourquoi ?") == "why"
    assert command_in_text("je suis revenue chez mes parents depuis trois mois déjà") is None


def test_too_long_text_is_not_an_answer():
    assert not read_text(q.question_by_id("age"), "a" * 400, {}).ok


def test_why_file_errors_name_the_file_and_field(tmp_path):
    bad = tmp_path / "why.yml"
    bad.write_text("default: court\n", encoding="utf-8")
    with pytest.raises(QuestionnaireDataError, match="why.yml: default"):
        _load(bad, _Why)


def test_history_keeps_previous_values_only():
    state = q.State(profile={"housing": "tenant", "rent": 400}, order=["housing", "rent"])
    consistency.apply(state, "housing", {"housing": "owner"})
    assert state.history[-1] == {"q": "housing", "prev": {"housing": "tenant", "rent": 400}}
    assert consistency.undo(state) == "housing" and state.profile == {"housing": "tenant", "rent": 400}


@pytest.mark.parametrize("first_answers", [
    {"age": 68, "household": "alone"},
    {"age": 34, "household": "couple"},
    {"age": 22, "children_count": 0},
])
def test_the_commune_is_asked_by_the_third_question(first_answers):
    """Local aids, the nearest team and a phone number on the first results screen need it."""
    state = q.State(profile=dict(first_answers), order=list(first_answers))
    assert q.current_question(state).id == "commune"
    early = q.State(profile={"age": 68}, order=["age"])
    assert q.current_question(early).id != "commune"   # the engine's order for the first two
    done = q.State(profile={**first_answers, "commune": "54395"}, order=[*first_answers, "commune"])
    assert q.current_question(done).id != "commune"
