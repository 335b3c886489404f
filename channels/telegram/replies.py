"""Turn Rasa's bot messages into the Telegram messages to send (pure functions, no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from channels.telegram import texts
from channels.telegram.buttons import ButtonStore, SharedButtonStore, inline_keyboard, public_url

MAX_MESSAGE_CHARS = 4096  # Telegram's limit for one message
URL_RE = re.compile(r"https?://[^\s<>\"]+")


@dataclass
class Outgoing:
    text: str | None = None
    photo: str | None = None
    inline: InlineKeyboardMarkup | None = None
    ask_contact: bool = False


def split_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Split a long text into pieces of at most `limit` characters, preferring paragraph breaks,
    then line breaks, then sentence ends, then spaces; a hard cut only as a last resort."""
    text = text.strip()
    pieces: list[str] = []
    while len(text) > limit:
        window = text[:limit + 1]
        cut = -1
        for sep in ("\n\n", "\n", ". ", " "):
            at = window.rfind(sep)
            if at > limit // 3:  # not a tiny first piece
                cut = at + (1 if sep == ". " else 0)
                break
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def contact_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(texts.SHARE_CONTACT_BUTTON, request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder="Ou écrivez votre numéro",
    )


def link_label(url: str) -> str:
    """What a link opens, as the widget says it (signed links are long and mean nothing)."""
    if re.search(r"/rdv/[^/]+\.ics$", url):
        return "Ajouter à mon agenda"
    if "/resume/" in url:
        return "Ouvrir mon résumé"
    return "Ouvrir " + re.sub(r"^https?://(www\.)?", "", url).split("/")[0]


def links_as_buttons(text: str) -> tuple[str, list[dict[str, str]]]:
    """Raw public links in a text become URL buttons; the text keeps what they open.
    "Votre résumé : https://…/resume/…" -> ("Votre résumé : « Ouvrir mon résumé » (bouton ci-dessous)", [button])."""
    buttons: list[dict[str, str]] = []

    def replace(match: re.Match) -> str:
        url = match.group(0).rstrip(".,;:!?)")
        tail = match.group(0)[len(url):]
        if not public_url(url):
            return match.group(0)
        label = link_label(url)
        buttons.append({"title": label, "url": url, "payload": label})
        return f"« {label} » (bouton ci-dessous){tail}"

    return URL_RE.sub(replace, text), buttons


def build_outgoing(messages: list[dict[str, Any]], store: ButtonStore | SharedButtonStore, chat_id: int) -> list[Outgoing]:
    out: list[Outgoing] = []
    for msg in messages:
        links: list[dict[str, str]] = []
        if msg.get("text"):
            text, links = links_as_buttons(msg["text"])
            pieces = split_text(text)
            out.extend(Outgoing(text=p) for p in pieces)
        if msg.get("buttons") or links:
            keyboard = inline_keyboard(store, chat_id, links + list(msg.get("buttons") or []))
            if msg.get("text"):
                out[-1].inline = keyboard  # buttons go under the last piece
            else:
                out.append(Outgoing(text="Choisissez une réponse :", inline=keyboard))
        if msg.get("image"):
            out.append(Outgoing(photo=msg["image"]))
        custom = msg.get("custom") or {}
        if custom.get("ask_contact"):
            # Rasa sends a custom payload as its own message, after the question's text: the
            # "share my number" keyboard goes on that text unless it already carries buttons.
            own_text = custom.get("text") if isinstance(custom.get("text"), str) else None
            last = out[-1] if out else None
            if own_text:
                out.append(Outgoing(text=own_text, ask_contact=True))
            elif last is not None and last.text and last.inline is None and not last.ask_contact:
                last.ask_contact = True
            else:
                out.append(Outgoing(text=texts.SHARE_CONTACT_PROMPT, ask_contact=True))
    return out
