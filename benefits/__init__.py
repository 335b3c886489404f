"""The benefits engine: catalogue, questions, rule evaluation, ranking and explanations.

Plain Python (no Rasa); the bot's actions and the web app call these functions.

The calculator process imports the standard-library-only `benefits.household` (the profile keys
derived from the grouped questions) in an environment without pydantic: there the engine's names
are simply not available.
"""

try:
    from benefits.catalogue_loader import (
        Catalogue,
        CatalogueError,
        clear_cache,
        load_catalogue,
        load_institutions,
        load_questions,
    )
    from benefits.engine import LIKELY, NOT_NOW, UNKNOWN, BenefitResult, Evaluation, evaluate, statuses
    from benefits.explain import explain_why_not, find_benefit
    from benefits.next_question import next_question
except ModuleNotFoundError as exc:  # pragma: no cover - only in the calculator's environment
    if exc.name != "pydantic":
        raise

__all__ = [
    "LIKELY",
    "NOT_NOW",
    "UNKNOWN",
    "BenefitResult",
    "Catalogue",
    "CatalogueError",
    "Evaluation",
    "clear_cache",
    "evaluate",
    "explain_why_not",
    "find_benefit",
    "load_catalogue",
    "load_institutions",
    "load_questions",
    "next_question",
    "statuses",
]
