"""Conversation figures over the project's personas (tests/test_benefits_personas.py), driving the
action server's questionnaire logic the way Rasa does (greeting, start, form validation, ask
actions), with simulated residents who answer from their persona's profile:

- "taps": a button whenever one says the answer (multi-choice: each choice, then "C'est tout"
  when the bot offers it), free text otherwise;
- "types": French free text for everything;
- "muddled": free text, but as residents of issue #17 write it (a sentence for the income kinds,
  "je ne sais pas" for the situation, one reply the bot cannot understand).

Prints, per style: bot messages from "bonjour" to the first results message (not counted),
questions asked (median, max), misunderstandings per conversation (bot re-asks of the same
question), and the longest run of one question in a row.

The script only uses names present before and after the questionnaire service (ValidateProfileForm,
ASK_ACTIONS, the domain's responses), so it measures the old code too: run it from another checkout
with `PYTHONPATH=<checkout> python <this file>`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path.cwd()
sys.path.insert(0, str(ROOT))
_TMP = tempfile.mkdtemp(prefix="bench-conversation-")   # anonymous counters go to a throw-away database
os.environ["AVECVOUS_RUN_DIR"] = _TMP
os.environ["DATABASE_URL"] = f"sqlite:///{_TMP}/bench.db"

from benefits import load_questions  # noqa: E402
from bot.actions import conversation, questionnaire  # noqa: E402
from territory import commune_by_code  # noqa: E402
from tests.test_benefits_personas import PERSONAS  # noqa: E402

MAX_TURNS = 60
DEFAULTS = {"situations": "aucune de ces situations", "disability_who": "moi", "scholarship": "non",
            "current_benefits": "aucune", "health_cover": "oui une mutuelle"}
MUDDLED = {"income_kinds": "je touche {income} € par mois en tout, ma petite retraite plus la réversion de mon mari",
           "work": "je ne sais pas"}
PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$")


def _parse_payload(payload: str) -> tuple[str, dict[str, Any]]:
    m = PAYLOAD.match(payload)
    return (m.group(1), json.loads(m.group(2)) if m.group(2) else {}) if m else ("inform", {})


def _tracker(slots: dict[str, Any], text: str, intent: str, entities: dict[str, Any], *,
             active: bool, after_action: str | None = None) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0 if text.startswith("/") else 0.9},
              "entities": [{"entity": k, "value": v} for k, v in entities.items()], "metadata": {"channel": "rest"}}
    events = [{"event": "user", "text": text, "parse_data": latest, "metadata": {"channel": "rest"}}]
    if after_action:
        events.append({"event": "action", "name": after_action})
    return Tracker(sender_id="bench", slots=dict(slots), latest_message=latest, events=events, paused=False,
                   followup_action=None, active_loop={"name": "profile_form"} if active else {},
                   latest_action_name="action_listen")


def _run(action, tracker: Tracker) -> tuple[list[dict], list[dict]]:  # noqa: ANN001
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return events, dispatcher.messages


def _apply(slots: dict[str, Any], events: list[dict]) -> None:
    for event in events:
        if event.get("event") == "slot":
            slots[event["name"]] = event["value"]


def _domain_responses() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "bot" / "domain.yml").read_text(encoding="utf-8")).get("responses", {})


def _titles(question, value: Any) -> list[str]:  # noqa: ANN001
    values = value if isinstance(value, list) else [value]
    found = []
    for v in values:
        b = question.button_for(v)
        if b is not None:
            found.append(b.title)
    if question.type == "yes_no" and isinstance(value, bool):
        found = ["Oui" if value else "Non"]
    return found


def _text(question, value: Any, profile: dict[str, Any]) -> str:  # noqa: ANN001
    if value is None:
        return DEFAULTS.get(question.id, "je ne sais pas")
    if value == "unknown":
        return "je ne sais pas"
    kind = question.type
    if kind == "age":
        return f"j'ai {value} ans"
    if kind == "count":
        return "aucun" if value == 0 else f"{value} enfants"
    if kind == "ages_list":
        return " et ".join(str(a) for a in value) + " ans" if value else "aucun"
    if kind == "amount":
        return "rien" if not value else f"{value:g} euros"
    if kind == "yes_no":
        return "oui" if value else "non"
    if kind == "commune":
        found = commune_by_code(str(value))
        return found.name if found else "nancy"
    titles = _titles(question, value)
    return " et ".join(t.lower() for t in titles) if titles else "je ne sais pas"


class Resident:
    def __init__(self, profile: dict[str, Any], style: str):
        self.profile, self.style = profile, style
        self.muddled_left = {"income_kinds", "work"} if style == "muddled" else set()
        self.gibberish_left = 1 if style == "muddled" else 0
        self.pending_taps: list[str] = []

    def reply(self, question, buttons: list[dict]) -> tuple[str, str, dict[str, Any]]:  # noqa: ANN001
        """(text, intent, entities) answering `question` shown with `buttons`."""
        by_title = {b["title"].removeprefix("✓ ").strip(): b["payload"] for b in buttons}
        if self.pending_taps:
            title = self.pending_taps.pop(0)
            if title in by_title:
                return self._tap(by_title[title])
        value = self.profile.get(question.id)
        if question.id in self.muddled_left:
            self.muddled_left.discard(question.id)
            income = self.profile.get("income_monthly")
            return MUDDLED[question.id].format(income=income if isinstance(income, int | float) else 650), "inform", {}
        if self.gibberish_left and question.id == "housing":
            self.gibberish_left -= 1
            return "c'est compliqué en ce moment", "inform", {}
        if self.style == "taps" and value not in (None, "unknown"):
            titles = _titles(question, value)
            if titles and all(t in by_title for t in titles):
                if question.type == "multi_choice" and "C'est tout" in by_title:
                    self.pending_taps = titles[1:] + ["C'est tout"]
                return self._tap(by_title[titles[0]])
        text = _text(question, value, self.profile)
        return text, "dont_know" if text == "je ne sais pas" else "inform", {}

    @staticmethod
    def _tap(payload: str) -> tuple[str, str, dict[str, Any]]:
        intent, entities = _parse_payload(payload)
        return payload, intent, entities


def converse(profile: dict[str, Any], style: str) -> dict[str, Any]:
    slots: dict[str, Any] = {}
    responses = _domain_responses()
    messages = 0
    greet = getattr(conversation, "ActionGreet", None)
    if greet is not None:
        _, sent = _run(greet(), _tracker(slots, "bonjour", "greet", {}, active=False))
        messages += len(sent)
    else:
        messages += 1   # utter_greet
    messages += 1 if "utter_start_check" in responses else 0
    form = questionnaire.ValidateProfileForm()
    asks = {a.question_id: a for a in questionnaire.ASK_ACTIONS}
    questions = {q.id: q for q in load_questions()}
    resident = Resident(profile, style)
    text, intent, entities, active = "/start_benefits_check", "start_benefits_check", {}, False
    asked, misunderstood, run, longest, previous, tapped = set(), 0, 0, 0, None, False
    for _ in range(MAX_TURNS):
        events, sent = _run(form, _tracker(slots, text, intent, entities, active=active))
        messages += len(sent)
        _apply(slots, events)
        requested = slots.get("requested_slot")
        if not requested:
            break
        _, sent = _run(asks[requested](), _tracker(slots, text, intent, entities, active=True))
        _apply(slots, _)
        messages += len(sent)
        asked.add(requested)
        run = run + 1 if requested == previous else 1
        misunderstood += 1 if requested == previous and not tapped else 0
        longest, previous = max(longest, run), requested
        buttons = [b for m in sent for b in (m.get("buttons") or [])]
        text, intent, entities = resident.reply(questions[requested], buttons)
        tapped = text.startswith("/")   # a tap on a multi-choice shows the question again, by design
        active = True
    return {"messages": messages, "questions": len(asked), "misunderstood": misunderstood, "longest": longest,
            "finished": not slots.get("requested_slot")}


def converse_rest(client, rasa_url: str, profile: dict[str, Any], style: str) -> dict[str, Any]:  # noqa: ANN001
    """The same resident through Rasa's REST channel (real NLU, rules and form)."""
    import uuid

    sender = f"bench-{uuid.uuid4().hex[:8]}"
    questions = {q.id: q for q in load_questions()}
    resident = Resident(profile, style)

    def say(text: str) -> list[dict]:
        resp = client.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text})
        resp.raise_for_status()
        return resp.json()

    def requested() -> str | None:
        return client.get(f"{rasa_url}/conversations/{sender}/tracker").json()["slots"].get("requested_slot")

    messages = len(say("bonjour"))
    sent = say("/start_benefits_check")
    asked, previous, misunderstood, tapped = set(), None, 0, False
    for _ in range(MAX_TURNS):
        current = requested()
        if not current:
            break
        messages += len(sent)
        asked.add(current)
        misunderstood += 1 if current == previous and not tapped else 0
        previous = current
        buttons = [b for m in sent for b in (m.get("buttons") or [])]
        text, _intent, _entities = resident.reply(questions[current], buttons)
        tapped = text.startswith("/")
        sent = say(text)
    return {"messages": messages, "questions": len(asked), "misunderstood": misunderstood, "longest": 0,
            "finished": requested() is None}


def main_rest(limit: int) -> None:
    import httpx

    from ops.stack import Stack, free_port

    stack = Stack(run_dir=Path(_TMP), rasa_port=free_port(), actions_port=free_port(), web_port=free_port(),
                  with_telegram=False, env_overrides={"DATABASE_URL": f"sqlite:///{_TMP}/app.db"})
    stack.start()
    try:
        stack.wait_healthy(timeout=900)
        with httpx.Client(timeout=120) as client:
            for style in ("types", "muddled"):
                rows = [converse_rest(client, stack.rasa_url, profile, style) for _n, profile, _e in PERSONAS[:limit]]
                _print(f"REST {style}", rows)
    finally:
        stack.stop()


def _print(style: str, rows: list[dict[str, Any]]) -> None:
    messages = [r["messages"] for r in rows]
    print(f"{style:8} personas {len(rows)}: messages before first results median "
          f"{statistics.median(messages):g} max {max(messages)}; questions asked median "
          f"{statistics.median(r['questions'] for r in rows):g} max {max(r['questions'] for r in rows)}; "
          f"misunderstandings per conversation mean {statistics.mean(r['misunderstood'] for r in rows):.2f} "
          f"max {max(r['misunderstood'] for r in rows)}; longest run of one question {max(r['longest'] for r in rows)}; "
          f"reached results {sum(r['finished'] for r in rows)}/{len(rows)}")


def main() -> None:
    if "--rest" in sys.argv:
        main_rest(int(sys.argv[sys.argv.index("--rest") + 1]) if len(sys.argv) > sys.argv.index("--rest") + 1 else 10)
        return
    questionnaire.record = questionnaire.record_results = lambda *args, **kwargs: True   # no counters
    for style in ("taps", "types", "muddled"):
        rows = [converse(profile, style) for _name, profile, _expected in PERSONAS]
        _print(style, rows)


if __name__ == "__main__":
    main()
