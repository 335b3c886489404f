"""How long the bot's results are, over the project's personas.

For each persona of tests/test_benefits_realism.py and tests/test_benefits_personas.py (every
question answered), runs the real results actions (`action_show_results`, then "Voir les autres"
(`action_show_more`) as long as the bot offers it) and prints:
- screens: bot turns needed to see everything (goal <= 3);
- messages: bot messages over those turns;
- "En savoir plus" buttons and how many of them share a name with another one on the same turn;
- cards "à vérifier": bot messages given to one item to check each;
- whether a human contact with a phone number is shown.
"Voir la suite" is any button whose payload is /show_more (old and new wordings alike).

Run: .venv/bin/python scripts/benchmarks/bench_results_screens.py
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import statistics
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from rasa_sdk import Tracker  # noqa: E402
from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

from bot.actions.results import ActionShowMore, ActionShowResults  # noqa: E402

PHONE_RE = re.compile(r"\b0[1-9](?:[ .]?\d{2}){4}\b|\b3\d{3}\b")
MAX_TURNS = 40


def _module(path: Path, name: str):  # noqa: ANN202
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def personas() -> dict[str, dict]:
    found = dict(_module(ROOT / "tests" / "test_benefits_realism.py", "bench_realism").PERSONAS)
    for name, profile, _expected in _module(ROOT / "tests" / "test_benefits_personas.py", "bench_personas").PERSONAS:
        found[name] = profile
    return found


def _tracker(slots: dict) -> Tracker:
    latest = {"text": "", "intent": {"name": "show_more", "confidence": 1.0}, "entities": []}
    return Tracker(sender_id="bench", slots=slots, latest_message=latest, events=[], paused=False,
                   followup_action=None, active_loop={}, latest_action_name="action_listen")


def _run(action, slots: dict) -> tuple[list[dict], dict]:  # noqa: ANN001
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, _tracker(slots), {}))
    for event in events:
        if event.get("event") == "slot":
            slots[event["name"]] = event["value"]
    return dispatcher.messages, slots


def _titles(message: dict) -> list[str]:
    return [b.get("title", "") for b in message.get("buttons") or []]


def measure(profile: dict) -> dict:
    slots = dict(profile, profile_complete=True, results_offset=0)
    turns = []
    messages, slots = _run(ActionShowResults(), slots)
    turns.append(messages)
    while len(turns) < MAX_TURNS and any(b.get("payload") == "/show_more"
                                         for m in turns[-1] for b in m.get("buttons") or []):
        messages, slots = _run(ActionShowMore(), slots)
        turns.append(messages)
    details = [t for turn in turns for m in turn for t in _titles(m) if t.startswith("En savoir plus")]
    duplicated = sum(sum(c for c in Counter(t for m in turn for t in _titles(m)
                                            if t.startswith("En savoir plus")).values() if c > 1)
                     for turn in turns)
    check_cards = sum(1 for turn in turns for m in turn
                      if "vérifier" in (m.get("text") or "").lower() or "personne doit" in (m.get("text") or ""))
    text = "\n".join(m.get("text") or "" for turn in turns for m in turn)
    return {"screens": len(turns), "messages": sum(len(t) for t in turns), "details": len(details),
            "duplicated": duplicated, "check_cards": check_cards, "phone": bool(PHONE_RE.search(text))}


def main() -> None:
    rows = {name: measure(profile) for name, profile in personas().items()}
    width = max(len(n) for n in rows)
    print(f"{'persona':<{width}}  screens  messages  savoir+  same-name  check-msgs  phone")
    for name, r in rows.items():
        print(f"{name:<{width}}  {r['screens']:>7}  {r['messages']:>8}  {r['details']:>7}  {r['duplicated']:>9}"
              f"  {r['check_cards']:>10}  {'yes' if r['phone'] else 'NO'}")
    screens = [r["screens"] for r in rows.values()]
    print()
    print(f"personas: {len(rows)}")
    print(f"screens: max {max(screens)}, median {statistics.median(screens)}, "
          f"personas over 3: {sum(1 for s in screens if s > 3)}")
    print(f"messages: max {max(r['messages'] for r in rows.values())}, "
          f"median {statistics.median(r['messages'] for r in rows.values())}")
    print(f"'En savoir plus' buttons sharing a name on the same screen: "
          f"{sum(r['duplicated'] for r in rows.values())}")
    print(f"personas without a phone number in the results: {sum(1 for r in rows.values() if not r['phone'])}")


if __name__ == "__main__":
    main()
