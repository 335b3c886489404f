"""A terminal chat with the assistant, for volunteers and developers (`make shell`).

Talks to Rasa's REST channel; starts the whole stack first when it is not running. Buttons are
numbered: type the number to press one."""

from __future__ import annotations

import os
import sys
import textwrap
import uuid

import httpx

from ops.stack import ROOT, Stack


def _rasa_up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _show(messages: list[dict]) -> list[dict]:
    buttons: list[dict] = []
    for message in messages:
        if message.get("text"):
            for paragraph in message["text"].split("\n"):
                print(textwrap.fill(paragraph, 90, initial_indent="  ", subsequent_indent="  ") if paragraph else "")
        for button in message.get("buttons") or []:
            buttons.append(button)
            print(f"    [{len(buttons)}] {button['title']}")
    return buttons


def main() -> int:
    rasa_url = os.environ.get("RASA_URL", f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}")
    stack = None
    if not _rasa_up(rasa_url):
        print("Démarrage de l'assistant (une minute environ)…", flush=True)
        stack = Stack(run_dir=ROOT / "run")
        stack.start()
        stack.wait_healthy()
        rasa_url = stack.rasa_url
    sender = f"shell-{uuid.uuid4().hex[:8]}"
    print("Écrivez votre message (Ctrl-D pour quitter). Tapez le numéro d'un bouton pour le choisir.\n")
    buttons: list[dict] = []
    message = "/greet"
    try:
        while True:
            try:
                reply = httpx.post(f"{rasa_url}/webhooks/rest/webhook", timeout=30,
                                   json={"sender": sender, "message": message, "metadata": {"channel": "shell"}})
                buttons = _show(reply.json() or [{"text": "(pas de réponse)"}])
            except httpx.HTTPError as exc:
                print(f"  (erreur de connexion : {exc.__class__.__name__})")
            try:
                typed = input("\n> ").strip()
            except EOFError:
                print()
                return 0
            if typed.isdigit() and 1 <= int(typed) <= len(buttons):
                message = buttons[int(typed) - 1]["payload"]
            else:
                message = typed or "…"
    except KeyboardInterrupt:
        print()
        return 0
    finally:
        if stack:
            stack.stop()


if __name__ == "__main__":
    sys.exit(main())
