"""The benefits engine: catalogue, questions, rule evaluation, ranking and explanations.

Plain Python (no Rasa); the bot's actions and the web app call these functions.
"""

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
