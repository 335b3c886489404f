"""Client for Rasa's REST channel, shared by the web proxy and the Telegram process.

Rasa answers POST /webhooks/rest/webhook with a list of bot messages. This module sends one user
message and returns the messages cleaned to the keys the channels know how to render, so that a
surprising reply (wrong types, unknown keys) never reaches a resident as a crash.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import httpx

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/rest/webhook"
# Rasa can take a few seconds when a custom action queries the database; past this we apologise.
DEFAULT_TIMEOUT_SECONDS = float(os.environ.get("RASA_TIMEOUT_SECONDS", "20"))


class RasaUnavailable(Exception):
    """Rasa could not be reached, was too slow, or answered something unusable."""


def clean_button(raw: Any) -> dict[str, str] | None:
    """{"title", "payload"}, plus "url" for a link button (http(s) only: never javascript:)."""
    if not isinstance(raw, dict):
        return None
    title = raw.get("title")
    payload = raw.get("payload")
    if not isinstance(title, str) or not title.strip():
        return None
    if not isinstance(payload, str) or not payload.strip():
        payload = title
    button = {"title": title.strip(), "payload": payload.strip()}
    url = raw.get("url")
    if isinstance(url, str) and url.startswith(("https://", "http://")) and not any(c.isspace() for c in url):
        button["url"] = url
    return button


def clean_message(raw: Any) -> dict[str, Any] | None:
    """Keep text, buttons, image and custom; drop anything else. None if nothing is left."""
    if not isinstance(raw, dict):
        return None
    msg: dict[str, Any] = {}
    if isinstance(raw.get("text"), str) and raw["text"].strip():
        msg["text"] = raw["text"]
    buttons = [b for b in map(clean_button, raw.get("buttons") or []) if b]
    if buttons:
        msg["buttons"] = buttons
    image = raw.get("image")
    if isinstance(image, str) and image.startswith(("https://", "http://", "/")):
        msg["image"] = image
    if isinstance(raw.get("custom"), dict) and raw["custom"]:
        msg["custom"] = raw["custom"]
    return msg or None


async def send_to_rasa(
    rasa_url: str,
    sender: str,
    message: str,
    metadata: dict[str, Any],
    *,
    timeout: float | None = None,
    client: httpx.AsyncClient | None = None,
) -> list[dict[str, Any]]:
    """Send one message to Rasa's REST channel; return the cleaned bot messages (maybe empty).

    Raises RasaUnavailable on connection errors, time-outs, HTTP errors or a non-list body.
    """
    url = rasa_url.rstrip("/") + WEBHOOK_PATH
    body = {"sender": sender, "message": message, "metadata": metadata}
    timeout = DEFAULT_TIMEOUT_SECONDS if timeout is None else timeout
    try:
        if client is None:
            async with httpx.AsyncClient(timeout=timeout) as own_client:
                resp = await own_client.post(url, json=body)
        else:
            resp = await client.post(url, json=body, timeout=timeout)
        resp.raise_for_status()
        data = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        # The exception type is enough to diagnose; never log the message text.
        log.warning("Rasa REST call failed: %s", type(exc).__name__)
        raise RasaUnavailable(type(exc).__name__) from exc
    if not isinstance(data, list):
        log.warning("Rasa REST call returned a %s, expected a list", type(data).__name__)
        raise RasaUnavailable("unexpected body")
    return [m for m in map(clean_message, data) if m]
