"""Measure the detector on the labelled sets of ``data/``.

- ``eval_set.yml``: the first author's set (written after the patterns, then tuned on);
- ``blind_set.yml``: the second author's set, written before reading the patterns (its
  first-run figures, recorded at its top, are the honest ones);
- ``holdout_set.yml``: 40 messages split from the blind batch and never used for tuning;
- ``tuning_set.yml``: the batches written while generalising the patterns (regression only);
- ``blind3_set.yml``: the third blind batch (issue 13), never trained on (seen since round 1);
- ``blind4_set.yml``: the fourth blind batch (issue 13, round 2), never tuned on, never trained on;
- ``blind5_set.yml``: the fifth blind batch (issue 13, round 3), never tuned on, never trained on.

Used by tests/test_urgent.py and scripts/benchmarks/bench_urgent.py. Figures:
- recall: share of urgent messages where at least one situation is detected;
- false-alarm rate: share of ordinary messages where anything is detected;
- situation accuracy: share of urgent messages where every expected situation is found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from urgent.detector import detect
from urgent.situations import DATA_DIR, UrgentDataError, get_data

EVAL_FILE = DATA_DIR / "eval_set.yml"
BLIND_FILE = DATA_DIR / "blind_set.yml"
HOLDOUT_FILE = DATA_DIR / "holdout_set.yml"
TUNING_FILE = DATA_DIR / "tuning_set.yml"
BLIND3_FILE = DATA_DIR / "blind3_set.yml"
BLIND4_FILE = DATA_DIR / "blind4_set.yml"
BLIND5_FILE = DATA_DIR / "blind5_set.yml"


@dataclass(frozen=True)
class UrgentCase:
    text: str
    expected: tuple[str, ...]


@dataclass
class EvalReport:
    urgent_total: int = 0
    ordinary_total: int = 0
    detected_urgent: int = 0
    correct_situations: int = 0
    false_alarms: int = 0
    missed: list[UrgentCase] = field(default_factory=list)
    wrong_situation: list[tuple[UrgentCase, list[str]]] = field(default_factory=list)
    alarms: list[tuple[str, list[str]]] = field(default_factory=list)
    # situation id -> [urgent messages expecting it where some alarm was raised, total]
    by_situation: dict[str, list[int]] = field(default_factory=dict)

    @property
    def recall(self) -> float:
        return self.detected_urgent / self.urgent_total if self.urgent_total else 0.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.ordinary_total if self.ordinary_total else 0.0

    @property
    def situation_accuracy(self) -> float:
        return self.correct_situations / self.urgent_total if self.urgent_total else 0.0

    def summary(self) -> str:
        lines = [
            f"urgent messages: {self.urgent_total}, ordinary messages: {self.ordinary_total}",
            f"recall on urgent: {self.recall:.1%} ({self.detected_urgent}/{self.urgent_total})",
            f"false alarms on ordinary: {self.false_alarm_rate:.1%} "
            f"({self.false_alarms}/{self.ordinary_total})",
            f"situation accuracy: {self.situation_accuracy:.1%} "
            f"({self.correct_situations}/{self.urgent_total})",
            "recall by situation: " + ", ".join(
                f"{sid} {found}/{total}" for sid, (found, total) in sorted(self.by_situation.items())),
        ]
        lines += [f"  missed: {c.text!r} expected {list(c.expected)}" for c in self.missed]
        lines += [f"  wrong situation: {c.text!r} expected {list(c.expected)} got {got}"
                  for c, got in self.wrong_situation]
        lines += [f"  false alarm: {text!r} -> {got}" for text, got in self.alarms]
        return "\n".join(lines)


def load_eval_set(path: Path = EVAL_FILE, part: str = "all") -> tuple[list[UrgentCase], list[str]]:
    """Cases of the evaluation set; ``part`` is "all", "main" or "holdout"."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    suffixes = {"all": ("", "_holdout"), "main": ("",), "holdout": ("_holdout",)}[part]
    known = {s.id for s in get_data().situations}
    urgent: list[UrgentCase] = []
    ordinary: list[str] = []
    for suffix in suffixes:
        for index, entry in enumerate(raw.get("urgent" + suffix, [])):
            expected = tuple(entry.get("expected", []))
            unknown = set(expected) - known
            if not isinstance(entry.get("text"), str) or not expected or unknown:
                raise UrgentDataError(
                    f"{path.name}: urgent{suffix}[{index}]: needs text and known expected ids")
            urgent.append(UrgentCase(entry["text"], expected))
        texts = raw.get("ordinary" + suffix, [])
        if not all(isinstance(t, str) for t in texts):
            raise UrgentDataError(f"{path.name}: ordinary{suffix}: should be a list of texts")
        ordinary.extend(texts)
    return urgent, ordinary


def evaluate(path: Path = EVAL_FILE, part: str = "all", learnt: bool = True) -> EvalReport:
    """Figures of the detector on a set; ``learnt=False`` measures the rules alone."""
    urgent, ordinary = load_eval_set(path, part)
    report = EvalReport(urgent_total=len(urgent), ordinary_total=len(ordinary))
    for case in urgent:
        found = [d.situation_id for d in detect(case.text, learnt=learnt)]
        for sid in case.expected:
            counts = report.by_situation.setdefault(sid, [0, 0])
            counts[0] += bool(found)
            counts[1] += 1
        if not found:
            report.missed.append(case)
            continue
        report.detected_urgent += 1
        if set(case.expected) <= set(found):
            report.correct_situations += 1
        else:
            report.wrong_situation.append((case, found))
    for text in ordinary:
        found = [d.situation_id for d in detect(text, learnt=learnt)]
        if found:
            report.false_alarms += 1
            report.alarms.append((text, found))
    return report
