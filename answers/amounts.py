"""Amounts of money, returned in euros per month: "1 200 €", "mille deux cents euros",
"1200 balles", "1,2k", "12000 par an", "entre 800 et 900", "rien"."""

from __future__ import annotations

import re

from answers.normalize import normalize, squeeze
from answers.numbers import Number, find_amounts, prepare, to_digits
from answers.result import ParseResult
from answers.vocabulary import find_phrases, hint, strip_unknown, vocabulary

MAX_MONTHLY = 50_000.0

# Numbers followed by these words are not money ("pour 2 personnes", "depuis 3 mois").
_NOT_MONEY = re.compile(
    r"^\s?(?:personnes?|enfants?|gosses?|ans?|mois|jours?|heures?|h|semaines?|fois|pour ?cent|adultes?)\b|^\s?%"
)
_YEARLY = re.compile(
    r"\b(?:par an|l an|/ ?an|annuel|annuels|annuelle|annuelles|a l annee|par annee|"
    r"sur l annee|dans l annee|sur 1 an|sur un an|chaque annee)\b|/\s?an\b"
)
_WEEKLY = re.compile(r"\b(?:par semaine|la semaine|hebdo|hebdomadaire|chaque semaine)\b|/\s?semaine\b")
_RANGE_WORDS = re.compile(r"\bentre\b")
_RANGE_BETWEEN = re.compile(r"^\s?(?:-|a|ou|/)\s?$")
_SUM_BETWEEN = re.compile(r"\b(?:et|plus)\b|\+")


def _money_numbers(text: str) -> list[Number]:
    return [n for n in find_amounts(text) if not _NOT_MONEY.match(text[n.end :])]


def _combine(numbers: list[Number], text: str) -> float:
    if len(numbers) == 1:
        return numbers[0].value
    first, second = numbers[0], numbers[1]
    between = text[first.end : second.start]
    if _RANGE_WORDS.search(text[: first.start]) or _RANGE_BETWEEN.match(between):
        return (first.value + second.value) / 2  # "entre 800 et 900", "800-900", "800 ou 900"
    if _SUM_BETWEEN.search(between):
        return sum(n.value for n in numbers)  # "1200 et 300 de chômage", "moi 1200 + lui 1500"
    return first.value


def parse_amount(text: object, options: dict | None = None) -> ParseResult:
    """Euros per month (float, 2 decimals). options: {"max": monthly ceiling}."""
    options = options if isinstance(options, dict) else {}
    ceiling = float(options.get("max", MAX_MONTHLY))
    prepared = prepare(text, threshold=3)
    raw = to_digits(normalize(text), threshold=3)

    numbers = _money_numbers(prepared)
    if numbers:
        if re.search(r"(?:^|[^\d\s])\s*-\s?\d|\bmoins\s?\d", raw):
            return ParseResult.failure(hint("amount_negative"))
        value = _combine(numbers, prepared)
        if _YEARLY.search(prepared):
            value /= 12
        elif _WEEKLY.search(prepared):
            value = value * 52 / 12
        value = round(value, 2)
        if value > ceiling:
            return ParseResult.failure(hint("amount_too_high"))
        return ParseResult.success(value)

    rest, unsure = strip_unknown(squeeze(prepared))
    if unsure:
        return ParseResult.unknown()
    if find_phrases(rest, vocabulary().amount_zero):
        return ParseResult.success(0.0)
    return ParseResult.failure(hint("amount_missing"))
