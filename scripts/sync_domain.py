"""Keeps bot/domain.yml in step with benefits/questions.yml: one slot and one place in
profile_form's required_slots per question, and no `action_ask_<id>` (validate_profile_form asks
every question itself, in the same action-server call: an ask action would ask it twice).

    .venv/bin/python scripts/sync_domain.py            # check: lists what is missing or extra, exit 1 if any
    .venv/bin/python scripts/sync_domain.py --write    # add the missing lines, drop the ask actions (text edit)

The domain is edited as text, not re-dumped, so that its comments and layout stay as written.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benefits import load_questions  # noqa: E402

DOMAIN = ROOT / "bot" / "domain.yml"
SLOT_LINE = "  {id}: {{type: any, influence_conversation: false, mappings: [{{type: custom}}]}}\n"
FORM_INDENT = " " * 21


def differences(domain: dict, ids: list[str]) -> dict[str, list[str]]:
    """What the domain lacks (or has too many of) for these question ids."""
    slots = domain.get("slots") or {}
    actions = domain.get("actions") or []
    responses = set(domain.get("responses") or {})
    form = ((domain.get("forms") or {}).get("profile_form") or {}).get("required_slots") or []
    asks = {a[len("action_ask_"):] for a in actions if a.startswith("action_ask_")}
    other_forms = {slot for name, spec in (domain.get("forms") or {}).items() if name != "profile_form"
                   for slot in (spec or {}).get("required_slots") or []}
    return {
        "missing slots": [i for i in ids if i not in slots],
        "ask actions of questions (validate_profile_form asks them)": [
            f"action_ask_{i}" for i in ids if i in asks or f"profile_form_{i}" in asks],
        "ask responses of questions (validate_profile_form asks them)": [
            f"utter_ask_{i}" for i in ids if {f"utter_ask_{i}", f"utter_ask_profile_form_{i}"} & responses],
        "missing in profile_form": [i for i in ids if i not in form],
        "extra in profile_form": [s for s in form if s not in ids],
        "ask actions without a question": sorted(
            f"action_ask_{a}" for a in asks - set(ids) - {f"profile_form_{i}" for i in ids}
            - other_forms - {"delete_data"}),
        "slots not filled by the action server": [
            i for i in ids if i in slots and slots[i].get("mappings") != [{"type": "custom"}]],
    }


def _write(text: str, ids: list[str], diff: dict[str, list[str]]) -> str:
    # Slots: after the last question slot, before "# Conversation state kept by the actions."
    new_slots = "".join(SLOT_LINE.format(id=i) for i in diff["missing slots"])
    marker = "  # Conversation state kept by the actions.\n"
    if new_slots:
        text = text.replace(marker, new_slots + marker, 1) if marker in text else \
            text.replace("slots:\n", "slots:\n" + new_slots, 1)
    # Ask actions of questions: removed (the validation action asks).
    for question_id in ids:
        text = re.sub(rf"^  - action_ask_(profile_form_)?{question_id}\n", "", text, flags=re.M)
    # profile_form: rewrite the required_slots list in the questions' order.
    form = re.search(r"(    required_slots: \[)([^\]]*)(\])", text[text.index("  profile_form:"):])
    if form and (diff["missing in profile_form"] or diff["extra in profile_form"]):
        start = text.index("  profile_form:") + form.start(2)
        end = text.index("  profile_form:") + form.end(2)
        lines, line = [], ""
        for question_id in ids:
            piece = f"{question_id}, " if question_id != ids[-1] else question_id
            if len(FORM_INDENT) + len(line) + len(piece) > 100:
                lines.append(line.rstrip())
                line = ""
            line += piece
        lines.append(line)
        text = text[:start] + f"\n{FORM_INDENT}".join(lines) + text[end:]
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="add the missing lines to bot/domain.yml")
    args = parser.parse_args()
    ids = [q.id for q in load_questions()]
    text = DOMAIN.read_text(encoding="utf-8")
    diff = differences(yaml.safe_load(text), ids)
    if args.write and any(diff.values()):
        DOMAIN.write_text(_write(text, ids, diff), encoding="utf-8")
        diff = differences(yaml.safe_load(DOMAIN.read_text(encoding="utf-8")), ids)
    problems = {k: v for k, v in diff.items() if v}
    for what, items in problems.items():
        print(f"bot/domain.yml: {what}: {', '.join(items)}")
    if not problems:
        print(f"bot/domain.yml matches benefits/questions.yml ({len(ids)} questions).")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
