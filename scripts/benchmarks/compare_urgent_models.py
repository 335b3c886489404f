"""Compare candidate learnt models for urgent detection on the tuning split (issue 13).

Needs the Rasa env (scikit-learn, spaCy fr_core_news_md):
    PYTHONPATH=. .venv-rasa/bin/python scripts/benchmarks/compare_urgent_models.py
Prints, for each model alone, the recall on the tuning split's distress messages at the
threshold that keeps its false alarms within 2 %, and the CPU time per message. Never uses
blind3 or the holdout sets.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

from urgent import train  # noqa: E402
from urgent.learnt import LearntModel, get_model  # noqa: E402


def report(name: str, scores: list[float], tuning: list, ms: float) -> None:
    ordinary = sorted((s for s, (_, labels) in zip(scores, tuning, strict=True) if not labels), reverse=True)
    threshold = ordinary[int(0.02 * len(ordinary))] + 1e-9
    urgent = [s for s, (_, labels) in zip(scores, tuning, strict=True) if labels]
    recall = sum(s >= threshold for s in urgent) / len(urgent)
    print(f"{name}: recall {recall:.1%} at false alarms <= 2 %, {ms:.2f} ms per message")


def main() -> None:
    examples = train.base_examples()
    classes = list(get_model().classes)
    base = [e for e in examples if not train._in_tuning_split(e[0])]
    tuning = [e for e in examples if train._in_tuning_split(e[0])]
    expanded = train._expand(base)

    raw = train._fit(expanded, classes)
    model = LearntModel(tuple(raw["classes"]), tuple(raw["bias"]),
                        {k: tuple(v) for k, v in raw["weights"].items()}, 0.5, "", {})
    t0 = time.process_time()
    scores = [max(model.probabilities(text).values()) for text, _ in tuning]
    report("word + char n-grams, logistic regression (pure Python)", scores, tuning,
           (time.process_time() - t0) * 1000 / len(tuning))

    import spacy
    from sklearn.linear_model import LogisticRegression

    nlp = spacy.load("fr_core_news_md", exclude=["parser", "ner", "lemmatizer", "attribute_ruler",
                                                  "morphologizer", "senter"])
    train_vectors = np.array([doc.vector for doc in nlp.pipe([t for t, _ in expanded], batch_size=256)])
    t0 = time.process_time()
    tuning_vectors = np.array([nlp(text).vector for text, _ in tuning])
    ms = (time.process_time() - t0) * 1000 / len(tuning)
    probabilities = np.zeros((len(tuning), len(classes)))
    for index, situation in enumerate(classes):
        target = [situation in labels for _, labels in expanded]
        regression = LogisticRegression(C=2.0, max_iter=2000, class_weight="balanced")
        probabilities[:, index] = regression.fit(train_vectors, target).predict_proba(tuning_vectors)[:, 1]
    report("spaCy fr_core_news_md mean vectors, logistic regression", list(probabilities.max(1)), tuning, ms)


if __name__ == "__main__":
    main()
