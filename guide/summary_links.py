"""Links to the resident's printable summary, for the chat: `summary_url(profile, reference)`.

The link holds an opaque random id (privacy/links.py): what the summary shows (the ids of the
benefits worth checking, the commune, the appointment reference) stays on the server. A link may
be forwarded or stay in a phone's history, so nothing about the person is readable from it. It
expires after 30 days and is deleted when the resident erases their data.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.settings import get_settings
from guide.summary import SummaryData, summary_data
from privacy import links

MAX_AGE_SECONDS = 30 * 24 * 3600
KIND = "summary"


def summary_token(profile: dict[str, Any], reference: str | None = None,
                  conversation_id: str | None = None) -> str:
    return links.create_link(KIND, summary_data(profile, reference).to_data(),
                             ttl=timedelta(seconds=MAX_AGE_SECONDS), conversation_id=conversation_id,
                             reference=reference)


def summary_url(profile: dict[str, Any], reference: str | None = None,
                conversation_id: str | None = None) -> str:
    """The address of the printable summary for this profile (and appointment, if any)."""
    base = get_settings().public_url.rstrip("/")
    return f"{base}/resume/{summary_token(profile, reference, conversation_id)}"


def read_summary_token(token: str, max_age: int = MAX_AGE_SECONDS) -> SummaryData | None:
    """The summary a link designates, or None when unknown, expired, erased or malformed."""
    data = links.resolve(KIND, token, max_age=timedelta(seconds=max_age))
    return SummaryData.from_data(data) if data is not None else None
