"""Signed links to a request's .ics invitation: the reference alone is guessable, the link is not."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

from core.settings import get_settings

_SALT = "ics-link"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().secret_key, salt=_SALT)


def ics_token(reference: str) -> str:
    return _serializer().dumps(reference)


def reference_from_token(token: str) -> str | None:
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def ics_url(reference: str) -> str:
    return f"{get_settings().public_url}/rdv/{ics_token(reference)}.ics"
