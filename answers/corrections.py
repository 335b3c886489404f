"""Corrections of earlier answers inside a message: "en fait j'ai 3 enfants", "non j'ai 67 ans",
"je me suis trompé, on est en couple". Only messages with a correction marker are read, so an
ordinary answer to the current question is never mistaken for a correction."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from answers.ages import MAX_AGE, MIN_AGE, birth_age
from answers.amounts import parse_amount
from answers.choices import exact_choice
from answers.normalize import match_form
from answers.numbers import prepare
from answers.vocabulary import find_phrases, vocabulary
from territory import find_commune

_CLAUSES = re.compile(r"[,.;!?]|\bet\b|\bmais\b|\bpuis\b")
_CHOICE_FIELDS = ("household", "housing", "work")
_CHILD_COUNT = re.compile(r"\b(\d+)\s+(?:(?:petits?|petites?|grands?|grandes?|jeunes?)\s+)?([a-z]+)")
_NO_CHILD = re.compile(r"\b(?:pas d|aucun|sans|zero|0)\s?(?:enfants?|gosses?|gamins?)\b")
_AGE = re.compile(r"\b(?:j ai|moi|je suis age de|je suis agee de|age de|moi j ai)\s+(\d+)\s+ans?\b")
_INCOME = re.compile(
    r"\b(?:je gagne|on gagne|nous gagnons|il gagne|elle gagne|revenus?|salaires?|"
    r"je touche|on touche|ressources)\b"
)
_RENT = re.compile(r"\bloyers?\b")
_HOME = re.compile(
    r"\b(?:j habite|je vis|on habite|on vit|nous habitons|nous vivons|je reside|je demeure|"
    r"je suis de|je viens de|on est a|je suis a)\b(.*)"
)


def _children_count(text: str) -> int | None:
    counts = [int(n) for n, noun in _CHILD_COUNT.findall(text) if noun in vocabulary().child_words]
    if counts:
        return sum(counts)
    return 0 if _NO_CHILD.search(text) else None


def _age(text: str, today: date) -> int | None:
    m = _AGE.search(text)
    if m:
        age = int(m.group(1))
    elif re.search(r"\bnee?\b", text) and (birth := birth_age(text, today)):
        age = birth[0]
    else:
        return None
    return age if MIN_AGE <= age <= MAX_AGE else None


def _amount_in_clause(clauses: list[str], keyword: re.Pattern[str]) -> float | None:
    for clause in clauses:
        if keyword.search(clause):
            result = parse_amount(clause)
            if result.ok and not result.is_unknown:
                return result.value
    return None


def detect_corrections(text: object, today: date | None = None) -> dict[str, Any]:
    """{profile key: new value} for every earlier answer the message corrects."""
    if not isinstance(text, str) or not text.strip():
        return {}
    vocab = vocabulary()
    form = match_form(text)
    if not find_phrases(form, vocab.correction_markers):
        return {}
    today = today or date.today()
    prepared = prepare(text)
    found: dict[str, Any] = {}

    count = _children_count(prepared)
    if count is not None:
        found["children_count"] = count
    age = _age(prepared, today)
    if age is not None:
        found["age"] = age
    for field in _CHOICE_FIELDS:
        value = exact_choice(form, vocab.tables[field], vocab.correction_ignore)
        if value is not None:
            found[field] = value

    clauses = [c for c in _CLAUSES.split(prepare(text, threshold=3)) if c.strip()]
    if (rent := _amount_in_clause(clauses, _RENT)) is not None:
        found["rent"] = rent
    if (income := _amount_in_clause([c for c in clauses if not _RENT.search(c)], _INCOME)) is not None:
        found["income_monthly"] = income
    for clause in clauses:
        home = _HOME.search(clause)
        if home and (match := find_commune(home.group(1))) is not None and match.found:
            found["commune"] = match.commune.insee_code
            break
    return found
