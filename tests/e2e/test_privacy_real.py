"""Privacy with the real stack: nothing a resident typed reaches the log files at the default
level, and "effacer mes données" erases the conversation and the requests everywhere."""

from __future__ import annotations

import sqlite3
import time

import pytest

from booking import service
from privacy.log_scan import scan_folder
from tests.e2e.test_conversation_rest import answer_until_results

pytestmark = pytest.mark.e2e

FIRST_NAME = "Zéphirine"
PHONE = "07 81 22 33 99"


def test_logs_hold_no_answer_and_erasure_is_complete(chat, stack):
    db_url = stack.environment()["DATABASE_URL"]
    chat.say("bonjour")
    chat.say("/start_benefits_check")
    answer_until_results(chat)
    chat.say("/book_appointment")
    if chat.slot("requested_slot") == "commune":
        chat.say("nancy")
    chat.say([b for b in chat.buttons if "slot_choice" in b["payload"]][0]["payload"])
    chat.say(FIRST_NAME)
    chat.say(PHONE)
    chat.say("oui")
    chat.say("oui")  # the recap
    reference = next(w.rstrip(".") for w in chat.text.split() if w.startswith("AV-"))
    assert service.find_by_reference(reference, url=db_url) is not None

    secrets = [FIRST_NAME, PHONE, PHONE.replace(" ", ""), "+33781223399", "soixante-huit", "720 euros",
               "450 balles", "retraitée", "je vis seule"]
    hits = scan_folder(stack.log_dir, secrets)
    assert hits == [], hits

    chat.say("effacer mes données")
    assert "effacer" in chat.text.lower()
    chat.say("oui")
    assert "effacé" in chat.text
    assert service.find_by_reference(reference, url=db_url) is None
    # The conversation leaves the tracker store once Rasa has saved this last turn.
    trackers = stack.run_dir / "rasa_trackers.db"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with sqlite3.connect(trackers) as conn:
            left = conn.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (chat.sender,)).fetchone()[0]
        if left == 0:
            break
        time.sleep(1)
    assert left == 0
    time.sleep(6)  # the re-check window after erasure
    with sqlite3.connect(trackers) as conn:
        assert conn.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (chat.sender,)).fetchone()[0] == 0
    # Every file of the run folder (logs, databases, WAL files, endpoints), not only the logs:
    # no personal answer, no secret but in the secret store, nothing readable by another user.
    # The stack is shared by the e2e tests: other conversations (with the same typical answers)
    # are still in the tracker store, so the whole-folder scan looks for what only this one gave
    # (its first name and phone) and for the secrets; the log scan above covered every answer.
    own = [FIRST_NAME, PHONE, PHONE.replace(" ", ""), "+33781223399"]
    leaks = [h for h in scan_folder(stack.run_dir, own + [stack.api_token]) if h.path.name != "secret_key"]
    assert leaks == [], leaks
    secret_key = (stack.run_dir / "secret_key").read_text().strip() if (stack.run_dir / "secret_key").exists() else ""
    if secret_key:
        assert [h for h in scan_folder(stack.run_dir, [secret_key]) if h.path.name != "secret_key"] == []
    loose = [p for p in [stack.run_dir, *stack.run_dir.rglob("*")]
             if not p.is_symlink() and p.stat().st_mode & 0o077]
    assert loose == [], loose
