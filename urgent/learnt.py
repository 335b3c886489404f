"""The learnt urgent detector: a linear model on word and character features.

Why this model: it must run inside the Rasa NLU component *and* in the project env where
numpy is absent, answer in well under a millisecond, and stay reviewable. A one-vs-rest
logistic regression on word uni/bigrams and character 3–5-grams (which survive SMS
spellings and typos: "chauffag", "suicid", "expul") does all three: inference is a sum of
weights read from ``data/learnt_model.json`` in pure Python; training
(:mod:`urgent.train`, scikit-learn) writes that file with the fingerprint of the data it
was trained on, and a test checks that the two agree.

``predict(text)`` gives a probability per situation; :func:`urgent.detector.detect`
combines it with the reviewed rules (either can raise the alarm, the rules' vetoes apply).
Never logs message text.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from urgent.normalize import normalize
from urgent.situations import DATA_DIR, UrgentDataError, get_data

MODEL_FILE = DATA_DIR / "learnt_model.json"
FEATURE_VERSION = 2
CHAR_SIZES = (3, 4, 5)
# Round 3: the next words after one of these (within the clause) also give "n:" features.
NEGATIONS = frozenset({"pas", "jamais", "plus", "aucun", "aucune", "rien", "ne", "n", "sans", "ni",
                       "personne"})
NEGATION_SCOPE = 3
_PUNCTUATION = {".", ","}


def _plain(text: str) -> list[str]:
    """The rules' normalisation (accents stripped, SMS forms spelled out), punctuation kept."""
    return normalize(text[:2000], get_data().sms)


def tokens(text: str) -> list[str]:
    """Plain words of ``text`` (the rules' normalisation, SMS forms spelled out)."""
    return [t for t in _plain(text) if t not in _PUNCTUATION]


def features(text: str) -> set[str]:
    """Binary features: words, word pairs (across punctuation too), character n-grams, and
    the words in the scope of a negation ("n:rue" in "je ne suis pas a la rue")."""
    plain = _plain(text)
    words = [t for t in plain if t not in _PUNCTUATION]
    found: set[str] = set()
    for index, word in enumerate(words):
        found.add("w:" + word)
        if index:
            found.add("b:" + words[index - 1] + "_" + word)
        padded = f"<{word}>"
        for size in CHAR_SIZES:
            for start in range(len(padded) - size + 1):
                found.add("c:" + padded[start:start + size])
    scope = 0
    for token in plain:
        if token in _PUNCTUATION:
            scope = 0
        elif token in NEGATIONS:
            scope = NEGATION_SCOPE
        elif scope:
            found.add("n:" + token)
            scope -= 1
    return found


def fingerprint(texts_and_labels: list[tuple[str, tuple[str, ...]]], settings: dict) -> str:
    """SHA-256 of the training examples (in order) and the training settings."""
    digest = hashlib.sha256()
    digest.update(json.dumps(settings, sort_keys=True).encode())
    for text, labels in texts_and_labels:
        digest.update(text.encode("utf-8") + b"\x00" + ",".join(labels).encode() + b"\x01")
    return digest.hexdigest()


@dataclass(frozen=True)
class LearntModel:
    classes: tuple[str, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]
    threshold: float
    fingerprint: str
    settings: dict
    # Per-situation thresholds below the general one: a safety bias for suicidal thoughts
    # (a false alarm costs a kind message, a miss may cost a life). Chosen by urgent.train.
    class_thresholds: dict[str, float] = field(default_factory=dict)

    def threshold_of(self, situation: str) -> float:
        return self.class_thresholds.get(situation, self.threshold)

    def probabilities(self, text: str) -> dict[str, float]:
        scores = list(self.bias)
        for feature in features(text):
            row = self.weights.get(feature)
            if row is not None:
                for index, weight in enumerate(row):
                    scores[index] += weight
        return {c: 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, s))))
                for c, s in zip(self.classes, scores, strict=True)}

    def predict(self, text: str) -> list[tuple[str, float]]:
        """Situations whose probability reaches the threshold, most likely first."""
        probs = self.probabilities(text)
        return sorted(((c, p) for c, p in probs.items() if p >= self.threshold_of(c)),
                      key=lambda item: -item[1])


def load(path: Path = MODEL_FILE) -> LearntModel:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UrgentDataError(f"{path.name}: cannot be read: {error}") from None
    try:
        classes = tuple(raw["classes"])
        if raw["feature_version"] != FEATURE_VERSION:
            raise UrgentDataError(f"{path.name}: feature_version {raw['feature_version']} "
                                  f"!= {FEATURE_VERSION}: run python -m urgent.train")
        weights = {f: tuple(float(w) for w in row) for f, row in raw["weights"].items()}
        bad = [f for f, row in weights.items() if len(row) != len(classes)]
        if bad:
            raise UrgentDataError(f"{path.name}: weights.{bad[0]}: needs {len(classes)} values")
        known = {s.id for s in get_data().situations}
        if set(raw.get("class_thresholds", {})) - set(classes):
            raise UrgentDataError(f"{path.name}: class_thresholds: unknown "
                                  f"{sorted(set(raw['class_thresholds']) - set(classes))}")
        if set(classes) - known:
            raise UrgentDataError(f"{path.name}: classes: unknown {sorted(set(classes) - known)}")
        return LearntModel(classes=classes, bias=tuple(float(b) for b in raw["bias"]),
                           weights=weights, threshold=float(raw["threshold"]),
                           fingerprint=str(raw["fingerprint"]), settings=dict(raw["settings"]),
                           class_thresholds={str(c): float(t) for c, t
                                             in raw.get("class_thresholds", {}).items()})
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, UrgentDataError):
            raise
        raise UrgentDataError(f"{path.name}: missing or bad field: {error}") from None


@lru_cache(maxsize=1)
def get_model() -> LearntModel:
    """The packaged model, loaded once."""
    return load()


__all__ = ["LearntModel", "MODEL_FILE", "features", "fingerprint", "get_model", "load"]
