"""Each child process writes to a pipe; a thread here copies its lines into `logs/<name>.log`,
redacted (secrets, phones, e-mails, typed text, long dumps) and rotated at midnight, 30 days kept.

A second line of defence: every process also redacts its own records (privacy.logging_filter),
but a library that prints to stdout, or a process started before its filter, is caught here.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import threading
from pathlib import Path
from typing import IO

from privacy.logging_filter import redact

LOG_RETENTION_DAYS = int(os.environ.get("LOG_RETENTION_DAYS", "30"))


def rotating_handler(path: Path, days: int = LOG_RETENTION_DAYS) -> logging.Handler:
    handler = logging.handlers.TimedRotatingFileHandler(path, when="midnight", backupCount=days,
                                                        encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    return handler


def pump(stream: IO[bytes], path: Path, days: int = LOG_RETENTION_DAYS) -> threading.Thread:
    """Copy `stream` line by line into the rotating log at `path`, until it closes."""
    handler = rotating_handler(path, days)

    def run() -> None:
        try:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                record = logging.LogRecord(path.stem, logging.INFO, "", 0, redact(line), None, None)
                handler.emit(record)
        finally:
            handler.close()
            stream.close()

    thread = threading.Thread(target=run, name=f"log-{path.stem}", daemon=True)
    thread.start()
    return thread
