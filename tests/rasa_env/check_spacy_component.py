"""Check the lean SpacyNLP component inside the Rasa virtualenv (no model is trained).

Run from the project root: PYTHONPATH=. .venv-rasa/bin/python tests/rasa_env/check_spacy_component.py
Exits non-zero on the first failed check.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
from rasa.nlu.utils.spacy_utils import SpacyNLP as RasaSpacyNLP
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.spacy_nlp import SpacyNLP

ROOT = Path(__file__).resolve().parents[2]


def create(config: dict) -> SpacyNLP:
    storage = LocalModelStorage(Path(tempfile.mkdtemp()))
    context = ExecutionContext(GraphSchema({}), "check")
    return SpacyNLP.create(config, storage, Resource("spacy"), context)


def main() -> int:
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
    config = next(c for c in pipeline if c["name"].endswith("SpacyNLP"))
    assert config["name"] == "bot.components.spacy_nlp.SpacyNLP", config["name"]
    first, second = create(config), create(config)
    nlp = first.provide().model
    assert second.provide().model is nlp, "spaCy loaded twice for the same model and pipes"
    assert "ner" not in nlp.pipe_names and "parser" not in nlp.pipe_names, nlp.pipe_names

    # Tokens, lemmas and vectors are the ones Rasa's own SpacyNLP gives (what the model learnt on).
    rasa_nlp = RasaSpacyNLP.load_model(config["model"]).model
    text = "je suis au chômage et je paie 500 euros de loyer"
    ours, theirs = nlp(text), rasa_nlp(text)
    assert [(t.text, t.lemma_, t.pos_) for t in ours] == [(t.text, t.lemma_, t.pos_) for t in theirs]
    assert (ours.vector == theirs.vector).all()

    tokenizer = SpacyTokenizer(SpacyTokenizer.get_default_config())
    message = Message(data={TEXT: text})
    first.process([message], first.provide())
    tokenizer.process([message])
    assert [t.lemma for t in message.get("text_tokens")][:2] == ["je", "être"], message.get("text_tokens")
    print("lean SpacyNLP component: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
