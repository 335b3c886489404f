"""A fake Telegram Bot API server for tests: queued updates, recorded calls.

Point the bot at it with base URL `fake.base_url` ("http://127.0.0.1:<port>/bot"); the token
follows, then the method: /bot<token>/<method>. Requests may be JSON, form-encoded (what
python-telegram-bot sends, with JSON-encoded values for objects) or multipart (ignored fields).
getUpdates long-polls on the queue for up to one second.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BOT_USER = {"id": 777000111, "is_bot": True, "first_name": "Avec vous", "username": "avecvous_test_bot",
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}

TRUE_METHODS = {
    "deleteWebhook", "setWebhook", "setMyCommands", "sendChatAction", "answerCallbackQuery",
    "leaveChat", "deleteMyCommands", "close", "logOut",
}
MESSAGE_METHODS = {"sendMessage", "sendPhoto", "editMessageReplyMarkup", "editMessageText"}
INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "user_id"}


def _decode_form(raw: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, values in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items():
        value: Any = values[-1]
        if key in INT_FIELDS:
            try:
                value = int(value)
            except ValueError:
                pass
        elif value[:1] in ("{", "["):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        out[key] = value
    return out


class FakeTelegramAPI:
    def __init__(self, token: str = "123:TEST") -> None:
        self.token = token
        self.calls: list[dict[str, Any]] = []
        self._updates: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(5000)
        self._callback_ids = itertools.count(1)
        self._chats: dict[int, dict[str, Any]] = {}
        # Flood control: the next `flood` sendMessage calls are refused with 429 "retry after
        # flood_retry_after s", as Telegram does past its limits; refused calls are kept apart.
        self.flood = 0
        self.flood_retry_after = 1
        self.refused: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # ---- lifecycle ------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/bot"

    def start(self) -> FakeTelegramAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeTelegramAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- updates the tests push ---------------------------------------------------------
    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
            self._cond.notify_all()
        return update

    def _chat(self, chat_id: int, chat_type: str) -> dict[str, Any]:
        chat = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = "Camille"
        else:
            chat["title"] = "Groupe du quartier"
        self._chats[chat_id] = chat
        return chat

    @staticmethod
    def user(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": "Camille", "language_code": "fr"}

    def message(self, chat_id: int, *, chat_type: str = "private", user_id: int | None = None,
                **content: Any) -> dict[str, Any]:
        msg = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id, chat_type),
            "from": self.user(user_id if user_id is not None else abs(chat_id)),
            **content,
        }
        text = content.get("text")
        if isinstance(text, str) and text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return msg

    def push_message(self, chat_id: int, **kwargs: Any) -> dict[str, Any]:
        return self.push({"message": self.message(chat_id, **kwargs)})

    def push_text(self, chat_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
        return self.push_message(chat_id, text=text, **kwargs)

    def push_callback(self, chat_id: int, sent: dict[str, Any], data: str,
                      user_id: int | None = None) -> str:
        """Press the button `data` under the bot message recorded as `sent` (a sendMessage call)."""
        query_id = f"cbq-{next(self._callback_ids)}"
        message = {
            "message_id": sent["result"]["message_id"],
            "date": int(time.time()),
            "chat": self._chats.get(chat_id) or self._chat(chat_id, "private"),
            "from": BOT_USER,
            "text": sent["params"].get("text", ""),
        }
        if sent["params"].get("reply_markup"):
            message["reply_markup"] = sent["params"]["reply_markup"]
        self.push({"callback_query": {
            "id": query_id,
            "from": self.user(user_id if user_id is not None else abs(chat_id)),
            "chat_instance": f"ci-{chat_id}",
            "message": message,
            "data": data,
        }})
        return query_id

    # ---- recorded calls -----------------------------------------------------------------
    def calls_to(self, method: str, chat_id: int | None = None) -> list[dict[str, Any]]:
        with self._cond:
            return [
                c for c in self.calls
                if c["method"] == method and (chat_id is None or c["params"].get("chat_id") == chat_id)
            ]

    def wait_for(self, method: str, *, chat_id: int | None = None, count: int = 1,
                 where: Callable[[dict[str, Any]], bool] | None = None,
                 timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until at least `count` matching calls were recorded; return all matching calls."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls_to(method, chat_id) if where is None or where(c)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                seen = [(c["method"], c["params"].get("chat_id")) for c in self.calls[-15:]]
                raise AssertionError(f"expected {count} {method} call(s) for chat {chat_id}, "
                                     f"got {len(found)}; last calls: {seen}")
            time.sleep(0.02)

    # ---- the HTTP side ------------------------------------------------------------------
    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 1.0)
        deadline = time.monotonic() + wait
        with self._cond:
            while True:
                if offset:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or time.monotonic() >= deadline:
                    return list(self._updates[:100])
                self._cond.wait(max(0.0, deadline - time.monotonic()))

    def _result(self, method: str, params: dict[str, Any]) -> tuple[bool, Any]:
        if method == "getMe":
            return True, BOT_USER
        if method == "getUpdates":
            return True, self._get_updates(params)
        if method == "getWebhookInfo":
            return True, {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        if method in TRUE_METHODS:
            return True, True
        if method in MESSAGE_METHODS:
            chat_id = params.get("chat_id")
            chat = self._chats.get(chat_id) or {"id": chat_id, "type": "private", "first_name": "Camille"}
            msg: dict[str, Any] = {
                "message_id": params.get("message_id") or next(self._message_ids),
                "date": int(time.time()),
                "chat": chat,
                "from": BOT_USER,
            }
            if "text" in params:
                msg["text"] = params["text"]
            if method == "sendPhoto":
                msg["photo"] = [{"file_id": "ph1", "file_unique_id": "u1", "width": 10, "height": 10}]
            if isinstance(params.get("reply_markup"), dict) and "inline_keyboard" in params["reply_markup"]:
                msg["reply_markup"] = params["reply_markup"]
            return True, msg
        return False, None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the bot stopped while long polling

            def _handle(self) -> None:
                path = urlsplit(self.path).path
                prefix = f"/bot{fake.token}/"
                if not path.startswith(prefix):
                    self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                    return
                method = path[len(prefix):]
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                ctype = self.headers.get("Content-Type", "")
                if ctype.startswith("application/json"):
                    params = json.loads(raw or b"{}")
                elif ctype.startswith("application/x-www-form-urlencoded"):
                    params = _decode_form(raw)
                else:
                    params = {}
                with fake._cond:
                    flooded = method == "sendMessage" and fake.flood > 0
                    if flooded:
                        fake.flood -= 1
                        fake.refused.append({"method": method, "params": params, "at": time.monotonic()})
                if flooded:
                    self._reply(429, {"ok": False, "error_code": 429,
                                      "description": f"Too Many Requests: retry after {fake.flood_retry_after}",
                                      "parameters": {"retry_after": fake.flood_retry_after}})
                    return
                if method == "getUpdates":
                    ok, result = True, fake._get_updates(params)
                    record = result != []  # keep empty polls out of the record
                else:
                    with fake._cond:
                        ok, result = fake._result(method, params)
                    record = True
                if record:
                    with fake._cond:
                        fake.calls.append({"method": method, "params": params, "result": result,
                                           "at": time.monotonic()})
                if ok:
                    self._reply(200, {"ok": True, "result": result})
                else:
                    self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"})

            do_GET = _handle  # noqa: N815
            do_POST = _handle  # noqa: N815

        return Handler
