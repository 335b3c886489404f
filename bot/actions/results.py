"""Showing the benefits found in three screens at most, details on demand, and "pourquoi pas … ?".

Screen 1: a one-line conclusion, the top aids (amount, where to apply, a button to the official
online service), a person to call. Screen 2: the other likely aids grouped by theme. Screen 3: what
a person must check, as one short checklist, then the human contact and the booking offer.
Each screen is one bot turn; "Voir la suite" (`/show_more`) moves to the next one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from benefits import BenefitResult, Evaluation, evaluate, explain_why_not, load_catalogue
from benefits.lookup import find_benefit_in_text
from bot.actions.buttons import PRIVACY, button, url_button
from bot.actions.followup import ask_after_results
from bot.actions.handoff import contact_lines, team_for
from bot.actions.tracker_profile import latest_entities, latest_text, profile_from_tracker
from bot.results_text import amount_phrase, conclusion, first_sentence, short_name
from calculator import client as calculator
from guide.summary_links import summary_url

TOP = 3                # aids on the first screen
CHECKLIST_SHOWN = 8    # names on the checklist; the rest is counted


def where_phrase(result: BenefitResult) -> str | None:
    where = first_sentence(result.how_to_apply.where)
    return f"Où la demander : {where[0].lower() + where[1:]}" if where else None


REASON_MAX = 120  # a longer reason waits for "En savoir plus"


def top_card(result: BenefitResult) -> dict[str, Any]:
    reason = result.reasons[0] if result.reasons and len(result.reasons[0]) <= REASON_MAX else None
    lines = [result.name, reason, amount_phrase(result)]
    if where := where_phrase(result):
        lines.append(where)
    name = short_name(result)
    buttons = []
    if result.how_to_apply.online:
        buttons.append(url_button(f"Faire la demande en ligne : {name}", result.how_to_apply.online))
    buttons.append(button(f"En savoir plus : {name}", "benefit_details", benefit_id=result.id))
    return {"text": "\n".join(line for line in lines if line), "buttons": buttons}


def theme_message(label: str, results: list[BenefitResult]) -> dict[str, Any]:
    items = []
    for r in results:
        est = r.estimate
        money = f" ({amount_phrase(r).rstrip('.').lower()})" if est is not None and est.value > 0 else ""
        items.append(f"• {r.name}{money}")
    return {"text": f"{label} :\n" + "\n".join(items),
            "buttons": [button(f"En savoir plus : {short_name(r)}", "benefit_details", benefit_id=r.id)
                        for r in results]}


def checklist(unknown: list[BenefitResult]) -> str:
    common = [r for r in unknown if not r.rare]
    rare = [r for r in unknown if r.rare]
    shown = (common + rare)[:CHECKLIST_SHOWN]
    lines = [f"• {r.name}" for r in shown]
    rest = len(unknown) - len(shown)
    if rest:
        lines.append(f"• et {rest} autre{'s' if rest > 1 else ''}")
    if len(unknown) == 1:
        head, tail = "Une aide est à vérifier avec une personne :", "Elle vous dira si elle est pour vous."
    else:
        head, tail = (f"{len(unknown)} aides sont à vérifier avec une personne :",
                      "Elle vous dira si elles sont pour vous.")
    return "\n".join([head, *lines, tail])


# --- the screens ---------------------------------------------------------------------------------


@dataclass
class Screens:
    top: list[BenefitResult]
    themes: dict[str, list[BenefitResult]]
    unknown: list[BenefitResult]
    likely: list[BenefitResult] = field(default_factory=list)

    @property
    def order(self) -> list[str]:
        """The screens after the first one, in order."""
        return [name for name, present in (("themes", bool(self.themes)), ("checks", True)) if present]


def plan(evaluation: Evaluation) -> Screens:
    likely = evaluation.likely
    money = [r for r in likely if not r.open_to_all]
    top = (money or likely)[:TOP]
    themes: dict[str, list[BenefitResult]] = {}
    for r in likely:
        if r not in top:
            themes.setdefault(r.category_label, []).append(r)
    return Screens(top=top, themes=themes, unknown=evaluation.unknown, likely=likely)


def next_button(screens: Screens, after: int) -> dict[str, str] | None:
    """The button to the screen after screen number `after` (1-based), if any."""
    order = screens.order
    if after - 1 >= len(order):
        return None
    if order[after - 1] == "themes":
        n = sum(len(v) for v in screens.themes.values())
        return button(f"Voir les {n} autres aides" if n > 1 else "Voir l'autre aide", "show_more")
    return button("Voir ce qu'il faut vérifier", "show_more")


def _refine(tracker: Tracker) -> list[dict[str, str]]:
    return [button("Préciser mes résultats", "continue")] if tracker.get_slot("more_questions") else []


def _booking_buttons() -> list[dict[str, str]]:
    return [button("Prendre rendez-vous", "book_appointment"),
            button("Être rappelé(e)", "book_appointment", slot_choice="callback")]


def show_screen(dispatcher: CollectingDispatcher, tracker: Tracker, screens: Screens, number: int) -> None:
    """Utter screen `number` (1-based)."""
    profile = profile_from_tracker(tracker)
    match = team_for(tracker)
    if number == 1:
        dispatcher.utter_message(text=conclusion(screens.likely))
        for result in screens.top:
            dispatcher.utter_message(**top_card(result))
        nxt = next_button(screens, 1)
        lines = contact_lines(profile.get("commune"), match, short=True)
        dispatcher.utter_message(
            text="\n".join(lines),
            buttons=([nxt] if nxt else []) + _refine(tracker) + _booking_buttons()[:1]
            + [button("Parler à quelqu'un", "talk_to_person")])
        return
    kind = screens.order[number - 2]
    if kind == "themes":
        dispatcher.utter_message(text="Les autres aides probables, par thème :")
        for label, results in screens.themes.items():
            dispatcher.utter_message(**theme_message(label, results))
        nxt = next_button(screens, number)
        dispatcher.utter_message(text="Que voulez-vous faire ?",
                                 buttons=([nxt] if nxt else []) + _refine(tracker) + _booking_buttons())
        return
    if screens.unknown:
        dispatcher.utter_message(text=checklist(screens.unknown))
    reference = tracker.get_slot("booking_reference")
    lines = contact_lines(profile.get("commune"), match, short=False)
    lines.append("Votre résumé à garder ou à imprimer : " + summary_url(profile, reference))
    dispatcher.utter_message(text="\n".join(lines), buttons=_booking_buttons() + _refine(tracker) + [PRIVACY],
                             json_message={"summary_url": summary_url(profile, reference)})


async def evaluation_of(tracker: Tracker) -> Evaluation:
    """The results with OpenFisca's verdicts and amounts for national benefits (usually already in
    the calculator's cache thanks to the prefetch); the catalogue's rules alone when it is down."""
    profile = profile_from_tracker(tracker)
    return evaluate(profile, national=await calculator.results(profile))


class ActionShowResults(Action):
    def name(self) -> str:
        return "action_show_results"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        screens = plan(await evaluation_of(tracker))
        show_screen(dispatcher, tracker, screens, 1)
        return [SlotSet("results_offset", 1)]


class ActionShowMore(Action):
    def name(self) -> str:
        return "action_show_more"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        if not tracker.get_slot("profile_complete"):
            dispatcher.utter_message(text="Je n'ai pas encore assez de réponses pour chercher vos aides.",
                                     buttons=[button("Trouver mes aides", "start_benefits_check")])
            return []
        screens = plan(await evaluation_of(tracker))
        shown = int(tracker.get_slot("results_offset") or 0)
        if shown < 1:
            show_screen(dispatcher, tracker, screens, 1)
            return [SlotSet("results_offset", 1)]
        if shown - 1 >= len(screens.order):
            dispatcher.utter_message(text="C'est tout ce que j'ai trouvé avec vos réponses.",
                                     buttons=_booking_buttons() + [button("Parler à quelqu'un", "talk_to_person")])
            return []
        show_screen(dispatcher, tracker, screens, shown + 1)
        events: list[EventType] = [SlotSet("results_offset", shown + 1)]
        if shown == len(screens.order):
            # The last screen of a simulation: "puis-je vous demander… ?" once (bot/actions/followup.py).
            events += ask_after_results(dispatcher, tracker)
        return events


def details_text(result: BenefitResult) -> str:
    how = result.how_to_apply
    parts = [result.name, result.summary.strip()]
    if result.amount_text:
        parts.append(f"Combien ? {result.amount_text}")
    steps = []
    if how.where:
        steps.append(how.where.strip())
    if how.form:
        steps.append(f"Formulaire : {how.form}")
    if steps:
        parts.append("Comment faire ? " + " ".join(steps))
    if how.documents:
        parts.append("À préparer : " + ", ".join(d.rstrip(".") for d in how.documents) + ".")
    decider = how.decided_by or (result.administrator.name if result.administrator else None)
    if decider:
        parts.append(f"Qui décide ? {decider}")
    phone = how.phone or (result.administrator.phone if result.administrator else None)
    if phone:
        who = result.administrator.name if result.administrator else decider
        parts.append(f"Téléphone : {who}, {phone}" if who else f"Téléphone : {phone}")
    return "\n\n".join(parts)


class ActionBenefitDetails(Action):
    def name(self) -> str:
        return "action_benefit_details"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        catalogue = load_catalogue()
        benefit_id = latest_entities(tracker).get("benefit_id")
        benefit = catalogue.by_id.get(benefit_id) if benefit_id else None
        if benefit is None:
            benefit = find_benefit_in_text(catalogue, latest_text(tracker))
        if benefit is None:
            dispatcher.utter_message(text="De quelle aide voulez-vous parler ? Écrivez son nom, par exemple « RSA » ou « APL ».")
            return []
        from benefits.engine import evaluate_one  # the single-benefit evaluation

        profile = profile_from_tracker(tracker)
        national = await calculator.results(profile)
        result = evaluate_one(benefit, profile, catalogue, national=national)
        buttons = []
        if result.how_to_apply.online:
            buttons.append(url_button(f"Faire la demande en ligne : {short_name(result)}", result.how_to_apply.online))
        shown = int(tracker.get_slot("results_offset") or 0)
        if tracker.get_slot("profile_complete") and shown:
            screens = plan(evaluate(profile, national=national))
            if nxt := next_button(screens, shown):
                buttons.append(nxt)
        buttons += [button("Prendre rendez-vous", "book_appointment"), button("Parler à quelqu'un", "talk_to_person")]
        dispatcher.utter_message(text=details_text(result), buttons=buttons)
        return []


class ActionWhyNot(Action):
    def name(self) -> str:
        return "action_why_not"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        benefit_id = latest_entities(tracker).get("benefit_id")
        found = find_benefit_in_text(load_catalogue(), latest_text(tracker)) if not benefit_id else None
        query = benefit_id or (found.id if found else latest_text(tracker))
        profile = profile_from_tracker(tracker)
        national = await calculator.results(profile)
        dispatcher.utter_message(text=explain_why_not(profile, query, national=national))
        return []
