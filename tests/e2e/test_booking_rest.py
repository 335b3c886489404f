"""Booking end to end: from the benefits results to a confirmed reference code that the team
sees in its staff inbox, through the real Rasa, action server and web process."""

from __future__ import annotations

import re

import httpx
import pytest

from booking import service
from booking.cli import create_user
from tests.e2e.conftest import Chat
from tests.e2e.test_conversation_rest import answer_until_results

pytestmark = pytest.mark.e2e


def _staff_client(stack, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=stack.web_url, timeout=30, follow_redirects=True)
    page = client.get("/staff/login").text
    field, token = re.search(r'name="([^"]*csrf[^"]*)" value="([^"]+)"', page).groups()
    resp = client.post("/staff/login", data={field: token, "email": email, "password": password, "next": ""})
    assert resp.status_code == 200 and "Déconnexion" in resp.text or "requests" in str(resp.url)
    return client


def test_results_to_booking_to_staff_inbox(chat, stack):
    db_url = stack.environment()["DATABASE_URL"]
    chat.say("bonjour")
    chat.say("/start_benefits_check")
    answer_until_results(chat)
    assert any(b["title"] == "Prendre rendez-vous" for b in chat.buttons)

    chat.say("/book_appointment")
    if chat.slot("requested_slot") == "commune":  # not asked yet: the team depends on it
        chat.say("j'habite a nancy")
    slot_buttons = [b for b in chat.buttons if '"slot_choice":"20' in b["payload"]]
    assert len(slot_buttons) == 3, chat.text  # the next three free slots of the team
    assert any(b["title"] == "Être rappelé(e)" for b in chat.buttons)
    assert "Saint-Max" in chat.text  # the outreach team of the experimental territory
    chat.say(slot_buttons[0]["payload"])
    chat.say("je m'appelle <b>Karim</b>")
    chat.say("06 12 3")  # an incomplete number gets a clear answer and nothing is lost
    assert "06 12 34 56 78" in chat.text and chat.slot("booking_first_name") == "<b>Karim</b>"
    chat.say("06 12 34 56 78")
    chat.say("oui")
    assert "Je récapitule" in chat.text and "Karim" in chat.text  # nothing is written before the recap
    assert [b["title"] for b in chat.buttons] == ["Confirmer", "Modifier"]
    chat.say("/affirm")
    reference = re.search(r"AV-[2-9A-Z]{4}", chat.text)
    assert reference, chat.text
    assert ".ics" in chat.text
    request = service.find_by_reference(reference.group(0), url=db_url)
    assert request is not None and request.consent_summary and "68 ans" in (request.summary or "")
    assert request.contact_phone == "+33612345678"

    create_user("equipe@example.org", "Équipe", "staff", request.team_id, "mot-de-passe-assez-long-1", url=db_url)
    staff = _staff_client(stack, "equipe@example.org", "mot-de-passe-assez-long-1")
    inbox = staff.get("/staff/requests").text
    assert reference.group(0) in inbox
    assert "<b>Karim</b>" not in inbox and "&lt;b&gt;Karim&lt;/b&gt;" in inbox

    # The .ics link in the message serves the invitation.
    ics_path = re.search(r"/rdv/[^\s]+\.ics", chat.text).group(0)
    ics = httpx.get(f"{stack.web_url}{ics_path}", timeout=30)
    assert ics.status_code == 200 and "BEGIN:VCALENDAR" in ics.text

    # Moving it (the button under the confirmation) is one atomic update: same reference, new slot.
    assert any(b["payload"] == "/reschedule_appointment" for b in chat.buttons)
    old_start = request.slot_start
    chat.say("/reschedule_appointment")
    assert chat.slot("requested_slot") == "booking_slot", chat.text
    assert service.find_by_reference(reference.group(0), url=db_url).status == "new"
    new_slots = [b for b in chat.buttons if '"slot_choice":"20' in b["payload"]]
    chat.say(new_slots[0]["payload"])
    assert "Je récapitule" in chat.text
    chat.say("/affirm")
    assert "déplacé" in chat.text and reference.group(0) in chat.text, chat.text
    moved = service.find_by_reference(reference.group(0), url=db_url)
    assert moved.status == "new" and moved.slot_start != old_start

    # Cancelling by reference frees the slot, after a yes.
    chat.say("je veux annuler mon rendez-vous")  # the reference of this conversation is known
    assert "vraiment" in chat.text
    chat.say("oui")
    assert "annulé" in chat.text and reference.group(0) in chat.text
    assert service.find_by_reference(reference.group(0), url=db_url).status == "cancelled"


def test_cancel_by_reference_typed_by_the_resident(chat, stack):
    db_url = stack.environment()["DATABASE_URL"]
    chat.say("/book_appointment")
    chat.say("saint max")
    chat.say([b for b in chat.buttons if '"slot_choice":"20' in b["payload"]][1]["payload"])
    chat.say("Lou")
    chat.say("07 81 22 33 44")
    chat.say("non")
    chat.say("/affirm")
    reference = re.search(r"AV-[2-9A-Z]{4}", chat.text).group(0)
    other = Chat(stack)  # the resident comes back from another device
    other.say("annuler mon rdv")
    assert "référence" in other.text
    other.say(f"c'est {reference.lower().replace('-', ' ')}")
    assert "numéro" in other.text  # proof: the number given at booking
    other.say("06 00 00 00 00")
    assert "Je ne trouve pas" in other.text
    assert service.find_by_reference(reference, url=db_url).status == "new"
    other.say("annuler mon rdv")
    other.say(reference)
    other.say("0781223344")
    assert "vraiment" in other.text
    other.say("oui")
    assert "annulé" in other.text
    assert service.find_by_reference(reference, url=db_url).status == "cancelled"


def test_booking_without_consent_sends_no_summary(chat, stack):
    db_url = stack.environment()["DATABASE_URL"]
    chat.say("/book_appointment")
    assert chat.slot("requested_slot") == "commune"
    chat.say("j'habite a malzeville")
    slot_buttons = [b for b in chat.buttons if '"slot_choice":"20' in b["payload"]]
    chat.say(slot_buttons[-1]["payload"])
    chat.say("Nadia")
    chat.say("0781223344")
    chat.say("non")
    chat.say("/affirm")
    reference = re.search(r"AV-[2-9A-Z]{4}", chat.text).group(0)
    request = service.find_by_reference(reference, url=db_url)
    assert not request.consent_summary and request.summary is None and request.likely_benefits is None
