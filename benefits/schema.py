"""Pydantic models of the data files: catalogue entries, institutions, questions.

Only the shape is checked here; rule compilation (and the cross-file checks: known fields,
known institutions, known estimators) is done by `catalogue_loader`.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CATEGORIES = {
    "revenu": "Revenus",
    "logement": "Logement",
    "sante": "Santé",
    "handicap": "Handicap",
    "famille": "Famille",
    "jeunes": "Jeunes",
    "seniors": "Personnes âgées",
    "emploi": "Emploi",
    "mobilite": "Transports",
    "energie": "Énergie",
    "alimentation": "Alimentation",
    "droits": "Accès aux droits",
    "loisirs": "Loisirs et vacances",
    "education": "Études et école",
}

Category = Literal[
    "revenu", "logement", "sante", "handicap", "famille", "jeunes", "seniors",
    "emploi", "mobilite", "energie", "alimentation", "droits", "loisirs", "education",
]

QuestionType = Literal["age", "count", "ages_list", "amount", "choice", "multi_choice", "yes_no", "commune",
                       "school_levels"]


class _Strict(BaseModel):
    # Unknown keys are refused so that a typo ("conditon:") is reported instead of ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


def _codes_as_strings(value: Any) -> Any:
    # YAML reads 54395 as an int when it is not quoted; INSEE/SIREN codes are strings.
    if isinstance(value, list):
        return [str(v) for v in value]
    return value


# --- catalogue entries -------------------------------------------------------------------


class Source(_Strict):
    url: str = Field(pattern=r"^https?://")
    title: str = Field(min_length=1)
    checked: date


class Amount(_Strict):
    kind: Literal["monthly", "yearly", "one_off", "in_kind", "variable"]
    value: float | None = None
    estimator: str | None = None
    text: str = Field(min_length=1)
    effective_date: date | None = None
    # Optional amount by household composition, same shape as an income ceiling table.
    table: dict[str, Any] | None = None
    # Rough yearly value in euros for a typical beneficiary, when no estimate can be computed
    # (in kind, variable). Never shown: it only ranks results and chooses the next question.
    typical_yearly: float | None = Field(default=None, ge=0)
    # Questions the amount depends on but not the verdict (the rent of a housing aid): asked
    # once the benefit is possible, so that OpenFisca can compute it.
    needs: list[str] = []


class HowToApply(_Strict):
    online: str | None = None
    form: str | None = None
    where: str | None = None
    documents: list[str] = []
    decided_by: str | None = None
    phone: str | None = None


class Territory(_Strict):
    scope: Literal["national", "departement", "epci", "communes"]
    codes: list[str] = []

    _codes = field_validator("codes", mode="before")(_codes_as_strings)


class BenefitEntry(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1)
    short_name: str | None = None          # e.g. "l'ASPA", used in reason sentences
    aliases: list[str] = []                 # other names a resident may type
    administrator: str
    category: Category
    summary: str = Field(min_length=1)
    conditions: list[Any] = []
    # A plain-French sentence saying what only a person can check (residence status, a child's
    # illness, a court case...). With it the entry is never "likely": when its conditions hold,
    # its status is "unknown" (to check with a person) and this sentence is the reason.
    needs_check: str | None = Field(default=None, min_length=10)
    # True when what must be checked concerns few residents (asylum seekers, people without a
    # residence permit, people leaving prison): the entry is then listed last among those to check.
    rare: bool = False
    amount: Amount
    how_to_apply: HowToApply
    territory: Territory = Territory(scope="national")
    sources: list[Source] = Field(min_length=1)
    confidence: Literal["high", "medium", "low"]
    notes: str | None = None
    keywords: list[str] = []
    # Who gives the verdict and the amount: the conditions above ("rules"), or OpenFisca-France
    # ("openfisca", national benefits it models: the conditions then only choose the questions,
    # and answer when the calculator is not available). `openfisca_variable` names the variable
    # the calculator reads (monthly, in euros, for the family or the household).
    computed_by: Literal["rules", "openfisca"] = "rules"
    openfisca_variable: str | None = Field(default=None, pattern=r"^[a-z0-9_]+$")
    # True when the `needs_check` sentences in the conditions are facts nobody asks (not
    # approximations of a calculation): they then stand even when OpenFisca says "eligible".
    openfisca_keeps_checks: bool = False

    @model_validator(mode="after")
    def _openfisca_needs_a_variable(self) -> BenefitEntry:
        if self.computed_by == "openfisca":
            if not self.openfisca_variable:
                raise ValueError("computed_by: openfisca needs openfisca_variable (the OpenFisca-France variable)")
            if self.territory.scope != "national":
                raise ValueError("computed_by: openfisca is for national benefits (territory.scope: national)")
        elif self.openfisca_variable or self.openfisca_keeps_checks:
            raise ValueError("openfisca_variable and openfisca_keeps_checks are only read when computed_by: openfisca")
        return self


# --- institutions -------------------------------------------------------------------------


class Institution(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1)
    phone: str | None = None
    website: str = Field(pattern=r"^https?://")
    address: str | None = None
    email: str | None = None
    note: str | None = None
    communes: list[str] = []               # communes served (local institutions such as a CCAS)
    source: str | None = None

    _communes = field_validator("communes", mode="before")(_codes_as_strings)

    @field_validator("phone", mode="before")
    @classmethod
    def _phone_as_string(cls, value: Any) -> Any:
        return None if value is None else str(value)


# --- questions ----------------------------------------------------------------------------


class Button(_Strict):
    title: str = Field(min_length=1)
    value: Any
    phrase: str | None = None   # who the value describes: "les locataires"
    fact: str | None = None     # how the value reads in a reason: "locataire"
    # Shown only when this holds (rule language; unknown counts as shown): "Veuf ou veuve" only
    # to a person who lives alone. A value never shown takes its meaning from the other answers.
    shown_when: list[Any] = []

    @property
    def payload(self) -> Any:
        return self.value


class FactVariant(_Strict):
    when: list[Any]
    text: str


class Question(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    text: str = Field(min_length=1)
    type: QuestionType
    label: str = Field(min_length=1)
    buttons: list[Button] = []
    accepts_unknown: bool = False
    asked_when: list[Any] = []
    skipped_value: Any = None
    range: tuple[float, float] | None = None
    fact: str | None = None
    fact_variants: list[FactVariant] = []
    why_not: dict[str, str] = {}
    # A personal question (money, health): at equal stakes it comes after the others, so that
    # the conversation does not open with it.
    delicate: bool = False

    @property
    def choice_values(self) -> list[Any]:
        return [b.value for b in self.buttons]

    def button_for(self, value: Any) -> Button | None:
        for button in self.buttons:
            if button.value == value:
                return button
        return None

    def as_buttons(self) -> list[dict[str, Any]]:
        """Buttons as the chat channels want them, with "Je ne sais pas" when it is accepted."""
        buttons = [{"title": b.title, "payload": b.value} for b in self.buttons]
        if not buttons and self.type == "yes_no":
            buttons = [{"title": "Oui", "payload": True}, {"title": "Non", "payload": False}]
        if self.accepts_unknown:
            buttons.append({"title": "Je ne sais pas", "payload": "unknown"})
        return buttons
