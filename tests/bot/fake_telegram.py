"""A local stand-in for Telegram's Bot API: answers getMe, getUpdates (from a queue the test
fills), sendMessage (recorded), answerCallbackQuery and deleteWebhook over HTTP on
127.0.0.1. No network: the bot's TELEGRAM_API_URL points here."""

from __future__ import annotations

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

TOKEN = "123456:TEST-token-never-logged"
BOT = {"id": 123456, "is_bot": True, "first_name": "KPI", "username": "kpi_test_bot"}


class FakeTelegram:
    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.calls: list[str] = []
        self.updates: list[dict] = []
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        self._messages = itertools.count(100)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                fake._answer(self, self.path, self.headers.get("Content-Type", ""), raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    def start(self) -> FakeTelegram:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ---- what a test does ----------------------------------------------------------------

    def message(self, chat_id: int, text: str, *, language: str = "en") -> dict:
        update = {
            "update_id": next(self._ids),
            "message": {
                "message_id": next(self._messages),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": {
                    "id": chat_id,
                    "is_bot": False,
                    "first_name": "M",
                    "language_code": language,
                },
                "text": text,
            },
        }
        with self.lock:
            self.updates.append(update)
        return update

    def press(self, chat_id: int, data: str) -> dict:
        update = {
            "update_id": next(self._ids),
            "callback_query": {
                "id": str(next(self._ids)),
                "chat_instance": "1",
                "from": {"id": chat_id, "is_bot": False, "first_name": "M"},
                "data": data,
                "message": {
                    "message_id": 1,
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"},
                    "text": "…",
                },
            },
        }
        with self.lock:
            self.updates.append(update)
        return update

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [m["text"] for m in self.sent if chat_id is None or m["chat_id"] == chat_id]

    def buttons(self, index: int = -1) -> list[str]:
        markup = self.sent[index].get("reply_markup") or {}
        return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]

    # ---- the Bot API -----------------------------------------------------------------------

    def _answer(self, handler, path: str, content_type: str, raw: str) -> None:
        method = path.rsplit("/", 1)[-1]
        token = path.split("/")[1].removeprefix("bot")
        if token != TOKEN:
            return self._reply(
                handler, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
        params = self._params(content_type, raw)
        with self.lock:
            self.calls.append(method)
            result = self._result(method, params)
        self._reply(handler, {"ok": True, "result": result})

    @staticmethod
    def _params(content_type: str, raw: str) -> dict:
        if "json" in content_type:
            return json.loads(raw or "{}")
        params = {}
        for key, values in parse_qs(raw).items():
            try:
                params[key] = json.loads(values[0])
            except ValueError:
                params[key] = values[0]
        return params

    def _result(self, method: str, params: dict):
        if method == "getMe":
            return BOT
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            return list(self.updates)
        if method == "sendMessage":
            self.sent.append(
                {
                    "chat_id": int(params["chat_id"]),
                    "text": params["text"],
                    "reply_markup": params.get("reply_markup"),
                }
            )
            return {
                "message_id": next(self._messages),
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "text": params["text"],
            }
        if method in ("answerCallbackQuery", "deleteWebhook", "setWebhook"):
            return True
        raise AssertionError(f"the fake Bot API does not know {method}")

    @staticmethod
    def _reply(handler, body: dict) -> None:
        data = json.dumps(body).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
