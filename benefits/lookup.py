"""Finding the benefit a resident names inside a whole sentence ("c'est quoi l'apl ?",
"pourquoi je touche pas le minimum vieillesse")."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from benefits.catalogue_loader import Benefit, Catalogue
from benefits.explain import _normalise, _tokens, find_benefit

CUTOFF = 85


def _names(benefit: Benefit) -> list[str]:
    entry = benefit.entry
    return [entry.name, re.sub(r"\([^)]*\)", " ", entry.name), entry.short_name or "", *entry.aliases,
            *re.findall(r"\(([^)]+)\)", entry.name)]


def _contained(name_tokens: list[str], text_tokens: list[str]) -> bool:
    """Every word of the name is (nearly) a word of the sentence; short words must be exact."""
    for word in name_tokens:
        if len(word) <= 4:
            if word not in text_tokens:
                return False
        elif max((fuzz.ratio(word, t) for t in text_tokens), default=0) < CUTOFF:
            return False
    return True


def find_benefit_in_text(catalogue: Catalogue, text: str) -> Benefit | None:
    """The benefit named in `text`: the longest name of the catalogue that appears in it, else
    the whole text read as a name (typos allowed)."""
    words = _tokens(text) or _normalise(text).split()
    if not words:
        return None
    best: tuple[tuple[bool, int], Benefit] | None = None
    for benefit in catalogue.benefits:
        for name in _names(benefit):
            tokens = _tokens(name)
            if tokens and _contained(tokens, words):
                # A name of several words or an acronym ("AAH") says more than a lone common word
                # alias ("papiers"); then the longer name wins.
                score = (len(tokens) > 1 or name.strip().isupper(), sum(len(t) for t in tokens))
                if best is None or score > best[0]:
                    best = (score, benefit)
    return best[1] if best else find_benefit(catalogue, text)
