"""Small typo tolerance for the key words of the detection patterns.

A token is replaced by a key word when it is one or two edits away (an edit is a letter
added, removed, changed, or two neighbours swapped). Only key words are targets, only
tokens of five letters or more are touched, and the ordinary words listed in the data
(`protected_words`) are never changed, so "coucher" does not become "couper".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

MIN_LENGTH = 5


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance between ``a`` and ``b``, or ``limit + 1`` if larger."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous_previous[j - 2] + 1)
            current[j] = value
        previous_previous, previous = previous, current
    return min(previous[-1], limit + 1)


def allowed_edits(token: str) -> int:
    """How many edits a token of this length may carry."""
    return 2 if len(token) >= 9 else 1


class TypoCorrector:
    def __init__(self, keywords: Iterable[str], protected: Iterable[str]):
        self.keywords = frozenset(w for w in keywords if w.isalpha())
        self.protected = frozenset(protected)
        # Candidates are grouped by first letter; "uissier" may still reach "huissier".
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for word in sorted(self.keywords):
            self._by_initial[word[0]].append(word)
        self.correct = lru_cache(maxsize=8192)(self._correct)

    def _correct(self, token: str) -> str:
        if (
            len(token) < MIN_LENGTH
            or not token.isalpha()
            or token in self.keywords
            or token in self.protected
        ):
            return token
        limit = allowed_edits(token)
        best, best_distance = token, limit + 1
        for word in self._by_initial.get(token[0], ()):
            distance = edit_distance(token, word, limit)
            if distance < best_distance:
                best, best_distance = word, distance
        for word in self._by_initial.get("h", ()):
            # A dropped silent h at the start: "uissier" for "huissier".
            if edit_distance(token, word[1:], 0) == 0 and best_distance > 1:
                best, best_distance = word, 1
        return best if best_distance <= limit else token
