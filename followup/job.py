"""The periodic follow-up job of the web process (web/lifecycle.py): one run = send what is due,
in whichever process holds the lease."""

from __future__ import annotations

from datetime import datetime

from followup.senders import default_senders
from followup.service import RunReport, run_due


def run_followups(*, now: datetime | None = None, url: str | None = None) -> RunReport:
    return run_due(default_senders(), now=now, url=url)
