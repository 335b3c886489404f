"""The resident's commune, delegated to territory: value is the INSEE code."""

from __future__ import annotations

from answers.normalize import match_form
from answers.result import ParseResult
from answers.vocabulary import hint, strip_unknown
from territory import find_commune, search_communes

_MAX_BUTTONS = 5


def _label(commune) -> str:
    return f"{commune.name} ({commune.postcode})"


def parse_commune(text: object) -> ParseResult:
    if not isinstance(text, str):
        text = ""
    cleaned, unsure = strip_unknown(match_form(text))
    match = find_commune(text) if cleaned else None
    if match is not None and match.found:
        c = match.commune
        return ParseResult.success(c.insee_code, commune_name=c.name, epci=c.epci_code)
    if match is not None and match.ambiguous:
        shown = match.candidates[:_MAX_BUTTONS]
        examples = ", ".join(_label(c) for c in shown[:-1]) + " ou " + _label(shown[-1])
        return ParseResult.failure(
            hint("commune_several", examples=examples), [(c.insee_code, _label(c)) for c in shown]
        )
    if match is not None and match.is_outside:
        place = match.outside
        name = place.name if not place.name.isdigit() else f"Le code postal {place.name}"
        return ParseResult.failure(
            hint("commune_outside", place=name), outside=True, outside_where=place.label
        )
    if unsure:
        return ParseResult.unknown()
    suggestions = search_communes(text, limit=3)
    return ParseResult.failure(hint("commune_missing"), [(c.insee_code, _label(c)) for c in suggestions])
