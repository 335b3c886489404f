"""Which status a request may move to: the workflow lives in booking/workflow.py."""

from __future__ import annotations

from booking.workflow import ALLOWED, can_move, next_statuses, refusal_message

__all__ = ["ALLOWED", "can_move", "next_statuses", "refusal_message"]
