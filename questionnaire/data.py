"""The questionnaire's data files (questionnaire/data/*.yml), validated on load with errors that
name the file and the field."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from answers.normalize import match_form
from benefits import load_questions

DATA_DIR = Path(__file__).resolve().parent / "data"
WHY_YML = DATA_DIR / "why.yml"
COMMANDS_YML = DATA_DIR / "commands.yml"
COMMANDS = ("back", "why", "done", "skip", "recap")


class QuestionnaireDataError(ValueError):
    """A data file of questionnaire/ is malformed; the message names the file and the field."""


class _Why(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default: str = Field(min_length=10)
    questions: dict[str, str] = {}


class _Commands(BaseModel):
    model_config = ConfigDict(extra="forbid")
    back: list[str] = Field(min_length=1)
    why: list[str] = Field(min_length=1)
    done: list[str] = Field(min_length=1)
    skip: list[str] = Field(min_length=1)
    recap: list[str] = Field(min_length=1)


def _load(path: Path, model: type[BaseModel]) -> BaseModel:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise QuestionnaireDataError(f"{path.name}: cannot be read ({exc})") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise QuestionnaireDataError(f"{path.name}: {problems}") from exc


@lru_cache(maxsize=1)
def why_texts() -> tuple[str, dict[str, str]]:
    data = _load(WHY_YML, _Why)
    known = {q.id for q in load_questions()}
    unknown = sorted(set(data.questions) - known)
    if unknown:
        raise QuestionnaireDataError(
            f"{WHY_YML.name}: questions.{unknown[0]}: not a question id of benefits/questions.yml")
    empty = [k for k, v in data.questions.items() if len(v.strip()) < 10]
    if empty:
        raise QuestionnaireDataError(f"{WHY_YML.name}: questions.{empty[0]}: the sentence is too short")
    return " ".join(data.default.split()), {k: " ".join(v.split()) for k, v in data.questions.items()}


def why(question_id: str) -> str:
    default, texts = why_texts()
    return texts.get(question_id, default)


@lru_cache(maxsize=1)
def command_phrases() -> dict[str, tuple[str, ...]]:
    data = _load(COMMANDS_YML, _Commands)
    return {name: tuple(sorted({match_form(p) for p in getattr(data, name)}, key=len, reverse=True))
            for name in COMMANDS}


def command_in_text(text: str) -> str | None:
    """The command a short message names ("question précédente" -> "back"), or None. Only short
    messages count: "je suis revenu chez mes parents" is not a command."""
    form = match_form(text or "")
    if not form or len(form.split()) > 6:
        return None
    padded = f" {form} "
    for name, phrases in command_phrases().items():
        if any(f" {p} " in padded for p in phrases):
            return name
    return None
