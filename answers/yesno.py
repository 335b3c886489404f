"""Yes / no / "je ne sais pas": "ouais", "wi", "carrément", "nan", "pas du tout"."""

from __future__ import annotations

from rapidfuzz import fuzz

from answers.normalize import match_form
from answers.result import ParseResult
from answers.vocabulary import find_phrases, hint, strip_unknown, vocabulary

_FUZZY_CUTOFF = 80.0


def _polarity(text: str) -> bool | None:
    vocab = vocabulary()
    hits = [(s, e, True) for s, e, _p in find_phrases(text, vocab.yes)]
    hits += [(s, e, False) for s, e, _p in find_phrases(text, vocab.no)]
    # "pas d'accord" also contains "d'accord": drop hits inside a longer one.
    hits = [h for h in hits if not any(o != h and o[0] <= h[0] and h[1] <= o[1] for o in hits)]
    if not hits:
        return None
    return min(hits)[2]  # the first word decides: "non, enfin oui" is rare, "oui mais" is a yes


def _fuzzy_polarity(text: str) -> bool | None:
    """One misspelt word ("ouii" is already squeezed): "oiu", "nom", "carement"."""
    words = text.split()
    if len(words) != 1 or len(words[0]) < 3:
        return None
    best = (0.0, None)
    for phrases, polarity in ((vocabulary().yes, True), (vocabulary().no, False)):
        for p in phrases:
            if p.n_words == 1 and len(p.text) >= 3:
                score = fuzz.ratio(words[0], p.text)
                if score > best[0]:
                    best = (score, polarity)
    return best[1] if best[0] >= _FUZZY_CUTOFF else None


def parse_yes_no(text: object) -> ParseResult:
    form = match_form(text if isinstance(text, str) else "")
    cleaned, unsure = strip_unknown(form)
    if unsure:
        return ParseResult.unknown()  # "je sais pas si..." is not a yes
    polarity = _polarity(cleaned)
    if polarity is None:
        polarity = _fuzzy_polarity(cleaned)
    if polarity is None:
        return ParseResult.failure(hint("yes_no_missing"), [("oui", "Oui"), ("non", "Non")])
    return ParseResult.success(polarity)
