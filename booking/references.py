"""Short human-friendly reference codes like "AV-7K3P" (no 0/O, 1/I/L to avoid confusion)."""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PREFIX = "AV-"
LENGTH = 4


def new_reference() -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_reference(raw: str | None) -> str | None:
    """'av 7k3p', 'AV-7K3P', ' 7k3p ' -> 'AV-7K3P'; None when it cannot be a reference."""
    text = re.sub(r"[\s\-_.]", "", (raw or "").upper())
    if text.startswith("AV"):
        text = text[2:]
    if len(text) != LENGTH or any(ch not in ALPHABET for ch in text):
        return None
    return PREFIX + text
