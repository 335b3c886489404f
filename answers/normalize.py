"""Text clean-up before parsing: SMS forms, accents, spacing (used for matching only)."""

from __future__ import annotations

import re
import unicodedata

_MAX_TEXT = 500  # answers are short; a cap keeps every parser fast on pasted walls of text

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "\u00a0": " ", "\u202f": " "})
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})

# Whole-word SMS forms -> standard French. Keys are lowercase words.
_SMS_WORDS = {
    "jai": "j'ai",
    "g": "j'ai",
    "chui": "je suis",
    "chuis": "je suis",
    "jsuis": "je suis",
    "jsui": "je suis",
    "chu": "je suis",
    "ya": "il y a",
    "yan": "il y en a",
    "c": "c'est",
    "ct": "c'était",
    "pa": "pas",
    "koi": "quoi",
    "ke": "que",
    "ki": "qui",
    "tt": "tout",
    "bcp": "beaucoup",
    "ds": "dans",
    "pr": "pour",
    "mwa": "moi",
    "oqp": "occupé",
    "jhabite": "j'habite",
    "jconnais": "je connais",
    "jsais": "je sais",
    "jen": "j'en",
}
# A whole word, not part of an elision ("c" alone, but not the "c" of "c'est").
_WORD = re.compile(r"(?<!['\w])[^\W\d_]+(?!['\w])")
# "jbosse", "jpeux", "jvais": j + consonant + at least two letters is always "je ..." in French.
_J_CONTRACTION = re.compile(r"\bj(?=[bcdfgklmnpqrstvwxz][a-zé]{2,}\b)")
_SPACES = re.compile(r"\s+")
_DIGIT_LETTER = re.compile(r"(\d)([^\W\d_])|([^\W\d_])(\d)")


def normalize(text: object) -> str:
    """Lowercase, standard apostrophes, SMS forms spelled out, single spaces. Accents are kept."""
    if not isinstance(text, str):
        return ""
    text = unicodedata.normalize("NFC", text[:_MAX_TEXT]).translate(_APOSTROPHES).lower()
    text = _J_CONTRACTION.sub("je ", text)
    text = _WORD.sub(lambda m: _SMS_WORDS.get(m.group(0), m.group(0)), text)
    text = re.sub(r"\bj ai\b", "j'ai", text)
    return _SPACES.sub(" ", text).strip()


def strip_accents(text: str) -> str:
    text = text.translate(_LIGATURES)
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Matching form: normalized, no accents, apostrophes and hyphens as spaces, digits kept apart
    from letters ("68ans" -> "68 ans"). Keeps € % , . / + for amounts."""
    text = strip_accents(normalize(text))
    text = re.sub(r"(\d)\s*-\s*(?=\d)", r"\1 - ", text)  # "800-900" stays a range, not "800 900"
    text = re.sub(r"['_\"!?;:()\[\]{}*#@<>=~|\\^]|-(?!\s\d)", " ", text)
    text = _DIGIT_LETTER.sub(
        lambda m: f"{m.group(1)} {m.group(2)}" if m.group(1) else f"{m.group(3)} {m.group(4)}", text
    )
    return _SPACES.sub(" ", text).strip()


def squeeze(text: str) -> str:
    """Doubled letters collapsed ("ouiii" -> "oui", "nooon" -> "non"); applied to both sides of a
    comparison so "carrément" still matches itself."""
    return re.sub(r"([a-z])\1+", r"\1", text)


def words(text: str) -> list[str]:
    """Alphanumeric words of a folded text."""
    return re.findall(r"[a-z0-9]+", text)


def match_form(text: str) -> str:
    """Folded, squeezed, only words: the form phrases are compared in."""
    return " ".join(words(squeeze(fold(text))))
