"""The staff session: a small dict in a signed, HttpOnly, SameSite=Lax cookie scoped to /staff.

Kept inside the router (no app-level middleware), so mounting the router is all it takes.
The cookie is signed, not encrypted: it holds only ids and random tokens, never personal data.
Being logged in also needs the server-side session its "sid" names (staff/sessions.py): logging
out deletes it, so a copy of the cookie is worthless afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from core.settings import get_settings

COOKIE_NAME = "avecvous_staff"
COOKIE_PATH = "/staff"
MAX_AGE_SECONDS = 10 * 60 * 60  # a working day; then log in again
_SALT = "avecvous-staff-session"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=_SALT, serializer=json)


def password_fingerprint(password_hash: str) -> str:
    """Changes when the password changes, so a reset logs out every open session."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


class CookieSession:
    def __init__(self, data: dict[str, Any] | None = None, had_cookie: bool = False) -> None:
        self.data: dict[str, Any] = dict(data or {})
        self.modified = False
        self.had_cookie = had_cookie

    @classmethod
    def load(cls, request: Request) -> CookieSession:
        raw = request.cookies.get(COOKIE_NAME)
        if not raw:
            return cls()
        try:
            data = _serializer().loads(raw, max_age=MAX_AGE_SECONDS)
        except BadSignature:  # also covers expired signatures
            return cls(had_cookie=True)
        if not isinstance(data, dict):
            return cls(had_cookie=True)
        return cls(data, had_cookie=True)

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.data[key] = value
        self.modified = True

    def pop(self, key: str, default: Any = None) -> Any:
        if key in self.data:
            self.modified = True
        return self.data.pop(key, default)

    def clear(self) -> None:
        self.data = {}
        self.modified = True

    def csrf_token(self) -> str:
        """The per-session token every form carries; created on first use."""
        token = self.data.get("csrf")
        if not token:
            token = secrets.token_urlsafe(32)
            self.set("csrf", token)
        return token

    def rotate_csrf(self) -> None:
        self.set("csrf", secrets.token_urlsafe(32))

    def csrf_matches(self, submitted: object) -> bool:
        expected = self.data.get("csrf")
        if not expected or not isinstance(submitted, str) or not submitted:
            return False
        return hmac.compare_digest(expected.encode(), submitted.encode())

    def flash(self, message: str, kind: str = "ok") -> None:
        """A message shown once on the next page (e.g. after a redirect)."""
        self.set("flash", {"message": message, "kind": kind})

    def take_flash(self) -> dict[str, str] | None:
        return self.pop("flash")

    def save(self, response: Response) -> None:
        if not self.modified:
            return
        secure = get_settings().public_url.startswith("https://")
        if self.data:
            response.set_cookie(
                COOKIE_NAME, _serializer().dumps(self.data), max_age=MAX_AGE_SECONDS,
                path=COOKIE_PATH, httponly=True, samesite="lax", secure=secure,
            )
        elif self.had_cookie:
            response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, httponly=True, samesite="lax", secure=secure)
