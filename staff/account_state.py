"""Per-account security state kept beside the account: a temporary password that must be
changed at the next login, and the optional TOTP secret (authenticator app) of an admin.

An account without a row has neither: accounts made before this table behave as before.
"""

from __future__ import annotations

import pyotp
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base

ISSUER = "Avec vous pour vos droits"


class AccountState(Base):
    __tablename__ = "staff_account_state"

    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)


def _state(db: Session, user_id: int, create: bool = False) -> AccountState | None:
    state = db.get(AccountState, user_id)
    if state is None and create:
        state = AccountState(user_id=user_id, must_change_password=False, totp_secret=None)
        db.add(state)
    return state


def must_change_password(db: Session, user_id: int) -> bool:
    state = _state(db, user_id)
    return bool(state and state.must_change_password)


def set_must_change_password(db: Session, user_id: int, value: bool) -> None:
    state = _state(db, user_id, create=value)
    if state is not None:
        state.must_change_password = value
    db.flush()


def totp_secret(db: Session, user_id: int) -> str | None:
    state = _state(db, user_id)
    return state.totp_secret if state else None


def set_totp_secret(db: Session, user_id: int, secret: str | None) -> None:
    state = _state(db, user_id, create=secret is not None)
    if state is not None:
        state.totp_secret = secret
    db.flush()


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def totp_matches(secret: str, code: object) -> bool:
    """The 6-digit code of now, or of the 30 s before or after (a phone's clock drifts)."""
    if not isinstance(code, str):
        return False
    code = code.replace(" ", "").strip()
    return len(code) == 6 and code.isdigit() and pyotp.TOTP(secret).verify(code, valid_window=1)
