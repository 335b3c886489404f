"""From greeting to a finished questionnaire through the real REST channel."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

# How a 68-year-old living alone on a small pension in Nancy answers, the way people type.
PERSONA_TYPED = {
    "age": "j'ai soixante-huit ans",
    "household": "je vis seule",
    "children_count": "pas d'enfant",
    "children_ages": "jsp",
    "income_monthly": "720 euros par mois",
    "income_kinds": "ma retraite",
    "income_pension": "720 euros par mois",
    "housing": "locataire",
    "rent": "450 balles",
    "work": "retraitée",
    "disability": "non",
    "commune": "nancy",
    "situations": "non aucune",
    "disability_who": "moi",
    "current_benefits": "aucune",
    "scholarship": "non",
    "health_cover": "une mutuelle",
}
EXPECTED = {"age": 68, "household": "alone", "income_monthly": 720.0, "housing": "tenant",
            "work": "retired", "commune": "54395"}


def test_greeting_offers_the_three_paths(chat):
    chat.say("bonjour")
    titles = [b["title"] for b in chat.buttons]
    assert "Trouver mes aides" in titles and "Prendre rendez-vous" in titles and "Parler à quelqu'un" in titles
    assert "pas une personne" in chat.text and "confidentielles" in chat.text


def answer_until_results(chat, limit: int = 20) -> list[str]:
    asked = []
    for _ in range(limit):
        requested = chat.slot("requested_slot")
        if requested is None:
            break
        asked.append(requested)
        chat.say(PERSONA_TYPED[requested])
    assert chat.slot("requested_slot") is None, f"questionnaire did not finish: {asked}"
    return asked


def test_questionnaire_to_results(chat):
    chat.say("bonjour")
    chat.say("/start_benefits_check")
    asked = answer_until_results(chat)
    assert len(asked) <= 8  # a first results screen within 8 questions
    slots = chat.tracker()["slots"]
    for key, value in EXPECTED.items():
        if key in asked:
            assert slots[key] == value, key
    assert "ASPA" in chat.text or "minimum vieillesse" in chat.text.lower()
    assert any(b["title"] == "Prendre rendez-vous" for b in chat.buttons)
    if slots.get("more_questions"):
        # "Préciser mes résultats" asks the remaining questions, then shows the results again.
        chat.say("/continue")
        more = answer_until_results(chat)
        assert more and not set(more) & set(asked)
        assert chat.slot("more_questions") is False


def test_bad_answer_gets_a_gentle_reask_then_a_kind_skip(chat):
    chat.say("/start_benefits_check")
    first = chat.slot("requested_slot")
    assert first == "age"
    chat.say("bof")
    assert chat.slot("requested_slot") == "age"
    assert "par exemple" in chat.text  # an example of a valid answer
    assert any(b["title"] == "Passer cette question" for b in chat.buttons)
    chat.say("euh")
    # Two misunderstandings: the question is skipped with a kind word, never asked a third time.
    assert chat.slot("requested_slot") != "age" and chat.slot("age") == "unknown"
    assert "Ce n'est pas grave" in chat.text


def test_correction_in_passing(chat):
    chat.say("/start_benefits_check")
    chat.say("45 ans")
    assert chat.slot("age") == 45
    chat.say("non en fait j'ai 47 ans")
    assert chat.slot("age") == 47


def test_urgent_message_interrupts_then_resumes(chat):
    chat.say("/start_benefits_check")
    chat.say("52")
    requested = chat.slot("requested_slot")
    chat.say("jdors ds ma voiture depuis 3 jours")
    assert "115" in chat.text
    assert chat.slot("age") == 52
    chat.say("/continue")
    assert chat.slot("requested_slot") == requested
