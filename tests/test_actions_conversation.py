"""Results, details, why-not, urgent help and booking actions with real Trackers."""

from __future__ import annotations

import re

import pytest

from bot.actions.booking import ActionConfirmBooking, AskBookingSlot, ValidateBookingForm
from bot.actions.results import ActionBenefitDetails, ActionShowMore, ActionShowResults, ActionWhyNot
from bot.actions.urgent import ActionUrgentHelp
from core.settings import get_settings
from tests.action_helpers import make_tracker, run_action, slot_events
from tests.booking_support import sqlite_database

RETIRED_ALONE = {"age": 68, "household": "alone", "children_count": 0, "income_monthly": 720,
                 "income_kinds": ["pension"], "housing": "tenant", "rent": 450, "work": "retired",
                 "disability": "none", "commune": "54395", "profile_complete": True}


def texts(dispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def buttons(dispatcher) -> list[dict]:
    return [b for m in dispatcher.messages for b in (m.get("buttons") or [])]


def test_results_show_likely_first_with_reason_and_booking_offer():
    events, dispatcher = run_action(ActionShowResults(), make_tracker(RETIRED_ALONE, active_loop=None))
    text = texts(dispatcher)
    assert "ASPA" in text and "68 ans" in text
    titles = [b["title"] for b in buttons(dispatcher)]
    assert "Prendre rendez-vous" in titles and "En savoir plus : ASPA" in titles
    assert slot_events(events)["results_offset"] == 1  # the first of at most three screens


def test_results_never_say_nothing_at_all():
    rich = {"age": 40, "household": "couple", "children_count": 0, "income_monthly": 9000,
            "income_kinds": ["salary"], "housing": "owner", "work": "employed", "disability": "none",
            "commune": "54395", "profile_complete": True}
    _, dispatcher = run_action(ActionShowResults(), make_tracker(rich, active_loop=None))
    assert "une personne" in texts(dispatcher).lower()
    assert any(b["title"] == "Parler à quelqu'un" for b in buttons(dispatcher))


def test_show_more_pages_through_then_stops():
    tracker_slots = {**RETIRED_ALONE, "results_offset": 1}
    events, dispatcher = run_action(ActionShowMore(), make_tracker(tracker_slots, active_loop=None))
    assert slot_events(events)["results_offset"] == 2
    events, dispatcher = run_action(ActionShowMore(), make_tracker({**RETIRED_ALONE, "results_offset": 999},
                                                                   active_loop=None))
    assert "C'est tout" in texts(dispatcher)


def test_details_by_button_and_by_name():
    _, dispatcher = run_action(ActionBenefitDetails(), make_tracker(RETIRED_ALONE, "/benefit_details",
                                                                    entities={"benefit_id": "aspa"}))
    text = texts(dispatcher)
    assert "Comment faire" in text and "Combien" in text
    _, dispatcher = run_action(ActionBenefitDetails(), make_tracker(RETIRED_ALONE, "c'est quoi l'apl ?"))
    assert "logement" in texts(dispatcher).lower()


def test_why_not_gives_the_reason():
    profile = {**RETIRED_ALONE, "age": 30, "work": "job_seeker", "income_kinds": ["none"], "income_monthly": 0}
    _, dispatcher = run_action(ActionWhyNot(), make_tracker(profile, "pourquoi pas la prime d'activité ?",
                                                            intent="why_not"))
    assert "prime d'activité" in texts(dispatcher).lower()


def test_urgent_help_gives_numbers_and_local_ccas():
    tracker = make_tracker({"commune": "54339", "requested_slot": "age"}, "on dort dans la voiture ce soir",
                           intent="urgent_situation", entities={"situation": "homeless"})
    events, dispatcher = run_action(ActionUrgentHelp(), tracker)
    text = texts(dispatcher)
    assert "115" in text and "Malzéville" in text
    assert any(b["title"] == "Continuer mes questions" for b in buttons(dispatcher))
    assert slot_events(events)["urgent_situations"] == ["homeless"]


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    url = sqlite_database(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("AVECVOUS_RUN_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def booking_tracker(slots: dict, text: str = "", intent: str = "inform", entities=None, sender="resident-1"):
    return make_tracker({**RETIRED_ALONE, "booking_team": "avec-vous-saint-max", **slots}, text, intent=intent,
                        entities=entities, active_loop="booking_form", sender=sender)


def test_booking_questions_then_confirmation(app_db):
    form = ValidateBookingForm()
    events, _ = run_action(form, booking_tracker({}))
    assert slot_events(events)["requested_slot"] == "booking_slot"
    _, dispatcher = run_action(AskBookingSlot(), booking_tracker({"requested_slot": "booking_slot"}))
    slots_offered = [b for b in buttons(dispatcher) if '"slot_choice":"20' in b["payload"]]
    assert len(slots_offered) == 3
    first = re.search(r'"slot_choice":"([^"]+)"', slots_offered[0]["payload"]).group(1)
    events, _ = run_action(form, booking_tracker({"requested_slot": "booking_slot"}, "le premier"))
    assert slot_events(events)["booking_slot"] == first
    events, dispatcher = run_action(form, booking_tracker({"requested_slot": "booking_contact",
                                                           "booking_slot": first, "booking_first_name": "Ana"},
                                                          "06 12 3"))
    assert "booking_contact" not in slot_events(events) and "06 12 34 56 78" in texts(dispatcher)
    events, _ = run_action(form, booking_tracker({"requested_slot": "booking_contact", "booking_slot": first,
                                                  "booking_first_name": "Ana"}, "06 12 34 56 78"))
    assert slot_events(events)["booking_contact"] == "+33612345678"
    done = {"booking_slot": first, "booking_first_name": "Ana", "booking_contact": "+33612345678",
            "booking_consent": True, "booking_confirmed": True}
    events, dispatcher = run_action(ActionConfirmBooking(), booking_tracker(done))
    assert re.search(r"AV-[2-9A-Z]{4}", texts(dispatcher))
    assert "Pièce d'identité" in texts(dispatcher) or "pièce d'identité" in texts(dispatcher)
    # The same slot again: taken, the resident is offered other slots and nothing is half-written.
    events, dispatcher = run_action(ActionConfirmBooking(), booking_tracker(done, sender="other"))
    assert "vient d'être pris" in texts(dispatcher)
    assert slot_events(events)["booking_slot"] is None


def test_a_finished_questionnaire_is_counted_anonymously(app_db):
    from sqlalchemy import select

    from bot.actions.questionnaire import ValidateProfileForm
    from core.db import session_scope
    from stats.models import StatCount

    start = make_tracker({}, '/start_benefits_check{"choice":"guide"}', intent="start_benefits_check",
                         entities={"choice": "guide"}, channel="telegram")
    events, dispatcher = run_action(ValidateProfileForm(), start)
    slots = slot_events(events)
    assert slots["guide_mode"] is True
    # The guide-mode introduction travels with the first question (one message, same call).
    assert len(dispatcher.messages) == 1 and "accompagnant" in texts(dispatcher)
    profile = {k: v for k, v in RETIRED_ALONE.items() if k != "profile_complete"}
    done = make_tracker({**profile, "guide_mode": True, "question_budget": 99, "situations": ["none"],
                         "current_benefits": ["none"], "scholarship": False,
                         "health_cover": "private", "requested_slot": "commune"},
                        "nancy", channel="telegram")
    run_action(ValidateProfileForm(), done)
    with session_scope(app_db) as session:
        rows = {(r.metric, r.mode, r.channel): r.count for r in session.scalars(select(StatCount))}
    assert rows[("conversation_started", "guide", "telegram")] == 1
    assert rows[("conversation_finished", "guide", "telegram")] == 1
    assert rows[("benefit_likely", "guide", "telegram")] >= 1
