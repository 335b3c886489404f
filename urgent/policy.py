"""What the conversation does with an alarm it has already answered.

An alarm must not block the questionnaire: once help was given for a situation, the same
kind of message ("plus rien ne rentre" to the income question, again and again) is read as
an answer when it parses as one. Suicidal thoughts are the exception: they always get the
3114 again. Pure functions, no adapter: the bot's questionnaire action calls them.
"""

from __future__ import annotations

from collections.abc import Iterable

# Situations whose help is given again every time, whatever was said before.
ALWAYS_HELP_AGAIN = frozenset({"suicide"})
# Situations where the first button offers a person rather than the next step.
PERSON_FIRST = frozenset({"suicide", "violence", "child_danger", "medical"})


def _ids(values: Iterable[object] | None) -> set[str]:
    if values is None or isinstance(values, str):
        return {values} if isinstance(values, str) else set()
    try:
        return {v for v in values if isinstance(v, str)}
    except TypeError:
        return set()


def already_helped(situations: Iterable[object] | None, helped: Iterable[object] | None) -> bool:
    """True when every situation detected now was already helped in this conversation (the
    slot ``urgent_situations``) and none must be helped again: the message may then be read
    as an answer to the current question, if it parses as one."""
    now, before = _ids(situations), _ids(helped)
    return bool(now) and now <= before and not (now & ALWAYS_HELP_AGAIN)


def person_first(situations: Iterable[object] | None) -> bool:
    """Whether the first button should be "Parler à quelqu'un" (never "Continuer")."""
    return bool(_ids(situations) & PERSON_FIRST)


__all__ = ["ALWAYS_HELP_AGAIN", "PERSON_FIRST", "already_helped", "person_first"]
