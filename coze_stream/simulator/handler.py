"""The HTTP request handler: routing, Coze's request validation, JSON errors, chat, cancel and
message feedback.

Every response carries an ``X-Tt-Logid`` header and every request is recorded. The token is
never logged or stored (only ``/fail echo-token`` sends it back, on purpose).
"""

from __future__ import annotations

import json
import sys
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .answers import answer_language
from .commands import parse_message
from .faults import FAULTS_BY_KIND, RequestFault
from .files import FILES
from .httpserver import SimulatorHTTPServer
from .records import RecordedFeedback, RecordedMessage, RecordedRequest
from .settings import SimulatorSettings
from .state import SimulatorState
from .stream import ChatStream
from .wire import chat_object, dumps, new_logid

MAX_ADDITIONAL_MESSAGES = 100  # Coze's limit
_TYPES = {"user": "question", "assistant": "answer"}
FEEDBACK_TYPES = ("like", "unlike")


def check_additional_messages(value: Any) -> tuple[list[RecordedMessage], str] | str:
    """The earlier messages and the question of a chat request's ``additional_messages``, or
    what is wrong with it (the ``msg`` of Coze's code 4000).

    As Coze takes them: a list of 1 to 100 objects, each with ``role`` user or assistant,
    ``content`` a non-empty string, ``type`` (when given) question for a user message and answer
    for an assistant's, and the user's question last. The simulator takes text messages only
    (``content_type`` text or absent), where Coze also takes ``object_string``.
    """
    if not isinstance(value, list) or not value:
        return "additional_messages must be a non-empty list"
    if len(value) > MAX_ADDITIONAL_MESSAGES:
        return f"additional_messages holds at most {MAX_ADDITIONAL_MESSAGES} messages"
    messages: list[RecordedMessage] = []
    for index, item in enumerate(value):
        where = f"additional_messages[{index}]"
        if not isinstance(item, dict):
            return f"{where} must be an object"
        role, kind = item.get("role"), item.get("type")
        content, content_type = item.get("content"), item.get("content_type")
        if role not in _TYPES:
            return f"{where}.role must be user or assistant"
        if kind is not None and kind != _TYPES[role]:
            return f"{where}.type must be {_TYPES[role]} for a {role} message"
        if content_type is not None and content_type != "text":
            return f"{where}.content_type must be text (the simulator takes text only)"
        if not isinstance(content, str) or not content.strip():
            return f"{where}.content must be a non-empty string"
        messages.append(RecordedMessage(role, content, kind, content_type))
    if messages[-1].role != "user":
        return "additional_messages must end with the user's message"
    return messages[:-1], messages[-1].content


def check_feedback_body(body: Any) -> tuple[str, list[str], str | None] | str:
    """(feedback_type, reason_types, comment) of a feedback request's body, or what is wrong
    with it: ``feedback_type`` like or unlike; ``reason_types`` (a list of strings) and
    ``comment`` (a string) may be left out, as cozepy does."""
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    kind, reasons, comment = (
        body.get("feedback_type"),
        body.get("reason_types"),
        body.get("comment"),
    )
    if kind not in FEEDBACK_TYPES:
        return "feedback_type must be like or unlike"
    if reasons is not None and (
        not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons)
    ):
        return "reason_types must be a list of strings"
    if comment is not None and not isinstance(comment, str):
        return "comment must be a string"
    return kind, list(reasons or []), comment


def feedback_ids(path: str) -> tuple[str, str] | None:
    """(conversation id, message id) of ``/v1/conversations/{c}/messages/{m}/feedback``."""
    parts = path.split("/")
    if (
        len(parts) == 7
        and parts[:3] == ["", "v1", "conversations"]
        and parts[4] == "messages"
        and parts[6] == "feedback"
        and parts[3]
        and parts[5]
    ):
        return unquote(parts[3]), unquote(parts[5])
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CozeSimulator/1.0"
    sys_version = ""
    server: SimulatorHTTPServer

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def sim(self) -> SimulatorSettings:
        return self.server.sim

    @property
    def state(self) -> SimulatorState:
        return self.server.state

    def log_message(self, format: str, *args: Any) -> None:
        if self.sim.verbose:  # method and path only: never headers (the token)
            sys.stderr.write(f"coze-simulator: {self.command} {urlsplit(self.path).path}\n")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.log_message("")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Protocol-level errors (bad request line, unsupported method): JSON with a logid too.
        self.close_connection = True
        logid = new_logid()
        body = dumps({"code": 4000, "msg": message or "bad request", "detail": {"logid": logid}})
        data = body.encode()
        self.send_response(code, message)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("X-Tt-Logid", logid)
        self.send_header("Connection", "close")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(data)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _begin(self) -> RecordedRequest:
        raw = self._read_body()
        body: dict[str, Any] | None = None
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            body = parsed
        rec = RecordedRequest(
            method=self.command,
            path=self.path,
            body=body,
            received_at=time.time(),
            logid=new_logid(),
            client_port=int(self.client_address[1]),
        )
        self.state.add_request(rec)
        return rec

    def send_json(
        self,
        rec: RecordedRequest,
        status: int,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        payload = {**payload, "detail": {"logid": rec.logid}}
        data = dumps(payload).encode()
        rec.status, rec.code = status, payload.get("code")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("X-Tt-Logid", rec.logid)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.state.notify()

    def send_error_json(
        self,
        rec: RecordedRequest,
        code: int,
        msg: str,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_json(rec, status, {"code": code, "msg": msg}, headers)

    def send_text(self, rec: RecordedRequest, status: int, ctype: str, text: str) -> None:
        self.send_bytes(rec, status, ctype, text.encode())

    def send_bytes(self, rec: RecordedRequest, status: int, ctype: str, data: bytes) -> None:
        rec.status = status
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("X-Tt-Logid", rec.logid)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.state.notify()

    def _authorized(self) -> bool:
        return self.headers.get("Authorization") == f"Bearer {self.sim.pat}"

    def received_token(self) -> str:
        auth = self.headers.get("Authorization") or ""
        return auth[len("Bearer ") :] if auth.startswith("Bearer ") else auth

    # -- routing ----------------------------------------------------------------------------

    def do_POST(self) -> None:
        rec = self._begin()
        route = urlsplit(self.path).path.rstrip("/")
        ids = feedback_ids(route)
        if route == "/v3/chat":
            self._chat(rec)
        elif route == "/v3/chat/cancel":
            self._cancel(rec)
        elif ids is not None:
            self._feedback(rec, *ids)
        else:
            self._not_found(rec)

    def do_DELETE(self) -> None:
        rec = self._begin()
        ids = feedback_ids(urlsplit(self.path).path.rstrip("/"))
        if ids is not None:
            self._feedback(rec, *ids)
        else:
            self._not_found(rec)

    def do_GET(self) -> None:
        rec = self._begin()
        path = urlsplit(self.path).path
        if path == "/":
            text = 'Coze simulator\nPOST /v3/chat with a message "/help" to list the commands.\n'
            self.send_text(rec, 200, "text/plain; charset=utf-8", text)
        elif path in FILES:  # what /rich links to, as Coze serves a bot's images and files
            content_type, data = FILES[path]
            self.send_bytes(rec, 200, content_type, data)
        else:
            self._not_found(rec)

    def _other(self) -> None:
        self._not_found(self._begin())

    do_PUT = do_PATCH = _other

    def _not_found(self, rec: RecordedRequest) -> None:
        path = urlsplit(self.path).path
        self.send_error_json(
            rec, 4000, f"invalid request: no such endpoint {self.command} {path}", 404
        )

    def _check_auth_and_body(self, rec: RecordedRequest) -> dict[str, Any] | None:
        if not self._authorized():
            self.send_error_json(rec, 4100, "authentication is invalid", 401)
            return None
        if rec.body is None:
            self.send_error_json(rec, 4000, "invalid parameter: request body must be a JSON object")
            return None
        return rec.body

    # -- /v3/chat/cancel --------------------------------------------------------------------

    def _cancel(self, rec: RecordedRequest) -> None:
        body = self._check_auth_and_body(rec)
        if body is None:
            return
        conv, chat = body.get("conversation_id"), body.get("chat_id")
        if not isinstance(conv, str) or not isinstance(chat, str):
            self.send_error_json(
                rec, 4000, "invalid parameter: conversation_id and chat_id must be strings"
            )
            return
        if self.state.begin_cancel(conv, chat) is None:
            self.send_error_json(rec, 4104, "chat is not in progress, can not cancel")
            return
        data = chat_object(self.sim.bot_id, chat, conv, "canceled", created_at=int(time.time()))
        self.send_json(rec, 200, {"code": 0, "msg": "", "data": data})

    # -- /v3/chat ---------------------------------------------------------------------------

    def _chat(self, rec: RecordedRequest) -> None:
        body = self._check_auth_and_body(rec)
        if body is None:
            return
        bot_id = body.get("bot_id")
        if bot_id != self.sim.bot_id:
            self.send_error_json(rec, 4200, f"resource not found: bot {bot_id} does not exist")
            return
        user_id = body.get("user_id")
        if not isinstance(user_id, str) or not user_id:
            self.send_error_json(rec, 4000, "invalid parameter: user_id must be a non-empty string")
            return
        checked = check_additional_messages(body.get("additional_messages"))
        if isinstance(checked, str):
            self.send_error_json(rec, 4000, f"invalid parameter: {checked}")
            return
        earlier, message = checked
        if body.get("stream") is not True:
            self.send_error_json(
                rec, 4000, "invalid parameter: stream must be true (the simulator only streams)"
            )
            return

        parsed = parse_message(message)
        fault = FAULTS_BY_KIND.get(parsed.fail or "")
        if isinstance(fault, RequestFault):
            answered = fault.respond(_FaultReply(self, rec, user_id, message))
            if answered:
                return
        query = parse_qs(urlsplit(self.path).query)
        conv_id = (query.get("conversation_id") or [""])[0] or self.state.new_id()
        # Coze ignores Accept-Language; the simulator answers in the language it names.
        language = answer_language(self.headers.get("Accept-Language"))
        ChatStream(
            self, self.sim, self.state, rec, parsed, message, user_id, conv_id, earlier, language
        ).run()

    # -- /v1/conversations/{conversation_id}/messages/{message_id}/feedback ---------------------

    def _feedback(self, rec: RecordedRequest, conversation_id: str, message_id: str) -> None:
        """Like or unlike an answer (POST), or take the feedback back (DELETE, no body needed).

        Only answer messages this simulator sent in that conversation can be rated: any other
        id gets Coze's "resource not found" (code 4200, HTTP 200, as the chat's unknown bot).
        Taking back feedback that was never given is no error.
        """
        if not self._authorized():
            self.send_error_json(rec, 4100, "authentication is invalid", 401)
            return
        record = RecordedFeedback(self.command, conversation_id, message_id, None, 0)
        msg = ""
        if self.command == "POST":
            checked = check_feedback_body(rec.body)
            if isinstance(checked, str):
                record.code, msg = 4000, f"invalid parameter: {checked}"
            else:
                record.feedback_type, record.reason_types, record.comment = checked
        if record.code == 0 and not self.state.knows_answer(conversation_id, message_id):
            record.code = 4200
            msg = (
                f"resource not found: message {message_id} of conversation {conversation_id} "
                "does not exist"
            )
        self.state.add_feedback(record)
        self.send_json(rec, 200, {"code": record.code, "msg": msg})


class _FaultReply:
    """A chat request as a ``RequestFault`` sees it (``faults.Responder``)."""

    def __init__(self, handler: Handler, rec: RecordedRequest, user_id: str, message: str) -> None:
        self._handler = handler
        self._rec = rec
        self._user_id = user_id
        self._message = message

    @property
    def bot_id(self) -> str:
        return self._handler.sim.bot_id

    def received_token(self) -> str:
        return self._handler.received_token()

    def first_time_seen(self) -> bool:
        return self._handler.state.first_time_seen(self._user_id, self._message)

    def send_json_error(
        self, code: int, msg: str, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        self._handler.send_error_json(self._rec, code, msg, status, headers)

    def send_text(self, status: int, content_type: str, text: str) -> None:
        self._handler.send_text(self._rec, status, content_type, text)
