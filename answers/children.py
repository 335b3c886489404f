"""Children: how many ("deux gosses", "aucun", "ma fille de 4 ans") and their ages
("3 et 7 ans", "une fille de 4 ans et un garçon de 10 ans", "bébé de 6 mois")."""

from __future__ import annotations

import re
from datetime import date

from answers.normalize import squeeze
from answers.numbers import prepare
from answers.result import ParseResult
from answers.vocabulary import find_phrases, hint, strip_unknown, vocabulary

MAX_CHILDREN = 20
MAX_CHILD_AGE = 30

# "on est 3", "nous sommes 4", "3 personnes": the household size, not a number of children.
_HOUSEHOLD_SIZE = re.compile(
    r"\b(?:on est|on sont|nous sommes|on vit a|on habite a|nous vivons a|foyer de)\s+(\d+)\b(?:\s+personnes?)?"
    r"|\b(\d+)\s+personnes?\b"
)
_ADJECTIVES = r"(?:(?:petits?|petites?|grands?|grandes?|jeunes?|beaux|belles)\s+)?"
_CHILD_NOUN = (
    r"(fille|fils|garcon|bebe|enfant|gamin|gamine|petit|petite|ado|adolescent|adolescente|gosse|mome|"
    r"loulou|nourisson|grand|grande)\b"
)
_POSSESSIVE_SINGULAR = re.compile(r"\b(?:ma|mon|notre)\s+" + _ADJECTIVES + _CHILD_NOUN)
_ARTICLE_SINGULAR = re.compile(r"\b(?:la|le|l)\s+" + _ADJECTIVES + _CHILD_NOUN)
# Nouns that count all the children at once ("3 enfants"), unlike "2 filles et 1 garçon".
_GENERIC = {
    "enfant",
    "enfants",
    "gosse",
    "gosses",
    "gamin",
    "gamins",
    "mome",
    "momes",
    "loulou",
    "loulous",
    "minot",
    "minots",
    "marmot",
    "marmots",
    "ado",
    "ados",
    "petits",
}
# "de 4 ans", "3 et 5 ans", "2, 4 et 6 ans", "6 mois": ages, possibly listed with one unit at the end.
_AGE_LIST = re.compile(r"\b(?:de\s+|a\s+)?\d+(?:\s?(?:,|et)\s?\d+)*\s?(?:ans?|mois)\b")
_AGE_UNIT = re.compile(r"^\s?(ans?|mois|semaines?|jours?)\b")


def _children_text(text: object) -> str:
    return prepare(text)


def _household_size(text: str) -> tuple[str, int | None]:
    size = None
    for m in _HOUSEHOLD_SIZE.finditer(text):
        size = int(m.group(1) or m.group(2))
    return _HOUSEHOLD_SIZE.sub(" ", text), size


def _next_word_is_child(text: str, end: int) -> bool:
    following = re.match(r"\s+" + _ADJECTIVES + r"([a-z]+)", text[end:])
    return bool(following) and following.group(1) in vocabulary().child_words


def _ages(text: str, today: date) -> list[int]:
    """Every age mentioned, in order; numbers counting children ("2 filles") are skipped."""
    ages = []
    for m in re.finditer(r"\d+", text):
        n = int(m.group(0))
        if len(m.group(0)) == 4:
            if 1900 <= n <= today.year:  # "né en 2019"
                ages.append(today.year - n)
            continue
        if _next_word_is_child(text, m.end()):
            continue
        unit = _AGE_UNIT.match(text[m.end() :])
        if unit and unit.group(1).startswith("mois"):
            n //= 12
        elif unit and unit.group(1)[0] in "sj":
            n = 0
        ages.append(n)
    return ages


def _twins(text: str) -> int:
    return max((n for w, n in vocabulary().twins_words.items() if re.search(rf"\b{w}\b", text)), default=0)


def _count(text: str) -> int | None:
    """Children counted in the text, or None when it gives no count."""
    generic = specific = 0
    for m in re.finditer(r"(\d+)\s+" + _ADJECTIVES + r"([a-z]+)", text):
        noun = m.group(2)
        if noun in _GENERIC:
            generic += int(m.group(1))
        elif noun in vocabulary().child_words:
            specific += int(m.group(1))
    if generic:
        return generic  # "3 enfants, ma fille a 4 ans": the total is given
    rest = re.sub(r"\d+\s+" + _ADJECTIVES + r"[a-z]+", " ", text)
    specific += len(_POSSESSIVE_SINGULAR.findall(rest))
    if specific:
        return specific  # "2 filles et un garçon", "ma fille"
    if articles := len(_ARTICLE_SINGULAR.findall(rest)):
        return articles  # "le grand a 15 ans, le petit 2"
    return _twins(text) or None


def parse_children_count(text: object, today: date | None = None) -> ParseResult:
    today = today or date.today()
    prepared, household_size = _household_size(_children_text(text))
    extras = {"household_size": household_size} if household_size else {}

    # Ages mentioned next to the count ("ma fille de 4 ans") are kept as a bonus.
    age_mentions = [m.group(0) for m in _AGE_LIST.finditer(prepared)]
    ages = _ages(" , ".join(age_mentions), today) if age_mentions else []
    without_ages = _AGE_LIST.sub(" ", prepared)

    count = _count(without_ages)
    if count is None:
        bare = {int(n) for n in re.findall(r"\d+", without_ages)}
        if len(bare) == 1:
            count = bare.pop()
        elif len(bare) > 1:
            return ParseResult.failure(hint("count_missing"))
    if count is None and ages:
        count = len(ages)  # "mes enfants ont 3 et 5 ans"
    if count is None:
        rest, unsure = strip_unknown(squeeze(prepared))
        if find_phrases(rest, vocabulary().count_zero):
            return ParseResult.success(0, **extras)
        if unsure:
            return ParseResult.unknown()
        return ParseResult.failure(hint("count_missing"))
    if count > MAX_CHILDREN:
        return ParseResult.failure(hint("count_too_high"))
    if count and len(ages) == count and all(0 <= a <= MAX_CHILD_AGE for a in ages):
        extras["children_ages"] = ages
    return ParseResult.success(count, **extras)


def parse_children_ages(text: object, options: dict | None = None, today: date | None = None) -> ParseResult:
    """Ages in years (babies under one year are 0). options={"count": n} flags a mismatch in
    extras (count_mismatch) without refusing the answer: the person may have miscounted before."""
    today = today or date.today()
    prepared, _size = _household_size(_children_text(text))
    ages = _ages(prepared, today)
    twins = _twins(prepared)
    if twins and len(ages) == 1:
        ages = ages * twins  # "des jumeaux de 5 ans"
    if not ages:
        if strip_unknown(squeeze(prepared))[1]:
            return ParseResult.unknown()
        return ParseResult.failure(hint("ages_missing"))
    if any(not 0 <= a <= MAX_CHILD_AGE for a in ages):
        return ParseResult.failure(hint("ages_out_of_range"))
    extras = {}
    expected = (options or {}).get("count") if isinstance(options, dict) else None
    if isinstance(expected, int) and expected != len(ages):
        extras = {"count_mismatch": True, "expected_count": expected}
    return ParseResult.success(ages, **extras)
