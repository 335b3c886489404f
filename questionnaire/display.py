"""Answers in plain words, for the recap ("Votre âge : 68 ans") in every channel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from answers import UNKNOWN
from benefits.explain import join_fr, money
from benefits.schema import Question
from territory import commune_by_code

TitleFor = Callable[[Question, Any], str]


def _number(value: Any) -> str:
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


def default_title(question: Question, value: Any) -> str:
    button = question.button_for(value)
    return button.title if button else str(value)


def display_value(question: Question, value: Any, title: TitleFor = default_title) -> str:
    """An answer in plain words; `title` gives a button value's title (the guide has shorter ones)."""
    if value == UNKNOWN:
        return "Ne sait pas, ou question passée"
    try:
        if question.type == "amount":
            return money(float(value)) + " par mois"
        if question.type == "age":
            return f"{_number(value)} ans"
        if question.type == "ages_list":
            return (join_fr([_number(a) for a in value]) + " ans") if value else "—"
        if question.type == "count":
            return _number(value)
    except (TypeError, ValueError):
        return str(value)
    if question.type == "commune":
        found = commune_by_code(str(value))
        return found.name if found else str(value)
    if question.type == "yes_no":
        return "Oui" if value is True else "Non" if value is False else str(value)
    if question.type in ("multi_choice", "school_levels"):
        return join_fr([title(question, v) for v in value]) if isinstance(value, list) else str(value)
    if question.buttons:
        return title(question, value)
    return _number(value) if isinstance(value, int | float) else str(value)


def label_of(question: Question) -> str:
    """ "votre âge" -> "Votre âge" """
    return question.label[:1].upper() + question.label[1:]
