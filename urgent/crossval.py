"""Cross-validated figures of the combined detector on the training messages (issue 13).

    .venv-rasa/bin/python -m urgent.crossval            # needs scikit-learn, like urgent.train

The training messages (``urgent.train.base_examples``) are split in ``FOLDS`` parts by hash
(a message and its spelling variants always fall in the same part). For each part, a model
is trained on the other parts (with variants) and scores the part's original messages; the
rules run on every message. The out-of-fold scores give recall and false alarms of "rules or
model, rules' vetoes" at the thresholds ``urgent.train`` would choose from them, per
situation, and per training file (so that a file by another author shows how the model does
on a style it did not see in its other parts). Nothing of a reported set is used. Only
figures are printed, never messages.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import defaultdict

from urgent.detector import detect_rules
from urgent.evaluation import load_eval_set
from urgent.learnt import LearntModel
from urgent.situations import DATA_DIR, get_data
from urgent.train import SETTINGS, TRAIN_FILES, _expand, _fit, _key, base_examples, choose_thresholds

FOLDS = 5


def _fold(text: str, folds: int = FOLDS) -> int:
    return int(hashlib.sha256(("cv" + text).encode("utf-8")).hexdigest(), 16) % folds


def _model(raw: dict) -> LearntModel:
    return LearntModel(classes=tuple(raw["classes"]), bias=tuple(raw["bias"]),
                       weights={k: tuple(v) for k, v in raw["weights"].items()},
                       threshold=0.5, fingerprint="", settings={})


def out_of_fold(examples, classes, folds: int = FOLDS):
    """(text, labels, rules found, rules vetoed, probabilities) of every message."""
    rows = []
    for fold in range(folds):
        train = [e for e in examples if _fold(e[0], folds) != fold]
        model = _model(_fit(_expand(train), classes))
        for text, labels in examples:
            if _fold(text, folds) == fold:
                found, vetoed = detect_rules(text)
                rows.append((text, labels, {d.situation_id for d in found}, vetoed,
                             model.probabilities(text)))
    return rows


def _alarm(row, thresholds: dict[str, float]) -> set[str]:
    _, _, found, vetoed, probs = row
    return found | {c for c, p in probs.items() if c not in vetoed and p >= thresholds[c]}


def report(rows, thresholds: dict[str, float], title: str) -> None:
    urgent = [r for r in rows if r[1]]
    ordinary = [r for r in rows if not r[1]]
    hit = sum(bool(_alarm(r, thresholds)) for r in urgent)
    false = sum(bool(_alarm(r, thresholds)) for r in ordinary)
    rules_hit = sum(bool(r[2]) for r in urgent)
    rules_false = sum(bool(r[2]) for r in ordinary)
    by = defaultdict(lambda: [0, 0])
    for r in urgent:
        alarm = bool(_alarm(r, thresholds))
        for sid in r[1]:
            by[sid][0] += alarm
            by[sid][1] += 1
    print(f"== {title} ==")
    print(f"recall {hit / max(1, len(urgent)):.1%} ({hit}/{len(urgent)}), false alarms "
          f"{false / max(1, len(ordinary)):.1%} ({false}/{len(ordinary)}); rules alone "
          f"{rules_hit / max(1, len(urgent)):.1%}, {rules_false / max(1, len(ordinary)):.1%}")
    print("by situation: " + ", ".join(f"{s} {a}/{b}" for s, (a, b) in sorted(by.items())))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    examples = base_examples()
    classes = [s.id for s in get_data().situations]
    rows = out_of_fold(examples, classes, SETTINGS["threshold_folds"])
    general, special, figures = choose_thresholds(
        [(r[0], r[1]) for r in rows], scored_rows=[(r[2], r[3], r[4]) for r in rows])
    thresholds = {c: special.get(c, general) for c in classes}
    print(f"{FOLDS}-fold cross-validation, {len(examples)} messages, settings {SETTINGS}")
    print(f"thresholds chosen on the out-of-fold scores: {general} {special}")
    report(rows, thresholds, "all training messages, out of fold")
    files = {}
    for name in TRAIN_FILES:
        urgent, ordinary = load_eval_set(DATA_DIR / name)
        for text in [c.text for c in urgent] + ordinary:
            files.setdefault(_key(text), name)
    for name in TRAIN_FILES:
        part = [r for r in rows if files.get(_key(r[0])) == name]
        if part:
            report(part, thresholds, f"{name}, out of fold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
