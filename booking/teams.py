"""Who owns a team row: the directory YAML seeds teams, the database is the truth after that.

`seed_teams` creates the directory teams the database does not have yet and never changes or
switches off a row that exists, so a team created in /staff/admin/teams (or `python -m staff.cli
create-team`) survives restarts, and a directory team an admin switched off stays off.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking import models as m
from directory.loader import Directory
from directory.schema import Team as DirectoryTeam


def row_values(team: DirectoryTeam, directory: Directory | None = None) -> dict:
    commune = None
    if directory is not None:
        commune = directory.meeting_place(team).insee_code
    return {
        "name": team.name,
        "kind": team.kind,
        "phone": team.phone,
        "telegram_chat_id": team.notifications.telegram_chat_id,
        "notify_email": team.notifications.email,
        "active": team.active,
        "commune": commune,
        "origin": "directory",
    }


def seed_team(session: Session, team: DirectoryTeam, directory: Directory | None = None) -> m.Team:
    """The row of a directory team: created from the YAML if missing, else left as it is."""
    row = session.get(m.Team, team.id)
    if row is None:
        row = m.Team(id=team.id, **row_values(team, directory))
        session.add(row)
    return row


@dataclass(frozen=True)
class SeedReport:
    created: int
    kept: int  # already in the database: left untouched
    staff_only: int  # teams of the database that the directory does not list (kept, active or not)


def seed_teams(session: Session, directory: Directory) -> SeedReport:
    existing = set(session.scalars(select(m.Team.id)))
    created = 0
    for team in directory.teams.values():
        if team.id not in existing:
            session.add(m.Team(id=team.id, **row_values(team, directory)))
            created += 1
    kept = len(set(directory.teams) & existing)
    return SeedReport(created, kept, len(existing - set(directory.teams)))


def is_bookable_row(session: Session, team_id: str) -> bool:
    """False when an admin switched the team off in the database (the directory may still list it)."""
    row = session.get(m.Team, team_id)
    return row is None or row.active
