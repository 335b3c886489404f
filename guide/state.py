"""The state of one encounter, kept in an encrypted cookie in the volunteer's browser.

Nothing is stored on the server (privacy): the answers live in the cookie until the volunteer
ends the encounter or it expires. The cookie is encrypted and authenticated (Fernet: AES + HMAC,
key derived from the project's secret key): nobody can read the answers from it (a shared
computer, a browser extension, a proxy log), forge or edit it. It is also HttpOnly and scoped
to /guide.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from benefits import load_questions
from core.settings import get_settings
from questionnaire import FIRST_RESULTS_AFTER, REFINE_BUDGET, State

COOKIE_NAME = "guide_rencontre"
COOKIE_PATH = "/guide"
MAX_AGE_SECONDS = 4 * 3600   # a market morning; an older encounter starts again
_SALT = "guide-encounter"


@dataclass
class Encounter:
    id: str = field(default_factory=lambda: secrets.token_hex(8))  # only to count it once in statistics
    profile: dict[str, Any] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)   # question ids in the order they were answered
    budget: int = FIRST_RESULTS_AFTER
    finished: bool = False                           # results already counted in statistics
    history: list[dict[str, Any]] = field(default_factory=list)   # what "Question précédente" undoes
    modifying: str | None = None                     # the question to ask first (after "back")

    def to_data(self) -> dict[str, Any]:
        return {"i": self.id, "p": self.profile, "o": self.order, "b": self.budget, "f": self.finished,
                "h": self.history, "m": self.modifying}

    def to_state(self) -> State:
        """The questionnaire service's state (the same object the chatbot keeps in its slots)."""
        return State.from_data({"o": self.order, "h": self.history, "b": self.budget, "m": self.modifying},
                               self.profile)

    def update_from(self, questionnaire: State) -> None:
        self.profile, self.order, self.budget = questionnaire.profile, questionnaire.order, questionnaire.budget
        self.history, self.modifying = questionnaire.history, questionnaire.modifying

    @classmethod
    def from_data(cls, data: Any) -> Encounter | None:
        """None when the data is not a well-formed encounter (old format, edited by hand)."""
        if not isinstance(data, dict):
            return None
        known = {q.id for q in load_questions()}
        profile, order = data.get("p"), data.get("o")
        if not isinstance(profile, dict) or not isinstance(order, list):
            return None
        if not set(profile) <= known or not all(isinstance(q, str) and q in profile for q in order):
            return None
        budget = data.get("b")
        if not isinstance(budget, int) or isinstance(budget, bool) or not 1 <= budget <= REFINE_BUDGET:
            return None
        encounter_id = data.get("i")
        if not isinstance(encounter_id, str) or not encounter_id:
            return None
        # Answers missing from the order (none in practice) are listed last.
        order = list(dict.fromkeys(order)) + [q for q in profile if q not in order]
        restored = State.from_data({"h": data.get("h"), "m": data.get("m")}, profile)
        return cls(id=encounter_id, profile=dict(profile), order=order, budget=budget,
                   finished=bool(data.get("f")), history=restored.history, modifying=restored.modifying)


def _fernet() -> Fernet:
    key = hashlib.sha256(f"{_SALT}|{get_settings().secret_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def dump(encounter: Encounter) -> str:
    plain = json.dumps(encounter.to_data(), separators=(",", ":"), ensure_ascii=False).encode()
    return _fernet().encrypt(plain).decode("ascii")


def load(token: str | None, max_age: int = MAX_AGE_SECONDS) -> Encounter | None:
    """The encounter in a cookie value, or None when absent, forged, expired or malformed."""
    if not token or len(token) > 8000:
        return None
    try:
        plain = _fernet().decrypt(token.encode("ascii", errors="replace"), ttl=max_age)
        data = json.loads(plain)
    except (InvalidToken, ValueError):  # also expired
        return None
    return Encounter.from_data(data)
