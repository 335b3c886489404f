"""Senders of the follow-up message: Telegram (inline buttons) and e-mail (a link to the answer
page). The channels are booking.notify's; no message text is ever logged."""

from __future__ import annotations

import asyncio

from booking import notify
from core.settings import Settings, get_settings
from followup import messages
from followup.models import FollowUp
from followup.service import benefit_labels, callback_data


def answer_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/suivi/{token}"


async def _telegram(settings: Settings, row: FollowUp, text: str) -> None:
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup  # noqa: PLC0415
    from telegram.request import HTTPXRequest  # noqa: PLC0415

    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=callback_data(row.token, value))] for value, label in messages.buttons()]
    )
    request = HTTPXRequest(connect_timeout=5, read_timeout=10, write_timeout=10)
    bot = Bot(settings.telegram_token, base_url=settings.telegram_api_base_url, request=request)
    async with bot:
        await bot.send_message(chat_id=row.telegram_chat_id, text=text, reply_markup=keyboard)


def telegram_sender(settings: Settings | None = None):  # noqa: ANN201
    settings = settings or get_settings()

    def send(row: FollowUp) -> None:
        if not settings.telegram_token:
            raise notify.ChannelError("telegram: not configured")
        asyncio.run(_telegram(settings, row, messages.question(row.first_name, row.step, benefit_labels(row))))

    return send


def email_sender(settings: Settings | None = None):  # noqa: ANN201
    settings = settings or get_settings()

    def send(row: FollowUp) -> None:
        if not settings.smtp_host:
            raise notify.ChannelError("email: not configured")
        text = messages.question(row.first_name, row.step, benefit_labels(row))
        # The link on its own line: mail programs make it clickable.
        text += f"\n\nPour répondre en un clic :\n{answer_url(settings, row.token)}\n\nAvec vous pour vos droits"
        notify.send_email(settings, row.email, "Avez-vous pu faire la demande ?", text)

    return send


def default_senders(settings: Settings | None = None) -> dict:
    """Telegram and e-mail are sent; "web" rows wait for the resident to come back to the widget."""
    settings = settings or get_settings()
    return {"telegram": telegram_sender(settings), "email": email_sender(settings), "web": None}
