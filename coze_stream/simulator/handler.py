"""The HTTP request handler: routing, Coze's request validation, JSON errors, chat, cancel,
message feedback, file uploads and audio (transcription, speech, voices).

Every response carries an ``X-Tt-Logid`` header and every request is recorded. The token is
never logged or stored (only ``/fail echo-token`` sends it back, on purpose).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .answers import answer_language
from .commands import parse_message
from .faults import FAULTS_BY_KIND, RequestFault
from .files import FILES
from .httpserver import SimulatorHTTPServer
from .records import (
    RecordedFeedback,
    RecordedMessage,
    RecordedRequest,
    RecordedUpload,
    StoredFile,
)
from .settings import SimulatorSettings
from .state import SimulatorState
from .stream import ChatStream
from .uploads import (
    FAIL_CODES,
    IMAGE_EXTENSIONS,
    MAX_TRANSCRIPTION_BYTES,
    UPLOAD_EXTENSIONS,
    Part,
    asked_failure,
    content_mismatch,
    extension,
    parse_multipart,
)
from .voice import VOICES, tone_wav, transcript, voice_items
from .wire import chat_object, dumps, new_logid

MAX_ADDITIONAL_MESSAGES = 100  # Coze's limit
_TYPES = {"user": "question", "assistant": "answer"}
FEEDBACK_TYPES = ("like", "unlike")
_MAX_MULTIPART_OVERHEAD = 64 * 1024  # a multipart body's headers and boundaries, at most


def _no_files(_: str) -> StoredFile | None:
    return None


def check_object_string(
    content: Any, where: str, known_file: Callable[[str], StoredFile | None]
) -> tuple[str, tuple[tuple[str, StoredFile], ...]] | str:
    """(text, files) of an ``object_string`` message's content, or what is wrong with it.

    Coze's rules: the content is a JSON *string* holding a non-empty list of items, each
    ``{"type": "text", "text"}`` or ``{"type": "image" | "file", "file_id"}``; at most one text
    item, and a text item only beside at least one image or file. The simulator takes files it
    holds, by ``file_id`` (not ``file_url``)."""
    if not isinstance(content, str):
        return f"{where}.content must be a JSON string for object_string"
    try:
        items = json.loads(content)
    except ValueError:
        return f"{where}.content is not valid JSON"
    if not isinstance(items, list) or not items:
        return f"{where}.content must be a non-empty JSON list of items"
    texts: list[str] = []
    files: list[tuple[str, StoredFile]] = []
    for number, item in enumerate(items):
        at = f"{where}.content[{number}]"
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "text":
            text = item.get("text")
            if not isinstance(text, str) or not text.strip():
                return f"{at}.text must be a non-empty string"
            texts.append(text)
        elif kind in ("image", "file"):
            file_id = item.get("file_id")
            if not isinstance(file_id, str) or not file_id:
                return f"{at}.file_id must be a non-empty string (the simulator takes no file_url)"
            stored = known_file(file_id)
            if stored is None:
                return f"{at}: file {file_id} does not exist"
            files.append((kind, stored))
        else:
            return f"{at}.type must be text, image or file"
    if len(texts) > 1:
        return f"{where} holds more than one text item"
    if texts and not files:
        return f"{where}: a text item needs at least one image or file item beside it"
    return (texts[0] if texts else ""), tuple(files)


def check_additional_messages(
    value: Any, known_file: Callable[[str], StoredFile | None] = _no_files
) -> tuple[list[RecordedMessage], RecordedMessage] | str:
    """The earlier messages and the question of a chat request's ``additional_messages``, or
    what is wrong with it (the ``msg`` of Coze's code 4000).

    As Coze takes them: a list of 1 to 100 objects, each with ``role`` user or assistant,
    ``type`` (when given) question for a user message and answer for an assistant's, and the
    user's question last. ``content_type`` text (or absent): ``content`` a non-empty string.
    ``object_string`` (a user's message): see :func:`check_object_string`, whose files are
    those ``known_file`` knows; a message of files alone must be followed by a user's message
    with text (Coze refuses files without a question).
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
        if content_type == "object_string" and role == "user":
            checked = check_object_string(content, where, known_file)
            if isinstance(checked, str):
                return checked
            text, files = checked
            messages.append(RecordedMessage(role, text, kind, content_type, files))
            continue
        if content_type is not None and content_type != "text":
            return f"{where}.content_type must be text, or object_string for a user's message"
        if not isinstance(content, str) or not content.strip():
            return f"{where}.content must be a non-empty string"
        messages.append(RecordedMessage(role, content, kind, content_type))
    for index, message in enumerate(messages):
        following = messages[index + 1] if index + 1 < len(messages) else None
        if not message.content and (
            following is None or following.role != "user" or not following.content
        ):
            return f"additional_messages[{index}] holds files without a question about them"
    if messages[-1].role != "user":
        return "additional_messages must end with the user's message"
    return messages[:-1], messages[-1]


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
    raw_body: bytes = b""  # the request's body, as read
    too_large: bool = False  # the body was larger than the simulator reads, and left unread

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

    def _read_body(self) -> bytes | None:
        """The request's body, or None when it is larger than the simulator reads (it is then
        left unread, and the connection closed after the answer)."""
        cap = max(self.sim.max_upload_bytes, MAX_TRANSCRIPTION_BYTES) + _MAX_MULTIPART_OVERHEAD
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            total = 0
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > cap:
                    self.close_connection = True
                    return None
                parts.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        if length > cap:
            self.close_connection = True
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _begin(self) -> RecordedRequest:
        read = self._read_body()
        self.too_large = read is None
        raw = self.raw_body = read or b""
        body: dict[str, Any] | None = None
        multipart = self.headers.get("Content-Type", "").lower().startswith("multipart/")
        try:
            parsed = json.loads(raw) if raw and not multipart else None
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
        elif route == "/v1/files/upload":
            self._upload(rec)
        elif route == "/v1/audio/transcriptions":
            self._transcribe(rec)
        elif route == "/v1/audio/speech":
            self._speech(rec)
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
        elif path.rstrip("/") == "/v1/audio/voices":
            self._voices(rec)
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
        checked = check_additional_messages(body.get("additional_messages"), self.state.stored_file)
        if isinstance(checked, str):
            self.send_error_json(rec, 4000, f"invalid parameter: {checked}")
            return
        earlier, question = checked
        message = question.content
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
            self,
            self.sim,
            self.state,
            rec,
            parsed,
            message,
            user_id,
            conv_id,
            earlier,
            language,
            question.files,
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

    # -- /v1/files/upload and /v1/audio/transcriptions: a file in a multipart body ------------

    def _file_part(self, rec: RecordedRequest, empty_code: int) -> Part | None:
        """The one part named ``file`` of a multipart request, or None once refused: no file,
        not multipart or an empty file (``empty_code``), more than one (4301), or a body larger
        than the simulator reads (4302). The token is checked first."""
        if not self._authorized():
            self.send_error_json(rec, 4100, "authentication is invalid", 401)
            return None
        path = urlsplit(self.path).path.rstrip("/")
        if self.too_large:
            self.state.add_upload(RecordedUpload(path, None, 0, None, 4302))
            self.send_error_json(rec, 4302, "file size exceeds the limit")
            return None
        parts = parse_multipart(self.headers.get("Content-Type", ""), self.raw_body) or []
        files = [part for part in parts if part.name == "file"]
        if len(files) > 1:
            self.state.add_upload(RecordedUpload(path, None, 0, None, 4301))
            self.send_error_json(rec, 4301, "only one file can be uploaded at a time")
            return None
        if not files or files[0].filename is None:
            self.state.add_upload(RecordedUpload(path, None, 0, None, empty_code))
            self.send_error_json(rec, empty_code, "file is empty")
            return None
        return files[0]

    def _refuse_file(self, rec: RecordedRequest, part: Part, code: int, msg: str) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        name = part.filename or ""
        self.state.add_upload(RecordedUpload(path, name, len(part.data), part.content_type, code))
        status = 401 if code == 4100 else 200
        self.send_error_json(rec, code, msg, status)

    def _upload(self, rec: RecordedRequest) -> None:
        """Take one file as Coze does (see ``uploads``), or refuse it with Coze's code."""
        part = self._file_part(rec, 4300)
        if part is None:
            return
        name = part.filename or ""
        asked = asked_failure(name)
        if asked is not None:
            self._refuse_file(rec, part, asked, FAIL_CODES[asked])
        elif not part.data:
            self._refuse_file(rec, part, 4300, "file is empty")
        elif len(part.data) > self.sim.max_upload_bytes:
            self._refuse_file(rec, part, 4302, "file size exceeds the limit")
        elif extension(name) not in UPLOAD_EXTENSIONS:
            self._refuse_file(rec, part, 4303, f"file type .{extension(name)} is not supported")
        elif content_mismatch(name, part.data):
            self._refuse_file(rec, part, 4000, FAIL_CODES[4000])
        else:
            kind = "image" if extension(name) in IMAGE_EXTENSIONS else "file"
            stored = StoredFile(self.state.new_id(), name, kind, len(part.data), part.content_type)
            path = urlsplit(self.path).path.rstrip("/")
            self.state.add_upload(
                RecordedUpload(
                    path, name, stored.size, part.content_type, 0, file_id=stored.file_id
                ),
                stored,
            )
            data = {
                "id": stored.file_id,
                "bytes": stored.size,
                "file_name": name,
                "created_at": int(time.time()),
            }
            self.send_json(rec, 200, {"code": 0, "msg": "", "data": data})

    _AUDIO_EXTENSIONS = frozenset(
        {"opus", "ogg", "mp3", "wav", "m4a", "mp4", "pcm", "raw", "spx", "aac", "amr"}
    )

    def _transcribe(self, rec: RecordedRequest) -> None:
        """A fixed transcript for any recording of at most 10 MB in one of Coze's formats."""
        part = self._file_part(rec, 4000)
        if part is None:
            return
        name = part.filename or ""
        asked = asked_failure(name)
        if asked is not None:
            self._refuse_file(rec, part, asked, FAIL_CODES[asked])
        elif not part.data:
            self._refuse_file(rec, part, 4000, "invalid parameter: the audio file is empty")
        elif len(part.data) > MAX_TRANSCRIPTION_BYTES:
            self._refuse_file(rec, part, 4000, "invalid parameter: the audio file exceeds 10 MB")
        elif extension(name) not in self._AUDIO_EXTENSIONS:
            self._refuse_file(rec, part, 4000, "invalid parameter: unsupported audio format")
        else:
            path = urlsplit(self.path).path.rstrip("/")
            self.state.add_upload(RecordedUpload(path, name, len(part.data), part.content_type, 0))
            text = transcript(answer_language(self.headers.get("Accept-Language")))
            self.send_json(rec, 200, {"code": 0, "msg": "", "data": {"text": text}})

    # -- /v1/audio/speech and /v1/audio/voices --------------------------------------------

    def _speech(self, rec: RecordedRequest) -> None:
        """A tone as WAV for a valid request (see ``voice``); Coze's JSON error otherwise."""
        body = self._check_auth_and_body(rec)
        if body is None:
            return
        text, voice_id = body.get("input"), body.get("voice_id")
        audio_format, speed = body.get("response_format", "mp3"), body.get("speed", 1)
        problem = None
        if not isinstance(text, str) or not text.strip():
            problem = "input must be a non-empty string"
        elif len(text.encode("utf-8", "surrogatepass")) > 1024:
            problem = "input must be at most 1024 bytes of UTF-8"
        elif voice_id not in {voice[0] for voice in VOICES}:
            problem = f"voice {voice_id} does not exist"
        elif audio_format != "wav":
            problem = "response_format: the simulator speaks wav only"
        elif isinstance(speed, bool) or not isinstance(speed, int | float) or not 0.2 <= speed <= 3:
            problem = "speed must be a number from 0.2 to 3"
        if problem is not None or not isinstance(text, str):
            self.send_error_json(rec, 4000, f"invalid parameter: {problem}")
            return
        asked = next((asked_failure(word) for word in text.split() if asked_failure(word)), None)
        if asked is not None:
            self.send_error_json(rec, asked, FAIL_CODES[asked], 401 if asked == 4100 else 200)
            return
        self.send_bytes(rec, 200, "audio/wav", tone_wav(text, float(speed)))

    def _voices(self, rec: RecordedRequest) -> None:
        """Coze's voice list: every voice on page 1, none after."""
        if not self._authorized():
            self.send_error_json(rec, 4100, "authentication is invalid", 401)
            return
        query = parse_qs(urlsplit(self.path).query)
        page = (query.get("page_num") or ["1"])[0]
        items = voice_items() if page in ("", "1") else []
        self.send_json(
            rec, 200, {"code": 0, "msg": "", "data": {"voice_list": items, "has_more": False}}
        )


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
