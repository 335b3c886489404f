"""The chatbot's questionnaire over several turns, driven like Rasa drives the form (one call of
the validation action, which also asks; slots carried over): buttons, multi-choice taps, back, modify, "pourquoi",
no loops, the urgent rule, the greeting of a returning resident, a confirmed restart; and the
parity of the bot and the guide (same inputs, same profile)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from rasa_sdk import Tracker

from benefits import load_questions
from bot.actions import questionnaire as bot_questionnaire
from bot.actions.conversation import ActionGreet, ActionStartOver
from bot.actions.questionnaire import MAX_BUTTONS, ValidateProfileForm
from core.settings import get_settings
from tests.action_helpers import ask_now, make_tracker, run_action, slot_events

PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$")


@pytest.fixture(autouse=True)
def _no_counters(monkeypatch):
    monkeypatch.setattr(bot_questionnaire, "record", lambda *a, **k: True)
    monkeypatch.setattr(bot_questionnaire, "record_results", lambda *a, **k: True)


class Chat:
    """A conversation with the form, as Rasa runs it."""

    def __init__(self, slots: dict[str, Any] | None = None):
        self.slots: dict[str, Any] = dict(slots or {})
        self.messages: list[dict] = []
        self.active = False
        self.say("/start_benefits_check", intent="start_benefits_check")

    def _tracker(self, text: str, intent: str, entities: dict[str, Any], confidence: float) -> Tracker:
        return make_tracker(self.slots, text, intent=intent, entities=entities, confidence=confidence,
                            active_loop="profile_form" if self.active else None)

    def say(self, text: str, intent: str = "inform", entities: dict[str, Any] | None = None,
            confidence: float = 0.9) -> list[dict]:
        events, dispatcher = run_action(ValidateProfileForm(), self._tracker(text, intent, entities or {}, confidence))
        sent = list(dispatcher.messages)
        if events == []:
            self.rejected = True
            return []
        self.rejected = False
        self.slots.update(slot_events(events))
        self.active = True
        # Rasa's form asks nothing more: the domain has no action_ask_<question>.
        assert len(sent) <= 2, sent
        self.messages += sent
        return sent

    def tap(self, title: str) -> list[dict]:
        buttons = {b["title"]: b["payload"] for b in self.last.get("buttons") or []}
        assert title in buttons, (title, list(buttons))
        m = PAYLOAD.match(buttons[title])
        return self.say(buttons[title], intent=m.group(1), entities=json.loads(m.group(2) or "{}"), confidence=1.0)

    @property
    def last(self) -> dict:
        return self.messages[-1]

    @property
    def asked(self) -> str | None:
        return self.slots.get("requested_slot")

    def titles(self) -> list[str]:
        return [b["title"] for b in self.last.get("buttons") or []]


def test_first_question_carries_the_introduction_and_progress():
    chat = Chat()
    assert len(chat.messages) == 1
    text = chat.last["text"]
    assert "une à la fois" in text and "Question 1 sur 8 environ" in text and "Quel âge" in text
    assert "Pourquoi cette question ?" in chat.titles()


def test_yes_no_question_has_oui_non_buttons():
    chat = Chat({"age": 20, "household": "alone", "children_count": 0, "income_kinds": ["none"],
                 "housing": "hosted", "work": "student"})
    # Ask the scholarship question directly, as the form would.
    events, dispatcher = ask_now({**chat.slots, "requested_slot": "scholarship"}, "scholarship")
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert titles[:2] == ["Oui", "Non"]
    chat.slots["requested_slot"] = "scholarship"
    chat.messages.append(dispatcher.messages[0])
    chat.tap("Oui")
    assert chat.slots["scholarship"] is True


def test_the_situations_question_offers_only_the_choices_that_apply():
    couple = {"age": 40, "household": "couple", "children_count": 0, "income_kinds": ["salary"],
              "income_salary": 1500, "partner_income_kinds": ["none"], "housing": "owner", "commune": "54395"}
    events, dispatcher = ask_now({**couple, "requested_slot": "situations"}, "situations")
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert "Handicap reconnu (vous ou un proche)" in titles and "Grossesse en cours" in titles
    assert "Veuf ou veuve" not in titles and "C'est tout" in titles   # a couple is not asked about widowhood
    alone = {**couple, "household": "alone", "age": 70}
    alone.pop("partner_income_kinds")
    events, dispatcher = ask_now({**alone, "requested_slot": "situations"}, "situations")
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert "Veuf ou veuve" in titles and "Grossesse en cours" not in titles


def test_every_prompt_keeps_to_eight_buttons_unless_its_own_choices_need_more():
    chat = Chat()
    answers = {"age": "45", "household": "seule", "children_count": "aucun", "income_monthly": "800",
               "housing": "locataire", "rent": "400", "work": "je cherche", "disability": "non", "commune": "nancy",
               "income_kinds": "chômage", "current_benefits": "aucune", "health_cover": "non"}
    for _ in range(10):
        if not chat.asked:
            break
        question = chat.asked
        own = len([b for b in chat.last["buttons"] if b["payload"].startswith('/inform{"question"')])
        assert len(chat.last["buttons"]) <= max(MAX_BUTTONS, own + 1)
        chat.say(answers.get(question, "non"))
    assert chat.slots.get("profile_complete") is True


def test_multi_choice_taps_then_cest_tout():
    chat = Chat({"age": 70, "household": "alone", "children_count": 0, "income_monthly": 650})
    chat.slots["requested_slot"] = "income_kinds"
    events, dispatcher = ask_now(chat.slots, "income_kinds")
    chat.slots.update(slot_events(events))
    chat.messages.append(dispatcher.messages[0])
    chat.tap("Retraite")
    assert chat.asked == "income_kinds" and "✓ Retraite" in chat.titles()
    chat.tap("Aides sociales")
    assert {"✓ Retraite", "✓ Aides sociales"} <= set(chat.titles())
    chat.tap("C'est tout")
    assert chat.slots["income_kinds"] == ["pension", "benefits"] and chat.asked != "income_kinds"


def test_free_text_naming_choices_is_understood():
    chat = Chat({"age": 70, "household": "alone", "children_count": 0, "income_monthly": 650})
    chat.slots["requested_slot"] = "income_kinds"
    chat.say("je touche 650 € par mois en tout, ma petite retraite plus la réversion de mon mari")
    assert chat.slots["income_kinds"] == ["pension"]


def test_misunderstandings_never_loop():
    chat = Chat()
    seen = []
    for _ in range(10):
        seen.append(chat.asked)
        chat.say("blablabla truc")
    runs = [sum(1 for _ in group) for _key, group in __import__("itertools").groupby(seen)]
    assert max(runs) <= 2
    assert any("Ce n'est pas grave" in (m.get("text") or "") for m in chat.messages)
    assert any(b["title"] == "Parler à quelqu'un" for m in chat.messages for b in m.get("buttons") or [])


def test_previous_question_and_why():
    chat = Chat()
    chat.say("45 ans")
    second = chat.asked
    chat.tap("Pourquoi cette question ?")
    assert chat.asked == second and "Pourquoi" not in chat.last["text"][:3]
    chat.tap("Question précédente")
    assert chat.asked == "age" and "age" not in chat.slots or chat.slots["age"] is None
    chat.say("46 ans")
    assert chat.slots["age"] == 46 and chat.asked == second


def test_modify_an_answer_from_the_recap():
    chat = Chat()
    chat.say("45 ans")
    chat.say("modifier une réponse", intent="modify_answer", confidence=0.95)
    assert "Voici vos réponses" in chat.last["text"] and "45 ans" in chat.last["text"]
    chat.tap("Votre âge")
    assert chat.asked == "age" and "Réponse actuelle : 45 ans" in chat.last["text"]
    chat.say("50 ans")
    assert chat.slots["age"] == 50 and chat.asked != "age"


def test_back_after_results_reopens_the_last_question():
    chat = Chat()
    for _ in range(12):
        if not chat.asked:
            break
        chat.say({"age": "45", "household": "seule", "children_count": "aucun"}.get(chat.asked, "je ne sais pas"))
        if chat.asked and chat.slots.get("question_tries"):
            chat.tap("Passer cette question")
    assert chat.slots["profile_complete"] is True and not chat.asked
    chat.active = False   # the form ended; the rule "previous question" starts it again
    chat.say("/go_back", intent="go_back", confidence=1.0)
    assert chat.asked is not None


def test_corrections_and_consistency_in_the_bot():
    chat = Chat({"age": 40, "children_count": 2, "children_ages": [3, 6], "housing": "tenant", "rent": 500})
    chat.say("en fait on a 3 enfants")
    assert chat.slots["children_count"] == 3 and chat.slots["children_ages"] is None
    chat.say("je me suis trompée, je suis propriétaire", intent="modify_answer", confidence=0.9)
    assert chat.slots["housing"] == "owner" and chat.slots["rent"] is None


def test_urgent_alarm_already_handled_does_not_block_an_answer():
    chat = Chat({"age": 40, "household": "alone", "children_count": 0, "urgent_situations": ["food"]})
    chat.slots["requested_slot"] = "income_monthly"
    chat.say("plus rien ne rentre", intent="urgent_situation", entities={"situation": "food"}, confidence=0.99)
    assert not chat.rejected and chat.slots["income_monthly"] == 0
    # A new situation, or a text that is no answer, interrupts as before.
    chat.slots["requested_slot"] = "housing"
    chat.say("je dors dehors ce soir", intent="urgent_situation", entities={"situation": "homeless"})
    assert chat.rejected


def test_on_profile_changed_is_called_after_each_answer(monkeypatch):
    seen = []
    monkeypatch.setattr(bot_questionnaire, "on_profile_changed", lambda profile: seen.append(dict(profile)))
    chat = Chat()
    chat.say("45 ans")
    chat.say("bof")
    assert seen == [{"age": 45}]


def test_returning_resident_is_offered_to_resume():
    _, dispatcher = run_action(ActionGreet(), make_tracker({"age": 45, "household": "alone"}, "bonjour",
                                                           intent="greet", active_loop=None))
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert "Reprendre là où j'en étais" in titles and "Recommencer" in titles
    _, dispatcher = run_action(ActionGreet(), make_tracker({}, "bonjour", intent="greet", active_loop=None))
    assert dispatcher.messages[0]["response"] == "utter_greet"


def test_restart_asks_for_confirmation():
    slots = {"age": 45, "household": "alone"}
    events, dispatcher = run_action(ActionStartOver(), make_tracker(slots, "recommencer", intent="start_over"))
    assert slot_events(events) == {"pending_confirmation": "start_over"}
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == ["Oui, tout effacer", "Non, continuer"]
    events, _ = run_action(ActionStartOver(), make_tracker({**slots, "pending_confirmation": "start_over"}, "non",
                                                           intent="deny"))
    assert slot_events(events) == {"pending_confirmation": None}
    events, _ = run_action(ActionStartOver(), make_tracker({**slots, "pending_confirmation": "start_over"}, "oui",
                                                           intent="affirm"))
    assert any(e.get("event") == "restart" for e in events)


# --- parity: the bot and the guide read the same inputs into the same profile -----------------

PARITY_ANSWERS = {"age": "j'ai 38 ans", "household": "en couple", "children_count": "2 enfants",
                  "children_ages": "4 et 9 ans", "income_monthly": "1500 euros", "income_kinds": "salaire et chômage",
                  "housing": "locataire", "rent": "650", "work": "je bosse", "disability": "non",
                  "commune": "vandoeuvre", "pregnant": "non", "current_benefits": "aucune", "health_cover": "non"}
CORRECTION_AT = 5   # after five answers: "en fait on a 3 enfants" (the ages are then asked again)


def _script(asked: str, turn: int) -> str:
    """The same text for both adapters; questions added later get a plain answer of their type."""
    if turn == CORRECTION_AT:
        return "en fait on a 3 enfants"
    if asked == "children_ages" and turn > CORRECTION_AT:
        return "3, 5 et 9"
    if asked in PARITY_ANSWERS:
        return PARITY_ANSWERS[asked]
    question = bot_questionnaire.service.question_by_id(asked)
    if question.buttons:
        return question.buttons[0].title
    return {"yes_no": "non", "amount": "0", "count": "0", "age": "40"}.get(question.type, "je ne sais pas")


@pytest.fixture
def guide_client(tmp_path, monkeypatch) -> TestClient:
    from booking.db_setup import upgrade_database
    from guide.router import router

    url = f"sqlite:///{tmp_path / 'guide.db'}"
    upgrade_database(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("AVECVOUS_RUN_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("AVECVOUS_SECRET_KEY", "secret-for-parity-tests-0123456789")
    get_settings.cache_clear()
    app = FastAPI()
    app.include_router(router)
    yield TestClient(app)
    get_settings.cache_clear()


def _guide_profile(client: TestClient) -> dict[str, Any]:
    from guide import state as guide_state

    client.post("/guide/start")
    for turn in range(30):
        page = client.get("/guide/question")
        found = re.search(r'name="question" value="(\w+)"', page.text)
        if not found:
            break
        client.post("/guide/answer", data={"question": found.group(1), "text": _script(found.group(1), turn)})
    encounter = guide_state.load(client.cookies.get(guide_state.COOKIE_NAME))
    return encounter.profile


def _bot_profile() -> dict[str, Any]:
    chat = Chat()
    for turn in range(30):
        if not chat.asked:
            break
        chat.say(_script(chat.asked, turn))
    return {k: v for k, v in chat.slots.items() if k in {q.id for q in load_questions()}
            and v is not None}


def test_bot_and_guide_give_the_same_profile(guide_client):
    bot = _bot_profile()
    guide = _guide_profile(guide_client)
    assert bot == guide
    assert len(bot) >= 8 and "unknown" not in bot.values()
    assert bot["children_count"] == 3 and bot.get("children_ages", [3, 5, 9]) == [3, 5, 9]
