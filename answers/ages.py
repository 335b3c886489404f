"""The resident's age: "68", "j'ai 68 ans", "soixante-huit ans", "68ans", "né en 1957"."""

from __future__ import annotations

import re
from datetime import date

from answers.normalize import match_form, normalize
from answers.numbers import find_integers, prepare, to_digits
from answers.result import ParseResult
from answers.vocabulary import hint, strip_unknown

MIN_AGE, MAX_AGE = 1, 120

_DATE = re.compile(r"(?<!\d)(\d{1,2})\s?[/.\-]\s?(\d{1,2})\s?[/.\-]\s?(\d{4})(?!\d)")
_MONTHS = {
    "janvier": 1,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "decembre": 12,
}
_DATE_WORDS = re.compile(r"(?<!\d)(\d{1,2}) (" + "|".join(_MONTHS) + r") (\d{4})(?!\d)")
_BIRTH_WORDS = re.compile(r"\b(ne|nee|naissance|annee|en)\b")


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def birth_age(text: str, today: date) -> tuple[int, bool] | None:
    """Age from a birth date or year in a prepared text: (age, approximate)."""
    for pattern, month_of in ((_DATE, lambda g: int(g)), (_DATE_WORDS, lambda g: _MONTHS[g])):
        m = pattern.search(text)
        if m:
            try:
                return age_on(date(int(m.group(3)), month_of(m.group(2)), int(m.group(1))), today), False
            except ValueError:
                return None
    years = [int(n.value) for n in find_integers(text) if 1900 <= n.value <= today.year]
    if years and (_BIRTH_WORDS.search(text) or len(find_integers(text)) == 1):
        # Only the year: the birthday may not have passed yet, so the age may be one too high.
        return today.year - years[0], True
    return None


def parse_age(text: object, today: date | None = None) -> ParseResult:
    today = today or date.today()
    prepared = prepare(text)
    birth = birth_age(prepared, today)
    if birth is not None:
        age, approximate = birth
        if not MIN_AGE <= age <= MAX_AGE:
            return ParseResult.failure(hint("age_out_of_range"))
        return ParseResult.success(age, approximate=True) if approximate else ParseResult.success(age)

    numbers = find_integers(prepared)
    if re.search(r"(?:^|\s)(?:-|moins)\s?\d", to_digits(normalize(text))):
        return ParseResult.failure(hint("age_out_of_range"))
    if numbers:
        with_unit = [n for n in numbers if re.match(r"\s?ans?\b", prepared[n.end :])]
        age = int((with_unit or numbers)[0].value)
        if not MIN_AGE <= age <= MAX_AGE:
            return ParseResult.failure(hint("age_out_of_range"))
        return ParseResult.success(age)
    if strip_unknown(match_form(text if isinstance(text, str) else ""))[1]:
        return ParseResult.unknown()
    return ParseResult.failure(hint("age_missing"))
