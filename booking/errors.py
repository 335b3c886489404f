"""Errors of the booking domain. `str(exc)` is always a polite French sentence for the resident."""

from __future__ import annotations


class BookingError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(BookingError, ValueError):
    """Something the resident typed is not usable (phone number, first name…)."""


class UnknownTeam(BookingError):
    pass


class SlotUnavailable(BookingError):
    """The slot is not in the team's availability (holiday, too soon, wrong time)."""

    def __init__(self, message: str, alternatives: list | None = None):
        super().__init__(message)
        self.alternatives = alternatives or []


class SlotTaken(SlotUnavailable):
    """Someone booked this slot first. `alternatives` holds up to 3 free slots."""


class RequestNotFound(BookingError):
    """No request with this reference and contact (the two cases are not told apart, on purpose)."""


class RequestClosed(BookingError):
    """The request is cancelled or finished and cannot change any more."""
