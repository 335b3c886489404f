"""French free-text parsers for the questionnaire answers.

Entry point for the bot: `parse(parser_type, text, options)` -> ParseResult. It never raises on
what a resident typed; an unknown parser_type or missing options is a programming error and raises.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from answers.ages import parse_age
from answers.amounts import parse_amount
from answers.children import parse_children_ages, parse_children_count
from answers.choices import parse_choice, parse_multi_choice, resolve_table
from answers.commune import parse_commune
from answers.corrections import detect_corrections
from answers.normalize import fold, normalize
from answers.result import UNKNOWN, ParseResult
from answers.school import parse_school_levels
from answers.vocabulary import hint
from answers.yesno import parse_yes_no

log = logging.getLogger(__name__)

_PARSERS: dict[str, Callable[[Any, Any], ParseResult]] = {
    "age": lambda text, options: parse_age(text),
    "count": lambda text, options: parse_children_count(text),
    "ages_list": lambda text, options: parse_children_ages(text, options),
    "amount": lambda text, options: parse_amount(text, options),
    "choice": lambda text, options: parse_choice(text, options),
    "multi_choice": lambda text, options: parse_multi_choice(text, options),
    "yes_no": lambda text, options: parse_yes_no(text),
    "commune": lambda text, options: parse_commune(text),
    "school_levels": lambda text, options: parse_school_levels(text, options),
}
PARSER_TYPES = tuple(_PARSERS)


def parse(parser_type: str, text: str, options=None) -> ParseResult:
    """options: for choice/multi_choice a table name of answers/data/synonyms.yml ("housing") or
    {value: [synonyms...]}; for amount {"max": euros}; for ages_list {"count": n}."""
    if parser_type not in _PARSERS:
        raise ValueError(f"unknown parser type {parser_type!r}; expected one of {', '.join(PARSER_TYPES)}")
    if parser_type in ("choice", "multi_choice") and resolve_table(options) is None:
        raise ValueError(
            f"{parser_type} needs options: a table name or {{value: [synonyms]}}, got {options!r}"
        )
    try:
        return _PARSERS[parser_type](text, options)
    except Exception:  # a resident's text must never crash the bot; the bug is logged (not the text)
        log.exception("parser %s failed", parser_type)
        return ParseResult.failure(hint("internal_error"))


__all__ = [
    "PARSER_TYPES",
    "UNKNOWN",
    "ParseResult",
    "detect_corrections",
    "fold",
    "normalize",
    "parse",
    "parse_age",
    "parse_amount",
    "parse_children_ages",
    "parse_children_count",
    "parse_choice",
    "parse_commune",
    "parse_multi_choice",
    "parse_school_levels",
    "parse_yes_no",
]
