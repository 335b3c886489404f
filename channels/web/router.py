"""Web channel: the demo page at /, the widget's static files under /widget/, and /api/chat.

/api/chat is the only way the browser talks to the bot: it checks the input, forwards it to Rasa's
REST channel with {"channel": "web"} metadata, and always answers 200 or 400 with French messages
the widget can show (a polite apology when Rasa is down or slow), never a 500.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from channels import rasa_rest
from core.settings import get_settings

log = logging.getLogger(__name__)

router = APIRouter()

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
DEMO_PAGE = HERE / "pages" / "demo.html"

MAX_MESSAGE_CHARS = 1000
MAX_BODY_BYTES = 8 * 1024
SENDER_RE = re.compile(r"^web-[A-Za-z0-9_-]{8,64}$")
# Seconds the proxy waits for Rasa; tests lower it.
RASA_TIMEOUT_SECONDS = 20.0
# Payloads the widget sends itself and for which an empty reply is normal.
SILENT_OK_PAYLOADS = {"/restart"}

TEXT_UNAVAILABLE = (
    "Désolé, l'assistant ne peut pas répondre pour le moment. "
    "Pouvez-vous réessayer dans quelques minutes ?"
)
TEXT_NO_REPLY = "Désolé, je n'ai pas pu répondre. Pouvez-vous réessayer ?"
TEXT_EMPTY = "Votre message est vide. Pouvez-vous écrire votre question ?"
TEXT_TOO_LONG = (
    f"Votre message est trop long (plus de {MAX_MESSAGE_CHARS} caractères). "
    "Pouvez-vous l'écrire en plus court ?"
)
TEXT_BAD_REQUEST = "Désolé, je n'ai pas compris cette demande. Pouvez-vous recharger la page ?"

_CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


def _bot_says(text: str) -> dict[str, Any]:
    return {"text": text}


def _error(status: int, code: str, text: str) -> JSONResponse:
    return JSONResponse({"error": code, "messages": [_bot_says(text)]}, status_code=status)


def _validate(body: Any) -> tuple[str, str] | JSONResponse:
    """Return (sender, message) or the polite error response to send back."""
    if not isinstance(body, dict):
        return _error(400, "bad_request", TEXT_BAD_REQUEST)
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not SENDER_RE.match(sender):
        return _error(400, "bad_sender", TEXT_BAD_REQUEST)
    if not isinstance(message, str):
        return _error(400, "bad_request", TEXT_BAD_REQUEST)
    message = message.strip()
    if not message:
        return _error(400, "empty", TEXT_EMPTY)
    if len(message) > MAX_MESSAGE_CHARS:
        return _error(400, "too_long", TEXT_TOO_LONG)
    return sender, message


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def demo_page() -> HTMLResponse:
    return HTMLResponse(DEMO_PAGE.read_text(encoding="utf-8"))


@router.get("/widget/{name}", include_in_schema=False)
async def widget_file(name: str) -> Response:
    # Only plain file names from the static folder: no sub-paths, no dot files.
    path = STATIC_DIR / name
    if "/" in name or name.startswith(".") or path.suffix not in _CONTENT_TYPES or not path.is_file():
        return Response("Introuvable", status_code=404, media_type="text/plain; charset=utf-8")
    return FileResponse(
        path,
        media_type=_CONTENT_TYPES[path.suffix],
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.post("/api/chat")
async def chat(request: Request) -> JSONResponse:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        return _error(400, "too_long", TEXT_TOO_LONG)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _error(400, "bad_request", TEXT_BAD_REQUEST)
    checked = _validate(body)
    if isinstance(checked, JSONResponse):
        return checked
    sender, message = checked
    try:
        messages = await rasa_rest.send_to_rasa(
            get_settings().rasa_url,
            sender,
            message,
            {"channel": "web"},
            timeout=RASA_TIMEOUT_SECONDS,
        )
    except rasa_rest.RasaUnavailable:
        return JSONResponse({"error": "unavailable", "messages": [_bot_says(TEXT_UNAVAILABLE)]})
    except Exception:  # never a 500 for the resident: log the type only
        log.exception("unexpected error in /api/chat")
        return JSONResponse({"error": "unavailable", "messages": [_bot_says(TEXT_UNAVAILABLE)]})
    if not any("text" in m or "buttons" in m or "image" in m for m in messages):
        if message not in SILENT_OK_PAYLOADS:
            return JSONResponse({"error": "no_reply", "messages": [_bot_says(TEXT_NO_REPLY)]})
    return JSONResponse({"messages": messages})
