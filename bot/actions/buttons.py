"""Button payloads shared by the actions (Rasa's `/intent{json}` form)."""

from __future__ import annotations

import json
from typing import Any


def payload(intent: str, **entities: Any) -> str:
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"


def button(title: str, intent: str, **entities: Any) -> dict[str, str]:
    return {"title": title, "payload": payload(intent, **entities)}


MENU = [
    button("Trouver mes aides", "start_benefits_check"),
    button("Prendre rendez-vous", "book_appointment"),
    button("Parler à quelqu'un", "talk_to_person"),
]
PRIVACY = button("Qui voit mes réponses ?", "privacy")


def url_button(title: str, url: str) -> dict[str, str]:
    """A link shown as a button (the widget opens it, Telegram makes it a URL button). The payload
    is the title, for a channel that cannot show links: Rasa then understands the words."""
    return {"title": title, "url": url, "payload": title, "type": "web_url"}
