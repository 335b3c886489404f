"""Round 3b (issue 13): the sentence-vector experiment stays off the lead's blind set."""

from __future__ import annotations

from urgent.situations import DATA_DIR
from urgent.train import REPORTED_FILES, TRAIN_FILES
from urgent.vector_experiment import DEV_FILES


def test_the_vector_experiment_only_evaluates_on_dev_sets():
    assert "blind5_set.yml" not in DEV_FILES
    assert set(DEV_FILES) <= set(REPORTED_FILES)
    assert not set(DEV_FILES) & set(TRAIN_FILES)
    assert all((DATA_DIR / name).is_file() for name in DEV_FILES)


def test_the_experiment_source_never_names_blind5():
    import urgent.vector_experiment as experiment

    source = open(experiment.__file__, encoding="utf-8").read()
    assert "blind5_set" not in source and "BLIND5" not in source
