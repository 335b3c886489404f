"""Numbers written in words or digits ("soixante-huit", "1 200", "1,2k")."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from text_to_num import alpha2digit

from answers.normalize import fold, normalize

log = logging.getLogger(__name__)

# "1 200", "1.200", "1200", "1200,50", "1,2" (+ optional "k" for thousands).
_AMOUNT = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:[ .]\d{3})+|\d+)(?:,(\d{1,2})(?!\d)|\.(\d{1,2})(?!\d))?(\s?k(?![a-z]))?"
)
_INTEGER = re.compile(r"\d+")


def to_digits(text: str, threshold: int = 0) -> str:
    """Numbers in words become digits ("deux gosses" -> "2 gosses"). threshold=0 also converts
    "un"/"une" (useful for counts); amounts use 3 so that "un peu plus de mille" keeps "un"."""
    try:
        return alpha2digit(text, "fr", threshold=threshold)
    except Exception:  # text2num is strict on odd input; words are then left as they are
        log.debug("alpha2digit failed; keeping words")
        return text


def prepare(text: object, threshold: int = 0) -> str:
    """Normalized, numbers as digits, then folded: the text the number parsers read."""
    return fold(to_digits(normalize(text), threshold=threshold))


@dataclass(frozen=True)
class Number:
    value: float
    start: int
    end: int


def find_amounts(folded: str) -> list[Number]:
    """Non-negative decimal numbers with French grouping and decimal comma; "1,2k" -> 1200."""
    found = []
    for m in _AMOUNT.finditer(folded):
        whole, dec_comma, dec_dot, kilo = m.groups()
        try:
            value = float(re.sub(r"[ .]", "", whole) + "." + (dec_comma or dec_dot or "0"))
        except ValueError:
            continue
        if kilo:
            value *= 1000
        found.append(Number(value, m.start(), m.end()))
    return found


def find_integers(folded: str) -> list[Number]:
    return [
        Number(float(m.group(0)), m.start(), m.end())
        for m in _INTEGER.finditer(folded)
        if len(m.group(0)) <= 6
    ]
