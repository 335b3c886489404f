"""The result every parser returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

UNKNOWN = "unknown"  # profile value for "je ne sais pas" (see DEVELOPERS.md)


@dataclass(frozen=True)
class ParseResult:
    """ok=True: `value` is ready for the profile (it is "unknown" when is_unknown).
    ok=False: `hint` is a polite French re-ask with an example; `candidates` may hold
    (value, label) pairs to offer as buttons.
    `extras` carries bonus facts found on the way, e.g. {"children_ages": [4]}."""

    ok: bool
    value: Any = None
    is_unknown: bool = False
    hint: str = ""
    extras: dict[str, Any] = field(default_factory=dict)
    candidates: tuple[tuple[str, str], ...] = ()

    @classmethod
    def success(cls, value: Any, **extras: Any) -> ParseResult:
        return cls(ok=True, value=value, extras=extras)

    @classmethod
    def unknown(cls) -> ParseResult:
        return cls(ok=True, value=UNKNOWN, is_unknown=True)

    @classmethod
    def failure(cls, hint: str, candidates=(), **extras: Any) -> ParseResult:
        return cls(ok=False, hint=hint, candidates=tuple(candidates), extras=extras)
