"""Properties of the engine on the fixture catalogue and on the real catalogue (hypothesis).

- Adding income never turns a means-tested "not now" into "likely".
- An unknown or missing answer never yields "not now": forgetting an answer can only move a
  benefit to "unknown", never from "likely"/"unknown" to "not now".
"""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benefits import load_catalogue, statuses
from benefits.rules import Leaf, Node, Not, PersonCheck

FIXTURES = Path(__file__).parent / "fixtures" / "catalogue"
INCOME_FIELDS = ("income_monthly", "income_yearly")


@pytest.fixture(scope="module", params=["fixtures", "real"])
def catalogue(request):
    return load_catalogue(FIXTURES if request.param == "fixtures" else None)


def _means_tested_only_by_ceilings(node: Node, negated: bool = False) -> bool | None:
    """True if income appears, only as an upper bound and never under a `not`; None if absent."""
    if isinstance(node, Leaf):
        if node.field not in INCOME_FIELDS:
            return None
        return not negated and set(node.tests) <= {"max"}
    if isinstance(node, Not):
        return _means_tested_only_by_ceilings(node.child, not negated)
    if isinstance(node, PersonCheck):
        return None
    found = [_means_tested_only_by_ceilings(child, negated) for child in node.children]
    if any(f is False for f in found):
        return False
    return True if any(f for f in found) else None


COMMUNES = ["54395", "54339", "54482", "54184", "54357", "54547", "54001", "54329", "57463"]

profiles = st.fixed_dictionaries(
    {},
    optional={
        "age": st.integers(0, 110),
        "household": st.sampled_from(["alone", "couple"]),
        "children_count": st.integers(0, 5),
        "children_ages": st.lists(st.integers(0, 25), max_size=5),
        "income_monthly": st.floats(0, 6000, allow_nan=False).map(lambda x: round(x, 2)),
        "income_kinds": st.lists(
            st.sampled_from(["salary", "self_employed", "pension", "unemployment", "benefits", "none"]),
            min_size=1, max_size=3, unique=True),
        "housing": st.sampled_from(["tenant", "social_tenant", "owner", "hosted", "homeless"]),
        "rent": st.floats(0, 1500, allow_nan=False),
        "work": st.sampled_from(["employed", "job_seeker", "student", "apprentice", "retired", "unable", "other"]),
        "disability": st.sampled_from(["none", "rate_50_79", "rate_80_plus", "recognised_other"]),
        "commune": st.sampled_from(COMMUNES),
        "pregnant": st.booleans(),
        "widowed": st.booleans(),
        "scholarship": st.booleans(),
        "needs_daily_help": st.booleans(),
        "health_cover": st.sampled_from(["none", "private", "css"]),
        "current_benefits": st.lists(st.sampled_from(["rsa", "aah", "aspa", "ass", "apl", "css", "none"]),
                                     min_size=1, max_size=2, unique=True),
    },
)



@st.composite
def consistent_profiles(draw):
    """Profiles as the bot builds them: one age per child, and only when there are children."""
    profile = draw(profiles)
    if "children_count" in profile and "children_ages" in profile:
        count = profile["children_count"]
        if count == 0:
            del profile["children_ages"]
        else:
            profile["children_ages"] = draw(st.lists(st.integers(0, 25), min_size=count, max_size=count))
    return profile


SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(profile=consistent_profiles(), extra=st.floats(1, 5000, allow_nan=False))
def test_more_income_never_turns_not_now_into_likely(catalogue, profile, extra):
    means_tested = [b.id for b in catalogue.benefits if _means_tested_only_by_ceilings(b.rule)]
    assert means_tested or catalogue.benefits  # the real catalogue has some
    income = profile.get("income_monthly", 0.0)
    before = statuses({**profile, "income_monthly": income}, catalogue)
    after = statuses({**profile, "income_monthly": income + extra}, catalogue)
    for benefit_id in means_tested:
        if before[benefit_id] == "not_now":
            assert after[benefit_id] == "not_now", benefit_id
        if after[benefit_id] == "likely":
            assert before[benefit_id] == "likely", benefit_id


@SETTINGS
@given(profile=consistent_profiles(), data=st.data())
def test_forgetting_an_answer_never_yields_not_now(catalogue, profile, data):
    if not profile:
        return
    key = data.draw(st.sampled_from(sorted(profile)))
    before = statuses(profile, catalogue)
    for forgotten in ({**profile, key: "unknown"}, {k: v for k, v in profile.items() if k != key}):
        if key in catalogue.facts.build(forgotten):
            continue  # not a gap: other answers imply it (no children -> no ages; age 70 -> not pregnant)
        after = statuses(forgotten, catalogue)
        for benefit_id, status in after.items():
            assert status in (before[benefit_id], "unknown"), (benefit_id, key)


def test_nothing_answered_gives_no_not_now(catalogue):
    assert "not_now" not in set(statuses({}, catalogue).values())
    all_unknown = {q.id: "unknown" for q in catalogue.questions_by_id.values()}
    assert "not_now" not in set(statuses(all_unknown, catalogue).values())


def test_the_real_catalogue_has_means_tested_benefits():
    catalogue = load_catalogue()
    assert sum(1 for b in catalogue.benefits if _means_tested_only_by_ceilings(b.rule)) >= 10
