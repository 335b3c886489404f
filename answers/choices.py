"""Free text matched to a question's options: "je loue" -> tenant, "chui au chomage" -> job_seeker,
"salaire et chômage" -> [salary, unemployment]. Phrases live in answers/data/synonyms.yml."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from answers.normalize import match_form
from answers.numbers import find_integers, to_digits
from answers.result import ParseResult
from answers.vocabulary import ChoiceTable, build_table, find_phrases, hint, strip_unknown, vocabulary

_NEGATORS = {"pas", "plus", "jamais", "ni", "ne", "n"}
_NEGATIVE_STARTS = {"pas", "sans", "aucun", "aucune", "jamais", "non", "ne", "n", "rien", "peux"}
# Fuzzy matching: only words long enough for a typo to be told apart from another word.
_FUZZY_MIN_LEN = 5
_FUZZY_CUTOFF = 80.0
_LESS_THAN = re.compile(r"\b(?:moins de|inferieur a|inferieure a|en dessous de|sous les)\s*$")


@dataclass(frozen=True)
class _Hit:
    value: str
    start_word: int
    n_words: int
    score: float


def resolve_table(options) -> ChoiceTable | None:
    """options: a table name of synonyms.yml ("housing"), {value: [synonyms]}, or [values]."""
    if isinstance(options, str):
        return vocabulary().tables.get(options)
    if isinstance(options, dict) and options:
        if isinstance(options.get("table"), str):
            return vocabulary().tables.get(options["table"])
        return build_table(
            "options", {str(k): v if isinstance(v, list | dict) else [] for k, v in options.items()}
        )
    if isinstance(options, list | tuple) and options:
        return build_table("options", {str(v): [] for v in options})
    return None


def _negated(words: list[str], start: int, end: int, first_word: str, other_starts=frozenset()) -> bool:
    """ "je ne suis pas locataire", "je bosse plus": French negation sits right around the phrase.
    A "pas" after the phrase that introduces another option ("locataire, pas proprio") is not
    about this phrase."""
    if first_word in _NEGATIVE_STARTS:
        return False
    before = words[start - 1] if start > 0 else ""
    after = words[end] if end < len(words) else ""
    if before in ("de", "d") and start > 1 and words[start - 2] in ("pas", "plus", "jamais"):
        return True  # "pas de salaire", "plus de travail"
    return before in _NEGATORS or (after in ("pas", "plus", "jamais") and end + 1 not in other_starts)


def _exact_hits(text: str, table: ChoiceTable) -> list[_Hit]:
    words = text.split()
    raw = []
    for choice in table.choices:
        for start, _end, p in find_phrases(text, choice.phrases):
            first = text.count(" ", 0, start)
            raw.append((choice.value, first, p))
    starts = frozenset(first for _v, first, _p in raw)
    hits = [
        _Hit(value, first, p.n_words, 100.0)
        for value, first, p in raw
        if not _negated(words, first, first + p.n_words, p.text.split()[0], starts)
    ]
    # "pension d'invalidité" names the invalidity pension, not also a "pension" (retirement).
    return [h for h in hits if not any(
        o.value != h.value and o.n_words > h.n_words
        and o.start_word <= h.start_word and h.start_word + h.n_words <= o.start_word + o.n_words
        for o in hits)]


def _fuzzy_hits(text: str, table: ChoiceTable) -> list[_Hit]:
    words = text.split()
    hits = []
    for choice in table.choices:
        for p in choice.phrases:
            if len(p.text.replace(" ", "")) < _FUZZY_MIN_LEN or p.n_words > len(words):
                continue
            for i in range(len(words) - p.n_words + 1):
                window = words[i : i + p.n_words]
                if min(len(w) for w in window) < 3 or len("".join(window)) < _FUZZY_MIN_LEN - 1:
                    continue
                score = fuzz.ratio(" ".join(window), p.text)
                if score >= _FUZZY_CUTOFF and not _negated(words, i, i + p.n_words, p.text.split()[0]):
                    hits.append(_Hit(choice.value, i, p.n_words, score))
    return hits


def exact_choice(form: str, table: ChoiceTable, ignore: frozenset[str] = frozenset()) -> str | None:
    """The single value named by exact phrases in a match-form text (no typo tolerance), or None.
    Used to spot corrections in messages that answer something else."""
    words = form.split()
    values = _ordered(
        (
            h.value
            for h in _exact_hits(form, table)
            if " ".join(words[h.start_word : h.start_word + h.n_words]) not in ignore
        ),
        table,
    )
    if len(values) > 1:
        values = [next(v for v in table.priority if v in values)] if set(values) & set(table.priority) else []
    return values[0] if len(values) == 1 else None


def _hits(text: str, table: ChoiceTable) -> list[_Hit]:
    return _exact_hits(text, table) or _fuzzy_hits(text, table)


def _number_value(raw: object, table: ChoiceTable) -> str | None:
    """A rate in the text mapped through the table's `numbers` ("80 %" -> rate_80_plus)."""
    if not table.numbers or not isinstance(raw, str):
        return None
    text = match_form(to_digits(raw[:500]))
    for n in find_integers(text):
        value = n.value - 1 if _LESS_THAN.search(text[: n.start]) else n.value
        for low, high, choice in table.numbers:
            if low <= value <= high:
                return choice
    return None


def _direct(text: object, table: ChoiceTable) -> str | None:
    """A button payload: the value itself ("social_tenant")."""
    if isinstance(text, str):
        stripped = text.strip()
        if any(c.value == stripped for c in table.choices):
            return stripped
    return None


def _examples(table: ChoiceTable) -> str:
    labels = [c.label for c in table.choices]
    return ", ".join(labels[:-1]) + " ou " + labels[-1] if len(labels) > 1 else "".join(labels)


def _failure(table: ChoiceTable, several: list[str] | None = None) -> ParseResult:
    if several:
        labels = [table.label(v) for v in several]
        examples = ", ".join(labels[:-1]) + " ou " + labels[-1]
        return ParseResult.failure(
            hint("choice_several", examples=examples), [(v, table.label(v)) for v in several]
        )
    return ParseResult.failure(
        hint("choice_missing", examples=_examples(table)), [(c.value, c.label) for c in table.choices]
    )


def _ordered(values, table: ChoiceTable) -> list[str]:
    order = [c.value for c in table.choices]
    return sorted(set(values), key=order.index)


def parse_choice(text: object, options=None) -> ParseResult:
    table = resolve_table(options)
    if table is None:
        raise ValueError("parse_choice needs options: a table name of synonyms.yml or {value: [synonyms]}")
    if direct := _direct(text, table):
        return ParseResult.success(direct)
    if by_number := _number_value(text, table):
        return ParseResult.success(by_number)
    cleaned, unsure = strip_unknown(match_form(text if isinstance(text, str) else ""))
    hits = _hits(cleaned, table)
    values = _ordered((h.value for h in hits), table)
    if len(values) == 1:
        return ParseResult.success(values[0])
    if len(values) > 1:
        for preferred in table.priority:
            if preferred in values:
                return ParseResult.success(preferred)
        best = max(hits, key=lambda h: (h.score, h.n_words))
        if sum(1 for h in hits if (h.score, h.n_words) == (best.score, best.n_words)) == 1:
            return ParseResult.success(best.value)
        return _failure(table, values)
    if unsure:
        return ParseResult.unknown()
    return _failure(table)


def parse_multi_choice(text: object, options=None) -> ParseResult:
    table = resolve_table(options)
    if table is None:
        raise ValueError("parse_multi_choice needs options: a table name or {value: [synonyms]}")
    if direct := _direct(text, table):
        return ParseResult.success([direct])
    cleaned, unsure = strip_unknown(match_form(text if isinstance(text, str) else ""))
    values = _ordered((h.value for h in _hits(cleaned, table)), table)
    if len(values) > 1:
        # "rien d'autre que le RSA": "none" only stands when nothing else was named.
        values = [v for v in values if v not in table.exclusive] or values[:1]
    if values:
        return ParseResult.success(values)
    if unsure:
        return ParseResult.unknown()
    return _failure(table)
