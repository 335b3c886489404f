"""Erase everything kept about one conversation: Rasa's record of it, its appointment requests
and the links (summary, calendar) made for it. Logs hold none of it (redaction at the source and
in ops/log_pump.py); team notifications hold only the reference (booking/notify.py).

Called by the bot's /effacer action. Rasa saves the tracker it holds in memory at the END of each
turn, and its SQL store saves "every event not yet stored" — so events deleted during the turn
come back. From inside a custom action, use `after_turn=True`: the requests are erased at once and
the conversation is erased by a background thread as soon as Rasa has saved that turn.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select

from booking.erasure import erase_conversation
from booking.models import AppointmentRequest
from core.db import session_scope
from privacy import links
from privacy.trackers import StoreUnavailable, TrackerStoreAdmin

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EraseReport:
    tracker_events_removed: int = 0
    requests_erased: int = 0
    tracker_pending: bool = False  # the conversation is being erased once the current turn is saved
    links_erased: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.tracker_events_removed or self.requests_erased or self.tracker_pending)

    def summary_fr(self) -> str:
        """What was erased, as a French noun phrase: 'vos réponses à mes questions et
        1 demande de rendez-vous'. Empty when nothing was kept."""
        parts = []
        if self.tracker_events_removed or self.tracker_pending:
            parts.append("vos réponses à mes questions")
        if self.requests_erased:
            n = self.requests_erased
            parts.append(f"{n} demande{'s' if n > 1 else ''} de rendez-vous")
        return " et ".join(parts)

    def sentence_fr(self) -> str:
        """A full sentence for the resident."""
        if not self.anything:
            return "Je n'avais rien gardé de vous : il n'y avait rien à effacer."
        return f"J'ai effacé {self.summary_fr()}."


def erase_tracker_after_turn(
    sender_id: str,
    admin: TrackerStoreAdmin,
    *,
    requested_at: float,
    wait: float = 30.0,
    settle: float = 5.0,
    poll: float = 0.2,
) -> int:
    """Wait until Rasa has saved the turn that asked for erasure (an event newer than
    `requested_at` is stored), then erase every event up to the newest one. Keep watching for
    `settle` seconds: a turn that had already loaded the old tracker would write it back, and its
    events keep their old timestamps, so they are erased again. Returns events removed."""
    deadline = time.monotonic() + wait
    latest = admin.latest_timestamp(sender_id)
    while (latest is None or latest < requested_at) and time.monotonic() < deadline:
        time.sleep(poll)
        latest = admin.latest_timestamp(sender_id)
    # If Rasa never saved (stopped, clock skew) erase what is there up to now anyway.
    cutoff = max(latest or 0.0, requested_at)
    removed = admin.erase_sender(sender_id, up_to=cutoff)
    settle_until = time.monotonic() + settle
    while time.monotonic() < settle_until:
        time.sleep(poll)
        removed += admin.erase_sender(sender_id, up_to=cutoff)
    return removed


def _erase_in_background(sender_id: str, requested_at: float, admin: TrackerStoreAdmin, own: bool) -> None:
    try:
        removed = erase_tracker_after_turn(sender_id, admin, requested_at=requested_at)
        log.info("conversation erased on request (%d events)", removed)
    except StoreUnavailable:
        # The daily retention purge is the backstop; the sender id is not logged.
        log.exception("could not erase a conversation on request")
    finally:
        if own:
            admin.close()


def erase_everything(
    sender_id: str,
    *,
    after_turn: bool = False,
    admin: TrackerStoreAdmin | None = None,
    db_url: str | None = None,
) -> EraseReport:
    """Erase this sender's appointment requests and conversation record.

    after_turn=False (CLI, staff, tests): everything is erased before returning.
    after_turn=True (a Rasa custom action): requests now, the conversation by a background thread
    once Rasa has saved the current turn (see module docstring); the report says it is pending.
    Raises StoreUnavailable if the tracker store cannot be reached (requests are erased first)."""
    if not sender_id or not isinstance(sender_id, str):
        return EraseReport()
    links_erased = _erase_links(sender_id, db_url)
    requests = erase_conversation(sender_id, url=db_url)
    own = admin is None
    admin = admin or TrackerStoreAdmin.from_config()
    if after_turn:
        requested_at = time.time()
        threading.Thread(target=_erase_in_background, args=(sender_id, requested_at, admin, own),
                         name="privacy-erase", daemon=True).start()
        return EraseReport(requests_erased=requests, tracker_pending=True, links_erased=links_erased)
    try:
        events = admin.erase_sender(sender_id)
    finally:
        if own:
            admin.close()
    return EraseReport(tracker_events_removed=events, requests_erased=requests, links_erased=links_erased)


def _erase_links(sender_id: str, db_url: str | None) -> int:
    """The conversation's links, and those of its requests (made elsewhere, e.g. by staff)."""
    with session_scope(db_url) as db:
        references = list(db.scalars(select(AppointmentRequest.reference)
                                     .where(AppointmentRequest.conversation_id == sender_id)))
    return links.erase_links(conversation_id=sender_id, references=references, url=db_url)
