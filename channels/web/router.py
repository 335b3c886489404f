"""Web channel: the demo page at /, the widget's static files under /widget/, and /api/chat.

/api/chat is the only way the browser talks to the bot: it checks the input, forwards it to Rasa's
REST channel with {"channel": "web"} metadata, and always answers with French messages the widget
can show (a polite apology when Rasa is down or slow), never a 500.

The conversation id (Rasa's sender id) is issued by the server in a signed, HttpOnly,
SameSite=Strict cookie: the browser cannot choose it, a script on the page cannot read it, and
another site cannot post in the resident's name. A `sender` in the body is ignored.
The body is read with a size limit (never the whole of a huge post), and each conversation and
each address may send a bounded number of messages per minute.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from itsdangerous import BadSignature, TimestampSigner

from channels import rasa_rest, routing
from channels.input_limits import (
    MAX_MESSAGE_CHARS,
    PER_IP_PER_MINUTE,
    PER_SENDER_PER_MINUTE,
    TEXT_SLOW_DOWN,
    TEXT_TOO_LONG,
    RateLimiter,
    clean_text,
)
from core.settings import get_settings
from followup.replies import widget_prompt

log = logging.getLogger(__name__)

router = APIRouter()

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
DEMO_PAGE = HERE / "pages" / "demo.html"

MAX_BODY_BYTES = 8 * 1024
SENDER_RE = re.compile(r"^web-[0-9a-f]{32}$")
SENDER_COOKIE = "avecvous_chat"
SENDER_MAX_AGE_SECONDS = 30 * 24 * 3600  # as long as a conversation is kept
_SENDER_SALT = "avecvous-web-sender"
sender_limiter = RateLimiter(PER_SENDER_PER_MINUTE)
ip_limiter = RateLimiter(PER_IP_PER_MINUTE)
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


def _validate(body: Any) -> str | JSONResponse:
    """Return the message or the polite error response to send back."""
    if not isinstance(body, dict):
        return _error(400, "bad_request", TEXT_BAD_REQUEST)
    message = body.get("message")
    if not isinstance(message, str):
        return _error(400, "bad_request", TEXT_BAD_REQUEST)
    message = clean_text(message)
    if not message:
        return _error(400, "empty", TEXT_EMPTY)
    if len(message) > MAX_MESSAGE_CHARS:
        return _error(400, "too_long", TEXT_TOO_LONG)
    return message


def _signer() -> TimestampSigner:
    return TimestampSigner(get_settings().secret_key, salt=_SENDER_SALT)


def sender_from_cookie(value: str | None) -> str | None:
    """The conversation id of a cookie this server issued (and not older than 30 days)."""
    if not value:
        return None
    try:
        sender = _signer().unsign(value, max_age=SENDER_MAX_AGE_SECONDS).decode()
    except (BadSignature, UnicodeDecodeError):
        return None
    return sender if SENDER_RE.match(sender) else None


def _set_sender_cookie(response: Response, sender: str) -> None:
    secure = get_settings().public_url.startswith("https://")
    # Over HTTPS the __Host- prefix stops a sibling sub-domain from planting its own cookie.
    name, path = (f"__Host-{SENDER_COOKIE}", "/") if secure else (SENDER_COOKIE, "/api/chat")
    response.set_cookie(name, _signer().sign(sender).decode(), max_age=SENDER_MAX_AGE_SECONDS,
                        path=path, httponly=True, samesite="strict", secure=secure)


def _sender_of(request: Request) -> str | None:
    return sender_from_cookie(request.cookies.get(f"__Host-{SENDER_COOKIE}")
                              or request.cookies.get(SENDER_COOKIE))


async def read_capped(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to exceed `limit` bytes: a declared length is
    trusted for refusing, never for accepting, and the stream is read only up to the limit."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def client_ip(request: Request) -> str:
    # Behind the reverse proxy, uvicorn puts the X-Forwarded-For address here (it trusts that
    # header from 127.0.0.1 only, its default --forwarded-allow-ips).
    return request.client.host if request.client else "-"


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
    sender = _sender_of(request)
    new_sender = sender is None
    if sender is None:
        sender = "web-" + secrets.token_hex(16)
    response = await _chat(request, sender)
    if new_sender:
        _set_sender_cookie(response, sender)
    return response


async def _chat(request: Request, sender: str) -> JSONResponse:
    if not ip_limiter.allow(client_ip(request)) or not sender_limiter.allow(sender):
        return _error(429, "slow_down", TEXT_SLOW_DOWN)
    # A JSON body only: a form posted by another site (CSRF) is not even read.
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return _error(400, "bad_request", TEXT_BAD_REQUEST)
    raw = await read_capped(request, MAX_BODY_BYTES)
    if raw is None:
        return _error(413, "too_long", TEXT_TOO_LONG)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _error(400, "bad_request", TEXT_BAD_REQUEST)
    checked = _validate(body)
    if isinstance(checked, JSONResponse):
        return checked
    message = checked
    try:
        messages = await routing.send_to_rasa(  # the sender's Rasa replica (channels/routing.py)
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
    if message == GREETING:
        messages = messages + await _followup_messages(sender)
    return JSONResponse({"messages": messages})


GREETING = "/greet"   # what the widget sends when it opens


async def _followup_messages(sender: str) -> list[dict[str, Any]]:
    """A returning resident is told, after the greeting, that a request was transferred to another
    team ("Votre demande a été transmise à …", booking/transfer_notify.py), and, if they agreed
    to a follow-up, sees "Avez-vous pu faire la demande ?" with a link to answer (followup/)."""
    return await _transfer_messages(sender) + await _followup_question(sender)


async def _transfer_messages(sender: str) -> list[dict[str, Any]]:
    from booking.transfer_notify import widget_notices  # noqa: PLC0415 - kept next to its only use

    try:
        texts = await asyncio.to_thread(widget_notices, sender)
    except Exception:  # the greeting must never fail because of a notice
        log.exception("transfer notices unavailable")
        return []
    return [{"text": text} for text in texts]


async def _followup_question(sender: str) -> list[dict[str, Any]]:
    try:
        prompt = await asyncio.to_thread(widget_prompt, sender)
    except Exception:  # the greeting must never fail because of the follow-up
        log.exception("follow-up prompt unavailable")
        return []
    if prompt is None:
        return []
    return [{"text": prompt.text, "buttons": [{"title": "Répondre à cette question", "url": prompt.answer_url}]}]
