"""Prints the NLU figures of `rasa test nlu` (intent accuracy, F1) and checks a floor."""

from __future__ import annotations

import argparse
import json
import sys


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("report", help="intent_report.json written by rasa test nlu")
    parser.add_argument("--min-accuracy", type=float, default=0.85)
    args = parser.parse_args()
    with open(args.report, encoding="utf-8") as fh:
        report = json.load(fh)
    accuracy = report["accuracy"]
    weighted, macro = report["weighted avg"], report["macro avg"]
    print(f"NLU held-out: accuracy {accuracy:.3f}, weighted F1 {weighted['f1-score']:.3f}, "
          f"macro F1 {macro['f1-score']:.3f}, {weighted['support']} utterances")
    weak = sorted((v["f1-score"], k) for k, v in report.items()
                  if isinstance(v, dict) and "f1-score" in v and k not in ("weighted avg", "macro avg", "micro avg"))
    print("weakest intents: " + ", ".join(f"{k} {f:.2f}" for f, k in weak[:5]))
    if accuracy < args.min_accuracy:
        print(f"accuracy below the floor {args.min_accuracy}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
