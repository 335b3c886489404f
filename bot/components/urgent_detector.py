"""Rasa NLU component: a message describing an urgent situation becomes intent `urgent_situation`.

Distress must never be missed because a classifier hesitated, so detection is done by the
rules of `urgent/` (reviewed by social workers), placed last in the pipeline, after DIET and
the FallbackClassifier. The learnt ranking is kept below, and one `situation` entity is added
per situation found. Runs in the Rasa virtualenv: `urgent/` needs only the stdlib and PyYAML.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from urgent.detector import detect

URGENT_INTENT = "urgent_situation"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class UrgentDetector(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def __init__(self, config: dict[str, Any]) -> None:
        self.component_config = config

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> UrgentDetector:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue  # a button payload, not words typed by the person
            found = detect(text)
            if not found:
                continue
            urgent = {"name": URGENT_INTENT, "confidence": 1.0}
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != URGENT_INTENT]
            message.set(INTENT, urgent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [urgent, *ranking], add_to_output=True)
            entities = [e for e in message.get(ENTITIES) or [] if e.get("entity") != "situation"]
            entities += [{"entity": "situation", "value": d.situation_id, "confidence": d.score,
                          "extractor": self.__class__.__name__} for d in found]
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
