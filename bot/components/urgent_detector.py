"""Rasa 3.6 NLU component: an urgent situation overrides whatever intent was predicted.

Placed last in the pipeline. When :func:`urgent.detect` finds a situation in the message
(nowhere to sleep, violence, suicide, ...) — by the reviewed rules or by the learnt
model that generalises them (docs/urgent_detection.md) — the intent becomes ``urgent_situation`` with
confidence 1.0, the previous ranking is kept below it, and one ``situation`` entity is
added per situation found (most serious first). Not trainable; never logs message text.

config.yml:
    pipeline:
      - ...
      - name: bot.components.urgent_detector.UrgentDetector
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

import urgent

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class UrgentDetector(GraphComponent, IntentClassifier):
    """Sets intent ``urgent_situation`` and ``situation`` entities on urgent messages."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"intent": "urgent_situation", "entity": "situation"}

    def __init__(self, config: dict[str, Any]) -> None:
        defaults = self.get_default_config()
        self.intent_name = config.get("intent") or defaults["intent"]
        self.entity_name = config.get("entity") or defaults["entity"]
        try:  # load the patterns and the learnt weights now, not on the first message
            urgent.detect("bonjour")
        except Exception:
            logger.exception("Urgent detector could not load its data.")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UrgentDetector:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._process_one(message)
        return messages

    def _demote_unconfirmed_guess(self, message: Message) -> None:
        """DIET alone is a poor judge of distress (it guessed it for "à la prochaine"): without a
        rule behind it, its guess becomes a fallback, whose answer still gives the 112."""
        intent = message.get(INTENT) or {}
        if intent.get(INTENT_NAME_KEY) != self.intent_name:
            return
        confidence = intent.get(PREDICTED_CONFIDENCE_KEY, 0.0)
        message.set(INTENT, {INTENT_NAME_KEY: "nlu_fallback", PREDICTED_CONFIDENCE_KEY: confidence},
                    add_to_output=True)

    def _process_one(self, message: Message) -> None:
        text: str | None = message.get(TEXT)
        if not isinstance(text, str) or text.startswith("/"):
            return  # nothing typed, or a button payload rather than the person's words
        try:
            detections = urgent.detect(text)
        except Exception:  # a detector bug must never break the conversation
            logger.exception("Urgent detection failed; message left unchanged.")
            return
        if not detections:
            self._demote_unconfirmed_guess(message)
            return

        previous = message.get(INTENT)
        ranking = [
            entry
            for entry in (message.get(INTENT_RANKING_KEY) or [])
            if entry.get(INTENT_NAME_KEY) != self.intent_name
        ]
        if not ranking and previous and previous.get(INTENT_NAME_KEY):
            ranking = [previous]
        urgent_intent = {INTENT_NAME_KEY: self.intent_name, PREDICTED_CONFIDENCE_KEY: 1.0}
        message.set(INTENT, urgent_intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [urgent_intent, *ranking], add_to_output=True)

        entities = [
            entity
            for entity in (message.get(ENTITIES) or [])
            if entity.get(ENTITY_ATTRIBUTE_TYPE) != self.entity_name
        ]
        for detection in detections:
            entities.append({
                ENTITY_ATTRIBUTE_TYPE: self.entity_name,
                ENTITY_ATTRIBUTE_VALUE: detection.situation_id,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: len(text),
                ENTITY_ATTRIBUTE_CONFIDENCE: detection.score,
                EXTRACTOR: self.__class__.__name__,
            })
        message.set(ENTITIES, entities, add_to_output=True)
        logger.debug("Urgent situations detected: %s", [d.situation_id for d in detections])
