"""What the follow-up says, in plain French, with one question and buttons."""

from __future__ import annotations

from followup.models import ANSWER_LABELS, REASON_LABELS


def question(first_name: str | None, step: int, benefit_names: list[str]) -> str:
    hello = f"Bonjour {first_name}," if first_name else "Bonjour,"
    when = "Il y a quelques jours" if step <= 7 else "Il y a un mois environ"
    lines = [hello, f"{when}, nous avons cherché ensemble les aides auxquelles vous avez peut-être droit."]
    if benefit_names:
        lines.append("Par exemple : " + ", ".join(benefit_names[:3]) + ".")
    lines.append("Avez-vous pu faire la demande ?")
    return "\n".join(lines)


def buttons() -> list[tuple[str, str]]:
    """(answer value, French label), in the order shown."""
    return [(value, ANSWER_LABELS[value]) for value in ("yes", "not_yet", "need_help", "no")]


def reason_question() -> str:
    return "D'accord. Pouvez-vous me dire pourquoi ?"


def reason_buttons() -> list[tuple[str, str]]:
    return list(REASON_LABELS.items())


def thanks(answer: str, team_name: str | None = None, reference: str | None = None) -> str:
    if answer == "yes":
        return "Bravo, et merci de nous l'avoir dit ! Gardez bien les papiers de votre demande."
    if answer == "not_yet":
        return "Merci. Prenez votre temps. Si vous voulez de l'aide, répondez « besoin d'aide » à tout moment."
    if answer == "need_help":
        if team_name and reference:
            return (f"C'est noté. L'équipe {team_name} va vous contacter pour vous aider. "
                    f"Votre code de demande est {reference}.")
        return "C'est noté. Une équipe va vous contacter pour vous aider."
    return "Merci de votre réponse. Si vous changez d'avis, nous sommes là."
