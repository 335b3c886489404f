"""Guide mode for volunteers (/guide) and the resident's printable summary, through FastAPI's
TestClient on a small app holding only the guide router."""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from benefits import evaluate, load_questions, next_question
from booking.db_setup import upgrade_database
from core.settings import get_settings
from guide import state
from guide.encounter import read_answer
from guide.results import documents_to_bring
from guide.router import router
from guide.summary import MAX_RIGHTS
from guide.summary_links import read_summary_token, summary_token, summary_url
from guide.wording import GuideDataError, guide_questions, parse_guide_questions

DELICATE = ("income_monthly", "income_salary", "disability", "housing", "situations", "disability_who",
            "partner_disability")

# A retired woman met at the Saint-Max market; her figures must never reach the printout.
INCOME, RENT = 873, 437
ANSWERS = {  # question id -> how the volunteer answers: typed text, a button, ticked boxes
    "age": ("text", "soixante-huit ans"),
    "household": ("button", "alone"),
    "children_count": ("text", "aucun"),
    "income_monthly": ("text", f"{INCOME} euros par mois"),
    "income_kinds": ("boxes", ["pension"]),
    "income_pension": ("text", f"{INCOME} euros par mois"),  # one amount per kind of income
    "housing": ("text", "je suis en location"),
    "rent": ("text", f"{RENT} €"),
    "work": ("button", "retired"),
    "disability": ("button", "none"),
    "commune": ("text", "saint max"),
    "situations": ("boxes", ["none"]),
    "health_cover": ("button", "none"),
    "current_benefits": ("boxes", ["none"]),
}
PROFILE = {  # what those answers mean, for the checks
    "age": 68, "household": "alone", "children_count": 0, "income_pension": float(INCOME),
    "income_kinds": ["pension"], "housing": "tenant", "rent": float(RENT), "work": "retired",
    "disability": "none", "commune": "54482", "situations": ["none"],
    "health_cover": "none", "current_benefits": ["none"],
}


@pytest.fixture
def db_url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'guide.db'}"
    upgrade_database(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("AVECVOUS_RUN_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("AVECVOUS_SECRET_KEY", "secret-for-guide-tests-0123456789")
    monkeypatch.setenv("PUBLIC_URL", "https://droits.example.org")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def client(db_url) -> TestClient:
    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


def page_text(response) -> str:
    """The visible text of a page, entities decoded, spaces collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.text, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def asked(response) -> str | None:
    found = re.search(r'name="question" value="(\w+)"', response.text)
    return found.group(1) if found else None


def answer(client: TestClient, question_id: str, how: tuple[str, object]):
    kind, value = how
    data: dict[str, object] = {"question": question_id}
    if kind == "text":
        data["text"] = value
    elif kind == "button":
        data["choice"] = value
    else:
        data["choices"] = value
    return client.post("/guide/answer", data=data)


def walk(client: TestClient, answers: dict = ANSWERS, limit: int = 30):
    """Answer every question asked until the results; returns (last response, ids asked)."""
    response = client.get("/guide/question")
    seen = []
    while (question_id := asked(response)) and len(seen) < limit:
        seen.append(question_id)
        response = answer(client, question_id, answers[question_id])
        assert response.status_code == 200
        assert 'role="alert"' not in response.text, (question_id, page_text(response))
    return response, seen


def stat_counts(url: str) -> dict[tuple[str, str, str, str], int]:
    with create_engine(url).connect() as conn:
        rows = conn.execute(text("SELECT metric, channel, mode, key, count FROM stat_counts")).all()
    return {(m, c, mo, k): n for m, c, mo, k, n in rows}


# --- the volunteer's wording ---------------------------------------------------------------------


def test_every_question_has_the_volunteers_wording():
    wording = guide_questions()
    for question in load_questions():
        assert question.id in wording, f"guide/data/guide_questions.yml lacks '{question.id}'"
        assert wording[question.id].ask.startswith("Demandez"), question.id  # spoken to the volunteer
    for question_id in DELICATE:
        assert wording[question_id].tip, f"{question_id} is delicate: it needs a tip"
    assert "estimation suffit" in wording["income_monthly"].tip


def test_wrong_wording_file_is_reported_with_file_and_field(tmp_path):
    path = tmp_path / "guide_questions.yml"
    path.write_text(
        "- id: age\n  label: Âge\n  ask: Demandez son âge, s'il vous plaît.\n  tipp: oups\n"
        "- id: household\n  label: Couple\n  ask: Demandez s'il vit seul ou en couple.\n"
        "  buttons: {alone: Seul(e), married: Marié(e)}\n",
        encoding="utf-8",
    )
    with pytest.raises(GuideDataError) as error:
        parse_guide_questions(path, load_questions())
    message = str(error.value)
    assert "guide_questions.yml: question 'age': tipp" in message
    assert "buttons.married" in message
    assert "question 'rent': missing" in message
    assert "question 'age': missing" not in message  # reported once, as invalid


# --- a whole encounter ---------------------------------------------------------------------------


def test_start_page_offers_one_button(client):
    response = client.get("/guide")
    assert response.status_code == 200
    assert "Commencer une rencontre" in response.text
    assert response.headers["cache-control"] == "no-store"
    assert state.COOKIE_NAME not in response.headers.get("set-cookie", "")


def test_whole_encounter_with_typed_and_button_answers(client, db_url):
    response = client.post("/guide/start")
    assert response.status_code == 200 and response.url.path == "/guide/question"
    cookie = response.history[0].headers["set-cookie"]
    assert "HttpOnly" in cookie and "Path=/guide" in cookie and "samesite=lax" in cookie.lower()
    # The first question is the engine's, as in the chatbot, spoken to the volunteer.
    first = next_question({})
    assert asked(response) == first.id
    assert guide_questions()[first.id].ask in page_text(response)
    assert "Question 1 sur 8" in page_text(response)

    response, seen = walk(client)
    assert response.url.path == "/guide/resultats"
    assert len(seen) == 8  # first results after 8 answers, like the chatbot
    text_ = page_text(response)
    assert "Préciser" in text_
    profile = {k: v for k, v in PROFILE.items() if k in seen}
    likely = evaluate(profile).likely
    assert likely, "the persona should have likely benefits"
    for result in likely:
        assert result.name in text_
    assert " ".join(likely[0].reasons[0].split()) in text_   # the reason sentence
    assert "Expliquez que" in text_               # talking points
    assert "À apporter" in text_ and "Relevé d'identité bancaire" in text_
    assert "Imprimer le résumé pour la personne" in text_ and "Prendre rendez-vous" in text_

    # "Préciser": the remaining questions, then the results again, now with the nearest team.
    response = client.post("/guide/preciser")
    assert response.url.path == "/guide/question" and "pour préciser les résultats" in page_text(response)
    response, more = walk(client)
    assert response.url.path == "/guide/resultats"
    assert "commune" in seen + more
    text_ = page_text(response)
    assert "Équipe « Avec vous pour vos droits »" in text_
    assert "au marché de Saint-Max le mercredi matin" in text_
    assert "écrivez « rendez-vous »" in text_      # booking goes through the chat
    assert "Préciser" not in text_                 # nothing left to ask

    # Counted once as a volunteer-led encounter, however often the results are shown.
    client.get("/guide/resultats")
    counts = stat_counts(db_url)
    assert counts[("conversation_started", "guide", "guide", "")] == 1
    assert counts[("conversation_finished", "guide", "guide", "")] == 1
    assert counts[("benefit_likely", "guide", "guide", likely[0].id)] == 1
    assert all(channel == "guide" and mode == "guide" for (_, channel, mode, _) in counts)


def test_correct_an_answer_then_continue(client):
    client.post("/guide/start")
    answers_given = []
    response = client.get("/guide/question")
    while len(answers_given) < 5:
        question_id = asked(response)
        answers_given.append(question_id)
        response = answer(client, question_id, ANSWERS[question_id])
    waiting = asked(response)
    assert waiting not in answers_given
    assert 'href="/guide/question?q=age"' in response.text  # "Corriger" link of every answer
    assert "Corriger" in page_text(response)

    # Correct the age: the page shows the current answer, the new one replaces it...
    response = client.get("/guide/question?q=age")
    assert asked(response) == "age"
    assert "Réponse actuelle : 68 ans" in page_text(response)
    response = answer(client, "age", ("text", "j'ai 72 ans"))
    assert response.url.path == "/guide/question"
    # ... and the questions go on where they were (the engine chooses again with the new answer).
    assert asked(response) not in answers_given
    recap = page_text(response).split("Réponses données", 1)[1]
    assert "72 ans" in recap and "68 ans" not in recap


def test_correction_forgets_answers_that_no_longer_apply(client):
    client.post("/guide/start")
    for question_id in ("housing", "rent"):
        response = client.get(f"/guide/question?q={question_id}")
        assert asked(response) == question_id
        answer(client, question_id, ANSWERS[question_id])
    response = client.get("/guide/question")
    assert "437 € par mois" in page_text(response)
    response = answer(client, "housing", ("button", "owner"))
    recap = page_text(response).split("Réponses données", 1)[1]
    assert "Propriétaire" in recap and "437" not in recap  # an owner pays no rent
    # A question that makes no sense any more is not offered for correction.
    assert asked(client.get("/guide/question?q=rent")) != "rent"


def test_the_situations_question_shows_only_the_choices_that_apply(client):
    """The grouped multi-choice renders as boxes; "Veuf ou veuve" only for a person who lives alone,
    "Mon conjoint" only for a couple (the questionnaire service's visible_buttons)."""
    client.post("/guide/start")
    for question_id, how in (("age", ("text", "40 ans")), ("household", ("button", "couple")),
                             ("children_count", ("text", "aucun"))):
        answer(client, question_id, how)
    response = client.get("/guide/question?q=situations")
    assert asked(response) == "situations"
    text_ = page_text(response)
    assert "Handicap reconnu" in text_ and "Grossesse" in text_ and "Aucune" in text_
    assert "Veuvage" not in text_ and 'type="checkbox"' in response.text
    response = answer(client, "situations", ("boxes", ["disability", "pregnant"]))
    assert response.status_code == 200
    response = client.get("/guide/question?q=disability_who")
    assert asked(response) == "disability_who"
    text_ = page_text(response)
    assert "Mon conjoint ou ma conjointe" in text_ and "Un de mes enfants" not in text_
    response = answer(client, "disability_who", ("boxes", ["partner"]))
    assert asked(response) != "disability"          # the resident's rate is not asked


def test_polite_errors(client):
    client.post("/guide/start")
    response = client.post("/guide/answer", data={"question": "age", "text": "bleu"})
    assert response.status_code == 200 and asked(response) == "age"
    assert 'role="alert"' in response.text and "Je n'ai pas compris cette réponse." in page_text(response)
    assert 'value="bleu"' in response.text  # what was typed stays, to be fixed

    response = client.post("/guide/answer", data={"question": "household", "choice": "married"})
    assert "Cette réponse n'est pas prévue" in page_text(response)
    response = client.post("/guide/answer", data={"question": "household", "text": ""})
    assert "Choisissez une réponse" in page_text(response)
    response = client.post("/guide/answer", data={"question": "age", "text": "je sais pas"})
    assert "Même une estimation aide beaucoup" in page_text(response)

    # "Passer" is always possible: the answer becomes "je ne sais pas" and is never re-asked.
    response = client.post("/guide/answer", data={"question": "age", "unknown": "1"})
    assert asked(response) != "age"
    assert "Ne sait pas" in page_text(response)

    # A commune typed with several matches offers them as buttons.
    response = client.post("/guide/answer", data={"question": "commune", "text": "Villers"})
    assert 'name="choice" value="54' in response.text and "Plusieurs communes" in page_text(response)


def test_no_encounter_forged_cookie_and_end(client):
    response = client.get("/guide/question")
    assert "Aucune rencontre n'est en cours" in page_text(response)
    assert client.post("/guide/answer", data={"question": "age", "text": "40"}).status_code == 409

    client.cookies.set(state.COOKIE_NAME, "forged.value.here", path="/guide")
    assert "Aucune rencontre n'est en cours" in page_text(client.get("/guide/question"))
    client.cookies.clear()

    client.post("/guide/start")
    answer(client, "age", ("text", "40"))
    response = client.post("/guide/terminer")
    assert "Les réponses ont été effacées" in page_text(response)
    assert "Aucune rencontre n'est en cours" in page_text(client.get("/guide/resume"))


def test_read_answer_uses_the_chatbot_parsers():
    household = next(q for q in load_questions() if q.id == "household")
    assert read_answer(household, {}, text="on est mariés").updates == {"household": "couple"}
    count = next(q for q in load_questions() if q.id == "children_count")
    outcome = read_answer(count, {}, text="deux enfants de 4 et 9 ans")
    assert outcome.updates["children_count"] == 2
    assert outcome.updates.get("children_ages") == [4, 9]  # a bonus fact, kept like in the chat
    assert read_answer(count, {}, buttons=["3"]).updates == {"children_count": 3}


# --- the resident's summary ----------------------------------------------------------------------


def test_printable_summary_of_the_encounter(client):
    client.post("/guide/start")
    walk(client)
    client.post("/guide/preciser")
    walk(client)
    response = client.get("/guide/resume")
    assert response.status_code == 200
    text_ = page_text(response)
    assert "Les aides à vérifier pour vous" in text_
    likely = evaluate(PROFILE).likely
    for result in likely[:MAX_RIGHTS]:
        assert result.name in text_
    if len(likely) > MAX_RIGHTS:  # one page: the others are counted, not listed
        assert likely[MAX_RIGHTS].name not in text_
        assert f"Et {len(likely) - MAX_RIGHTS} autre" in text_
    assert "À faire :" in text_
    assert "À apporter" in text_ and "Relevé d'identité bancaire" in text_
    assert "Qui voir" in text_ and "Équipe « Avec vous pour vos droits »" in text_
    assert "le mercredi matin" in text_.split("Qui voir", 1)[1]
    # Only the rights and what to do: no income, rent or age on paper.
    for figure in (str(INCOME), str(RENT), "68 ans"):
        assert figure not in response.text
    assert "@media print" in client.get("/guide/static/resume.css").text
    assert "<nav" not in response.text


def test_summary_link_for_the_chat_with_an_appointment(client, db_url):
    from booking.service import book_slot

    booked = book_slot(team_id="avec-vous-saint-max", slot_start=datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc),
                       first_name="Odette", contact_phone="06 12 34 56 78",
                       now=datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc))
    url = summary_url(PROFILE, booked.reference)
    assert url.startswith("https://droits.example.org/resume/")
    # The link carries the benefits to check, never the answers.
    data = read_summary_token(url.rsplit("/", 1)[1])
    assert data is not None and data.reference == booked.reference and data.commune == "54482"
    assert set(data.likely) == {r.id for r in evaluate(PROFILE).likely}
    assert str(INCOME) not in repr(data)

    response = client.get(url.removeprefix("https://droits.example.org"))
    assert response.status_code == 200
    text_ = page_text(response)
    assert "Votre rendez-vous" in text_ and booked.reference in text_
    assert "mercredi 2 décembre à 9 h" in text_
    assert "Marché Place à VivreS de Saint-Michel-Jéricho" in text_
    assert str(INCOME) not in response.text and str(RENT) not in response.text
    assert response.headers["referrer-policy"] == "no-referrer"


def test_summary_link_refused_when_forged_or_expired(client):
    token = summary_token(PROFILE)
    assert read_summary_token(token, max_age=-1) is None
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = client.get(f"/resume/{forged}")
    assert response.status_code == 404 and "Ce lien n'est plus valable" in page_text(response)
    # An unknown reference prints no appointment (and no error).
    response = client.get("/resume/" + summary_token(PROFILE, "AV-ZZZZ"))
    assert response.status_code == 200 and "Votre rendez-vous" not in page_text(response)


def test_nobody_without_likely_benefits_gets_an_empty_page(client):
    rich = {"age": 40, "household": "couple", "children_count": 0, "income_monthly": 9000.0,
            "housing": "owner", "work": "employed", "commune": "54395"}
    response = client.get("/resume/" + summary_token(rich))
    text_ = page_text(response)
    assert response.status_code == 200
    assert "9000" not in response.text and "9 000" not in text_
    assert "Qui voir" in text_


def test_documents_are_listed_once():
    class Entry:
        def __init__(self, documents):
            self.how_to_apply = type("How", (), {"documents": documents})()

    documents = documents_to_bring([
        Entry(["Pièce d'identité", "Relevé d'identité bancaire"]),
        Entry(["Pièce d'identité ou titre de séjour", "relevé d’identité  bancaire", "Avis d'imposition"]),
    ])
    assert documents[0] == "Pièce d'identité ou titre de séjour"  # the wider wording, needed twice
    assert len([d for d in documents if "identité bancaire" in d.replace("’", "'")]) == 1
    assert "Pièce d'identité" not in documents
    assert "Avis d'imposition" in documents


def test_static_files_are_a_closed_list(client):
    assert client.get("/guide/static/guide.css").status_code == 200
    assert client.get("/guide/static/..%2Frouter.py").status_code == 404
    assert client.get("/guide/static/router.py").status_code == 404



def test_previous_question_why_and_progress(client):
    client.post("/guide/start")
    response = client.get("/guide/question")
    first = asked(response)
    assert "Pourquoi cette question ?" in page_text(response) and "Question 1 sur 8 environ" in page_text(response)
    assert "Question précédente" not in page_text(response)        # nothing to undo yet
    response = answer(client, first, ANSWERS[first])
    second = asked(response)
    assert "Question précédente" in page_text(response) and "Question 2 sur" in page_text(response)
    response = client.post("/guide/retour")
    assert asked(response) == first                                 # asked again, answer undone
    assert "Réponses données" not in page_text(response)
    response = answer(client, first, ANSWERS[first])
    assert asked(response) == second
    assert client.post("/guide/terminer").status_code == 200
    assert client.post("/guide/retour").status_code == 409
