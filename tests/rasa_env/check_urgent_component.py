"""Check the urgent NLU component inside the Rasa virtualenv (no model is trained).

Run from the project root:
    PYTHONPATH=/work/main /tmp/rasaenv/v/bin/python tests/rasa_env/check_urgent_component.py
(or with .venv-rasa/bin/python). Exits non-zero on the first failed check.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.urgent_detector import UrgentDetector


def make_component() -> UrgentDetector:
    storage = LocalModelStorage(Path(tempfile.mkdtemp()))
    context = ExecutionContext(GraphSchema({}), "check")
    return UrgentDetector.create(
        UrgentDetector.get_default_config(), storage, Resource("urgent_detector"), context
    )


def main() -> int:
    component = make_component()

    urgent_message = Message(data={TEXT: "mon mari me frappe et on dort dans la voiture"})
    urgent_message.set(INTENT, {"name": "inform", "confidence": 0.8}, add_to_output=True)
    urgent_message.set(
        INTENT_RANKING_KEY,
        [{"name": "inform", "confidence": 0.8}, {"name": "greet", "confidence": 0.2}],
        add_to_output=True,
    )
    ordinary_message = Message(data={TEXT: "je suis locataire, mon loyer est de 500 euros"})
    ordinary_message.set(INTENT, {"name": "inform", "confidence": 0.9}, add_to_output=True)

    component.process([urgent_message, ordinary_message])

    intent = urgent_message.get(INTENT)
    assert intent == {"name": "urgent_situation", "confidence": 1.0}, intent
    ranking = [entry["name"] for entry in urgent_message.get(INTENT_RANKING_KEY)]
    assert ranking == ["urgent_situation", "inform", "greet"], ranking
    situations = [e["value"] for e in urgent_message.get(ENTITIES) if e["entity"] == "situation"]
    assert situations == ["violence", "homeless"], situations

    assert ordinary_message.get(INTENT)["name"] == "inform", ordinary_message.get(INTENT)
    assert not ordinary_message.get(ENTITIES), ordinary_message.get(ENTITIES)

    empty = Message(data={TEXT: ""})
    payload = Message(data={TEXT: "/start_benefits_check"})
    payload.set(INTENT, {"name": "start_benefits_check", "confidence": 1.0}, add_to_output=True)
    component.process([empty, payload])
    assert empty.get(INTENT) is None
    assert payload.get(INTENT)["name"] == "start_benefits_check"

    # DIET's own guess of distress, with no rule behind it, becomes a fallback (which gives 112).
    guess = Message(data={TEXT: "a la prochaine"})
    guess.set(INTENT, {"name": "urgent_situation", "confidence": 0.7}, add_to_output=True)
    guess.set(INTENT_RANKING_KEY, [{"name": "urgent_situation", "confidence": 0.7}], add_to_output=True)
    component.process([guess])
    assert guess.get(INTENT) == {"name": "nlu_fallback", "confidence": 0.7}, guess.get(INTENT)
    assert not guess.get(ENTITIES)

    # A wording no pattern knows: the learnt model raises it (urgent.learnt).
    learnt = Message(data={TEXT: "franchement je vois plus pourquoi je reste en vie"})
    learnt.set(INTENT, {"name": "inform", "confidence": 0.6}, add_to_output=True)
    component.process([learnt])
    assert learnt.get(INTENT)["name"] == "urgent_situation", learnt.get(INTENT)
    assert [e["value"] for e in learnt.get(ENTITIES)] == ["suicide"], learnt.get(ENTITIES)

    print("UrgentDetector component: 6 messages checked, all OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
