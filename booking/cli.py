"""Command line for the booking domain: `python -m booking.cli <command>`.

  sync-teams                       seed the teams table with directory teams it does not have yet
  list-teams                       list teams (id, kind, bookable, notification channels)
  create-user EMAIL NAME [--role staff|admin] [--team TEAM_ID] [--password PW]
  reset-password EMAIL [--password PW]
  notify                           send the notifications still waiting (retry), transfers included
  followups                        send the follow-up messages that are due (once across processes)
  upgrade-db                       alembic upgrade head
Without --password, the password is asked twice (not echoed).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import func, select

from booking import models as m
from booking.db_setup import upgrade_database
from booking.passwords import hash_password, password_problem
from booking.teams import SeedReport, seed_teams
from core.db import session_scope
from directory.loader import DirectoryError, load_directory


def sync_teams(url: str | None = None) -> SeedReport:
    """Seed the directory teams the database does not have yet; existing rows (and teams created
    by staff) are left exactly as they are: the database is the truth after seeding."""
    directory = load_directory()
    with session_scope(url) as s:
        return seed_teams(s, directory)


def _ask_password() -> str:
    while True:
        first = getpass.getpass("Mot de passe : ")
        if problem := password_problem(first):
            print(problem)
            continue
        if getpass.getpass("Le même mot de passe, encore une fois : ") != first:
            print("Les deux mots de passe sont différents. Recommençons.")
            continue
        return first


def create_user(email: str, name: str, role: str, team_id: str | None, password: str, url: str | None = None) -> int:
    email = email.strip().lower()
    if role not in m.STAFF_ROLES:
        raise SystemExit(f"Rôle inconnu : {role} (staff ou admin).")
    if problem := password_problem(password):
        raise SystemExit(problem)
    with session_scope(url) as s:
        if team_id and s.get(m.Team, team_id) is None:
            raise SystemExit(f"Équipe inconnue : {team_id}. Lancez d'abord « sync-teams ».")
        if s.scalar(select(m.StaffUser.id).where(func.lower(m.StaffUser.email) == email)):
            raise SystemExit(f"Un compte existe déjà pour {email}.")
        user = m.StaffUser(email=email, name=name.strip(), role=role, team_id=team_id, password_hash=hash_password(password))
        s.add(user)
        s.flush()
        return user.id


def reset_password(email: str, password: str, url: str | None = None) -> None:
    if problem := password_problem(password):
        raise SystemExit(problem)
    with session_scope(url) as s:
        user = s.scalar(select(m.StaffUser).where(func.lower(m.StaffUser.email) == email.strip().lower()))
        if user is None:
            raise SystemExit(f"Aucun compte pour {email}.")
        user.password_hash = hash_password(password)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m booking.cli", description="Équipes, comptes et notifications.")
    parser.add_argument("--database-url", help="base de données (par défaut : DATABASE_URL)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("sync-teams", help="copier les équipes de directory/data dans la base")
    sub.add_parser("list-teams", help="lister les équipes")
    p = sub.add_parser("create-user", help="créer un compte pour l'espace équipe")
    p.add_argument("email")
    p.add_argument("name")
    p.add_argument("--role", default="staff", choices=m.STAFF_ROLES)
    p.add_argument("--team")
    p.add_argument("--password")
    p = sub.add_parser("reset-password", help="changer le mot de passe d'un compte")
    p.add_argument("email")
    p.add_argument("--password")
    sub.add_parser("notify", help="envoyer les notifications en attente")
    sub.add_parser("followups", help="envoyer les messages de suivi prévus")
    sub.add_parser("upgrade-db", help="mettre la base au dernier schéma")
    args = parser.parse_args(argv)
    url = args.database_url

    if args.command == "upgrade-db":
        upgrade_database(url)
        print("Base à jour.")
    elif args.command == "sync-teams":
        try:
            seeded = sync_teams(url)
        except DirectoryError as exc:
            print(exc, file=sys.stderr)
            return 1
        print(f"{seeded.created + seeded.kept} équipe(s) à jour : {seeded.created} créée(s) depuis l'annuaire, "
              f"{seeded.kept} déjà en base (inchangées), {seeded.staff_only} créée(s) par l'équipe (gardées).")
    elif args.command == "list-teams":
        # The same list as /staff/admin/teams: the database rows, then directory teams not seeded yet.
        directory = load_directory()
        with session_scope(url) as s:
            rows = {t.id: t for t in s.scalars(select(m.Team))}
        for team_id in sorted(set(rows) | set(directory.teams)):
            row, team = rows.get(team_id), directory.team(team_id)
            kind = row.kind if row else team.kind
            booking_mode = "créneaux" if team and team.bookable else "rappel"
            if row is None:
                state = "pas encore en base"
            else:
                state = ("actif" if row.active else "désactivé") + (" (annuaire)" if row.origin == "directory" else " (créé par l'équipe)")
            channels = ", ".join(
                x for x, on in (("telegram", row and row.telegram_chat_id), ("e-mail", row and row.notify_email)) if on
            )
            print(f"{team_id:40} {kind or '-':16} {booking_mode:9} {state:32} {channels}")
    elif args.command == "create-user":
        password = args.password or _ask_password()
        user_id = create_user(args.email, args.name, args.role, args.team, password, url)
        print(f"Compte créé (n° {user_id}).")
    elif args.command == "reset-password":
        reset_password(args.email, args.password or _ask_password(), url)
        print("Mot de passe changé.")
    elif args.command == "notify":
        from booking.notify import deliver_pending  # noqa: PLC0415
        from booking.transfer_notify import deliver_transfers  # noqa: PLC0415

        delivered, failed = deliver_pending(url=url)
        print(f"{delivered} notification(s) envoyée(s), {failed} en échec (nouvel essai plus tard).")
        delivered, failed = deliver_transfers(url=url)
        print(f"Transmissions : {delivered} message(s) envoyé(s), {failed} en échec.")
    elif args.command == "followups":
        from followup.job import run_followups  # noqa: PLC0415

        report = run_followups(url=url)
        if not report.ran:
            print("Un autre processus envoie déjà les messages de suivi.")
        else:
            print(f"{report.sent} message(s) de suivi envoyé(s), {report.failed} en échec (nouvel essai plus tard).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
