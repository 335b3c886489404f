"""A minimal fake of the Telegram Bot API for tests (http.server in a thread, no network).

Point python-telegram-bot at it with `Bot(token, base_url=fake.base_url)`. It answers getMe and
sendMessage like the real API and records every sendMessage call. Set `fail_with` to an HTTP status
(e.g. 500) or to "chat_not_found" to make sendMessage fail.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


def _decode_form_value(value: str):
    # python-telegram-bot sends form fields whose values are JSON-encoded when not plain strings.
    try:
        return json.loads(value)
    except ValueError:
        return value


class FakeBotApi:
    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.calls: list[str] = []
        self.fail_with: int | str | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/bot"

    def start(self) -> FakeBotApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def _params(self) -> dict:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                if "json" in (self.headers.get("Content-Type") or ""):
                    return json.loads(body or "{}")
                return {k: _decode_form_value(v) for k, v in parse_qsl(body)}

            def _reply(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802
                # Path: /bot<token>/<method>
                parts = self.path.strip("/").split("/")
                if len(parts) != 2 or not parts[0].startswith("bot"):
                    self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                    return
                method, params = parts[1], self._params()
                fake.calls.append(method)
                if method == "getMe":
                    self._reply(200, {"ok": True, "result": {
                        "id": 4242, "is_bot": True, "first_name": "Fake", "username": "fake_avecvous_bot",
                        "can_join_groups": True, "can_read_all_group_messages": False,
                        "supports_inline_queries": False}})
                    return
                if method != "sendMessage":
                    self._reply(200, {"ok": True, "result": True})
                    return
                if fake.fail_with == "chat_not_found":
                    self._reply(400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
                    return
                if isinstance(fake.fail_with, int):
                    self._reply(fake.fail_with, {"ok": False, "error_code": fake.fail_with,
                                                 "description": "Internal Server Error"})
                    return
                fake.sent.append(params)
                chat_id = params.get("chat_id")
                self._reply(200, {"ok": True, "result": {
                    "message_id": len(fake.sent), "date": int(time.time()),
                    "chat": {"id": int(chat_id) if str(chat_id).lstrip("-").isdigit() else 1, "type": "group",
                             "title": "Équipe"},
                    "text": params.get("text", "")}})

        return Handler
