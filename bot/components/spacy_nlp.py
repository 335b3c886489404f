"""Rasa 3.6's SpacyNLP, loading only the spaCy pipes the pipeline uses, once per process.

Rasa's own SpacyNLP disables only the parser: the named-entity recogniser then runs on every
message (about half of spaCy's time per message) though nothing reads its entities, and each
graph node that provides spaCy loads the model again. Kept: tok2vec, morphologizer,
attribute_ruler and lemmatizer (CountVectorsFeaturizer counts lemmas; the word vectors used
by SpacyFeaturizer live in the vocabulary, not in a pipe).

The class keeps the name ``SpacyNLP``: Rasa wires SpacyTokenizer and SpacyFeaturizer to the
node whose class is named so. config.yml:
    pipeline:
      - name: bot.components.spacy_nlp.SpacyNLP
        model: fr_core_news_md
"""

from __future__ import annotations

import functools
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.utils import spacy_utils


@functools.lru_cache(maxsize=4)
def _load(model_name: str, exclude: tuple[str, ...]) -> spacy_utils.SpacyModel:
    import spacy

    try:
        language = spacy.load(model_name, exclude=list(exclude))  # excluded pipes are not even read
    except OSError:
        return spacy_utils.SpacyNLP.load_model(model_name)  # raises Rasa's explanation
    return spacy_utils.SpacyModel(model=language, model_name=model_name)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MODEL_LOADER, DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False,
    model_from="SpacyNLP",
)
class SpacyNLP(spacy_utils.SpacyNLP):
    """SpacyNLP with ``exclude`` (pipes neither loaded nor run) and one shared load per model and pipes."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**spacy_utils.SpacyNLP.get_default_config(), "exclude": ["parser", "ner"]}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SpacyNLP:
        config = {**cls.get_default_config(), **config}
        model = _load(config.get("model"), tuple(config.get("exclude") or ()))
        cls.ensure_proper_language_model(model.model)
        return cls(model, config)
