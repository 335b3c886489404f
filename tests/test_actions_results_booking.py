"""Results in three screens, a phone to call, the booking recap, call-back times, atomic moves and
cancel buttons: the actions run with real Trackers and a real (SQLite) booking database."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

import pytest

from benefits import evaluate
from booking import service
from bot.actions.booking import (
    ActionCancelBooking,
    ActionConfirmBooking,
    AskBookingConfirmed,
    AskBookingSlot,
    AskBookingTimeDay,
    ValidateBookingForm,
    ValidateCancelForm,
    working_days,
)
from bot.actions.handoff import ActionHandoff
from bot.actions.results import ActionBenefitDetails, ActionShowMore, ActionShowResults, conclusion, plan
from channels.telegram.buttons import ButtonStore
from channels.telegram.replies import build_outgoing
from core.settings import get_settings
from tests.action_helpers import make_tracker, run_action, slot_events
from tests.booking_support import sqlite_database
from tests.test_benefits_realism import PERSONAS

PHONE = re.compile(r"\b0[1-9](?: \d{2}){4}\b")
SINGLE_MOTHER = {**PERSONAS["single_mother_rsa_private_tenant_saint_max"], "profile_complete": True}


def texts(dispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def buttons(dispatcher) -> list[dict]:
    return [b for m in dispatcher.messages for b in (m.get("buttons") or [])]


def all_screens(slots: dict) -> list:
    """Every results screen: show_results, then show_more while the bot offers it."""
    slots = dict(slots)
    screens = []
    events, dispatcher = run_action(ActionShowResults(), make_tracker(slots, active_loop=None))
    while True:
        screens.append(dispatcher)
        slots.update(slot_events(events))
        if not any(b.get("payload") == "/show_more" for b in buttons(dispatcher)) or len(screens) > 5:
            return screens
        events, dispatcher = run_action(ActionShowMore(), make_tracker(slots, active_loop=None))


@pytest.mark.parametrize("name", sorted(PERSONAS))
def test_results_fit_in_three_screens_with_distinct_buttons_and_a_phone(name):
    screens = all_screens({**PERSONAS[name], "profile_complete": True})
    assert len(screens) <= 3
    for dispatcher in screens:
        counts = Counter(b["title"] for b in buttons(dispatcher))
        assert not [t for t, n in counts.items() if n > 1], "two buttons share a name on one screen"
        assert all(b["title"] != "En savoir plus" for b in buttons(dispatcher))
    assert PHONE.search(texts(screens[0])), "a number to call on the first screen"
    checks = [m for d in screens for m in d.messages if "à vérifier avec une personne" in (m.get("text") or "")]
    assert len(checks) <= 1, "the items to check are one checklist"


def test_first_screen_conclusion_top_aids_amounts_and_online_buttons():
    screens = all_screens(SINGLE_MOTHER)
    first = screens[0]
    assert re.match(r"^\d+ aides probables, environ [\d\u202f]+ € par mois en tout\.$", first.messages[0]["text"])
    assert "Environ 959 € par mois." in texts(first)
    online = [b for b in buttons(first) if b.get("url")]
    assert online and all(b["url"].startswith("https://") for b in online)
    assert all(b["title"].startswith("Faire la demande en ligne : ") for b in online)
    # Alternatives are never added twice: RSA majoré (959 €) replaces the RSA (821 €) in the total.
    total = int(re.search(r"environ ([\d\u202f]+) €", first.messages[0]["text"]).group(1).replace("\u202f", ""))
    assert total < 959 + 821
    # Screen 2: the other likely aids, grouped by theme; screen 3: the checklist and the contact.
    assert "par thème" in texts(screens[1]) and "Logement :" in texts(screens[1])
    assert re.search(r"\d+ aides sont à vérifier avec une personne :", texts(screens[2]))
    assert "CCAS de Saint-Max au 03 83 18 32 32" in texts(screens[2])
    assert any(b["title"] == "Être rappelé(e)" for b in buttons(screens[2]))


def test_grammar_of_the_conclusion():
    one = [r for r in evaluate(PERSONAS["retired_woman_alone_nancy"]).likely if r.estimate is None][:1]
    assert conclusion(one) == "Une aide semble possible pour vous."
    several = [r for r in evaluate(PERSONAS["retired_woman_alone_nancy"]).likely if r.estimate is None][:2]
    assert conclusion(several) == "2 aides semblent possibles pour vous."
    assert "pas d'aide sûre" in conclusion([])


def test_details_button_per_aid_and_online_link():
    _, dispatcher = run_action(ActionBenefitDetails(), make_tracker({**SINGLE_MOTHER, "results_offset": 1}, "/benefit_details",
                                                                    entities={"benefit_id": "rsa"}))
    titles = [b["title"] for b in buttons(dispatcher)]
    assert "Faire la demande en ligne : RSA" in titles
    assert any(t.startswith("Voir les") for t in titles), "back to the next screen"
    assert "http" not in texts(dispatcher), "the link is a button, not a raw address"


def test_plan_puts_services_open_to_all_after_the_money():
    screens = plan(evaluate(PERSONAS["single_mother_rsa_private_tenant_saint_max"]))
    assert all(not r.open_to_all for r in screens.top)


def test_handoff_always_gives_a_number_when_the_commune_is_known():
    for commune in ("54395", "54563", "54001", "54547"):
        _, dispatcher = run_action(ActionHandoff(), make_tracker({"commune": commune}, active_loop=None))
        assert PHONE.search(texts(dispatcher)), commune
    _, dispatcher = run_action(ActionHandoff(), make_tracker({}, active_loop=None))
    assert "commune" in texts(dispatcher) and not PHONE.search(texts(dispatcher)), "no invented number"


def test_telegram_gets_url_buttons_not_raw_links():
    _, dispatcher = run_action(ActionShowResults(), make_tracker(SINGLE_MOTHER, active_loop=None))
    messages = [{k: v for k, v in m.items() if k in ("text", "buttons")} for m in dispatcher.messages]
    out = build_outgoing(messages, ButtonStore(), 1)
    urls = [b.url for o in out if o.inline for row in o.inline.inline_keyboard for b in row if b.url]
    assert urls and all(u.startswith("https://") for u in urls)
    out = build_outgoing([{"text": "Votre résumé : https://avecvous.example.org/resume/abc"}], ButtonStore(), 1)
    assert "https://" not in out[0].text and out[0].inline.inline_keyboard[0][0].text == "Ouvrir mon résumé"
    out = build_outgoing([{"text": "Votre résumé : http://127.0.0.1:8000/resume/abc"}], ButtonStore(), 1)
    assert "127.0.0.1" in out[0].text and out[0].inline is None, "Telegram refuses local URL buttons"


# --- booking -------------------------------------------------------------------------------------


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    url = sqlite_database(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("AVECVOUS_RUN_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


BASE = {"age": 68, "household": "alone", "commune": "54395", "booking_team": "avec-vous-saint-max"}


def tracker(slots: dict, text: str = "", intent: str = "inform", entities=None, sender="resident-1",
            loop="booking_form"):
    return make_tracker({**BASE, **slots}, text, intent=intent, entities=entities, active_loop=loop, sender=sender)


def first_slot() -> str:
    _, dispatcher = run_action(AskBookingSlot(), tracker({"requested_slot": "booking_slot"}))
    return re.search(r'"slot_choice":"(20[^"]+)"', buttons(dispatcher)[0]["payload"]).group(1)


def test_recap_before_anything_is_written_then_modify(app_db):
    slot = first_slot()
    filled = {"booking_slot": slot, "booking_first_name": "Ana", "booking_contact": "+33612345678",
              "booking_consent": False, "requested_slot": "booking_consent"}
    events, _ = run_action(ValidateBookingForm(), tracker({**filled, "booking_consent": None}, "non", intent="deny"))
    assert slot_events(events)["requested_slot"] == "booking_confirmed"
    _, dispatcher = run_action(AskBookingConfirmed(), tracker({**filled, "requested_slot": "booking_confirmed"}))
    recap = texts(dispatcher)
    assert "Ana" in recap and "06 12 34 56 78" in recap and "Équipe" in recap and "Lieu" in recap
    assert [b["title"] for b in buttons(dispatcher)] == ["Confirmer", "Modifier"]
    assert service.find_by_reference("AV-2222") is None
    # "Modifier" -> what to change -> "Le prénom" clears it: the form asks it again.
    modify = tracker({**filled, "requested_slot": "booking_confirmed"}, '/inform{"choice":"modify"}',
                     entities={"choice": "modify"})
    events, _ = run_action(ValidateBookingForm(), modify)
    assert slot_events(events)["requested_slot"] == "booking_confirmed"
    _, dispatcher = run_action(AskBookingConfirmed(), modify)
    assert "Le prénom" in [b["title"] for b in buttons(dispatcher)]
    events, _ = run_action(ValidateBookingForm(), tracker({**filled, "requested_slot": "booking_confirmed"},
                                                          entities={"choice": "change_name"}))
    assert slot_events(events)["booking_first_name"] is None
    assert slot_events(events)["requested_slot"] == "booking_first_name"
    events, _ = run_action(ValidateBookingForm(), tracker({**filled, "requested_slot": "booking_confirmed"},
                                                          "Confirmer", intent="affirm"))
    assert slot_events(events)["booking_confirmed"] is True and slot_events(events)["requested_slot"] is None


def test_callback_asks_when_and_records_it(app_db):
    events, _ = run_action(ValidateBookingForm(), tracker({"requested_slot": "booking_slot"},
                                                          entities={"slot_choice": "callback"}))
    assert slot_events(events)["requested_slot"] == "booking_time_day"
    _, dispatcher = run_action(AskBookingTimeDay(), tracker({"booking_slot": "callback"}))
    titles = [b["title"] for b in buttons(dispatcher)]
    assert titles[0] == "Dès que possible" and len(titles) == 5
    day = working_days()[0]
    events, _ = run_action(ValidateBookingForm(), tracker({"booking_slot": "callback", "requested_slot": "booking_time_day"},
                                                          entities={"choice": day}))
    assert slot_events(events)["booking_time_day"] == day
    assert slot_events(events)["requested_slot"] == "booking_time_part"
    events, _ = run_action(ValidateBookingForm(), tracker({"booking_slot": "callback", "booking_time_day": day,
                                                           "requested_slot": "booking_time_part"}, "plutôt vers 10h"))
    assert slot_events(events)["booking_time_part"] == "plutôt vers 10h"
    done = {"booking_slot": "callback", "booking_time_day": day, "booking_time_part": "le matin",
            "booking_first_name": "Léa", "booking_contact": "+33612345678", "booking_consent": False,
            "booking_confirmed": True}
    events, dispatcher = run_action(ActionConfirmBooking(), tracker(done))
    reference = re.search(r"AV-[2-9A-Z]{4}", texts(dispatcher)).group(0)
    assert service.find_by_reference(reference).preferred_time_note == f"{day}, le matin"
    assert f"({day}, le matin)" in texts(dispatcher)
    assert [b["title"] for b in buttons(dispatcher)] == ["Annuler ma demande"]


def test_confirmation_has_cancel_and_reschedule_buttons_and_moves_atomically(app_db):
    slot = first_slot()
    done = {"booking_slot": slot, "booking_first_name": "Ana", "booking_contact": "+33612345678",
            "booking_consent": False, "booking_confirmed": True}
    events, dispatcher = run_action(ActionConfirmBooking(), tracker(done))
    reference = slot_events(events)["booking_reference"]
    assert [b["payload"] for b in buttons(dispatcher)] == ["/reschedule_appointment", "/cancel_appointment"]
    assert "la veille" in texts(dispatcher), "the calendar file reminds web bookers"
    # "Changer de moment": the cancel form knows the reference; nothing is cancelled.
    move = tracker({"booking_reference": reference}, "/reschedule_appointment", intent="reschedule_appointment",
                   loop="cancel_form")
    events, _ = run_action(ValidateCancelForm(), move)
    assert slot_events(events)["requested_slot"] is None
    events, _ = run_action(ActionCancelBooking(), tracker({"booking_reference": reference, "reference_to_cancel": reference},
                                                          "/reschedule_appointment", intent="reschedule_appointment"))
    assert slot_events(events)["reschedule_reference"] == reference
    assert service.find_by_reference(reference).status == "new", "the old slot is kept until the new one is booked"
    _, dispatcher = run_action(AskBookingSlot(), tracker({"reschedule_reference": reference}))
    offered = [re.search(r'"slot_choice":"(20[^"]+)"', b["payload"]).group(1) for b in buttons(dispatcher)
               if '"slot_choice":"20' in b["payload"]]
    assert slot not in offered and "Garder mon rendez-vous" in [b["title"] for b in buttons(dispatcher)]
    events, dispatcher = run_action(ActionConfirmBooking(), tracker({**done, "booking_slot": offered[0],
                                                                     "reschedule_reference": reference}))
    moved = service.find_by_reference(reference)
    assert moved.status == "new" and moved.slot_start == datetime.fromisoformat(offered[0])
    assert "déplacé" in texts(dispatcher) and reference in texts(dispatcher)
    assert slot_events(events)["reschedule_reference"] is None
    # The first slot is free again: someone else can book it.
    other = run_action(ActionConfirmBooking(), tracker(done, sender="other"))[1]
    assert re.search(r"AV-[2-9A-Z]{4}", texts(other))


def test_cancel_asks_first_and_no_keeps_it(app_db):
    slot = first_slot()
    done = {"booking_slot": slot, "booking_first_name": "Ana", "booking_contact": "+33612345678",
            "booking_consent": False, "booking_confirmed": True}
    events, _ = run_action(ActionConfirmBooking(), tracker(done))
    reference = slot_events(events)["booking_reference"]
    ask = tracker({"booking_reference": reference}, "/cancel_appointment", intent="cancel_appointment",
                  loop="cancel_form")
    events, _ = run_action(ValidateCancelForm(), ask)
    assert slot_events(events)["requested_slot"] == "cancel_confirmed"
    keep = tracker({"reference_to_cancel": reference, "cancel_confirmed": False}, "non", intent="deny")
    _, dispatcher = run_action(ActionCancelBooking(), keep)
    assert "garde" in texts(dispatcher) and service.find_by_reference(reference).status == "new"
    yes = tracker({"reference_to_cancel": reference, "cancel_confirmed": True}, "oui", intent="affirm")
    _, dispatcher = run_action(ActionCancelBooking(), yes)
    assert "annulé" in texts(dispatcher) and service.find_by_reference(reference).status == "cancelled"


def test_volunteer_page_has_the_conclusion_and_always_a_number():
    from guide.results import volunteer_results

    results = volunteer_results(PERSONAS["single_mother_rsa_private_tenant_saint_max"])
    assert results.conclusion.endswith("€ par mois en tout.")
    assert results.who.phone == "03 83 18 32 32" and "CCAS de Saint-Max" in results.who.phone_note


def test_rest_client_keeps_link_buttons_but_only_http():
    from channels.rasa_rest import clean_button

    assert clean_button({"title": "Demander", "url": "https://www.caf.fr", "payload": "Demander"})["url"] == \
        "https://www.caf.fr"
    assert "url" not in clean_button({"title": "x", "url": "javascript:alert(1)", "payload": "/a"})
    assert "url" not in clean_button({"title": "x", "url": "https://a b", "payload": "/a"})


def test_calendar_file_rings_the_day_before(app_db):
    from booking.ics import invitation

    done = {"booking_slot": first_slot(), "booking_first_name": "Ana", "booking_contact": "+33612345678",
            "booking_consent": False, "booking_confirmed": True}
    reference = slot_events(run_action(ActionConfirmBooking(), tracker(done))[0])["booking_reference"]
    text = invitation(service.find_by_reference(reference))
    assert "BEGIN:VALARM" in text and "TRIGGER:-P1D" in text


def test_no_to_the_consent_is_not_a_no_to_the_recap(app_db):
    from rasa_sdk import Tracker

    filled = {**BASE, "booking_slot": first_slot(), "booking_first_name": "Ana", "booking_contact": "+33612345678",
              "booking_consent": False, "requested_slot": "booking_confirmed"}

    def answered(asked: str) -> Tracker:
        latest = {"text": "non", "intent": {"name": "deny", "confidence": 0.99}, "entities": []}
        events = [{"event": "slot", "name": "requested_slot", "value": asked},
                  {"event": "user", "text": "non", "parse_data": latest},
                  {"event": "slot", "name": "requested_slot", "value": "booking_confirmed"}]
        return Tracker("resident-1", filled, latest, events, False, None, {"name": "booking_form"}, "booking_form")

    _, dispatcher = run_action(AskBookingConfirmed(), answered("booking_consent"))
    assert "Je récapitule" in texts(dispatcher)
    _, dispatcher = run_action(AskBookingConfirmed(), answered("booking_confirmed"))
    assert "Que voulez-vous changer ?" in texts(dispatcher)


def test_a_full_team_gives_way_to_the_nearest_team_with_a_free_slot_and_the_call_back(app_db):
    """Issue 15: after twenty bookings the market team was full and Nancy got a call-back only."""
    from booking.slots import free_slots
    from core.db import session_scope

    team = BASE["booking_team"]
    with session_scope(app_db) as s:
        slots = free_slots(s, team)  # every slot the bot could offer
    for slot in slots:
        service.book_slot(team_id=team, slot_start=slot.start, first_name="Awa", contact_phone="0612345678",
                          url=app_db)
    _, dispatcher = run_action(AskBookingSlot(), tracker({"requested_slot": "booking_slot"}))
    offered = buttons(dispatcher)
    other = re.search(r'"slot_choice":"(20[^"|]+)\|([^"]+)"', offered[0]["payload"])
    assert other, offered
    assert other.group(2) != team and "avec" in offered[0]["title"]
    assert any("rappel" in b["title"].lower() for b in offered)  # the call-back is still offered
    assert "peut vous recevoir" in texts(dispatcher)
    events, _ = run_action(ValidateBookingForm(), tracker(
        {"requested_slot": "booking_slot"}, "", entities={"slot_choice": f"{other.group(1)}|{other.group(2)}"}))
    assert slot_events(events)["booking_team"] == other.group(2)
    assert slot_events(events)["booking_slot"] == other.group(1)
