"""Reading the resident's profile and context out of a Rasa tracker."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from benefits import load_questions

UNKNOWN = "unknown"


def question_ids() -> list[str]:
    return [q.id for q in load_questions()]


def question(question_id: str):  # noqa: ANN201 - a benefits.schema.Question
    for q in load_questions():
        if q.id == question_id:
            return q
    raise KeyError(question_id)


def profile_from_tracker(tracker: Tracker) -> dict[str, Any]:
    """The answers given so far, keyed by question id (missing = not asked yet)."""
    profile: dict[str, Any] = {}
    for qid in question_ids():
        value = tracker.get_slot(qid)
        if value is not None:
            profile[qid] = value
    return profile


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def latest_intent(tracker: Tracker) -> tuple[str, float]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name") or "", float(intent.get("confidence") or 0.0)


def latest_entities(tracker: Tracker) -> dict[str, Any]:
    return {e["entity"]: e.get("value") for e in (tracker.latest_message or {}).get("entities") or []}


def channel_of(tracker: Tracker) -> str:
    """'telegram', 'web', 'guide' or 'rest', from the metadata the channels attach."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata") or {}
            if metadata.get("channel"):
                return str(metadata["channel"])
    return "rest"


def telegram_chat_id(tracker: Tracker) -> str | None:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            chat_id = (event.get("metadata") or {}).get("chat_id")
            if chat_id:
                return str(chat_id)
    if tracker.sender_id.startswith("tg-"):
        return tracker.sender_id[3:]
    return None
