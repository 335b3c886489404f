"""Children's school levels: given by the person, else read from the age when it leaves no doubt.

Shared by the rules (bourses de collège et de lycée) and the OpenFisca situation builder, so that
both read a child of 13 as "au collège" the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

SCHOOL_LEVELS = ("none", "maternelle", "primaire", "college", "lycee", "superieur")
# How a level reads in a reason: "vos enfants sont au collège et en primaire".
SCHOOL_PHRASES = {"none": "pas à l'école", "maternelle": "en maternelle", "primaire": "en primaire",
                  "college": "au collège", "lycee": "au lycée", "superieur": "dans l'enseignement supérieur"}

# Age during the school year -> level; None where two levels are common (a child of 11 may be in
# CM2 or in 6e, 15 in 3e or seconde, 18-19 in terminale or after the baccalauréat).
_BY_AGE = {0: "none", 1: "none", 2: "none", 3: "maternelle", 4: "maternelle", 5: "maternelle",
           6: "primaire", 7: "primaire", 8: "primaire", 9: "primaire", 10: "primaire", 11: None,
           12: "college", 13: "college", 14: "college", 15: None, 16: "lycee", 17: "lycee",
           18: None, 19: None}
AMBIGUOUS_AGES = tuple(age for age, level in _BY_AGE.items() if level is None)


def level_of_age(age: int) -> str | None:
    """The usual level at that age, or None when the age does not say it."""
    if age >= 20:
        return "superieur"
    return _BY_AGE.get(age)


def school_levels(ages: Sequence[int], given: Sequence[str | None] | None = None) -> list[str | None]:
    """One level per child, aligned with `ages`: the given level when there is one, else the age's.

    A shorter list (the classes of the children whose age leaves a doubt only, as the question
    invites, read without the ages) goes to those children, in order."""
    given = list(given or [])
    if given and len(given) != len(ages):
        doubtful = [i for i, age in enumerate(ages) if level_of_age(age) is None]
        if len(given) != len(doubtful):
            given = []
        else:
            aligned: list[str | None] = [None] * len(ages)
            for index, level in zip(doubtful, given, strict=True):
                aligned[index] = level
            given = aligned
    levels: list[str | None] = []
    for index, age in enumerate(ages):
        level = given[index] if index < len(given) else None
        levels.append(level if level in SCHOOL_LEVELS else level_of_age(age))
    return levels
