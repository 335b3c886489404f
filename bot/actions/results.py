"""Showing the benefits found: a few at a time, details on demand, and "pourquoi pas … ?"."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from benefits import LIKELY, UNKNOWN, BenefitResult, evaluate, explain_why_not, load_catalogue
from benefits.lookup import find_benefit_in_text
from bot.actions.buttons import PRIVACY, button
from bot.actions.tracker_profile import latest_entities, latest_text, profile_from_tracker
from guide.summary_links import summary_url

PAGE = 3


def _shown(tracker: Tracker) -> list[BenefitResult]:
    """Likely benefits first, then those still to check with someone."""
    evaluation = evaluate(profile_from_tracker(tracker))
    return evaluation.likely + evaluation.unknown


def _card(result: BenefitResult) -> str:
    lines = [f"{result.name} ({result.category_label.lower()})"]
    if result.reasons:
        lines.append(result.reasons[0])
    if result.status == LIKELY and result.amount_text:
        lines.append(result.amount_text)
    return "\n".join(lines)


def _closing_buttons(more: bool, refine: bool = False) -> list[dict[str, str]]:
    buttons = [button("Voir les autres", "show_more")] if more else []
    if refine:
        buttons.append(button("Préciser mes résultats", "continue"))
    buttons += [button("Prendre rendez-vous", "book_appointment"),
                button("Parler à quelqu'un", "talk_to_person"), PRIVACY]
    return buttons


def _show_page(dispatcher: CollectingDispatcher, results: list[BenefitResult], offset: int) -> int:
    page = results[offset:offset + PAGE]
    for result in page:
        if result.status == UNKNOWN and (offset == 0 or results[offset - 1].status == LIKELY) \
                and result is page[0]:
            dispatcher.utter_message(text="Ces aides sont à vérifier avec une personne : il me manque des informations.")
        dispatcher.utter_message(text=_card(result),
                                 buttons=[button("En savoir plus", "benefit_details", benefit_id=result.id)])
    return offset + len(page)


class ActionShowResults(Action):
    def name(self) -> str:
        return "action_show_results"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        evaluation = evaluate(profile_from_tracker(tracker))
        results = evaluation.likely + evaluation.unknown
        likely = len(evaluation.likely)
        if likely:
            intro = (f"Merci ! J'ai trouvé {likely} aide{'s' if likely > 1 else ''} qui "
                     f"{'semblent possibles' if likely > 1 else 'semble possible'} pour vous. "
                     "Voici les plus importantes.")
        else:
            # Never "you are entitled to nothing": someone can always check with the person.
            intro = ("Avec vos réponses, je ne trouve pas d'aide certaine. Cela ne veut pas dire que vous "
                     "n'avez droit à rien : une personne de l'équipe peut regarder votre situation avec vous.")
        dispatcher.utter_message(text=intro)
        offset = _show_page(dispatcher, results, 0)
        profile = profile_from_tracker(tracker)
        dispatcher.utter_message(
            text="Votre résumé à garder ou à imprimer (les aides à vérifier, quoi apporter, qui voir) : "
                 f"{summary_url(profile, tracker.get_slot('booking_reference'))}",
            json_message={"summary_url": summary_url(profile, tracker.get_slot("booking_reference"))})
        dispatcher.utter_message(
            text="Voulez-vous qu'une personne vous aide à faire les demandes ? Je peux prendre rendez-vous "
                 "pour vous. Vous pouvez aussi me demander « pourquoi pas » une aide.",
            buttons=_closing_buttons(offset < len(results), refine=bool(tracker.get_slot("more_questions"))))
        return [SlotSet("results_offset", offset)]


class ActionShowMore(Action):
    def name(self) -> str:
        return "action_show_more"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        if not tracker.get_slot("profile_complete"):
            dispatcher.utter_message(text="Je n'ai pas encore assez de réponses pour chercher vos aides.",
                                     buttons=[button("Trouver mes aides", "start_benefits_check")])
            return []
        results = _shown(tracker)
        offset = int(tracker.get_slot("results_offset") or 0)
        if offset >= len(results):
            dispatcher.utter_message(text="C'est tout ce que j'ai trouvé avec vos réponses.",
                                     buttons=_closing_buttons(False))
            return [SlotSet("results_offset", 0)]
        offset = _show_page(dispatcher, results, offset)
        dispatcher.utter_message(text="Que voulez-vous faire ?", buttons=_closing_buttons(offset < len(results)))
        return [SlotSet("results_offset", offset)]


def details_text(result: BenefitResult) -> str:
    how = result.how_to_apply
    parts = [result.name, result.summary.strip()]
    if result.amount_text:
        parts.append(f"Combien ? {result.amount_text}")
    steps = []
    if how.where:
        steps.append(how.where.strip())
    if how.online:
        steps.append(f"En ligne : {how.online}")
    if how.form:
        steps.append(f"Formulaire : {how.form}")
    if steps:
        parts.append("Comment faire ? " + " ".join(steps))
    if how.documents:
        parts.append("À préparer : " + ", ".join(d.rstrip(".") for d in how.documents) + ".")
    decider = how.decided_by or (result.administrator.name if result.administrator else None)
    if decider:
        parts.append(f"Qui décide ? {decider}")
    if result.administrator and result.administrator.phone:
        parts.append(f"Contact : {result.administrator.name}, {result.administrator.phone}")
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

        result = evaluate_one(benefit, profile_from_tracker(tracker), catalogue)
        dispatcher.utter_message(text=details_text(result),
                                 buttons=_closing_buttons(bool(tracker.get_slot("profile_complete"))))
        return []


class ActionWhyNot(Action):
    def name(self) -> str:
        return "action_why_not"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        benefit_id = latest_entities(tracker).get("benefit_id")
        found = find_benefit_in_text(load_catalogue(), latest_text(tracker)) if not benefit_id else None
        query = benefit_id or (found.id if found else latest_text(tracker))
        dispatcher.utter_message(text=explain_why_not(profile_from_tracker(tracker), query))
        return []
