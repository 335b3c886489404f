"""Loads and checks the data files (catalogue, institutions, questions) once, then caches them.

Every problem is collected and reported together, each naming its file and field, so that a
person editing the YAML sees everything to fix at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from benefits import communes as _communes
from benefits import parameter_loader
from benefits.estimators import ESTIMATORS
from benefits.rules import (
    DERIVED_FACTS,
    KIND_OF_QUESTION_TYPE,
    All,
    FactBuilder,
    Leaf,
    Node,
    PersonCheck,
    QuestionRule,
    RuleError,
    compile_conditions,
    has_person_check,
    territory_node,
)
from benefits.schema import BenefitEntry, Institution, Question

PACKAGE_DIR = Path(__file__).resolve().parent
CATALOGUE_DIR = PACKAGE_DIR / "catalogue"
INSTITUTIONS_DIR = PACKAGE_DIR / "institutions"
QUESTIONS_PATH = PACKAGE_DIR / "questions.yml"

# libyaml's loader is ~10x faster than the pure-Python one (130 files at start-up).
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Tests whose arguments are values of the field (so they must be among the question's choices).
VALUE_TESTS = ("in", "not_in", "equals", "includes", "includes_any", "includes_all", "not_includes_any", "excludes")


class CatalogueError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Problems in the benefits data files:\n- " + "\n- ".join(problems))


@dataclass(frozen=True, eq=False)
class CompiledQuestion:
    question: Question
    asked_when: Node | None
    fact_variants: tuple[tuple[Node, str], ...]
    shown_when: tuple[tuple[Any, Node], ...] = ()   # (button value, rule) for buttons with shown_when

    @property
    def id(self) -> str:
        return self.question.id

    def visible_buttons(self, facts: dict[str, Any]) -> list[Any]:
        """The question's buttons to show for these facts (a rule that is unknown shows it)."""
        hidden = {value for value, rule in self.shown_when if rule.eval(facts) is False}
        return [b for b in self.question.buttons if b.value not in hidden]


@dataclass(frozen=True, eq=False)
class Benefit:
    """A catalogue entry with its conditions (and territory) compiled into one rule."""

    entry: BenefitEntry
    rule: All
    path: Path
    fields: frozenset[str]  # questions the rule depends on
    to_check: bool = False  # some condition only a person can check: never "likely"

    @property
    def id(self) -> str:
        return self.entry.id

    @property
    def open_to_all(self) -> bool:
        """No condition but the territory: a service for everyone living there."""
        return not self.entry.conditions and not self.to_check

    @property
    def name(self) -> str:
        return self.entry.name


@dataclass(frozen=True, eq=False, repr=False)
class Catalogue:
    # repr=False on the fields too: test reports (hypothesis) would print every entry.
    benefits: tuple[Benefit, ...] = field(repr=False)
    questions: tuple[CompiledQuestion, ...] = field(repr=False)
    institutions: dict[str, Institution] = field(repr=False)
    facts: FactBuilder = field(repr=False)
    by_id: dict[str, Benefit] = field(default_factory=dict, repr=False)
    questions_by_id: dict[str, CompiledQuestion] = field(default_factory=dict, repr=False)
    question_order: dict[str, int] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return f"Catalogue({len(self.benefits)} benefits, {len(self.questions)} questions)"


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PACKAGE_DIR.parent))
    except ValueError:
        return str(path)


def _read_yaml(path: Path, problems: list[str]) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_YamlLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        problems.append(f"{_relative(path)}: not valid YAML ({exc})".replace("\n", " "))
    except OSError as exc:
        problems.append(f"{_relative(path)}: cannot be read ({exc})")
    return None


def _validation_problems(path: Path, exc: ValidationError, prefix: str = "") -> list[str]:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(file)"
        problems.append(f"{_relative(path)}: {prefix}{where}: {error['msg']}")
    return problems


def _yaml_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yml") if not p.name.startswith((".", "_")))


# --- questions -----------------------------------------------------------------------------


def _field_kinds(questions: Iterable[Question]) -> dict[str, str]:
    kinds = {q.id: KIND_OF_QUESTION_TYPE[q.type] for q in questions}
    kinds.update({name: kind for name, (kind, _sources) in DERIVED_FACTS.items()})
    return kinds


def _parse_questions(path: Path, problems: list[str]) -> list[Question]:
    data = _read_yaml(path, problems)
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(f"{_relative(path)}: expects a list of questions")
        return []
    questions, seen = [], set()
    for index, item in enumerate(data):
        try:
            question = Question.model_validate(item)
        except ValidationError as exc:
            label = item.get("id", index) if isinstance(item, dict) else index
            problems.extend(_validation_problems(path, exc, prefix=f"question '{label}': "))
            continue
        if question.id in seen:
            problems.append(f"{_relative(path)}: question '{question.id}': id used twice")
        if question.type in ("choice", "multi_choice") and not question.buttons:
            problems.append(f"{_relative(path)}: question '{question.id}': buttons: a {question.type} needs buttons")
        seen.add(question.id)
        questions.append(question)
    return questions


def _compile_questions(path: Path, questions: list[Question], problems: list[str]) -> list[CompiledQuestion]:
    kinds = _field_kinds(questions)
    compiled = []
    for question in questions:
        prefix = f"{_relative(path)}: question '{question.id}': "
        try:
            asked_when = compile_conditions(question.asked_when, "asked_when", kinds) if question.asked_when else None
            variants = tuple(
                (compile_conditions(v.when, f"fact_variants[{i}].when", kinds), v.text)
                for i, v in enumerate(question.fact_variants)
            )
            shown = tuple(
                (b.value, compile_conditions(b.shown_when, f"buttons[{i}].shown_when", kinds))
                for i, b in enumerate(question.buttons) if b.shown_when
            )
        except RuleError as exc:
            problems.append(prefix + str(exc))
            continue
        compiled.append(CompiledQuestion(question, asked_when, variants, shown))
    return compiled


@lru_cache(maxsize=8)
def _load_questions_cached(path: str) -> tuple[CompiledQuestion, ...]:
    problems: list[str] = []
    questions = _parse_questions(Path(path), problems)
    compiled = _compile_questions(Path(path), questions, problems)
    if problems:
        raise CatalogueError(problems)
    return tuple(compiled)


def load_questions(path: Path | str | None = None) -> list[Question]:
    """The questions of `questions.yml`, in the order they are written."""
    return [c.question for c in _load_questions_cached(str(Path(path or QUESTIONS_PATH).resolve()))]


# --- institutions --------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _load_institutions_cached(directory: str) -> dict[str, Institution]:
    problems: list[str] = []
    institutions: dict[str, Institution] = {}
    for path in _yaml_files(Path(directory)):
        data = _read_yaml(path, problems)
        if data is None:
            continue
        try:
            institution = Institution.model_validate(data)
        except ValidationError as exc:
            problems.extend(_validation_problems(path, exc))
            continue
        if institution.id != path.stem:
            problems.append(f"{_relative(path)}: id: '{institution.id}' differs from the file name '{path.stem}'")
        institutions[institution.id] = institution
    if problems:
        raise CatalogueError(problems)
    return institutions


def load_institutions(directory: Path | str | None = None) -> dict[str, Institution]:
    return _load_institutions_cached(str(Path(directory or INSTITUTIONS_DIR).resolve()))


# --- catalogue -----------------------------------------------------------------------------


def _check_values(rel: str, rule: Node, questions: dict[str, Question], problems: list[str]) -> None:
    """Choice values used in tests must be values the question can take (catches typos)."""
    for leaf in rule.leaves():
        if not isinstance(leaf, Leaf):
            continue
        question = questions.get(leaf.field)
        if question is None or question.type not in ("choice", "multi_choice", "yes_no"):
            continue
        allowed = question.choice_values if question.buttons else [True, False]
        for test in VALUE_TESTS:
            if test not in leaf.tests:
                continue
            value = leaf.tests[test]
            values = value if isinstance(value, list) else [value]
            for item in values:
                if item not in allowed:
                    problems.append(
                        f"{rel}: {leaf.path}.{leaf.field}.{test}: unknown value {item!r} for '{leaf.field}' "
                        f"(expected one of {allowed})"
                    )


def _check_territory(rel: str, entry: BenefitEntry, problems: list[str]) -> None:
    known = _communes.communes()
    if not known:
        return
    scope, codes = entry.territory.scope, entry.territory.codes
    if scope == "communes":
        valid, what = set(known), "INSEE code of a commune of the 54"
    elif scope == "epci":
        valid, what = _communes.epci_codes(), "EPCI code of the 54"
    elif scope == "departement":
        valid, what = {"54"}, "département code (54)"
    else:
        return
    if scope in ("communes", "epci") and not codes:
        problems.append(f"{rel}: territory.codes: a '{scope}' territory needs codes")
    for code in codes:
        if code not in valid:
            problems.append(f"{rel}: territory.codes: '{code}' is not a {what}")


def _rule_sources(rule: Node) -> frozenset[str]:
    return frozenset(source for leaf in rule.leaves() for source in leaf.sources)


def _compile_benefit(path: Path, data: Any, questions: dict[str, Question], kinds: dict[str, str],
                     institutions: dict[str, Institution], problems: list[str],
                     parameters: dict[str, parameter_loader.Parameter] | None = None) -> Benefit | None:
    rel = _relative(path)
    if isinstance(data, dict) and parameters is not None:
        # Figures kept in benefits/parameters/ ({parameter: name}) become today's values.
        before = len(problems)
        today = date.today()
        data = {key: parameter_loader.substitute(value, parameters, today, f"{rel}: {key}", problems)
                if key in ("conditions", "amount") else value for key, value in data.items()}
        if len(problems) > before:
            return None
    try:
        entry = BenefitEntry.model_validate(data)
    except ValidationError as exc:
        problems.extend(_validation_problems(path, exc))
        return None
    before = len(problems)
    if entry.id != path.stem:
        problems.append(f"{rel}: id: '{entry.id}' differs from the file name '{path.stem}'")
    if entry.administrator not in institutions:
        problems.append(f"{rel}: administrator: unknown institution '{entry.administrator}' "
                        f"(add benefits/institutions/{entry.administrator}.yml or fix the id)")
    if entry.amount.estimator is not None and entry.amount.estimator not in ESTIMATORS:
        problems.append(f"{rel}: amount.estimator: unknown estimator '{entry.amount.estimator}' "
                        f"(known: {sorted(ESTIMATORS)})")
    _check_territory(rel, entry, problems)
    for question_id in entry.amount.needs:
        if question_id not in questions:
            problems.append(f"{rel}: amount.needs: unknown question '{question_id}'")
    try:
        rule = compile_conditions(entry.conditions, "conditions", kinds)
    except RuleError as exc:
        problems.append(f"{rel}: {exc}")
        return None
    place = territory_node(entry.territory.scope, entry.territory.codes)
    if place is not None:
        rule.children.append(place)
    if entry.needs_check is not None:
        rule.children.append(PersonCheck(entry.needs_check.strip(), "needs_check"))
    _check_values(rel, rule, questions, problems)
    if len(problems) > before:
        return None
    return Benefit(entry, rule, path, _rule_sources(rule), has_person_check(rule))


@lru_cache(maxsize=8)
def _load_catalogue_cached(catalogue_dir: str, institutions_dir: str, questions_path: str) -> Catalogue:
    problems: list[str] = []
    compiled_questions = list(_load_questions_cached(questions_path))
    questions = {c.id: c.question for c in compiled_questions}
    kinds = _field_kinds(questions.values())
    institutions = _load_institutions_cached(institutions_dir)
    parameters, parameter_problems = parameter_loader.load_parameters()
    problems.extend(parameter_problems)
    benefits: list[Benefit] = []
    seen: dict[str, Path] = {}
    for path in _yaml_files(Path(catalogue_dir)):
        count = len(problems)
        data = _read_yaml(path, problems)
        if data is None:
            if len(problems) == count:
                problems.append(f"{_relative(path)}: the file is empty")
            continue
        benefit = _compile_benefit(path, data, questions, kinds, institutions, problems, parameters)
        if benefit is None:
            continue
        if benefit.id in seen:
            problems.append(f"{_relative(path)}: id: '{benefit.id}' is also used by {_relative(seen[benefit.id])}")
            continue
        seen[benefit.id] = path
        benefits.append(benefit)
    if problems:
        raise CatalogueError(problems)
    deduction = parameters.get("impot.abattement_frais_professionnels")
    builder = FactBuilder([
        QuestionRule(c.id, c.question.type, c.asked_when, c.question.skipped_value) for c in compiled_questions
    ], deduction=float(deduction.at(date.today()) or 0.1) if deduction else 0.1)
    return Catalogue(
        benefits=tuple(benefits),
        questions=tuple(compiled_questions),
        institutions=institutions,
        facts=builder,
        by_id={b.id: b for b in benefits},
        questions_by_id={c.id: c for c in compiled_questions},
        question_order={c.id: i for i, c in enumerate(compiled_questions)},
    )


_DEFAULT_PATHS = (str(CATALOGUE_DIR.resolve()), str(INSTITUTIONS_DIR.resolve()), str(QUESTIONS_PATH.resolve()))


def load_catalogue(catalogue_dir: Path | str | None = None, institutions_dir: Path | str | None = None,
                   questions_path: Path | str | None = None) -> Catalogue:
    """The whole catalogue, validated and compiled; cached per set of paths."""
    if catalogue_dir is None and institutions_dir is None and questions_path is None:
        # The hot path (every evaluation): skip resolving the three default paths again.
        return _load_catalogue_cached(_DEFAULT_PATHS[0], _DEFAULT_PATHS[1], _DEFAULT_PATHS[2])
    return _load_catalogue_cached(
        str(Path(catalogue_dir or CATALOGUE_DIR).resolve()),
        str(Path(institutions_dir or INSTITUTIONS_DIR).resolve()),
        str(Path(questions_path or QUESTIONS_PATH).resolve()),
    )


def clear_cache() -> None:
    """Forget loaded files (after editing them in a running process, or in tests)."""
    _load_catalogue_cached.cache_clear()
    _load_institutions_cached.cache_clear()
    _load_questions_cached.cache_clear()
    parameter_loader.clear_cache()
