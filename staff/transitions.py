"""Which status a request may move to, from the one it has."""

from __future__ import annotations

from booking.models import STATUS_LABELS

# new -> contacted -> held / no_show / cancelled. A new request may also be cancelled directly
# (the resident says so before anyone called). held, no_show and cancelled are final.
ALLOWED = {
    "new": ("contacted", "cancelled"),
    "contacted": ("held", "no_show", "cancelled"),
    "held": (),
    "no_show": (),
    "cancelled": (),
}


def next_statuses(status: str) -> tuple[str, ...]:
    return ALLOWED.get(status, ())


def can_move(from_status: str, to_status: str) -> bool:
    return to_status in next_statuses(from_status)


def refusal_message(from_status: str, to_status: str) -> str:
    """A polite French sentence saying why the change is refused."""
    current = STATUS_LABELS.get(from_status, from_status)
    if to_status not in STATUS_LABELS:
        return "Ce statut n'existe pas. Choisissez un statut dans la liste."
    if not next_statuses(from_status):
        return f"Cette demande est close (« {current} »). Son statut ne peut plus changer."
    wanted = STATUS_LABELS[to_status]
    return f"Une demande « {current} » ne peut pas passer à « {wanted} ». Choisissez un statut dans la liste."
