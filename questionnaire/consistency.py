"""Storing an answer with the consistency rules, and undoing it ("Question précédente").

A correction keeps its place in the order of answers. Answers a new one makes meaningless are
dropped: children's ages when the number of children changed, and any answer whose `asked_when`
stops holding with this change (the rent of someone who is now an owner). Every change is written to the history
(the previous value of each key touched) so that "back" restores exactly what was there.
"""

from __future__ import annotations

from typing import Any

from benefits import load_catalogue
from questionnaire.state import MAX_HISTORY, MISSING, State


def _drop_meaningless(profile: dict[str, Any], before: dict[str, Any], changed: set[str]) -> None:
    """Drop the answers this change made meaningless: those whose `asked_when` held (or was
    unknown) before and is false now. An answer given in this very message is kept (an income
    typed as a correction stays, even where the question itself is not asked)."""
    count = profile.get("children_count")
    ages = profile.get("children_ages")
    if "children_count" in changed and "children_ages" not in changed and isinstance(ages, list) \
            and isinstance(count, int | float) and len(ages) != count:
        profile.pop("children_ages", None)
    catalogue = load_catalogue()
    facts_before = catalogue.facts.build(before)
    for _ in range(3):  # a dropped answer can make another one meaningless
        facts = catalogue.facts.build(profile)
        dropped = [c.id for c in catalogue.questions
                   if c.id in profile and c.id not in changed and c.asked_when is not None
                   and c.asked_when.eval(facts) is False and c.asked_when.eval(facts_before) is not False]
        if not dropped:
            return
        for key in dropped:
            profile.pop(key, None)


def apply(state: State, question_id: str, updates: dict[str, Any]) -> set[str]:
    """Store `updates` (the answer to `question_id` and corrections in passing); the keys changed."""
    before = dict(state.profile)
    state.profile.update(updates)
    _drop_meaningless(state.profile, before, set(updates))
    for key in updates:
        if key in state.profile and key not in state.order:
            state.order.append(key)
    state.order[:] = [q for q in state.order if q in state.profile]
    changed = {k for k in set(before) | set(state.profile) if before.get(k, MISSING) != state.profile.get(k, MISSING)}
    if changed:
        state.history.append({"q": question_id, "prev": {k: before.get(k, MISSING) for k in sorted(changed)}})
        del state.history[:-MAX_HISTORY]
    return changed


def undo(state: State) -> str | None:
    """Undo the latest answer; the question it answered (to ask again), or None when nothing to undo."""
    if not state.history:
        return None
    entry = state.history.pop()
    for key, old in entry["prev"].items():
        if old == MISSING:
            state.profile.pop(key, None)
        else:
            state.profile[key] = old
            if key not in state.order:
                state.order.append(key)
    state.order[:] = [q for q in state.order if q in state.profile]
    return entry["q"]
