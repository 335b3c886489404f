"""Follow-up consent asked in the chat (issue 15): at the booking recap and after the last results
screen of a simulation, once per conversation, on the channel the resident used; a yes plans the
6- and 30-day messages, a no plans nothing. Real Trackers, a real (SQLite) database."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking import service
from bot.actions.booking import ActionConfirmBooking, AskBookingConfirmed, AskBookingSlot, ValidateBookingForm
from bot.actions.followup import ActionFollowupConsent, AskFollowupConsent
from bot.actions.results import ActionShowMore, ActionShowResults
from core.db import session_scope
from core.settings import get_settings
from followup.models import FollowUp
from tests.action_helpers import make_tracker, run_action, slot_events
from tests.booking_support import sqlite_database
from tests.test_benefits_realism import PERSONAS

BASE = {"age": 68, "household": "alone", "commune": "54395", "booking_team": "avec-vous-saint-max"}
QUESTION = "Dans quelques jours, puis-je vous demander si vous avez pu faire la demande ?"


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    url = sqlite_database(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("AVECVOUS_RUN_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def tracker(slots: dict, text: str = "", intent: str = "inform", entities=None, sender="web-conv-1",
            channel="web", loop="booking_form"):
    return make_tracker({**BASE, **slots}, text, intent=intent, entities=entities, active_loop=loop, sender=sender,
                        channel=channel)


def texts(dispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def asked(dispatcher) -> bool:
    return any(m.get("text") == QUESTION and [b["payload"] for b in m["buttons"]] == ["/affirm", "/deny"]
               for m in dispatcher.messages)


def followups(url: str) -> list[FollowUp]:
    with session_scope(url) as s:
        return list(s.scalars(select(FollowUp).order_by(FollowUp.step)))


def first_slot(**kw) -> str:
    _, dispatcher = run_action(AskBookingSlot(), tracker({"requested_slot": "booking_slot"}, **kw))
    payloads = [b["payload"] for m in dispatcher.messages for b in m.get("buttons") or []]
    return re.search(r'"slot_choice":"(20[^"]+)"', payloads[0]).group(1)


def filled(**extra) -> dict:
    return {"booking_slot": first_slot(), "booking_first_name": "Ana", "booking_contact": "+33612345678",
            "booking_consent": False, **extra}


# --- at booking ----------------------------------------------------------------------------------


def test_web_booking_asks_once_before_the_recap_and_a_yes_plans_two_messages_on_the_widget(app_db):
    slots = filled(requested_slot="booking_consent")
    events, _ = run_action(ValidateBookingForm(), tracker({**slots, "booking_consent": None}, "non", intent="deny"))
    assert slot_events(events)["requested_slot"] == "followup_consent", "asked after the consent, before the recap"
    slots = {**slots, "requested_slot": "followup_consent"}
    _, dispatcher = run_action(AskFollowupConsent(), tracker(slots))
    assert asked(dispatcher)
    events, _ = run_action(ValidateBookingForm(), tracker(slots, "Oui", intent="affirm"))
    assert slot_events(events)["followup_consent"] is True
    assert slot_events(events)["requested_slot"] == "booking_confirmed"
    slots = {**slots, "followup_consent": True, "requested_slot": "booking_confirmed"}
    _, dispatcher = run_action(AskBookingConfirmed(), tracker(slots))
    assert "Message dans quelques jours pour savoir si vous avez pu faire la demande : oui" in texts(dispatcher)
    # Answered: the form does not ask again (e.g. after "Modifier" the first name).
    events, _ = run_action(ValidateBookingForm(), tracker({**slots, "booking_first_name": None,
                                                           "requested_slot": "booking_first_name"}, "Anna"))
    assert slot_events(events)["requested_slot"] == "booking_confirmed"
    events, dispatcher = run_action(ActionConfirmBooking(), tracker({**slots, "booking_confirmed": True}))
    reference = slot_events(events)["booking_reference"]
    assert "followup_consent" not in slot_events(events), "kept for the conversation: never asked twice"
    assert "Dans 6 jours environ" in texts(dispatcher)
    request = service.find_by_reference(reference)
    assert request.followup_consent is True
    rows = followups(app_db)
    assert [(r.step, r.channel, r.conversation_id, r.request_id) for r in rows] == [
        (6, "web", "web-conv-1", request.id), (30, "web", "web-conv-1", request.id)]
    assert rows[0].due_at - rows[0].created_at == timedelta(days=6)


def test_telegram_booking_plans_the_messages_in_the_chat(app_db):
    slots = filled(requested_slot="followup_consent")
    kw = {"sender": "tg-424242", "channel": "telegram"}
    events, _ = run_action(ValidateBookingForm(), tracker(slots, "oui", intent="affirm", **kw))
    assert slot_events(events)["followup_consent"] is True
    run_action(ActionConfirmBooking(), tracker({**slots, "followup_consent": True, "booking_confirmed": True}, **kw))
    rows = followups(app_db)
    assert [(r.channel, r.telegram_chat_id) for r in rows] == [("telegram", "424242")] * 2


def test_a_no_at_booking_is_respected(app_db):
    slots = filled(requested_slot="followup_consent")
    events, _ = run_action(ValidateBookingForm(), tracker(slots, "non merci", intent="deny"))
    assert slot_events(events)["followup_consent"] is False
    events, dispatcher = run_action(ActionConfirmBooking(), tracker({**slots, "followup_consent": False,
                                                                     "booking_confirmed": True}))
    assert service.find_by_reference(slot_events(events)["booking_reference"]).followup_consent is False
    assert followups(app_db) == [] and "Dans 6 jours" not in texts(dispatcher)


def test_an_unclear_answer_is_asked_again_politely(app_db):
    slots = filled(requested_slot="followup_consent")
    events, dispatcher = run_action(ValidateBookingForm(), tracker(slots, "bof", intent="nlu_fallback"))
    assert "oui ou par non" in texts(dispatcher)
    assert slot_events(events)["requested_slot"] == "followup_consent"


@pytest.mark.parametrize("extra", [{"channel": "rest"}, {"slots": {"guide_mode": True}},
                                   {"slots": {"followup_consent": False}}, {"slots": {"followup_consent": "asked"}}])
def test_not_asked_where_it_cannot_reach_the_resident_or_when_asked_already(app_db, extra):
    slots = {**filled(requested_slot="booking_consent", booking_consent=None), **extra.get("slots", {})}
    events, _ = run_action(ValidateBookingForm(), tracker(slots, "non", intent="deny",
                                                          channel=extra.get("channel", "web")))
    assert slot_events(events)["requested_slot"] == "booking_confirmed"


# --- after the results of a simulation -----------------------------------------------------------


def last_screen(slots: dict, **kw):
    """Every results screen on this channel; returns (slots after, dispatcher of the last screen)."""
    slots = {**PERSONAS["single_mother_rsa_private_tenant_saint_max"], "profile_complete": True, **slots}
    events, dispatcher = run_action(ActionShowResults(), make_tracker(slots, active_loop=None, **kw))
    screens = [dispatcher]
    while True:
        slots.update(slot_events(events))
        payloads = [b.get("payload") for m in dispatcher.messages for b in m.get("buttons") or []]
        if "/show_more" not in payloads:
            return slots, screens
        events, dispatcher = run_action(ActionShowMore(), make_tracker(slots, active_loop=None, **kw))
        screens.append(dispatcher)


WEB = {"sender": "web-conv-2", "channel": "web"}


def test_the_last_results_screen_asks_once_and_a_yes_plans_the_widget_follow_up(app_db):
    slots, screens = last_screen({}, **WEB)
    assert [asked(d) for d in screens] == [False] * (len(screens) - 1) + [True], "only after the last screen"
    assert slots["pending_confirmation"] == "followup" and slots["followup_consent"] == "asked"
    events, dispatcher = run_action(ActionFollowupConsent(), make_tracker(slots, "Oui", intent="affirm",
                                                                          active_loop=None, **WEB))
    assert slot_events(events) == {"pending_confirmation": None, "followup_consent": True}
    assert "quelques jours" in texts(dispatcher)
    rows = followups(app_db)
    assert [(r.step, r.channel, r.conversation_id, r.request_id) for r in rows] == [
        (6, "web", "web-conv-2", None), (30, "web", "web-conv-2", None)]
    assert rows[0].commune == slots["commune"] and rows[0].benefits, "what the follow-up names and 'besoin d'aide' needs"
    # Seen again (the resident taps "Voir la suite" later): not asked twice.
    slots["results_offset"] = 1
    _, screens = last_screen({"followup_consent": True}, **WEB)
    assert not any(asked(d) for d in screens)


def test_a_no_after_the_results_plans_nothing(app_db):
    slots, _ = last_screen({}, sender="tg-777", channel="telegram")
    events, dispatcher = run_action(ActionFollowupConsent(), make_tracker(slots, "non", intent="deny",
                                                                          active_loop=None, sender="tg-777",
                                                                          channel="telegram"))
    assert slot_events(events)["followup_consent"] is False
    assert followups(app_db) == [] and "je ne vous écrirai pas" in texts(dispatcher)


def test_not_asked_after_a_booking_or_outside_telegram_and_the_widget(app_db):
    _, screens = last_screen({"booking_reference": "AV-7K3P"}, **WEB)
    assert not any(asked(d) for d in screens)
    _, screens = last_screen({}, sender="shell", channel="rest")
    assert not any(asked(d) for d in screens)


def test_a_yes_after_the_results_then_a_booking_links_the_same_two_messages(app_db):
    slots, _ = last_screen({}, **WEB)
    run_action(ActionFollowupConsent(), make_tracker(slots, "oui", intent="affirm", active_loop=None, **WEB))
    booking = filled(requested_slot="booking_consent", booking_consent=None, followup_consent=True)
    events, _ = run_action(ValidateBookingForm(), tracker({**booking, "pending_confirmation": "followup"}, "non",
                                                          intent="deny", sender="web-conv-2"))
    assert slot_events(events)["requested_slot"] == "booking_confirmed", "not asked twice"
    assert slot_events(events)["pending_confirmation"] is None, "the booking's answers are not read as that one"
    events, _ = run_action(ActionConfirmBooking(), tracker({**booking, "booking_consent": False,
                                                            "booking_confirmed": True}, sender="web-conv-2"))
    request = service.find_by_reference(slot_events(events)["booking_reference"])
    rows = followups(app_db)
    assert len(rows) == 2 and {r.request_id for r in rows} == {request.id}
