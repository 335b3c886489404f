"""Round 3b experiment (issue 13): a sentence-vector head beside the n-gram model.

    .venv-rasa/bin/python -m urgent.vector_experiment      # needs spaCy fr_core_news_md, sklearn

For every training message (``urgent.train.base_examples``) and every message of the dev sets
(``DEV_FILES``: blind4, blind3, holdout3; never blind5, the lead's honest set), spaCy
``fr_core_news_md`` (parser and NER excluded, as in the bot) gives word vectors, pooled as
``doc.vector`` (the mean Rasa's pipeline already computes) or as "mcmax": the mean vector,
the mean of content words (alphabetic, not stop words) and their max-pool (900 values). A
logistic regression per situation on the standardised pooled vector (scikit-learn, base
messages only) is scored out of fold with the folds of ``urgent.crossval`` and combined with
the out-of-fold n-gram probabilities in several ways; the thresholds are chosen on the
out-of-fold scores by ``urgent.train.choose_thresholds`` (the false-alarm budget of the
trainer), then the same thresholds are applied to the dev sets, scored by models trained on
all training messages. Combinations:

- ``ngram``: the shipped detector (rules or n-gram model, rules' vetoes);
- ``vec``: the vector head instead of the n-gram model;
- ``avg:a``: probability ``a * p_ngram + (1 - a) * p_vector``;
- ``logit:a``: the same on log-odds;
- ``max``: the larger of the two probabilities;
- ``or tv``: the n-gram model at its own thresholds or the vector head at ``tv``, the
  thresholds searched on a grid for the best out-of-fold recall within the same budget of
  false alarms added to the rules';
- ``--joint SCALE``: no separate head, the standardised ``doc.vector`` (times SCALE) appended
  to the n-gram features of the shipped model (training variants included), one model.

Only figures are printed, never messages. Figures of 2026-12-04 in docs/urgent_detection.md
("Round 3b").
"""

from __future__ import annotations

import argparse
import math
import sys

from urgent.crossval import _fold, out_of_fold
from urgent.detector import detect_rules
from urgent.evaluation import load_eval_set
from urgent.learnt import get_model
from urgent.situations import DATA_DIR, get_data
from urgent.train import SETTINGS, base_examples, choose_thresholds

DEV_FILES = ("blind4_set.yml", "blind3_set.yml", "holdout3_set.yml")
POOLINGS = ("doc", "mcmax")
MODES = (("ngram", 0.0), ("vec", 0.0), ("avg", 0.5), ("avg", 0.7), ("logit", 0.5),
         ("logit", 0.7), ("max", 0.0))
OR_VECTOR_THRESHOLDS = (0.95, 0.97, 0.98, 0.99, 0.995, 0.999)


def pooled(doc, kind: str):
    """The pooled vector of a spaCy doc: ``doc`` (its mean vector) or ``mcmax``."""
    import numpy as np

    if kind == "doc":
        return doc.vector
    vectors = [t.vector for t in doc if t.has_vector]
    content = [t.vector for t in doc if t.has_vector and t.is_alpha and not t.is_stop]
    zero = np.zeros(doc.vocab.vectors_length, dtype=np.float32)
    return np.concatenate([np.mean(vectors, 0) if vectors else zero,
                           np.mean(content, 0) if content else zero,
                           np.max(content, 0) if content else zero])


def _fit(matrix, labels, classes, C: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(matrix)
    scaled = scaler.transform(matrix)
    return scaler, [LogisticRegression(C=C, max_iter=2000).fit(scaled, [c in y for y in labels])
                    for c in classes]


def _predict(fitted, matrix):
    import numpy as np

    scaler, models = fitted
    scaled = scaler.transform(matrix)
    return np.stack([m.predict_proba(scaled)[:, 1] for m in models], 1)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _combine(ngram: dict[str, float], vector, classes, mode: str, a: float) -> dict[str, float]:
    out = {}
    for index, c in enumerate(classes):
        p, q = ngram[c], float(vector[index])
        out[c] = {"ngram": p, "vec": q, "avg": a * p + (1 - a) * q, "max": max(p, q),
                  "logit": 1 / (1 + math.exp(-(a * _logit(p) + (1 - a) * _logit(q))))}[mode]
    return out


def _figures(rows, alarms) -> str:
    urgent = [a for r, a in zip(rows, alarms, strict=True) if r[1]]
    suicide = [a for r, a in zip(rows, alarms, strict=True) if "suicide" in r[1]]
    ordinary = [a for r, a in zip(rows, alarms, strict=True) if not r[1]]
    return (f"{sum(urgent) / len(urgent):.1%} ({sum(urgent)}/{len(urgent)}), suicide "
            f"{sum(suicide)}/{len(suicide)}, false alarms {sum(ordinary) / len(ordinary):.1%} "
            f"({sum(ordinary)}/{len(ordinary)})")


def _alarms(rows, probs, thresholds):
    return [bool(r[2]) or any(c not in r[3] and p >= thresholds[c] for c, p in pr.items())
            for r, pr in zip(rows, probs, strict=True)]


def _or_alarms(rows, vectors, classes, general, low, tv):
    out = []
    for r, v in zip(rows, vectors, strict=True):
        _, _, found, vetoed, probs = r
        ngram = any(c not in vetoed and p >= (low if c == "suicide" else general)
                    for c, p in probs.items())
        vec = any(c not in vetoed and v[i] >= tv for i, c in enumerate(classes))
        out.append(bool(found) or ngram or vec)
    return out


def main(argv: list[str] | None = None) -> int:
    import numpy as np
    import spacy

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--C", type=float, nargs="+", default=[1.0, 0.1])
    parser.add_argument("--joint", type=float, nargs="*", default=[],
                        help="only the joint model, at these scales of the vector features")
    args = parser.parse_args(argv)
    classes = [s.id for s in get_data().situations]
    examples = base_examples()
    oof = out_of_fold(examples, classes, SETTINGS["threshold_folds"])
    model = get_model()
    dev = {}
    for name in DEV_FILES:
        urgent, ordinary = load_eval_set(DATA_DIR / name)
        rows = []
        for text, labels in [(c.text, c.expected) for c in urgent] + [(t, ()) for t in ordinary]:
            found, vetoed = detect_rules(text)
            rows.append((text, labels, {d.situation_id for d in found}, vetoed,
                         model.probabilities(text)))
        dev[name] = rows
    nlp = spacy.load("fr_core_news_md", exclude=["parser", "ner"])
    docs = {t: nlp(t) for t in {r[0] for r in oof} | {r[0] for rs in dev.values() for r in rs}}
    if args.joint:
        return _joint(examples, classes, oof, dev, nlp, args.joint)
    folds = np.array([_fold(r[0]) for r in oof])
    budget = SETTINGS["max_model_false_alarms"]
    n_ordinary = sum(not r[1] for r in oof)
    for kind in POOLINGS:
        matrix = np.stack([pooled(docs[r[0]], kind) for r in oof])
        for C in args.C:
            vec_oof = np.zeros((len(oof), len(classes)))
            for fold in range(SETTINGS["threshold_folds"]):
                train = folds != fold
                fitted = _fit(matrix[train], [r[1] for r, t in zip(oof, train, strict=True) if t], classes, C)
                vec_oof[~train] = _predict(fitted, matrix[~train])
            fitted = _fit(matrix, [r[1] for r in oof], classes, C)
            vec_dev = {n: _predict(fitted, np.stack([pooled(docs[r[0]], kind) for r in rows]))
                       for n, rows in dev.items()}
            for mode, a in MODES:
                probs = [_combine(r[4], v, classes, mode, a) for r, v in zip(oof, vec_oof, strict=True)]
                general, special, _ = choose_thresholds(
                    [(r[0], r[1]) for r in oof], scored_rows=[(r[2], r[3], p) for r, p in zip(oof, probs, strict=True)])
                thresholds = {c: special.get(c, general) for c in classes}
                line = (f"{kind} C={C} {mode}" + (f":{a}" if a else "") + f" thresholds {general} "
                        f"{special} | out of fold {_figures(oof, _alarms(oof, probs, thresholds))}")
                for n, rows in dev.items():
                    p = [_combine(r[4], v, classes, mode, a) for r, v in zip(rows, vec_dev[n], strict=True)]
                    line += f" | {n.removesuffix('_set.yml')} {_figures(rows, _alarms(rows, p, thresholds))}"
                print(line, flush=True)
            for tv in OR_VECTOR_THRESHOLDS:
                best = None
                for general in (0.8, 0.85, 0.9, 0.925, 0.95, 0.97, 0.99):
                    for low in (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
                        if low > general:
                            continue
                        alarms = _or_alarms(oof, vec_oof, classes, general, low, tv)
                        added = sum(a and not r[2] and not r[1] for r, a in zip(oof, alarms, strict=True))
                        score = (sum(a for r, a in zip(oof, alarms, strict=True) if r[1]),
                                 sum(a for r, a in zip(oof, alarms, strict=True) if "suicide" in r[1]))
                        if added <= budget * n_ordinary and (best is None or score > best[0]):
                            best = (score, general, low, alarms)
                if best is None:
                    print(f"{kind} C={C} or {tv}: no thresholds within the budget")
                    continue
                _, general, low, alarms = best
                line = (f"{kind} C={C} or {tv} thresholds {general} {{'suicide': {low}}} | "
                        f"out of fold {_figures(oof, alarms)}")
                for n, rows in dev.items():
                    line += (f" | {n.removesuffix('_set.yml')} "
                             f"{_figures(rows, _or_alarms(rows, vec_dev[n], classes, general, low, tv))}")
                print(line, flush=True)
    return 0


def _joint(examples, classes, oof, dev, nlp, scales) -> int:
    """The n-gram model of ``urgent.train`` with ``doc.vector`` appended to its features."""
    import numpy as np
    from scipy import sparse
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    from urgent.learnt import features
    from urgent.train import variants

    texts = sorted({v for t, _ in examples for v in variants(t, SETTINGS["variants"])}
                   | {r[0] for rows in dev.values() for r in rows})
    vectors = {t: d.vector for t, d in zip(texts, nlp.pipe(texts, batch_size=256), strict=True)}
    base = np.stack([vectors[t] for t, _ in examples])
    mean, scale_of = base.mean(0), base.std(0) + 1e-6

    def fit_predict(train, tests, scale):
        expanded = [(v, y) for t, y in train for v in variants(t, SETTINGS["variants"])]
        rows = [dict.fromkeys(features(t), 1) for t, _ in expanded]
        counts: dict[str, int] = {}
        for row in rows:
            for name in row:
                counts[name] = counts.get(name, 0) + 1
        rows = [{k: 1 for k in row if counts[k] >= SETTINGS["min_df"]} for row in rows]
        vectorizer = DictVectorizer()

        def dense(ts):
            return sparse.csr_matrix(np.stack([(vectors[t] - mean) / scale_of * scale for t in ts]))

        matrix = sparse.hstack([vectorizer.fit_transform(rows),
                                dense([t for t, _ in expanded])]).tocsr()
        tests_m = [sparse.hstack([vectorizer.transform([dict.fromkeys(features(t), 1) for t in ts]),
                                  dense(ts)]).tocsr() for ts in tests]
        outs = [np.zeros((len(ts), len(classes))) for ts in tests]
        for i, c in enumerate(classes):
            model = LogisticRegression(C=SETTINGS["C"], solver="liblinear")
            model.fit(matrix, [c in y for _, y in expanded])
            for out, m in zip(outs, tests_m, strict=True):
                out[:, i] = model.predict_proba(m)[:, 1]
        return outs

    index = {r[0]: i for i, r in enumerate(oof)}
    for scale in scales:
        scores = np.zeros((len(oof), len(classes)))
        for fold in range(SETTINGS["threshold_folds"]):
            held = [t for t, _ in examples if _fold(t) == fold]
            (out,) = fit_predict([e for e in examples if _fold(e[0]) != fold], [held], scale)
            for t, row in zip(held, out, strict=True):
                scores[index[t]] = row
        probs = [dict(zip(classes, row, strict=True)) for row in scores]
        general, special, _ = choose_thresholds(
            [(r[0], r[1]) for r in oof], scored_rows=[(r[2], r[3], p) for r, p in zip(oof, probs, strict=True)])
        thresholds = {c: special.get(c, general) for c in classes}
        names = list(dev)
        outs = fit_predict(examples, [[r[0] for r in dev[n]] for n in names], scale)
        line = (f"joint scale {scale} thresholds {general} {special} | out of fold "
                f"{_figures(oof, _alarms(oof, probs, thresholds))}")
        for n, out in zip(names, outs, strict=True):
            p = [dict(zip(classes, row, strict=True)) for row in out]
            line += f" | {n.removesuffix('_set.yml')} {_figures(dev[n], _alarms(dev[n], p, thresholds))}"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
