"""Find urgent situations in a message, in the words residents really type.

``detect(text)`` simplifies the message (see :mod:`urgent.normalize`), corrects small
typos in key words, then tries the patterns of ``data/situations.yml``; the learnt model
(:mod:`urgent.learnt`) adds what the patterns do not know, unless the rules veto it. A match is
dropped when the person says it is not so ("je ne dors pas dehors"), no longer so ("il
ne me frappe plus"), long ago ("il y a 3 ans") or over ("maintenant ça va").

Stdlib + PyYAML only: the Rasa server imports this module. Never logs message text.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from urgent.learnt import get_model
from urgent.normalize import normalize
from urgent.situations import Situation, UrgentData, UrgentDataError, get_data

logger = logging.getLogger(__name__)

CORRECTED_SCORE = 0.8  # a match that needed a typo correction is a little less sure
# A date or "maintenant ça va" somewhere in the message does not veto the learnt model for
# suicidal thoughts: "j'ai fait une tentative l'an dernier et j'y repense" (round 3). A rule
# match cancelled as past ("idées noires il y a 10 ans") still vetoes it.
PAST_DOES_NOT_VETO = frozenset({"suicide"})
_CLAUSE_BREAKS = {".", ",", "mais"}
_SENTENCE_BREAKS = {"."}


class Detection(NamedTuple):
    situation_id: str
    score: float
    phrase: str


class _Text:
    """The simplified message with the word index of every character position."""

    def __init__(self, tokens: list[str], corrected: list[bool]):
        self.tokens = tokens
        self.corrected = corrected
        self.string = " ".join(tokens)
        self.starts: list[int] = []
        position = 0
        for token in tokens:
            self.starts.append(position)
            position += len(token) + 1

    def token_span(self, start: int, end: int) -> tuple[int, int]:
        """Word indexes [first, last + 1) covered by the characters [start, end)."""
        first = last = 0
        for index, token_start in enumerate(self.starts):
            if token_start <= start:
                first = index
            if token_start < end:
                last = index
        return first, last + 1

    def bounds(self, first: int, last: int, breaks: set[str]) -> tuple[int, int]:
        """The clause (or sentence) around words [first, last)."""
        begin = first
        while begin > 0 and self.tokens[begin - 1] not in breaks:
            begin -= 1
        end = last
        while end < len(self.tokens) and self.tokens[end] not in breaks:
            end += 1
        return begin, end

    def char_range(self, first: int, last: int) -> str:
        return " ".join(self.tokens[first:last])


_ELIDED = frozenset("ldjmnstc")  # l' d' j' m' n' s' t' c' typed without the apostrophe


def _unglue(token: str, data: UrgentData) -> list[str]:
    """Split "ledf", "lhuissier", "jarrive" into "l edf", "l huissier", "j arrive"."""
    if (
        len(token) >= 4
        and token[0] in _ELIDED
        and token not in data.pattern_words
        and token not in data.corrector.protected
        and token[1:] in data.pattern_words
    ):
        return [token[0], token[1:]]
    return [token]


def _prepare(message: str, data: UrgentData) -> _Text:
    tokens = [piece for token in normalize(message, data.sms) for piece in _unglue(token, data)]
    corrected_tokens, corrected = [], []
    for token in tokens:
        fixed = data.corrector.correct(token)
        corrected_tokens.append(fixed)
        corrected.append(fixed != token)
    return _Text(corrected_tokens, corrected)


def _is_negation(word: str, following: str | None, particles: frozenset[str],
                 data: UrgentData) -> bool:
    if word not in particles:
        return False
    if word == "plus" and following in data.plus_not_negation_before:
        return False
    return True


def _negated(text: _Text, first: int, last: int, literal: frozenset[str],
             data: UrgentData) -> bool:
    tokens = text.tokens

    def following(index: int) -> str | None:
        return tokens[index + 1] if index + 1 < len(tokens) else None

    # Up to two words before the match, within the clause. A subject in between starts a
    # new clause: in "j'en peux plus je veux mourir" the "plus" is not about "mourir".
    # A match that starts with its own subject ("on est dehors") starts a clause too.
    index = first - 1 if tokens[first] not in data.clause_subjects else -1
    while (index >= max(0, first - 2) and tokens[index] not in _CLAUSE_BREAKS
           and tokens[index] not in data.clause_subjects):
        if _is_negation(tokens[index], following(index), data.negation_before, data):
            return True
        index -= 1
    # Inside the match, on words the pattern does not itself contain.
    for index in range(first, last):
        word = tokens[index]
        if word not in literal and _is_negation(word, following(index),
                                                data.negation_inside_or_after, data):
            return True
    # Right after the match: "il me frappe plus", but not "dehors, pas chez moi".
    if last < len(tokens):
        word, after = tokens[last], following(last)
        if after not in data.after_match_ignored_before and _is_negation(
                word, after, data.negation_inside_or_after, data):
            return True
    return False


def _in_the_past(text: _Text, first: int, last: int, match_start: int,
                 data: UrgentData) -> bool:
    begin, end = text.bounds(first, last, _CLAUSE_BREAKS)
    clause = text.char_range(begin, end)
    if any(regex.search(clause) for regex in data.long_ago):
        return True
    rest = text.string[match_start:]
    return any(regex.search(rest) for regex in data.resolved)


def _excluded(text: _Text, first: int, last: int, situation: Situation) -> bool:
    begin, end = text.bounds(first, last, _CLAUSE_BREAKS)
    clause = text.char_range(begin, end)
    return any(pattern.regex.search(clause) for pattern in situation.excludes)


def _find(text: _Text, situation: Situation, data: UrgentData) -> tuple[Detection | None, bool]:
    """The best match of ``situation`` and whether some match was cancelled (a veto)."""
    best: Detection | None = None
    cancelled = False
    for pattern in situation.patterns:
        if pattern.loose is not None and not cancelled and pattern.loose.search(text.string) \
                and not pattern.regex.search(text.string):
            cancelled = True
        for match in pattern.regex.finditer(text.string):
            if match.end() == match.start():
                continue
            first, last = text.token_span(match.start(), match.end())
            if (_negated(text, first, last, pattern.literal_words, data)
                    or _in_the_past(text, first, last, match.start(), data)
                    or _excluded(text, first, last, situation)):
                cancelled = True
                continue
            score = CORRECTED_SCORE if any(text.corrected[first:last]) else 1.0
            if best is None or score > best.score:
                best = Detection(situation.id, score, match.group(0))
            if score == 1.0:
                return best, cancelled
    return best, cancelled


def _vetoes(text: _Text, situation: Situation, data: UrgentData) -> bool:
    """Whether the rules know this message is not ``situation`` although it may look so:
    an idiom of its ``exclude`` list ("mourir de rire"), or a message about the past
    ("il y a 3 ans", "maintenant ça va")."""
    if any(p.regex.search(text.string) for p in situation.excludes):
        return True
    if situation.id in PAST_DOES_NOT_VETO:
        return False
    return any(r.search(text.string) for r in (*data.long_ago, *data.resolved))


def detect_rules(text: str, data: UrgentData | None = None) -> tuple[list[Detection], set[str]]:
    """The reviewed rules alone: situations found, and situations the rules veto."""
    if not isinstance(text, str) or not text.strip():
        return [], set()
    data = data or get_data()
    prepared = _prepare(text[:5000], data)
    if not prepared.tokens:
        return [], set()
    found, vetoed = [], set()
    for situation in data.situations:
        detection, cancelled = _find(prepared, situation, data)
        if detection is not None:
            found.append(detection)
        elif cancelled or _vetoes(prepared, situation, data):
            vetoed.add(situation.id)
    return found, vetoed


def detect(text: str, data: UrgentData | None = None, learnt: bool = True) -> list[Detection]:
    """Urgent situations said in ``text``, most serious first.

    Returns one :class:`Detection` (situation id, score in (0, 1], simplified phrase that
    matched, empty for the learnt model) per situation found; an empty list for an ordinary
    message or for anything that is not text. Either the rules or the learnt model
    (:mod:`urgent.learnt`) can raise a situation; the rules veto the model's guesses they
    know to be false alarms (a negated, past or idiomatic match).
    """
    found, vetoed = detect_rules(text, data)
    if not learnt or not isinstance(text, str) or not text.strip():
        return found
    data = data or get_data()
    have = {d.situation_id for d in found}
    try:
        guesses = get_model().predict(text)
    except UrgentDataError:  # a broken weights file must not silence the rules
        logger.exception("Learnt urgent model unavailable; rules only.")
        return found
    extra = {sid: p for sid, p in guesses if sid not in have and sid not in vetoed}
    if not extra:
        return found
    found += [Detection(sid, round(p, 3), "") for sid, p in extra.items()]
    order = {s.id: i for i, s in enumerate(data.situations)}
    return sorted(found, key=lambda d: order[d.situation_id])


def situation_ids(text: str) -> list[str]:
    """Only the ids of :func:`detect`, most serious first."""
    return [d.situation_id for d in detect(text)]


__all__ = ["Detection", "detect", "detect_rules", "situation_ids"]
