"""The volunteer's wording (guide/data/*.yml), validated on load against benefits/questions.yml.

Every problem is reported together, each naming its file and field, so that a person editing the
YAML sees everything to fix at once.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from benefits import load_questions
from benefits.schema import Question

DATA_DIR = Path(__file__).resolve().parent / "data"
QUESTIONS_PATH = DATA_DIR / "guide_questions.yml"
TALKING_POINTS_PATH = DATA_DIR / "talking_points.yml"
PROJECT_ROOT = DATA_DIR.parent.parent


class GuideDataError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Problems in the guide data files:\n- " + "\n- ".join(problems))


class _Strict(BaseModel):
    # Unknown keys are refused so that a typo ("tipp:") is reported instead of ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class GuideQuestion(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str = Field(min_length=2, max_length=40)
    ask: str = Field(min_length=10)
    tip: str | None = Field(default=None, min_length=10)
    talking_points: list[str] = []
    buttons: dict[str, str] = {}   # value -> shorter title for the volunteer's screen


class TalkingPoints(_Strict):
    general: list[str] = Field(min_length=1)
    no_likely: list[str] = Field(min_length=1)
    to_check: list[str] = []


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _read_yaml(path: Path, problems: list[str]) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as exc:
        problems.append(f"{_relative(path)}: not valid YAML ({exc})".replace("\n", " "))
    except OSError as exc:
        problems.append(f"{_relative(path)}: cannot be read ({exc})")
    return None


def _validation_problems(path: Path, exc: ValidationError, prefix: str = "") -> list[str]:
    return [
        f"{_relative(path)}: {prefix}{'.'.join(str(p) for p in error['loc']) or '(file)'}: {error['msg']}"
        for error in exc.errors()
    ]


def _check_buttons(rel: str, entry: GuideQuestion, question: Question, problems: list[str]) -> None:
    allowed = {str(b.value) for b in question.buttons}
    for value in entry.buttons:
        if value not in allowed:
            problems.append(f"{rel}: question '{entry.id}': buttons.{value}: not a value of this question "
                            f"(expected one of {sorted(allowed)})")


def parse_guide_questions(path: Path, questions: list[Question]) -> dict[str, GuideQuestion]:
    """The volunteer's wording per question id; raises GuideDataError listing every problem."""
    problems: list[str] = []
    rel = _relative(path)
    data = _read_yaml(path, problems)
    if data is None and not problems:
        problems.append(f"{rel}: the file is empty")
    if data is not None and not isinstance(data, list):
        problems.append(f"{rel}: expects a list of questions")
        data = None
    by_id = {q.id: q for q in questions}
    entries: dict[str, GuideQuestion] = {}
    invalid: set[str] = set()   # ids whose entry is wrong (already reported, not "missing")
    for index, item in enumerate(data or []):
        label = item.get("id", index) if isinstance(item, dict) else index
        invalid.add(str(label))
        try:
            entry = GuideQuestion.model_validate(item)
        except ValidationError as exc:
            problems.extend(_validation_problems(path, exc, prefix=f"question '{label}': "))
            continue
        if entry.id in entries:
            problems.append(f"{rel}: question '{entry.id}': id used twice")
        elif entry.id not in by_id:
            problems.append(f"{rel}: question '{entry.id}': id: not a question of benefits/questions.yml")
        else:
            _check_buttons(rel, entry, by_id[entry.id], problems)
        entries[entry.id] = entry
    if data is not None:
        for question in questions:
            if question.id not in entries and question.id not in invalid:
                problems.append(f"{rel}: question '{question.id}': missing (every question of "
                                "benefits/questions.yml needs the volunteer's wording)")
    if problems:
        raise GuideDataError(problems)
    return entries


def parse_talking_points(path: Path) -> TalkingPoints:
    problems: list[str] = []
    data = _read_yaml(path, problems)
    if not problems:
        try:
            return TalkingPoints.model_validate(data if data is not None else {})
        except ValidationError as exc:
            problems.extend(_validation_problems(path, exc))
    raise GuideDataError(problems)


@lru_cache(maxsize=1)
def guide_questions() -> dict[str, GuideQuestion]:
    return parse_guide_questions(QUESTIONS_PATH, load_questions())


@lru_cache(maxsize=1)
def talking_points() -> TalkingPoints:
    return parse_talking_points(TALKING_POINTS_PATH)


def clear_cache() -> None:
    guide_questions.cache_clear()
    talking_points.cache_clear()
