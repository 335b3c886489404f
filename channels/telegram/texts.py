"""What the Telegram bot says by itself (everything else comes from Rasa), and its commands."""

from __future__ import annotations

NO_REPLY = "Désolé, je n'ai pas pu répondre. Pouvez-vous réessayer ?"
TEXT_ONLY = "Je ne lis que les messages écrits pour l'instant. Pouvez-vous m'écrire ?"
GROUP_DECLINED = (
    "Bonjour ! Je ne réponds qu'en conversation privée, pour protéger vos informations. "
    "Écrivez-moi directement{mention}."
)
NOT_YOUR_CONTACT = (
    "Je ne peux enregistrer que votre propre numéro. "
    "Utilisez le bouton « Partager mon numéro », ou écrivez votre numéro."
)
SHARE_CONTACT_BUTTON = "Partager mon numéro"
SHARE_CONTACT_PROMPT = "Vous pouvez utiliser le bouton « Partager mon numéro » en bas de l'écran."
ALREADY_ANSWERED = "Vous avez déjà répondu."
CHOSEN_PREFIX = "✓ "
UNKNOWN_COMMAND = (
    "Je ne connais pas cette commande. Voici ce que je sais faire :\n{commands}\n"
    "Vous pouvez aussi m'écrire votre question."
)

# command -> (payload sent to Rasa, description shown in Telegram's menu)
COMMANDS: dict[str, tuple[str, str]] = {
    "start": ("/greet", "Commencer"),
    "aide": ("/what_can_you_do", "Comment ça marche"),
    "recommencer": ("/restart", "Recommencer depuis le début"),
    "rdv": ("/book_appointment", "Prendre rendez-vous"),
    "effacer": ("/delete_data", "Effacer mes informations"),
    "guide": ('/start_benefits_check{"choice":"guide"}', "Mode accompagnant (pour aider une personne)"),
    "confidentialite": ("/privacy", "Qui voit mes réponses ?"),
}


def command_list() -> str:
    return "\n".join(f"/{name} : {desc}" for name, (_payload, desc) in COMMANDS.items())
