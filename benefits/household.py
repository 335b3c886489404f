"""The profile keys the rules and the calculator read, derived from the grouped questions.

The questionnaire asks few questions that each cover several facts:
- `situations` (multi-choice "Êtes-vous dans une de ces situations ?"): a recognised disability
  in the household, a pregnancy, widowhood, a need for daily help, or none of them;
- `disability_who` (multi-choice "Qui a un handicap reconnu ?"), only when a disability was
  ticked and the household has a partner or children; then the rate of each disabled adult
  (`disability`, `partner_disability`) only when a result depends on it;
- the work situation is read from the kinds of income when they imply it (unemployment benefit:
  job seeker, also with a salary at 30 or more (activité réduite); a salary at 30 or more:
  employed; a pension without work income at 55 or more: retired); `work` is asked only when it
  is not implied and still matters.

`expand(profile)` returns the old keys those answers settle (`pregnant`, `widowed`,
`needs_daily_help`, `children_disabled`, `disabled_people`, `work`, and `disability` /
`partner_disability` = "none" for adults nobody ticked, `partner_work` from the partner's kinds of
income; `work_open`, whether `work` is still to
ask), never overriding a key the profile
already has (an older profile, a correction). It is the one place that does it: the engine's fact
builder (`benefits.rules.FactBuilder`) and the OpenFisca situation (`calculator.situation`) both
call it. Plain Python, no import beyond the standard library.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

UNKNOWN = "unknown"

SITUATIONS = "situations"
DISABILITY_WHO = "disability_who"
# Values of `situations`.
HAS_DISABILITY, PREGNANT, WIDOWED, DAILY_HELP, NONE = "disability", "pregnant", "widowed", "daily_help", "none"
# Values of `disability_who`.
SELF, PARTNER, ONE_CHILD, SEVERAL_CHILDREN = "self", "partner", "child", "children"

# Ages outside which a fact is settled without asking (as the old yes/no questions' asked_when).
PREGNANCY_AGES = (14, 55)
DAILY_HELP_AGE = 60
# Income kinds -> the work situation they imply (see the module docstring).
WORK_INCOME = ("salary", "self_employed")
EMPLOYED_FROM_AGE = 30      # below, a salary may be a student's or an apprentice's
RETIRED_FROM_AGE = 55       # below, a pension may be a survivor's pension

# The keys `expand` may derive, with the questions each is read from (for the engine's
# "what would decide it").
DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "pregnant": (SITUATIONS,),
    "widowed": (SITUATIONS,),
    "needs_daily_help": (SITUATIONS,),
    "disabled_people": (SITUATIONS, DISABILITY_WHO),
    "children_disabled": (SITUATIONS, DISABILITY_WHO),
    "work_open": ("age", "income_kinds"),
}


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _list(value: Any) -> list[str] | None:
    if isinstance(value, list | tuple | set):
        return [str(v) for v in value]
    return None


def disabled_people(profile: Mapping[str, Any]) -> list[str] | None:
    """Who has a recognised disability (values of `disability_who`), None while unknown."""
    who = _list(profile.get(DISABILITY_WHO))
    if who is not None:
        return [w for w in who if w != NONE]
    situations = _list(profile.get(SITUATIONS))
    if situations is None:
        return None
    if HAS_DISABILITY not in situations:
        return []
    children = _int(profile.get("children_count"))
    if profile.get("household") == "alone" and children == 0:
        return [SELF]          # nobody else in the household: "disability_who" is not asked
    return None


def implied_work(profile: Mapping[str, Any], prefix: str = "") -> str | None:
    """The work situation the kinds of income imply for the resident (prefix "") or the partner
    ("partner_"), or None when they leave a doubt."""
    kinds = _list(profile.get(f"{prefix}income_kinds"))
    age = _int(profile.get(f"{prefix}age"))
    if age is None and prefix:
        age = _int(profile.get("age"))    # the partner's age is asked only when a rule needs it
    if kinds is None or age is None:
        return None
    works = any(kind in kinds for kind in WORK_INCOME)
    if "unemployment" in kinds and (not works or age >= EMPLOYED_FROM_AGE):
        return "job_seeker"     # with a salary too: registered, working a few hours (activité réduite)
    if works and age >= EMPLOYED_FROM_AGE:
        return "employed"
    if "pension" in kinds and not works and "unemployment" not in kinds and age >= RETIRED_FROM_AGE:
        return "retired"
    return None


def expand(profile: Mapping[str, Any]) -> dict[str, Any]:
    """The old profile keys the grouped answers settle (only those the profile lacks)."""
    out: dict[str, Any] = {}

    def put(key: str, value: Any) -> None:
        if value is not None and profile.get(key) is None:
            out[key] = value

    situations = _list(profile.get(SITUATIONS))
    age = _int(profile.get("age"))
    household = profile.get("household")
    if situations is not None:
        put("pregnant", PREGNANT in situations)
        put("widowed", WIDOWED in situations and household != "couple")
        put("needs_daily_help", DAILY_HELP in situations)
    else:
        # Settled without asking, as the old yes/no questions were never asked then.
        if age is not None and not PREGNANCY_AGES[0] <= age <= PREGNANCY_AGES[1]:
            put("pregnant", False)
        if household == "couple":
            put("widowed", False)
    people = disabled_people(profile)
    put("disabled_people", people)
    if people is not None:
        if SELF not in people:
            put("disability", "none")
        if household == "couple" and PARTNER not in people:
            put("partner_disability", "none")
        children = _int(profile.get("children_count")) or 0
        count = 2 if SEVERAL_CHILDREN in people else 1 if ONE_CHILD in people else 0
        put("children_disabled", min(count, children))
    if profile.get("work") is None and profile.get("income_kinds") is not None and profile.get("age") is not None:
        work = implied_work(profile)
        put("work", work)
        put("work_open", work is None)   # the `work` question's asked_when: not implied
    if household == "couple":
        # Not asked (no rule needs it): what the partner's kinds of income imply, for OpenFisca.
        put("partner_work", implied_work(profile, "partner_"))
    return out


def grouped_answers(truth: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of `expand`: the answers to the grouped questions (`situations`,
    `disability_who`) a resident with these facts gives (the differential's generated households,
    test personas written with the old keys)."""
    situations = []
    disabled = [who for who, key in (("self", "disability"), ("partner", "partner_disability"))
                if truth.get(key) not in (None, "none")]
    children_disabled = truth.get("children_disabled") or 0
    if children_disabled:
        disabled.append("children" if children_disabled > 1 else "child")
    if disabled:
        situations.append("disability")
    situations += [value for value, key in (("pregnant", "pregnant"), ("widowed", "widowed"),
                                            ("daily_help", "needs_daily_help")) if truth.get(key) is True]
    return {"situations": situations or ["none"], "disability_who": disabled or ["none"]}
