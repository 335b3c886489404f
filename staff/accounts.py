"""Staff accounts and teams: authentication, creation, password changes. Used by the web app and
the CLI; callers commit. Error messages are French sentences shown as they are."""

from __future__ import annotations

import re
import secrets
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking import passwords
from booking.models import STAFF_ROLES, StaffUser, Team
from staff import account_state, sessions

LOCKED_MESSAGE = ("Trop d'essais de connexion ont échoué depuis cette adresse. Par sécurité, la connexion "
                  "est bloquée pendant 15 minutes. Merci de réessayer ensuite.")
WRONG_CODE = "Le code de l'application d'authentification ne correspond pas. Vérifiez et réessayez."


def wait_message(seconds: int) -> str:
    if seconds > 120:
        return LOCKED_MESSAGE
    return (f"Plusieurs essais ont échoué. Par sécurité, merci d'attendre {seconds} seconde"
            f"{'s' if seconds > 1 else ''} avant de réessayer.")
WRONG_CREDENTIALS = "L'adresse e-mail ou le mot de passe ne correspond pas. Vérifiez et réessayez."
INACTIVE_ACCOUNT = "Ce compte est désactivé. Adressez-vous à un administrateur."

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TEAM_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
# No 0/o, 1/l/i: the password may be read aloud or copied from a screen.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class AccountError(ValueError):
    """A French sentence explaining why the account or team change is refused."""


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return passwords.hash_password(secrets.token_urlsafe(16))


def verify(password_hash: str, password: str) -> bool:
    return passwords.verify_password(password_hash, password)


def generate_password() -> str:
    """Four groups of four characters, about 79 bits: e.g. 'k7mq-3xtp-9wfr-hc2d'."""
    groups = ("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))
    return "-".join(groups)


def find_user(db: Session, email: str) -> StaffUser | None:
    return db.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower()))


def authenticate(db: Session, email: str, password: str) -> tuple[StaffUser | None, str]:
    """(user, "") on success, else (None, French reason). Unknown e-mails cost the same time."""
    user = find_user(db, email)
    if user is None:
        verify(_dummy_hash(), password)
        return None, WRONG_CREDENTIALS
    if not verify(user.password_hash, password):
        return None, WRONG_CREDENTIALS
    if not user.active:
        return None, INACTIVE_ACCOUNT
    if passwords.needs_rehash(user.password_hash):  # hashing parameters were raised since
        set_password(db, user, password)
    return user, ""


def check_new_password(new: str, confirm: str) -> str | None:
    if problem := passwords.password_problem(new):
        return problem
    if new != confirm:
        return "Les deux saisies du nouveau mot de passe ne sont pas identiques."
    return None


def set_password(db: Session, user: StaffUser, password: str) -> None:
    user.password_hash = passwords.hash_password(password)
    db.flush()


def change_own_password(db: Session, user: StaffUser, password: str) -> None:
    """The user's own new password: no longer temporary; every open session ends (the caller
    opens a new one for the browser in use)."""
    set_password(db, user, password)
    account_state.set_must_change_password(db, user.id, False)
    sessions.close_all(db, user.id)


def reset_password(db: Session, user: StaffUser) -> str:
    """Gives a new random password (returned once, to hand over, to change at the next login)
    and ends the user's sessions."""
    password = generate_password()
    set_password(db, user, password)
    account_state.set_must_change_password(db, user.id, True)
    sessions.close_all(db, user.id)
    return password


def get_team(db: Session, team_id: str) -> Team | None:
    return db.get(Team, team_id)


def _team_or_error(db: Session, team_id: str | None) -> Team | None:
    if not team_id:
        return None
    team = get_team(db, team_id)
    if team is None:
        raise AccountError(f"L'équipe « {team_id} » n'existe pas.")
    return team


def create_user(db: Session, *, email: str, name: str, team_id: str | None, role: str = "staff",
                password: str | None = None) -> tuple[StaffUser, str]:
    """Creates an account; returns it with its password (generated unless given)."""
    email = email.strip().lower()
    name = name.strip() or email.split("@")[0]
    if not _EMAIL.match(email) or len(email) > 254:
        raise AccountError("Cette adresse e-mail n'est pas valide.")
    if len(name) > 200:
        raise AccountError("Le nom est trop long (200 caractères au plus).")
    if role not in STAFF_ROLES:
        raise AccountError("Le rôle doit être « staff » ou « admin ».")
    if find_user(db, email) is not None:
        raise AccountError("Un compte existe déjà avec cette adresse e-mail.")
    team = _team_or_error(db, team_id)
    if role == "staff" and team is None:
        raise AccountError("Un membre d'équipe doit être rattaché à une équipe.")
    temporary = password is None
    if password is None:
        password = generate_password()
    elif problem := passwords.password_problem(password):
        raise AccountError(problem)
    user = StaffUser(email=email, name=name, role=role, team_id=team.id if team else None,
                     password_hash=passwords.hash_password(password), active=True)
    db.add(user)
    db.flush()
    if temporary:  # a password someone else saw: the owner chooses their own at the first login
        account_state.set_must_change_password(db, user.id, True)
    return user, password


def assign_team(db: Session, user: StaffUser, team_id: str | None) -> None:
    team = _team_or_error(db, team_id)
    if team is None and user.role == "staff":
        raise AccountError("Un membre d'équipe doit rester rattaché à une équipe.")
    user.team_id = team.id if team else None
    db.flush()
    db.refresh(user)


def create_team(db: Session, *, team_id: str, name: str, kind: str = "", phone: str = "") -> Team:
    team_id = team_id.strip().lower()
    name = name.strip()
    if not _TEAM_ID.match(team_id):
        raise AccountError("L'identifiant d'équipe s'écrit en minuscules, chiffres, « - » ou « _ » "
                           "(2 à 64 caractères), par exemple « mds-nancy-nord ».")
    if not name or len(name) > 200:
        raise AccountError("Indiquez le nom de l'équipe (200 caractères au plus).")
    if get_team(db, team_id) is not None:
        raise AccountError(f"L'équipe « {team_id} » existe déjà.")
    team = Team(id=team_id, name=name, kind=kind.strip()[:40], phone=phone.strip()[:32] or None, active=True)
    db.add(team)
    db.flush()
    return team


def users_context(db: Session) -> dict:
    users = db.scalars(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.name)).all()
    teams = db.scalars(select(Team).order_by(Team.name)).all()
    return {"users": users, "teams": teams, "roles": STAFF_ROLES, "error": None,
            "form": {"email": "", "name": "", "team_id": "", "role": "staff"}}


def teams_context(db: Session) -> dict:
    teams = db.scalars(select(Team).order_by(Team.active.desc(), Team.name)).all()
    counts = dict(db.execute(select(StaffUser.team_id, func.count()).group_by(StaffUser.team_id)).all())
    return {"teams": teams, "member_counts": counts, "error": None,
            "form": {"team_id": "", "name": "", "kind": "", "phone": ""}}
