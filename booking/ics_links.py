"""Links to a request's .ics invitation: an opaque random id (privacy/links.py), not the
reference (guessable) nor a signature of it (readable, never expiring). The link expires 90 days
after it was made and is deleted when the resident erases their data."""

from __future__ import annotations

from datetime import timedelta

from core.settings import get_settings
from privacy import links

KIND = "ics"
TTL = timedelta(days=90)


def ics_token(reference: str) -> str:
    return links.create_link(KIND, {"reference": reference}, ttl=TTL, reference=reference)


def reference_from_token(token: str) -> str | None:
    data = links.resolve(KIND, token)
    value = data.get("reference") if data else None
    return value if isinstance(value, str) else None


def ics_url(reference: str) -> str:
    return f"{get_settings().public_url}/rdv/{ics_token(reference)}.ics"
