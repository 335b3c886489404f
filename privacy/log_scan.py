"""Look for personal answers where they must not be: logs, databases, any file under a folder.

Matching ignores case and accents ("Élodie" finds "elodie"), and reads JSON escapes as the
characters they stand for, because Rasa stores events with json.dumps ("\\u00c9lodie").
Binary files (SQLite databases) are read as UTF-8 with errors replaced: their text still matches.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


@dataclass(frozen=True)
class Hit:
    path: Path
    line: int  # 1-based
    secret: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.secret!r}"


def fold(text: str) -> str:
    """Lower case, accents removed, JSON \\uXXXX escapes decoded, runs of spaces made one."""
    text = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[ \t\u00a0]+", " ", text.casefold())


def scan_text(text: str, secrets: list[str], path: Path = Path("-")) -> list[Hit]:
    wanted = [(s, fold(s).strip()) for s in secrets if s and fold(s).strip()]
    hits = []
    for number, line in enumerate(text.splitlines(), start=1):
        folded = fold(line)
        hits.extend(Hit(path, number, secret) for secret, needle in wanted if needle in folded)
    return hits


def scan_folder(folder: str | Path, secrets: list[str]) -> list[Hit]:
    """Every occurrence, file by file and line by line, of any secret in any file under `folder`
    (subfolders included, symbolic links not followed). An empty list means no leak."""
    root = Path(folder)
    hits: list[Hit] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            continue  # vanished or unreadable meanwhile
        hits.extend(scan_text(text, secrets, path))
    return hits
