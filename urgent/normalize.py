"""Turn what residents type into a plain, comparable form.

Lower case, no accents, apostrophes and hyphens as spaces, SMS shortcuts spelled out,
sentence punctuation kept as the tokens "." and "," so that patterns never match across
two sentences. Stdlib only: the Rasa server imports this package.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "´": "'", "‘": "'", "‛": "'"})
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})
_SENTENCE_END = re.compile(r"\.{2,}|…|[.!?;:\n\r]+")
_COMMA = re.compile(r",")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)")
_NOT_WORD = re.compile(r"[^a-z0-9' -]")
_SPLITTERS = re.compile(r"['\-]+")
# Kept as one token: it is an intensifier, not a negation ("il me frappe de plus en plus").
_DE_PLUS_EN_PLUS = re.compile(r"\bde plus en plus\b")


def strip_accents(text: str) -> str:
    """Lower-case ``text`` and remove accents (é -> e, œ -> oe)."""
    text = text.lower().translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize(text: str, sms: Mapping[str, str] | None = None) -> list[str]:
    """Return the tokens of ``text`` in plain form.

    ``sms`` maps a whole written token ("jdors", "2main") to its full form ("je dors",
    "demain"); keys must already be in plain form. One-letter keys ("c", "g") only apply
    to words standing alone, so that "c'est" does not become "c est est".
    """
    if not isinstance(text, str):
        return []
    sms = sms or {}
    text = strip_accents(text.translate(_APOSTROPHES))
    text = text.replace("€", " euros ").replace("&", " et ")
    text = _SENTENCE_END.sub(" . ", text)
    text = _COMMA.sub(" , ", text)
    text = _REPEATS.sub(r"\1", text)

    tokens: list[str] = []
    for raw in text.split():
        if raw in {".", ","}:
            tokens.append(raw)
            continue
        word = _NOT_WORD.sub(" ", raw).strip(" '-")
        if not word:
            continue
        expanded = sms.get(word)
        if expanded is not None:
            tokens.extend(expanded.split())
            continue
        for part in _SPLITTERS.split(word):
            for piece in _DIGIT_LETTER.sub(" ", part).split():
                if len(piece) > 1 and piece in sms:
                    tokens.extend(sms[piece].split())
                else:
                    tokens.append(piece)
    joined = _DE_PLUS_EN_PLUS.sub("deplusenplus", " ".join(tokens))
    return joined.split()
