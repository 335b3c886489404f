"""A fake Rasa REST channel for tests: scripted replies, recorded requests.

It runs a real HTTP server on a free local port (in a thread), so it serves the web proxy, a
browser test and a separate Telegram process alike. Replies come from `FakeRasa.script`
(message -> list of bot messages) with a fallback that echoes what was received; special
messages simulate failures: "vide" (empty reply), "panne" (HTTP 500), "lent" (too slow).

Run standalone: python -m tests.fakes.fake_rasa [port]
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOUSING_SOCIAL = '/inform{"housing":"social_tenant"}'
# Longer than Telegram's 64-byte callback data limit on purpose.
LONG_PAYLOAD = '/inform{"housing":"hosted","hosted_by":"family_member_without_rent_contribution"}'

LONG_PARAGRAPH = (
    "La prime d'activité complète les revenus des personnes qui travaillent. "
    "Elle dépend de vos revenus et de votre famille. "
) * 25  # about 3000 characters


def default_script() -> dict[str, list[dict[str, Any]] | Callable[[str], list[dict[str, Any]]]]:
    return {
        "/greet": [
            {
                "text": "Bonjour ! Je vous aide à connaître vos droits. Par quoi commençons-nous ?",
                "buttons": [
                    {"title": "Connaître mes droits", "payload": "/start_check"},
                    {"title": "Prendre rendez-vous", "payload": "/book_appointment"},
                ],
            }
        ],
        "/start_check": [
            {"text": "Très bien. Je vais vous poser quelques questions."},
            {
                "text": "Où habitez-vous ?",
                "buttons": [
                    {"title": "Locataire HLM", "payload": HOUSING_SOCIAL},
                    {"title": "Locataire (privé)", "payload": '/inform{"housing":"tenant"}'},
                    {"title": "Hébergé(e) par la famille", "payload": LONG_PAYLOAD},
                ],
            },
        ],
        HOUSING_SOCIAL: [{"text": "Merci. Quel âge avez-vous ?"}],
        LONG_PAYLOAD: [{"text": "Merci. Quel âge avez-vous ?"}],
        "/help": [{"text": "Je réponds à vos questions sur les aides. Écrivez simplement votre question."}],
        "/restart": [],
        "/book_appointment": [
            {"text": "Pour prendre rendez-vous, j'ai besoin d'un numéro pour vous rappeler."},
            {"custom": {"ask_contact": True}},
        ],
        "rappel": [
            {"text": "Pour prendre rendez-vous, j'ai besoin d'un numéro pour vous rappeler."},
            {"custom": {"ask_contact": True}},
        ],
        "long": [{"text": "\n\n".join([LONG_PARAGRAPH.strip()] * 3)}],
        "vide": [],
    }


def fallback(message: str) -> list[dict[str, Any]]:
    if message.startswith("/share_location"):
        return [{"text": "Merci. Je cherche les équipes près de chez vous."}]
    if message.startswith("/share_contact"):
        return [{"text": "Merci, votre numéro est bien noté."}]
    return [{"text": f"Vous avez écrit : {message}"}]


class FakeRasa:
    """Start with `with FakeRasa() as rasa:`; `rasa.url` is the base URL to put in RASA_URL."""

    def __init__(self, port: int = 0, slow_seconds: float = 3.0) -> None:
        self.script = default_script()
        self.received: list[dict[str, Any]] = []
        self.slow_seconds = slow_seconds
        self.down = False  # True: every call answers HTTP 500
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeRasa:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeRasa:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def messages(self) -> list[str]:
        with self._lock:
            return [r["message"] for r in self.received]

    def wait_for_count(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"fake Rasa received {len(self.received)} messages, expected {count}")

    def reply_for(self, message: str) -> tuple[int, list[dict[str, Any]] | None]:
        if self.down or message == "panne":
            return 500, None
        if message == "lent":
            time.sleep(self.slow_seconds)
        entry = self.script.get(message)
        if entry is None:
            entry = fallback(message)
        elif callable(entry):
            entry = entry(message)
        return 200, entry

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (time-out tests)

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/status":
                    self._json(200, {"version": "fake", "model_file": "fake.tar.gz"})
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self) -> None:  # noqa: N802
                if self.path != "/webhooks/rest/webhook":
                    self._json(404, {"error": "not found"})
                    return
                length = int(self.headers.get("Content-Length", "0"))
                try:
                    body = json.loads(self.rfile.read(length))
                except ValueError:
                    self._json(400, {"error": "bad json"})
                    return
                with fake._lock:
                    fake.received.append(body)
                status, reply = fake.reply_for(str(body.get("message", "")))
                if status != 200:
                    self._json(status, {"error": "simulated failure"})
                    return
                sender = body.get("sender")
                if isinstance(reply, list):
                    reply = [{"recipient_id": sender, **m} if isinstance(m, dict) else m for m in reply]
                self._json(200, reply)

        return Handler


if __name__ == "__main__":
    with FakeRasa(port=int(sys.argv[1]) if len(sys.argv) > 1 else 5005) as rasa:
        print(f"fake Rasa on {rasa.url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
