"""Links to the resident's printable summary, for the chat: `summary_url(profile, reference)`.

The link is signed (itsdangerous, the project's secret key) and valid 30 days. It carries what the
summary shows (the ids of the benefits worth checking, the commune, the appointment reference)
and never the answers themselves: a link may be forwarded or stay in a phone's history, so the
person's income must not be readable from it.
"""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from core.settings import get_settings
from guide.summary import SummaryData, summary_data

MAX_AGE_SECONDS = 30 * 24 * 3600
_SALT = "guide-summary"


def _serializer() -> URLSafeTimedSerializer:
    # URL-safe serializers write compact JSON and compress it: the link goes in a chat message.
    return URLSafeTimedSerializer(get_settings().secret_key, salt=_SALT)


def summary_token(profile: dict[str, Any], reference: str | None = None) -> str:
    return _serializer().dumps(summary_data(profile, reference).to_data())


def summary_url(profile: dict[str, Any], reference: str | None = None) -> str:
    """The address of the printable summary for this profile (and appointment, if any)."""
    base = get_settings().public_url.rstrip("/")
    return f"{base}/resume/{summary_token(profile, reference)}"


def read_summary_token(token: str, max_age: int = MAX_AGE_SECONDS) -> SummaryData | None:
    """The summary a link designates, or None when forged, expired or malformed."""
    if not token or len(token) > 4000:
        return None
    try:
        data = _serializer().loads(token, max_age=max_age)
    except BadSignature:  # also SignatureExpired
        return None
    return SummaryData.from_data(data)
