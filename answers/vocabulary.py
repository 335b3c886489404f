"""Loads answers/data/synonyms.yml and hints.yml, validated, folded once for matching."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from answers.normalize import fold, match_form, words

DATA_DIR = Path(__file__).resolve().parent / "data"
SYNONYMS_YML = DATA_DIR / "synonyms.yml"
HINTS_YML = DATA_DIR / "hints.yml"

HINT_KEYS = (
    "age_missing",
    "age_out_of_range",
    "count_missing",
    "count_too_high",
    "ages_missing",
    "ages_out_of_range",
    "school_missing",
    "amount_missing",
    "amount_negative",
    "amount_too_high",
    "yes_no_missing",
    "choice_missing",
    "choice_several",
    "commune_missing",
    "commune_several",
    "commune_outside",
    "internal_error",
)


class VocabularyError(ValueError):
    """A data file of answers/ is malformed; the message names the file and the field."""


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    synonyms: list[str] = Field(min_length=1)


class _NumberRange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min: float
    max: float
    value: str


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid")
    multi: bool = False
    priority: list[str] = []
    exclusive: list[str] = []
    numbers: list[_NumberRange] = []
    values: dict[str, _Value] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_values(self) -> _Table:
        for where in ("priority", "exclusive"):
            for value in getattr(self, where):
                if value not in self.values:
                    raise ValueError(f"{where} names {value!r}, which is not one of the values")
        for rng in self.numbers:
            if rng.value not in self.values:
                raise ValueError(f"numbers names {rng.value!r}, which is not one of the values")
        return self


class _YesNo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    yes: list[str] = Field(min_length=1)
    no: list[str] = Field(min_length=1)


class _Synonyms(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unknown: list[str] = Field(min_length=1)
    yes_no: _YesNo
    count_zero: list[str]
    child_words: list[str]
    twins_words: dict[str, int]
    amount_zero: list[str]
    correction_markers: list[str]
    correction_ignore: list[str]
    tables: dict[str, _Table]


@dataclass(frozen=True)
class Phrase:
    text: str  # match form
    pattern: re.Pattern[str]
    n_words: int


def phrase(raw: str) -> Phrase:
    text = match_form(raw)
    return Phrase(text, re.compile(rf"(?<![a-z0-9]){re.escape(text)}(?![a-z0-9])"), len(text.split()))


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    phrases: tuple[Phrase, ...]


@dataclass(frozen=True)
class ChoiceTable:
    name: str
    choices: tuple[Choice, ...]
    multi: bool = False
    priority: tuple[str, ...] = ()
    exclusive: tuple[str, ...] = ()
    numbers: tuple[tuple[float, float, str], ...] = ()

    def label(self, value: str) -> str:
        return next((c.label for c in self.choices if c.value == value), value)


@dataclass(frozen=True)
class Vocabulary:
    unknown: tuple[Phrase, ...]
    yes: tuple[Phrase, ...]
    no: tuple[Phrase, ...]
    count_zero: tuple[Phrase, ...]
    child_words: frozenset[str]
    twins_words: dict[str, int]
    amount_zero: tuple[Phrase, ...]
    correction_markers: tuple[Phrase, ...]
    correction_ignore: frozenset[str]
    tables: dict[str, ChoiceTable]


def _read(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise VocabularyError(f"{path.name}: not valid YAML: {exc}") from exc


def _error(path: Path, exc: ValidationError) -> VocabularyError:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return VocabularyError(f"{path.name}: field {where!r}: {first['msg']}")


def build_table(name: str, raw, multi: bool = False) -> ChoiceTable:
    """A table from a validated _Table, or from options given by the caller:
    {value: [synonyms...]} or {value: {"label": "Locataire", "synonyms": [...]}}."""
    if isinstance(raw, _Table):
        table = raw
    else:
        values = {}
        for value, spec in raw.items():
            if isinstance(spec, dict):
                label = str(spec.get("label") or value)
                synonyms = [str(s) for s in spec.get("synonyms") or []]
            else:
                label, synonyms = str(value), [str(s) for s in spec or []]
            values[str(value)] = _Value(label=label, synonyms=synonyms or [label])
        table = _Table(multi=multi, values=values)
    choices = tuple(
        Choice(value, spec.label, tuple(phrase(s) for s in spec.synonyms + [spec.label] if match_form(s)))
        for value, spec in table.values.items()
    )
    return ChoiceTable(
        name=name,
        choices=choices,
        multi=table.multi,
        priority=tuple(table.priority),
        exclusive=tuple(table.exclusive),
        numbers=tuple((r.min, r.max, r.value) for r in table.numbers),
    )


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    try:
        data = _Synonyms.model_validate(_read(SYNONYMS_YML))
    except ValidationError as exc:
        raise _error(SYNONYMS_YML, exc) from exc
    phrases = lambda items: tuple(phrase(s) for s in items if match_form(s))  # noqa: E731
    return Vocabulary(
        unknown=phrases(data.unknown),
        yes=phrases(data.yes_no.yes),
        no=phrases(data.yes_no.no),
        count_zero=phrases(data.count_zero),
        # Read in texts that keep doubled letters ("fille"), so not squeezed.
        child_words=frozenset(" ".join(words(fold(w))) for w in data.child_words),
        twins_words={" ".join(words(fold(k))): v for k, v in data.twins_words.items()},
        amount_zero=phrases(data.amount_zero),
        correction_markers=phrases(data.correction_markers),
        correction_ignore=frozenset(match_form(s) for s in data.correction_ignore),
        tables={name: build_table(name, table) for name, table in data.tables.items()},
    )


@lru_cache(maxsize=1)
def hints() -> dict[str, str]:
    raw = _read(HINTS_YML)
    if not isinstance(raw, dict):
        raise VocabularyError(f"{HINTS_YML.name}: expected a mapping of hint names to French sentences")
    for key in HINT_KEYS:
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise VocabularyError(f"{HINTS_YML.name}: field {key!r} is missing or empty")
    return {k: str(v) for k, v in raw.items()}


def hint(key: str, **fields: str) -> str:
    return hints()[key].format(**fields)


def find_phrases(text: str, phrases) -> list[tuple[int, int, Phrase]]:
    """(start, end, phrase) of every phrase found in a match-form text."""
    found = []
    for p in phrases:
        for m in p.pattern.finditer(text):
            found.append((m.start(), m.end(), p))
    return found


def strip_unknown(text: str) -> tuple[str, bool]:
    """Removes "je ne sais pas" phrases from a match-form text; says whether there was one."""
    hits = find_phrases(text, vocabulary().unknown)
    if not hits:
        return text, False
    chars = list(text)
    for start, end, _p in hits:
        chars[start:end] = " " * (end - start)
    return " ".join("".join(chars).split()), True
