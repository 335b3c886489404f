"""Normalisation of commune names for matching (never shown to anyone)."""

from __future__ import annotations

import re
import unicodedata

# Ligatures that NFKD does not split.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")

# Word-level rewrites applied after accents and punctuation are gone.
_WORD_REWRITES = {
    "st": "saint",
    "ste": "sainte",
    "lez": "les",  # "lès" loses its accent first, "lez" is the old spelling
}


def strip_accents(text: str) -> str:
    text = text.translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_name(text: str) -> str:
    """Lowercase, no accents, hyphens/apostrophes as spaces, Saint/Sainte and lès spelled out.

    >>> normalize_name("Vandœuvre-lès-Nancy")
    'vandoeuvre les nancy'
    >>> normalize_name("ST  Nicolas de Port")
    'saint nicolas de port'
    """
    text = strip_accents(text.lower()).replace("s/", " sur ")
    words = _NON_ALNUM.sub(" ", text).split()
    return " ".join(_WORD_REWRITES.get(w, w) for w in words)
