"""Staff accounts from the command line: `python -m staff.cli <command>`.

  create-team --id mds-nancy-nord --name "MDS Nancy Nord" [--kind mds] [--phone "03 83 …"]
  create-user --email a@b.fr --team mds-nancy-nord [--name "Alice Martin"] [--admin]
  reset-password --email a@b.fr
  list-users

Passwords are asked twice without echo. With --generate a random one is printed once instead;
with --password-stdin it is read from the first line of standard input (for scripts).
The same rules as the web admin pages apply (a staff member must belong to a team…).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from booking.models import StaffUser
from booking.passwords import password_problem
from core.db import session_scope
from core.settings import get_settings
from staff import account_state, accounts, sessions

NOT_READY = ("La base de données n'est pas prête (tables absentes). "
             "Lancez d'abord : python -m booking.cli upgrade-db")


def _read_password(args: argparse.Namespace) -> tuple[str, bool]:
    """(password, generated)."""
    if args.generate:
        return accounts.generate_password(), True
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if problem := password_problem(password):
            raise accounts.AccountError(problem)
        return password, False
    while True:
        first = getpass.getpass("Mot de passe : ")
        if problem := password_problem(first):
            print(problem)
            continue
        if getpass.getpass("Le même mot de passe, encore une fois : ") != first:
            print("Les deux saisies sont différentes. Recommençons.")
            continue
        return first, False


def _add_password_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--generate", action="store_true", help="créer un mot de passe aléatoire et l'afficher")
    group.add_argument("--password-stdin", action="store_true", help="lire le mot de passe sur l'entrée standard")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m staff.cli", description="Comptes de l'espace équipes.")
    sub = parser.add_subparsers(dest="command", required=True)

    team = sub.add_parser("create-team", help="créer une équipe")
    team.add_argument("--id", required=True, dest="team_id")
    team.add_argument("--name", required=True)
    team.add_argument("--kind", default="")
    team.add_argument("--phone", default="")

    user = sub.add_parser("create-user", help="créer un compte")
    user.add_argument("--email", required=True)
    user.add_argument("--team", default=None)
    user.add_argument("--name", default="")
    user.add_argument("--admin", action="store_true", help="compte administrateur")
    _add_password_options(user)

    reset = sub.add_parser("reset-password", help="changer le mot de passe d'un compte")
    reset.add_argument("--email", required=True)
    _add_password_options(reset)

    sub.add_parser("list-users", help="lister les comptes")
    return parser


def run(args: argparse.Namespace) -> str:
    """Does the command; returns what to print. Raises AccountError with a French sentence."""
    url = get_settings().database_url
    if args.command == "create-team":
        with session_scope(url) as db:
            team = accounts.create_team(db, team_id=args.team_id, name=args.name, kind=args.kind, phone=args.phone)
            return f"Équipe créée : {team.id} ({team.name})."
    if args.command == "create-user":
        password, generated = _read_password(args)
        with session_scope(url) as db:
            user, _ = accounts.create_user(db, email=args.email, name=args.name, team_id=args.team,
                                           role="admin" if args.admin else "staff", password=password)
            account_state.set_must_change_password(db, user.id, generated)
            message = f"Compte créé : {user.email} ({'administrateur' if args.admin else 'équipe ' + str(user.team_id)})."
    elif args.command == "reset-password":
        password, generated = _read_password(args)
        with session_scope(url) as db:
            user = accounts.find_user(db, args.email)
            if user is None:
                raise accounts.AccountError(f"Aucun compte pour {args.email.strip().lower()}.")
            accounts.set_password(db, user, password)
            account_state.set_must_change_password(db, user.id, generated)
            sessions.close_all(db, user.id)
            message = f"Mot de passe changé pour {user.email}. Ses sessions ouvertes sont fermées."
    else:  # list-users
        with session_scope(url) as db:
            users = db.scalars(select(StaffUser).order_by(StaffUser.email)).all()
            lines = [f"{u.email}\t{u.role}\t{u.team_id or '-'}\t{'actif' if u.active else 'désactivé'}" for u in users]
            return "\n".join(lines) or "Aucun compte."
    if generated:
        message += f"\nMot de passe provisoire (affiché une seule fois) : {password}"
    return message


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        print(run(args))
    except accounts.AccountError as exc:
        print(exc, file=sys.stderr)
        return 1
    except OperationalError:
        print(NOT_READY, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
