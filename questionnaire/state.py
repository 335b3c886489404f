"""The plain state of one questionnaire, whatever the channel keeps it in (Rasa slots, a signed
cookie): the profile, the order of the answers, what "Question précédente" undoes, the tries.

It serialises to a small JSON-able dict (the guide's cookie must stay under 4 kB): the history
keeps, for each answer, only the keys it changed and their previous values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FIRST_RESULTS_AFTER = 8   # answers before a first results screen
REFINE_BUDGET = 99        # "Préciser mes résultats": every question that can still change a result
MAX_HISTORY = 40
MISSING = "__missing__"   # in the history: the key had no value before


@dataclass
class State:
    profile: dict[str, Any] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)          # question ids in the order answered
    history: list[dict[str, Any]] = field(default_factory=list)  # [{"q": id, "prev": {key: old}}]
    budget: int = FIRST_RESULTS_AFTER
    tries: int = 0              # misunderstandings of the question being asked
    asked: str | None = None    # the question being asked
    streak: int = 0             # times `asked` was shown in a row
    selected: list[str] = field(default_factory=list)       # multi-choice taps not yet validated
    modifying: str | None = None   # "Modifier une réponse": this question first, then carry on
    mode: str | None = None        # None (a question) or "recap" (the list of answers)
    note: str = ""                 # said before the next prompt: a hint, a kind word, "pourquoi"
    offer_person: bool = False     # a question was skipped for lack of understanding
    misunderstood: int = 0         # misunderstandings in this conversation (figures only)

    def answered(self) -> int:
        return sum(1 for value in self.profile.values() if value is not None)

    def to_data(self) -> dict[str, Any]:
        """The conversation state without the profile (the bot keeps the profile in its slots)."""
        return {"o": list(self.order), "h": list(self.history), "b": self.budget, "t": self.tries,
                "a": self.asked, "s": self.streak, "sel": list(self.selected), "m": self.modifying,
                "mode": self.mode, "n": self.note, "p": self.offer_person, "mis": self.misunderstood}

    @classmethod
    def from_data(cls, data: Any, profile: dict[str, Any] | None = None) -> State:
        """Tolerant: a missing or malformed field takes its default (an older state, a bad cookie)."""
        data = data if isinstance(data, dict) else {}
        profile = {k: v for k, v in (profile or {}).items() if v is not None}

        def pick(key: str, kind: type, default: Any) -> Any:
            value = data.get(key, default)
            if kind is bool:
                return value if isinstance(value, bool) else default
            return value if isinstance(value, kind) and not isinstance(value, bool) else default

        order = [q for q in pick("o", list, []) if isinstance(q, str) and q in profile]
        order = list(dict.fromkeys(order)) + [q for q in profile if q not in order]
        history = [h for h in pick("h", list, []) if isinstance(h, dict) and isinstance(h.get("q"), str)
                   and isinstance(h.get("prev"), dict)][-MAX_HISTORY:]
        budget = pick("b", int, FIRST_RESULTS_AFTER)
        mode = data.get("mode") if data.get("mode") in ("recap",) else None
        return cls(profile=profile, order=order, history=history,
                   budget=budget if 1 <= budget <= REFINE_BUDGET else FIRST_RESULTS_AFTER,
                   tries=max(0, pick("t", int, 0)), asked=pick("a", str, None), streak=max(0, pick("s", int, 0)),
                   selected=[str(v) for v in pick("sel", list, [])], modifying=pick("m", str, None),
                   mode=mode, note=pick("n", str, ""), offer_person=pick("p", bool, False),
                   misunderstood=max(0, pick("mis", int, 0)))
