"""Who read or changed which request, and who changed which account: one row per action.

Rows hold ids and short codes only (never a resident's answers, name or phone), so the log can
be kept after the requests it points to are purged or erased.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import Index, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from booking.models import UTCDateTime
from core.db import Base

ACTION_LABELS = {
    "login": "Connexion",
    "login_failed": "Connexion refusée",
    "logout": "Déconnexion",
    "read": "Lecture d'une demande",
    "status": "Changement de statut",
    "transfer": "Transfert à une autre équipe",  # staff/router.py of the partners branch
    "revert": "Annulation d'un changement",
    "informed": "Personne prévenue d'un transfert",  # staff/router.py: "personne prévenue"
    "export": "Export CSV",
    "password": "Mot de passe changé",
    "totp_on": "Double authentification activée",
    "totp_off": "Double authentification retirée",
    "user_create": "Compte créé",
    "user_reset": "Mot de passe réinitialisé",
    "user_active": "Compte activé / désactivé",
    "user_team": "Équipe changée",
    "team_create": "Équipe créée",
    "team_active": "Équipe activée / désactivée",
}
KEEP = timedelta(days=365)


class AuditEntry(Base):
    __tablename__ = "staff_audit"
    __table_args__ = (Index("ix_staff_audit_at", "at"), Index("ix_staff_audit_request", "request_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # kept if the account goes
    action: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    target_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[str] = mapped_column(String(120), default="")  # e.g. "new→contacted", "12 lignes"


def record(db: Session, user_id: int | None, action: str, *, request_id: int | None = None,
           target_user_id: int | None = None, detail: str = "") -> None:
    """Adds the row to the caller's transaction (the caller commits)."""
    if action not in ACTION_LABELS:
        raise ValueError(f"unknown audit action {action!r}")
    db.add(AuditEntry(at=datetime.now(timezone.utc), user_id=user_id, action=action, request_id=request_id,
                      target_user_id=target_user_id, detail=detail[:120]))


def recent(db: Session, limit: int = 200, request_id: int | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if request_id is not None:
        query = query.where(AuditEntry.request_id == request_id)
    return list(db.scalars(query))


def purge(db: Session, now: datetime | None = None) -> int:
    limit = (now or datetime.now(timezone.utc)) - KEEP
    return db.execute(delete(AuditEntry).where(AuditEntry.at < limit)).rowcount
