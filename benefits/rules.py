"""The rule language of DEVELOPERS.md, compiled once into small node objects, evaluated in three
values: True, False, None (= unknown).

A condition on a missing field, or a field answered "je ne sais pas", is unknown; `all` is False if
any part is False, else unknown if any part is unknown; `any` is True if any part is True, else
unknown if any is unknown; `not` swaps True and False. Unknown never becomes False, which is what
lets the engine say "not now" only for reasons the person really gave.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from benefits import children as _children
from benefits import communes as _communes
from benefits import household as _household

Truth = bool | None
UNKNOWN_ANSWER = "unknown"

# Kinds of values a field holds; they decide which tests make sense.
NUMBER, AGES, SET, SCALAR = "number", "ages", "set", "scalar"

KIND_OF_QUESTION_TYPE = {
    "age": NUMBER, "count": NUMBER, "amount": NUMBER, "ages_list": AGES,
    "multi_choice": SET, "choice": SCALAR, "yes_no": SCALAR, "commune": SCALAR,
    "school_levels": SET,
}

# Income by type: the kind (a value of income_kinds) -> the amount question asked for it.
INCOME_AMOUNTS = {
    "salary": "income_salary",
    "self_employed": "income_self_employed",
    "pension": "income_pension",
    "unemployment": "income_unemployment",
    "invalidity": "income_invalidity",
}
PARTNER_INCOME_AMOUNTS = {kind: f"partner_{qid}" for kind, qid in INCOME_AMOUNTS.items()}
# What the household's income is computed from, in the order a conversation learns it; the last
# one, the total asked directly, is only asked when an amount by type was "je ne sais pas".
INCOME_SOURCES = (
    "income_kinds", *INCOME_AMOUNTS.values(), "household",
    "partner_income_kinds", *PARTNER_INCOME_AMOUNTS.values(), "income_monthly",
)

# Derived facts: name -> (kind, questions they are computed from).
DERIVED_FACTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "household_size": (NUMBER, ("household", "children_count")),
    "children_under_3": (NUMBER, ("children_count", "children_ages")),
    "children_under_20": (NUMBER, ("children_count", "children_ages")),
    # The household's income (resident + partner, benefits excluded): the sum of the amounts by
    # type when they are known, else the total the person gave.
    "income_monthly": (NUMBER, INCOME_SOURCES),
    "income_yearly": (NUMBER, INCOME_SOURCES),
    # The same, as the tax office and the CAF count it (revenu fiscal de référence, revenu net
    # catégoriel): 12 months less the 10 % deduction (parameter impot.abattement_frais_professionnels).
    "income_taxable_yearly": (NUMBER, INCOME_SOURCES),
    # How many amounts by type were answered "je ne sais pas" (then the total is asked instead).
    "income_parts_unknown": (NUMBER, INCOME_SOURCES[:-1]),
    # Each child's school level: given, else read from the age when the age leaves no doubt.
    "children_school": (SET, ("children_count", "children_ages", "children_school")),
    "epci": (SCALAR, ("commune",)),
    "departement": (SCALAR, ("commune",)),
    # Read from the grouped questions (benefits/household.py): "Êtes-vous dans une de ces
    # situations ?" and "Qui a un handicap reconnu ?".
    "pregnant": (SCALAR, _household.DERIVED_FROM["pregnant"]),
    "widowed": (SCALAR, _household.DERIVED_FROM["widowed"]),
    "needs_daily_help": (SCALAR, _household.DERIVED_FROM["needs_daily_help"]),
    "disabled_people": (SET, _household.DERIVED_FROM["disabled_people"]),
    "children_disabled": (NUMBER, _household.DERIVED_FROM["children_disabled"]),
    # Whether the work situation is still to ask (not implied by the kinds of income).
    "work_open": (SCALAR, _household.DERIVED_FROM["work_open"]),
}
# Their types, for reading a value an older profile still holds under that key.
DERIVED_ANSWER_TYPES = {"pregnant": "yes_no", "widowed": "yes_no", "needs_daily_help": "yes_no",
                        "disabled_people": "multi_choice", "children_disabled": "count", "work_open": "yes_no"}

# A derived fact settled once one question is answered, even "je ne sais pas": the household's
# total given directly makes the amounts by type useless to the rules.
SETTLED_BY = {"income_monthly": "income_monthly", "income_yearly": "income_monthly",
              "income_taxable_yearly": "income_monthly"}

TESTS_BY_KIND = {
    NUMBER: {"min", "max", "equals", "in", "not_in"},
    AGES: {"any_between", "all_between", "count_between", "min", "max"},
    SET: {"includes", "includes_any", "includes_all", "not_includes_any", "excludes", "in", "not_in"},
    SCALAR: {"in", "not_in", "equals"},
}
TABLE_KEYS = {"alone", "couple", "extra_child", "household_size", "extra_person"}
EXPLANATION_KEYS = ("why", "why_not")
COMBINATORS = ("all", "any", "not")
NEEDS_CHECK = "needs_check"
ASSUME_CHECKS = "__assume_person_checks__"  # a fact key no question uses


class RuleError(ValueError):
    """A condition that does not follow the rule language; `path` says where."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


# --- composition tables (ceilings by household) -------------------------------------------


def table_value(table: Mapping[str, Any], household: str, children: int) -> float:
    """The ceiling for a household: list index = number of children (or household size - 1)."""
    if "household_size" in table:
        values = table["household_size"]
        index = (2 if household == "couple" else 1) + children - 1
        extra = table.get("extra_person", 0)
    else:
        values = table[household]
        index = children
        extra = table.get("extra_child", 0)
    if index < len(values):
        return float(values[index])
    return float(values[-1]) + float(extra) * (index - len(values) + 1)


def _check_table(path: str, table: Any) -> None:
    if not isinstance(table, dict) or not set(table) <= TABLE_KEYS:
        raise RuleError(path, f"a ceiling table takes only the keys {sorted(TABLE_KEYS)}")
    has_pair = "alone" in table and "couple" in table
    if not has_pair and "household_size" not in table:
        raise RuleError(path, "a ceiling table needs both 'alone' and 'couple', or 'household_size'")
    for key in ("alone", "couple", "household_size"):
        if key in table:
            values = table[key]
            if not isinstance(values, list) or not values or not all(_is_number(v) for v in values):
                raise RuleError(f"{path}.{key}", "must be a non-empty list of numbers")
    for key in ("extra_child", "extra_person"):
        if key in table and not _is_number(table[key]):
            raise RuleError(f"{path}.{key}", "must be a number")


def table_uses_children(table: Mapping[str, Any]) -> bool:
    if "household_size" in table:
        return True
    return bool(table.get("extra_child")) or len(table["alone"]) > 1 or len(table["couple"]) > 1


def _table_range(table: Mapping[str, Any], facts: Mapping[str, Any]) -> tuple[float, float, bool]:
    """(lowest, highest, exact) ceiling over the households still possible given the facts.

    `exact` is False when the number of children is unknown and matters: the ceiling could then
    be higher than any value tried, so the test must not answer False.
    """
    household = facts.get("household")
    children = facts.get("children_count")
    households = [household] if household in ("alone", "couple") else ["alone", "couple"]
    if isinstance(children, int):
        counts, exact = [children], True
    elif table_uses_children(table):
        counts, exact = range(0, 8), False
    else:
        counts, exact = [0], True
    values = [table_value(table, h, c) for h in households for c in counts]
    return min(values), max(values), exact


# --- nodes ---------------------------------------------------------------------------------


class Node:
    __slots__ = ("why", "why_not", "path")

    def eval(self, facts: Mapping[str, Any]) -> Truth:  # pragma: no cover - abstract
        raise NotImplementedError

    def missing(self, facts: Mapping[str, Any], answered: Iterable[str], out: set[str]) -> None:
        """Add to `out` the unanswered questions whose answers could decide this unknown node."""
        raise NotImplementedError  # pragma: no cover

    def leaves(self) -> Iterable[Leaf]:  # pragma: no cover - abstract
        raise NotImplementedError


class All(Node):
    __slots__ = ("children",)

    def __init__(self, children: list[Node], path: str = "", why=None, why_not=None):
        self.children = children
        self.path, self.why, self.why_not = path, why, why_not

    def eval(self, facts):
        result: Truth = True
        for child in self.children:
            value = child.eval(facts)
            if value is False:
                return False
            if value is None:
                result = None
        return result

    def missing(self, facts, answered, out):
        for child in self.children:
            if child.eval(facts) is None:
                child.missing(facts, answered, out)

    def leaves(self):
        for child in self.children:
            yield from child.leaves()


class Any_(Node):
    __slots__ = ("children",)

    def __init__(self, children: list[Node], path: str = "", why=None, why_not=None):
        self.children = children
        self.path, self.why, self.why_not = path, why, why_not

    def eval(self, facts):
        result: Truth = False
        for child in self.children:
            value = child.eval(facts)
            if value is True:
                return True
            if value is None:
                result = None
        return result

    def missing(self, facts, answered, out):
        for child in self.children:
            if child.eval(facts) is None:
                child.missing(facts, answered, out)

    def leaves(self):
        for child in self.children:
            yield from child.leaves()


class Not(Node):
    __slots__ = ("child",)

    def __init__(self, child: Node, path: str = "", why=None, why_not=None):
        self.child = child
        self.path, self.why, self.why_not = path, why, why_not

    def eval(self, facts):
        value = self.child.eval(facts)
        return None if value is None else not value

    def missing(self, facts, answered, out):
        self.child.missing(facts, answered, out)

    def leaves(self):
        yield from self.child.leaves()


class PersonCheck(Node):
    """`needs_check: "sentence"`: a fact no question asks (residence status, a child's illness, a
    court case...). It is always unknown and asks nothing: only a person can check it, so a
    benefit that contains it is never "likely"; the sentence says what to check."""

    __slots__ = ("sentence",)

    def __init__(self, sentence: str, path: str = ""):
        self.sentence = sentence
        self.path, self.why, self.why_not = path, None, None

    def eval(self, facts):
        # Always unknown; the question picker sets ASSUME_CHECKS to False to see whether answers
        # alone could still make the benefit likely.
        return facts.get(ASSUME_CHECKS)

    def missing(self, facts, answered, out):
        return None

    def leaves(self):
        return iter(())

    def __repr__(self) -> str:
        return f"PersonCheck({self.sentence!r})"


def person_checks(node: Node, facts: Mapping[str, Any], out: list[str]) -> None:
    """The `needs_check` sentences that keep an unknown node from being decided."""
    if isinstance(node, PersonCheck):
        if node.sentence not in out:
            out.append(node.sentence)
    elif isinstance(node, All | Any_):
        for child in node.children:
            if child.eval(facts) is None:
                person_checks(child, facts, out)
    elif isinstance(node, Not):
        person_checks(node.child, facts, out)


def has_person_check(node: Node) -> bool:
    if isinstance(node, PersonCheck):
        return True
    if isinstance(node, All | Any_):
        return any(has_person_check(child) for child in node.children)
    if isinstance(node, Not):
        return has_person_check(node.child)
    return False


Check = Callable[[Any, Mapping[str, Any]], Truth]


class Leaf(Node):
    """One `{field: test}` condition. `tests` keeps the normalised test for explanations."""

    __slots__ = ("field", "tests", "checks", "sources")

    def __init__(self, field: str, tests: dict[str, Any], checks: list[Check], sources: tuple[str, ...],
                 path: str = "", why=None, why_not=None):
        self.field, self.tests, self.checks, self.sources = field, tests, checks, sources
        self.path, self.why, self.why_not = path, why, why_not

    def eval(self, facts):
        value = facts.get(self.field)
        if value is None:
            return None
        result: Truth = True
        for check in self.checks:
            outcome = check(value, facts)
            if outcome is False:
                return False
            if outcome is None:
                result = None
        return result

    def missing(self, facts, answered, out):
        if SETTLED_BY.get(self.field) in answered:
            return
        for source in self.sources:
            if source not in answered:
                out.add(source)

    def leaves(self):
        yield self

    def __repr__(self) -> str:
        return f"Leaf({self.field}: {self.tests})"


# --- compilation ---------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _pair(path: str, value: Any) -> tuple[float, float]:
    if not (isinstance(value, list | tuple) and len(value) == 2 and all(_is_number(v) for v in value)):
        raise RuleError(path, "expects two numbers, e.g. [6, 18]")
    return float(value[0]), float(value[1])


def _as_list(path: str, value: Any) -> list[Any]:
    if isinstance(value, list | tuple | set):
        return list(value)
    return [value]


def _numeric_check(path: str, op: str, bound: Any) -> Check:
    if isinstance(bound, dict):
        _check_table(path, bound)
        table = bound
        if op == "max":
            def check(value, facts):
                low, high, exact = _table_range(table, facts)
                if value <= low:
                    return True
                if exact and value > high:
                    return False
                return None
        else:
            def check(value, facts):
                low, high, exact = _table_range(table, facts)
                if exact and value >= high:
                    return True
                if exact and value < low:
                    return False
                return None
        return check
    if not _is_number(bound):
        raise RuleError(path, "expects a number or a ceiling table")
    limit = float(bound)
    if op == "max":
        return lambda value, facts: value <= limit
    return lambda value, facts: value >= limit


def _compile_ages(field: str, test: dict[str, Any], path: str) -> list[Check]:
    checks: list[Check] = []
    if "count_between" in test:
        low, high = _pair(f"{path}.count_between", test["count_between"])
        cmin, cmax = test.get("min"), test.get("max")
        for key, bound in (("min", cmin), ("max", cmax)):
            if bound is not None and not _is_number(bound):
                raise RuleError(f"{path}.{key}", "expects a number (how many children)")
        if cmin is None and cmax is None:
            cmin = 1

        def count_check(ages, facts):
            count = sum(1 for a in ages if low <= a <= high)
            return (cmin is None or count >= cmin) and (cmax is None or count <= cmax)

        checks.append(count_check)
        rest = {k: v for k, v in test.items() if k not in ("count_between", "min", "max")}
    else:
        rest = dict(test)
    for key, arg in rest.items():
        if key == "any_between":
            low_a, high_a = _pair(f"{path}.any_between", arg)
            checks.append(lambda ages, facts, lo=low_a, hi=high_a: any(lo <= a <= hi for a in ages))
        elif key == "all_between":
            low_b, high_b = _pair(f"{path}.all_between", arg)
            checks.append(lambda ages, facts, lo=low_b, hi=high_b: all(lo <= a <= hi for a in ages))
        elif key in ("min", "max"):
            # On a list of ages, min/max bound the number of children listed.
            bound = arg
            if not _is_number(bound):
                raise RuleError(f"{path}.{key}", "expects a number")
            if key == "min":
                checks.append(lambda ages, facts, b=bound: len(ages) >= b)
            else:
                checks.append(lambda ages, facts, b=bound: len(ages) <= b)
        else:
            raise RuleError(f"{path}.{key}", f"unknown test for a list of ages ({field})")
    return checks


def _compile_leaf(field: str, test: Any, path: str, kinds: Mapping[str, str] | None) -> Leaf:
    if kinds is not None and field not in kinds:
        raise RuleError(path, f"unknown field '{field}' (not a question id nor a derived fact)")
    kind = kinds.get(field) if kinds is not None else None
    if not isinstance(test, dict):
        test = {"equals": test}
    if not test:
        raise RuleError(path, "empty test")
    sources = DERIVED_FACTS[field][1] if field in DERIVED_FACTS else (field,)
    if kind is not None:
        allowed = TESTS_BY_KIND[kind]
        for key in test:
            if key not in allowed:
                raise RuleError(f"{path}.{key}", f"test '{key}' does not apply to '{field}' (allowed: {sorted(allowed)})")
    if kind == AGES or (kind is None and {"any_between", "all_between", "count_between"} & set(test)):
        return Leaf(field, dict(test), _compile_ages(field, test, path), sources, path)

    checks: list[Check] = []
    tests: dict[str, Any] = {}
    for key, arg in test.items():
        where = f"{path}.{key}"
        tests[key] = arg
        if key in ("min", "max"):
            checks.append(_numeric_check(where, key, arg))
            if isinstance(arg, dict):
                extra = ("household", "children_count") if table_uses_children(arg) else ("household",)
                sources = tuple(dict.fromkeys((*sources, *extra)))
        elif key in ("in", "not_in"):
            options = _as_list(where, arg)
            if field in ("commune", "epci", "departement"):
                options = [str(o) for o in options]
            tests[key] = options
            allowed = frozenset(options)
            if key == "in":
                checks.append(lambda v, f, s=allowed: bool(s.intersection(v)) if isinstance(v, list) else v in s)
            else:
                checks.append(lambda v, f, s=allowed: not s.intersection(v) if isinstance(v, list) else v not in s)
        elif key == "equals":
            checks.append(lambda v, f, x=arg: v == x)
        elif key == "includes":
            checks.append(lambda v, f, x=arg: x in v)
        elif key == "includes_any":
            options = frozenset(_as_list(where, arg))
            tests[key] = sorted(options, key=str)
            checks.append(lambda v, f, s=options: bool(s.intersection(v)))
        elif key == "includes_all":
            options = frozenset(_as_list(where, arg))
            checks.append(lambda v, f, s=options: s.issubset(v))
        elif key in ("not_includes_any", "excludes"):
            options = frozenset(_as_list(where, arg))
            tests[key] = sorted(options, key=str)
            checks.append(lambda v, f, s=options: not s.intersection(v))
        else:
            raise RuleError(where, f"unknown test '{key}'")
    return Leaf(field, tests, checks, sources, path)


compile_leaf = _compile_leaf


def compile_condition(condition: Any, path: str, kinds: Mapping[str, str] | None = None) -> Node:
    """Compile one condition (a `{field: test}` mapping or a combinator)."""
    if not isinstance(condition, dict):
        raise RuleError(path, "a condition must be a mapping like {age: {min: 65}}")
    why, why_not = condition.get("why"), condition.get("why_not")
    for key, text in (("why", why), ("why_not", why_not)):
        if text is not None and not isinstance(text, str):
            raise RuleError(f"{path}.{key}", "must be a sentence")
    keys = [k for k in condition if k not in EXPLANATION_KEYS]
    if len(keys) != 1:
        raise RuleError(path, f"a condition has exactly one field or combinator, found {keys or 'none'}")
    key = keys[0]
    body = condition[key]
    where = f"{path}.{key}"
    if key == NEEDS_CHECK:
        if not isinstance(body, str) or not body.strip():
            raise RuleError(where, "expects a plain-French sentence saying what a person must check")
        if why or why_not:
            raise RuleError(path, "a needs_check condition takes no why/why_not: its sentence is the reason")
        return PersonCheck(body.strip(), path)
    if key in ("all", "any"):
        if not isinstance(body, list) or not body:
            raise RuleError(where, "expects a non-empty list of conditions")
        children = [compile_condition(c, f"{where}[{i}]", kinds) for i, c in enumerate(body)]
        node: Node = (All if key == "all" else Any_)(children, path)
    elif key == "not":
        if isinstance(body, list):
            inner: Node = All([compile_condition(c, f"{where}[{i}]", kinds) for i, c in enumerate(body)], where)
        else:
            inner = compile_condition(body, where, kinds)
        node = Not(inner, path)
    else:
        node = _compile_leaf(str(key), body, where, kinds)
        node.path = path
    node.why, node.why_not = why, why_not
    return node


def compile_conditions(conditions: list[Any] | None, path: str = "conditions",
                       kinds: Mapping[str, str] | None = None) -> All:
    if conditions is None:
        conditions = []
    if not isinstance(conditions, list):
        raise RuleError(path, "expects a list of conditions")
    return All([compile_condition(c, f"{path}[{i}]", kinds) for i, c in enumerate(conditions)], path)


def territory_node(scope: str, codes: list[str]) -> Node | None:
    """The territory of a benefit as one more condition (None when national)."""
    if scope == "national":
        return None
    field = {"departement": "departement", "epci": "epci", "communes": "commune"}[scope]
    if scope == "departement" and not codes:
        codes = ["54"]
    return _compile_leaf(field, {"in": [str(c) for c in codes]}, f"territory.{scope}", None)


# --- facts: the profile with derived facts and skipped questions ---------------------------


def _to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _to_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 and math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.replace(" ", "").replace(",", "."))
        except ValueError:
            return None
        return number if number >= 0 and math.isfinite(number) else None
    return None


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("yes", "oui", "true", "vrai"):
            return True
        if lowered in ("no", "non", "false", "faux"):
            return False
    return None


def coerce(question_type: str, value: Any) -> Any:
    """The profile value as the rules expect it, or None when it cannot be read (= unknown)."""
    if value is None or value == UNKNOWN_ANSWER:
        return None
    if question_type in ("age", "count"):
        return _to_int(value)
    if question_type == "amount":
        return _to_float(value)
    if question_type == "ages_list":
        items = value if isinstance(value, list | tuple) else [value]
        ages = [_to_int(v) for v in items]
        return None if any(a is None for a in ages) else ages
    if question_type == "multi_choice":
        items = value if isinstance(value, list | tuple | set) else [value]
        return [str(v) for v in items]
    if question_type == "school_levels":
        items = value if isinstance(value, list | tuple) else [value]
        return [str(v) if str(v) in _children.SCHOOL_LEVELS else None for v in items]
    if question_type == "yes_no":
        return _to_bool(value)
    if question_type == "commune":
        if _is_number(value):
            return f"{int(value):05d}"
        return str(value).strip() or None
    return value if isinstance(value, str | int | float | bool) else None


@dataclass(frozen=True)
class QuestionRule:
    """What the fact builder needs of a question."""

    id: str
    type: str
    asked_when: Node | None
    skipped_value: Any


class FactBuilder:
    """Turns a profile into facts: coerced answers, skipped questions' values, derived facts.
    `deduction`: the share of net income the tax office deducts (10 %), for income_taxable_yearly."""

    def __init__(self, questions: list[QuestionRule], deduction: float = 0.1):
        self.questions = questions
        self.deduction = deduction

    def answered(self, profile: Mapping[str, Any]) -> set[str]:
        return {key for key, value in profile.items() if value is not None}

    def build(self, profile: Mapping[str, Any]) -> dict[str, Any]:
        facts: dict[str, Any] = {}
        # The keys the grouped questions settle (benefits/household.py), under the answers given.
        derived = _household.expand(profile)
        for question in self.questions:
            value = coerce(question.type, profile.get(question.id, derived.get(question.id)))
            if value is None and question.id in derived:
                value = coerce(question.type, derived[question.id])
            if value is not None:
                facts[question.id] = value
        for key, question_type in DERIVED_ANSWER_TYPES.items():
            value = coerce(question_type, profile.get(key, derived.get(key)))
            if value is not None:
                facts[key] = value
        # A question that will never be asked takes its skipped value (no children -> no ages).
        for _ in range(2):
            for question in self.questions:
                if question.id in profile and profile[question.id] is not None:
                    continue
                if question.asked_when is not None and question.skipped_value is not None:
                    if question.asked_when.eval(facts) is False:
                        facts[question.id] = question.skipped_value
        self._derive(facts, profile)
        if "income_yearly" in facts:
            facts["income_taxable_yearly"] = round(facts["income_yearly"] * (1 - self.deduction), 2)
        return facts

    @staticmethod
    def _derive(facts: dict[str, Any], profile: Mapping[str, Any]) -> None:
        household = facts.get("household")
        children = facts.get("children_count")
        if household in ("alone", "couple") and isinstance(children, int):
            facts["household_size"] = (2 if household == "couple" else 1) + children
        ages = facts.get("children_ages")
        if children == 0:
            facts["children_under_3"] = facts["children_under_20"] = 0
        elif isinstance(ages, list):
            facts["children_under_3"] = sum(1 for a in ages if a < 3)
            facts["children_under_20"] = sum(1 for a in ages if a < 20)
        if isinstance(ages, list):
            levels = _children.school_levels(ages, facts.get("children_school"))
            if all(level is not None for level in levels):
                facts["children_school"] = levels
            else:
                facts.pop("children_school", None)  # some child's level is still to ask
        _derive_income(facts, profile)
        income = facts.get("income_monthly")
        if income is not None:
            facts["income_yearly"] = income * 12
        commune = facts.get("commune")
        if commune:
            facts["departement"] = commune[:2]
            facts["epci"] = _communes.epci_of(commune)


def _income_part(facts: Mapping[str, Any], profile: Mapping[str, Any], kinds_key: str,
                 amounts: Mapping[str, str]) -> tuple[float | None, int]:
    """(sum of one adult's amounts by type or None while one is missing, amounts answered
    "je ne sais pas")."""
    kinds = facts.get(kinds_key)
    if kinds is None:
        return None, 1 if profile.get(kinds_key) == UNKNOWN_ANSWER else 0
    total, unknown, complete = 0.0, 0, True
    for kind, question_id in amounts.items():
        if kind not in kinds:
            continue
        value = facts.get(question_id)
        if value is None:
            complete = False
            unknown += profile.get(question_id) == UNKNOWN_ANSWER
        else:
            total += value
    return (total if complete else None), unknown


def _derive_income(facts: dict[str, Any], profile: Mapping[str, Any]) -> None:
    """income_monthly = the total the person gave, when given (it is only asked when an amount
    by type was "je ne sais pas", or typed as a correction); else the amounts by type of both
    adults once all are known."""
    own, unknown = _income_part(facts, profile, "income_kinds", INCOME_AMOUNTS)
    household = facts.get("household")
    if household == "couple":
        partner, partner_unknown = _income_part(facts, profile, "partner_income_kinds", PARTNER_INCOME_AMOUNTS)
        unknown += partner_unknown
    elif household == "alone":
        partner = 0.0
    else:
        partner = None
    facts["income_parts_unknown"] = unknown
    if "income_monthly" not in facts and own is not None and partner is not None:
        facts["income_monthly"] = round(own + partner, 2)
