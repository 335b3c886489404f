"""Children's school levels: "CM2 et 3e", "il est en sixième, elle en seconde", "la fac",
"pas à l'école" -> a list of levels (none, maternelle, primaire, college, lycee, superieur)
aligned with the children's ages.

The question is asked only for the children whose age leaves a doubt (11, 15, 18-19), so the
person may name one class per child, or only the classes of those children: with the ages in
`options` ({"ages": [11, 7]}), the other children's levels are read from their ages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from answers.normalize import fold
from answers.result import ParseResult
from answers.vocabulary import hint, strip_unknown
from benefits.children import AMBIGUOUS_AGES, level_of_age

# Folded (no accent, lower case) words -> level, longest phrases first when matching.
_CLASSES: dict[str, str] = {
    "petite section": "maternelle", "moyenne section": "maternelle", "grande section": "maternelle",
    "maternelle": "maternelle", "creche": "none",
    "cp": "primaire", "ce1": "primaire", "ce2": "primaire", "cm1": "primaire", "cm2": "primaire",
    "primaire": "primaire", "elementaire": "primaire", "ecole primaire": "primaire",
    "6e": "college", "6eme": "college", "sixieme": "college", "5e": "college", "5eme": "college",
    "cinquieme": "college", "4e": "college", "4eme": "college", "quatrieme": "college",
    "3e": "college", "3eme": "college", "troisieme": "college", "college": "college", "segpa": "college",
    "2nde": "lycee", "2de": "lycee", "seconde": "lycee", "1re": "lycee", "1ere": "lycee",
    "premiere": "lycee", "terminale": "lycee", "tle": "lycee", "lycee": "lycee", "cap": "lycee",
    "bac pro": "lycee", "lycee pro": "lycee", "lycee professionnel": "lycee",
    "fac": "superieur", "faculte": "superieur", "universite": "superieur", "bts": "superieur",
    "but": "superieur", "iut": "superieur", "licence": "superieur", "master": "superieur",
    "prepa": "superieur", "etudes superieures": "superieur", "etudiant": "superieur", "etudiante": "superieur",
    "pas a l ecole": "none", "plus a l ecole": "none", "ne va pas a l ecole": "none",
    "ne va plus a l ecole": "none", "descolarise": "none", "descolarisee": "none",
    "travaille": "none", "apprenti": "none", "apprentie": "none", "apprentissage": "none",
}
# "1ere" must not be read as "1" + "ere": longest first, whole words only.
_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(k) for k in sorted(_CLASSES, key=len, reverse=True)) + r")\b"
)


# fold() sets digits apart from letters ("cm 2", "3 e", "1 ere"): glue class names back.
_SPLIT_CLASS = re.compile(r"\b(cm|ce|cp)\s(\d)\b|\b(\d)\s(e|eme|ere|re|nde|de)\b")


def _levels_in(text: str) -> list[str]:
    text = _SPLIT_CLASS.sub(lambda m: (m.group(1) or m.group(3)) + (m.group(2) or m.group(4)), text)
    return [_CLASSES[m.group(1)] for m in _PATTERN.finditer(text)]


def parse_school_levels(text: object, options: object = None) -> ParseResult:
    """A list of levels, one per child (aligned with options["ages"] when given)."""
    folded = fold(str(text or ""))
    rest, unsure = strip_unknown(folded)
    levels = _levels_in(rest)
    if not levels:
        return ParseResult.unknown() if unsure else ParseResult.failure(hint("school_missing"))
    ages = options.get("ages") if isinstance(options, dict) else None
    if not isinstance(ages, Sequence) or not ages or not all(isinstance(a, int) for a in ages):
        return ParseResult.success(levels)
    if len(levels) == len(ages):
        return ParseResult.success(levels)
    # Only the classes of the children whose age leaves a doubt: the others' come from the age.
    doubtful = [i for i, age in enumerate(ages) if age in AMBIGUOUS_AGES]
    if len(levels) != len(doubtful):
        return ParseResult.failure(hint("school_missing"))
    aligned = [level_of_age(age) or "none" for age in ages]
    for index, level in zip(doubtful, levels, strict=True):
        aligned[index] = level
    return ParseResult.success(aligned)
