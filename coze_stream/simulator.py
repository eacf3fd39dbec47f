"""A local Coze-compatible server speaking the v3 chat wire protocol (tests, demos, benchmarks).

``CozeSimulator`` runs an HTTP/1.1 server on 127.0.0.1 (a free port by default) that answers
``POST /v3/chat`` with a Server-Sent-Events stream framed exactly like Coze's (``event:NAME`` and
``data:<compact JSON>`` without a space, chunked transfer encoding, one socket write per event) and
``POST /v3/chat/cancel`` like Coze. Requests are validated like Coze does (token, bot id, user id,
user message, streaming) and every response carries an ``X-Tt-Logid`` header. Everything the server
sees and does is recorded (``requests``, ``cancels``, ``disconnects``, ``streams``) so tests can
check the client's behaviour from the server's side.

The answer quotes the question verbatim and is deterministic Markdown (heading, list, code block,
link, Chinese and English). Commands anywhere in the user message (whitespace separated tokens
starting with ``/``; they combine, e.g. ``/think /long 300 hello``) change the behaviour; they are
stripped from the quoted question and unknown ones are plain text. The commands (the same table
``/help`` answers with) are listed below.

This module is standard library only and shares no code with the client on purpose: each checks
the other.

Command line::

    python -m coze_stream.simulator --port 8765 [--host 127.0.0.1] [--pat demo-token]
        [--bot-id 7379462189365198898] [--deltas-per-second 30] [--delta-chars 4] [--verbose]

Commands:
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import random
import re
import select
import socket
import sys
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "COMMANDS",
    "DEMO_BOT_ID",
    "DEMO_PAT",
    "Command",
    "CozeSimulator",
    "ParsedMessage",
    "RecordedCancel",
    "RecordedRequest",
    "StreamRecord",
    "build_answer",
    "main",
    "parse_message",
]

DEMO_PAT = "demo-token"
DEMO_BOT_ID = "7379462189365198898"

_T = TypeVar("_T")


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """One row of the command table: ``name`` (with the slash), its ``argument`` and help text."""

    name: str
    argument: str
    help: str

    @property
    def usage(self) -> str:
        return f"{self.name} {self.argument}" if self.argument else self.name


COMMANDS: tuple[Command, ...] = (
    Command("/help", "", "answer with this list of commands"),
    Command("/think", "", "stream reasoning deltas (reasoning_content) before the answer"),
    Command("/long", "N", "answer with a long Markdown document of exactly N deltas (1-100000)"),
    Command("/slow", "", "pause 1 s between deltas"),
    Command("/stall", "S", "after the first 3 deltas, stay silent for S seconds (0-3600)"),
    Command("/late", "S", "accept the chat, then send nothing (not even headers) for S seconds"),
    Command("/multi", "", "two separate answer messages (different ids) in one chat"),
    Command("/card", "", "the answer is a card (content_type card), with no text at all"),
    Command("/xss", "", "the answer contains script, img onerror and bold HTML tags as text"),
    Command("/fail", "auth", "HTTP 401, JSON code 4100 authentication is invalid"),
    Command("/fail", "echo-token", "JSON code 4101 whose msg echoes the Bearer token received"),
    Command("/fail", "bot", "JSON code 4200 resource not found (as a wrong bot id)"),
    Command("/fail", "unpublished", "JSON code 4015 the bot is not published"),
    Command(
        "/fail",
        "rate-limit",
        "HTTP 429, Retry-After: 1, JSON code 4020 the first time a user_id + message is seen; "
        "the retry succeeds",
    ),
    Command("/fail", "busy", "JSON code 4009 system busy, every time"),
    Command("/fail", "502", "HTTP 502 with an nginx-style text/html page, every time"),
    Command("/fail", "error-event", "5 deltas, then event:error 5000 and the end of the stream"),
    Command("/fail", "chat-failed", "5 deltas, then conversation.chat.failed 5000 and done"),
    Command("/fail", "cut", "5 deltas, then the connection is cut (no chunked terminator)"),
    Command("/fail", "malformed", "5 deltas, then a delta whose data is not valid JSON, then end"),
)

FAIL_KINDS: frozenset[str] = frozenset(c.argument for c in COMMANDS if c.name == "/fail")
_MID_STREAM_FAILS = frozenset({"error-event", "chat-failed", "cut", "malformed"})
_FAIL_AFTER_DELTAS = 5
_STALL_AFTER_DELTAS = 3
_MAX_LONG = 100_000
_MAX_STALL = 3600.0


def _commands_markdown() -> str:
    return "\n".join(f"- `{c.usage}`: {c.help}" for c in COMMANDS)


if __doc__ is not None:  # pragma: no branch - absent under python -OO
    __doc__ += "\n" + _commands_markdown() + "\n"


@dataclass
class ParsedMessage:
    """A user message split into the quoted question and the commands it contains."""

    question: str
    commands: list[str] = field(default_factory=list)
    help: bool = False
    think: bool = False
    long: int | None = None
    slow: bool = False
    stall: float | None = None
    late: float | None = None
    multi: bool = False
    card: bool = False
    xss: bool = False
    fail: str | None = None


def parse_message(text: str) -> ParsedMessage:
    """Find the commands in ``text``; the rest (rejoined with single spaces) is the question.

    A command whose argument is missing or invalid (``/long x``, ``/fail nope``) is plain text.
    Without any command the question is ``text.strip()`` unchanged.
    """
    tokens = text.split()
    parsed = ParsedMessage(question="")
    kept: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        used = 0
        if tok == "/help":
            parsed.help, used = True, 1
        elif tok == "/think":
            parsed.think, used = True, 1
        elif tok == "/slow":
            parsed.slow, used = True, 1
        elif tok == "/multi":
            parsed.multi, used = True, 1
        elif tok == "/card":
            parsed.card, used = True, 1
        elif tok == "/xss":
            parsed.xss, used = True, 1
        elif tok == "/long" and nxt is not None and nxt.isdigit():
            n = int(nxt)
            if 1 <= n <= _MAX_LONG:
                parsed.long, used = n, 2
        elif tok in ("/stall", "/late") and nxt is not None:
            try:
                s = float(nxt)
            except ValueError:
                s = -1.0
            if 0.0 <= s <= _MAX_STALL:
                setattr(parsed, tok[1:], s)
                used = 2
        elif tok == "/fail" and nxt in FAIL_KINDS:
            parsed.fail, used = nxt, 2
        if used:
            parsed.commands.append(" ".join(tokens[i : i + used]))
            i += used
        else:
            kept.append(tok)
            i += 1
    parsed.question = " ".join(kept) if parsed.commands else text.strip()
    return parsed


# --------------------------------------------------------------------------------------------
# Answer text (deterministic)
# --------------------------------------------------------------------------------------------


def _header(question: str) -> str:
    return f'## 关于「{question}」\n\nYou asked: "{question}"\n\n'


def build_answer(question: str) -> str:
    """The normal answer: deterministic Markdown quoting ``question`` verbatim."""
    words = len(question.split())
    return (
        _header(question) + "这是 **Coze 模拟器** 生成的示例回答，用来测试流式输出。"
        "This is a *simulated* answer streamed by the Coze simulator. 🚀\n\n"
        "### 要点 Key points\n\n"
        f"- 问题长度：{len(question)} 个字符 (characters)\n"
        f"- Words in the question: {words}\n"
        "- 支持 Markdown：列表、代码块、链接 and `inline code`\n\n"
        "```python\n"
        "def greet(name: str) -> str:\n"
        '    return f"你好, {name}!"\n'
        "```\n\n"
        "参考文档 / Reference: [Coze API 文档](https://www.coze.cn/open/docs/developer_guides/chat_v3)\n"
    )


def _help_answer() -> str:
    return (
        "## Coze 模拟器命令 / Simulator commands\n\n"
        + _commands_markdown()
        + "\n\n命令可放在消息中任意位置并组合使用，例如 `/think /long 300 hello`。"
        "Commands can go anywhere in the message and combine.\n"
    )


def _xss_lines() -> str:
    return (
        "\nHTML below must be shown as text / 以下 HTML 必须被转义：\n\n"
        '<script>alert("xss")</script>\n\n'
        "<img src=x onerror=\"alert('xss')\">\n\n"
        "<b>bold?</b>\n"
    )


def _second_answer(question: str) -> str:
    return (
        "### 补充 / Second message\n\n"
        f'这是第二条回答消息。This is a second answer message about "{question}".\n'
    )


def _reasoning(question: str) -> str:
    return (
        f'用户问的是「{question}」。Let me think about "{question}" step by step: '
        "首先理解问题，then plan an answer with a heading, a list, a code block and a link. "
        "最后检查格式是否正确。"
    )


def _follow_ups(question: str) -> list[str]:
    q = question if len(question) <= 30 else question[:30] + "…"
    if not q:
        q = "这个话题"
    return [
        f"能详细解释一下「{q}」吗？",
        f'What are common pitfalls with "{q}"?',
        f"关于「{q}」有哪些参考资料？",
    ]


def _long_section(i: int) -> str:
    parts = [
        f"### 第 {i} 节 Section {i}\n\n"
        f"这是长文档的第 {i} 段，用于测试大量增量的流式渲染性能。界面需要在持续收到新文本的同时"
        "保持滚动顺畅、输入框可用，并且每一次增量都只重新渲染最后一个段落，而不是整篇文档。"
        f"Paragraph {i} keeps the renderer busy with mixed 中文 and English text.\n\n"
        f"- 要点 {i}.1：保持界面流畅\n"
        f"- 要点 {i}.2：Markdown 增量渲染\n"
        f"- Point {i}.3: never block the event loop\n\n"
        "```python\n"
        f"def section_{i}(x: int) -> int:\n"
        f"    return x * {i}  # 乘以 {i}\n"
        "```\n\n"
    ]
    if i % 3 == 0:
        parts.append(
            f"| 列 A | 列 B | Column C |\n|---|---|---|\n| {i} | {i * i} | 第 {i} 行 |\n\n"
        )
    return "".join(parts)


_NO_SPLIT_BEFORE = re.compile(
    "[\u200d\u20e3\ufe00-\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f\U000e0100-\U000e01ef]"
)


def _is_regional(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"


def _boundary_ok(text: str, j: int) -> bool:
    """Whether a delta may end before ``text[j]`` without splitting an emoji or grapheme."""
    prev, ch = text[j - 1], text[j]
    if prev == "\u200d" or (prev == "\r" and ch == "\n"):
        return False
    if _NO_SPLIT_BEFORE.match(ch) or unicodedata.combining(ch):
        return False
    return not (_is_regional(prev) and _is_regional(ch))


def _chunks(text: str, size: int, limit: int | None = None) -> list[str]:
    """Split ``text`` into pieces of about ``size`` characters (at most ``limit`` pieces)."""
    size = max(1, size)
    out: list[str] = []
    i, n = 0, len(text)
    while i < n and (limit is None or len(out) < limit):
        j = min(i + size, n)
        while j < n and not _boundary_ok(text, j):
            j += 1
        out.append(text[i:j])
        i = j
    return out


def _long_deltas(question: str, n: int, size: int) -> list[str]:
    """Exactly ``n`` deltas of a long Markdown document (fences closed at the end)."""
    size = max(1, size)
    head = _header(question)
    sections: list[str] = [head]
    length, i = len(head), 0
    while True:
        while length < n * size + size:
            i += 1
            sec = _long_section(i)
            sections.append(sec)
            length += len(sec)
        deltas = _chunks("".join(sections), size, limit=n)
        if len(deltas) >= n:
            break
        length += n * size  # graphemes made the pieces longer: generate more text
    text = "".join(deltas)
    if text.count("```") % 2:
        deltas[-1] += "\n```\n"
    return deltas


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    """A request the simulator received (the token is never stored)."""

    method: str
    path: str
    body: dict[str, Any] | None
    received_at: float  # time.time()
    logid: str
    client_port: int  # the client's port: the same for requests on one kept-alive connection
    status: int | None = None  # the HTTP status answered (set once the response started)
    code: int | None = None  # the JSON code of a JSON answer


@dataclass
class RecordedCancel:
    conversation_id: str
    chat_id: str
    running: bool  # the chat was streaming when the cancel arrived
    received_at: float = field(default_factory=time.time)


@dataclass
class StreamRecord:
    """One chat answered with a stream. Updated live while it runs."""

    chat_id: str
    conversation_id: str
    user_id: str
    message: str  # the user message as received (commands included)
    question: str  # the message without its commands
    commands: list[str]
    started_at: float  # time.time()
    first_delta_sent_at: float | None = None  # time.time() of the first delta (any kind)
    last_delta_sent_at: float | None = None
    first_delta_monotonic: float | None = None  # time.monotonic() of the same moments
    last_delta_monotonic: float | None = None
    answers: list[str] = field(default_factory=list)  # full text of each answer message
    reasoning: str = ""
    deltas_sent: int = 0  # answer deltas (reasoning deltas not included)
    reasoning_deltas_sent: int = 0
    finished: bool = False  # ended normally with chat.completed and done
    ended: bool = False  # the stream is over, whatever the way
    outcome: str = (
        "running"  # completed|canceled|disconnected|stopped|error-event|chat-failed|cut|malformed
    )
    ended_at: float | None = None

    @property
    def answer(self) -> str:
        return "\n\n".join(self.answers)


@dataclass
class _Active:
    conversation_id: str
    chat_id: str
    halt: threading.Event = field(default_factory=threading.Event)
    canceled: bool = False


class _Halted(Exception):
    pass


class _Disconnected(Exception):
    pass


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _new_logid() -> str:
    return time.strftime("%Y%m%d%H%M%S") + uuid.uuid4().hex[:20].upper()


_DISCONNECT_ERRORS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)

_BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


# --------------------------------------------------------------------------------------------
# HTTP server
# --------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sim: CozeSimulator) -> None:
        self.sim = sim
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def cut_all_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (*_DISCONNECT_ERRORS, TimeoutError)) or self.sim._stopping.is_set():
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CozeSimulator/1.0"
    sys_version = ""
    server: _Server

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def sim(self) -> CozeSimulator:
        return self.server.sim

    def log_message(self, format: str, *args: Any) -> None:
        if self.sim.verbose:  # method and path only: never headers (the token)
            sys.stderr.write(f"coze-simulator: {self.command} {urlsplit(self.path).path}\n")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.log_message("")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Protocol-level errors (bad request line, unsupported method): JSON with a logid too.
        self.close_connection = True
        logid = _new_logid()
        body = _dumps({"code": 4000, "msg": message or "bad request", "detail": {"logid": logid}})
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

    def _begin(self) -> tuple[RecordedRequest, bytes]:
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
            logid=_new_logid(),
            client_port=int(self.client_address[1]),
        )
        self.sim._record(self.sim._requests, rec)
        return rec, raw

    def _send_json(
        self,
        rec: RecordedRequest,
        status: int,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        payload = {**payload, "detail": {"logid": rec.logid}}
        data = _dumps(payload).encode()
        rec.status, rec.code = status, payload.get("code")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("X-Tt-Logid", rec.logid)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.sim._notify()

    def _send_error_json(
        self,
        rec: RecordedRequest,
        code: int,
        msg: str,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._send_json(rec, status, {"code": code, "msg": msg}, headers)

    def _send_text(self, rec: RecordedRequest, status: int, ctype: str, text: str) -> None:
        data = text.encode()
        rec.status = status
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("X-Tt-Logid", rec.logid)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.sim._notify()

    def _authorized(self) -> bool:
        return self.headers.get("Authorization") == f"Bearer {self.sim.pat}"

    def _received_token(self) -> str:
        auth = self.headers.get("Authorization") or ""
        return auth[len("Bearer ") :] if auth.startswith("Bearer ") else auth

    # -- routing ----------------------------------------------------------------------------

    def do_POST(self) -> None:
        rec, raw = self._begin()
        route = urlsplit(self.path).path.rstrip("/")
        if route == "/v3/chat":
            self._chat(rec, raw)
        elif route == "/v3/chat/cancel":
            self._cancel(rec, raw)
        else:
            self._not_found(rec)

    def do_GET(self) -> None:
        rec, _ = self._begin()
        if urlsplit(self.path).path == "/":
            text = 'Coze simulator\nPOST /v3/chat with a message "/help" to list the commands.\n'
            self._send_text(rec, 200, "text/plain; charset=utf-8", text)
        else:
            self._not_found(rec)

    def _other(self) -> None:
        rec, _ = self._begin()
        self._not_found(rec)

    do_PUT = do_DELETE = do_PATCH = _other

    def _not_found(self, rec: RecordedRequest) -> None:
        path = urlsplit(self.path).path
        self._send_error_json(
            rec, 4000, f"invalid request: no such endpoint {self.command} {path}", 404
        )

    def _check_auth_and_body(self, rec: RecordedRequest, raw: bytes) -> dict[str, Any] | None:
        if not self._authorized():
            self._send_error_json(rec, 4100, "authentication is invalid", 401)
            return None
        if rec.body is None:
            self._send_error_json(
                rec, 4000, "invalid parameter: request body must be a JSON object"
            )
            return None
        return rec.body

    # -- /v3/chat/cancel --------------------------------------------------------------------

    def _cancel(self, rec: RecordedRequest, raw: bytes) -> None:
        body = self._check_auth_and_body(rec, raw)
        if body is None:
            return
        conv, chat = body.get("conversation_id"), body.get("chat_id")
        if not isinstance(conv, str) or not isinstance(chat, str):
            self._send_error_json(
                rec, 4000, "invalid parameter: conversation_id and chat_id must be strings"
            )
            return
        active = self.sim._begin_cancel(conv, chat)
        if active is None:
            self._send_error_json(rec, 4104, "chat is not in progress, can not cancel")
            return
        now = int(time.time())
        data = self.sim._chat_object(chat, conv, "canceled", created_at=now)
        self._send_json(rec, 200, {"code": 0, "msg": "", "data": data})

    # -- /v3/chat ---------------------------------------------------------------------------

    def _chat(self, rec: RecordedRequest, raw: bytes) -> None:
        sim = self.sim
        body = self._check_auth_and_body(rec, raw)
        if body is None:
            return
        bot_id = body.get("bot_id")
        if bot_id != sim.bot_id:
            self._send_error_json(rec, 4200, f"resource not found: bot {bot_id} does not exist")
            return
        user_id = body.get("user_id")
        if not isinstance(user_id, str) or not user_id:
            self._send_error_json(
                rec, 4000, "invalid parameter: user_id must be a non-empty string"
            )
            return
        messages = body.get("additional_messages")
        question: str | None = None
        if isinstance(messages, list):
            users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
            if users and isinstance(users[-1].get("content"), str):
                question = users[-1]["content"]
        if question is None or not question.strip():
            self._send_error_json(
                rec,
                4000,
                "invalid parameter: additional_messages must end with a user message "
                "with non-empty string content",
            )
            return
        if body.get("stream") is not True:
            self._send_error_json(
                rec, 4000, "invalid parameter: stream must be true (the simulator only streams)"
            )
            return

        parsed = parse_message(question)
        fail = parsed.fail
        if fail == "auth":
            self._send_error_json(rec, 4100, "authentication is invalid", 401)
            return
        if fail == "echo-token":
            msg = f"token {self._received_token()} has no permission to access bot {sim.bot_id}"
            self._send_error_json(rec, 4101, msg)
            return
        if fail == "bot":
            self._send_error_json(rec, 4200, f"resource not found: bot {sim.bot_id} does not exist")
            return
        if fail == "unpublished":
            msg = "The Bot is not currently published to the corresponding platform"
            self._send_error_json(rec, 4015, msg)
            return
        if fail == "busy":
            self._send_error_json(rec, 4009, "system busy, please retry later")
            return
        if fail == "502":
            self._send_text(rec, 502, "text/html", _BAD_GATEWAY_HTML)
            return
        if fail == "rate-limit" and sim._first_rate_limit(user_id, question):
            self._send_error_json(
                rec, 4020, "rate limit exceeded, please retry later", 429, {"Retry-After": "1"}
            )
            return

        query = parse_qs(urlsplit(self.path).query)
        conv_id = (query.get("conversation_id") or [""])[0] or sim._new_id()
        _Stream(self, rec, parsed, question, user_id, conv_id).run()


class _Stream:
    """Sends one chat's SSE stream on the handler's connection."""

    def __init__(
        self,
        handler: _Handler,
        rec: RecordedRequest,
        parsed: ParsedMessage,
        message: str,
        user_id: str,
        conv_id: str,
    ) -> None:
        self.h = handler
        self.sim = handler.sim
        self.rec = rec
        self.p = parsed
        self.conv_id = conv_id
        self.chat_id = self.sim._new_id()
        self.created_at = int(time.time())
        self.active = _Active(conv_id, self.chat_id)
        self.record = StreamRecord(
            chat_id=self.chat_id,
            conversation_id=conv_id,
            user_id=user_id,
            message=message,
            question=parsed.question,
            commands=list(parsed.commands),
            started_at=time.time(),
        )
        rate = self.sim.deltas_per_second
        if parsed.slow:
            self.interval = 1.0
        elif rate <= 0 or math.isinf(rate):
            self.interval = 0.0
        else:
            self.interval = 1.0 / rate
        self.next_at: float | None = None  # monotonic time the next delta is due
        self.answer_deltas = 0

    # -- low level --------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        try:
            self.h.wfile.write(data)
            self.h.wfile.flush()
        except _DISCONNECT_ERRORS as exc:
            raise _Disconnected from exc

    def _chunk(self, payload: bytes) -> None:
        self._write(b"%x\r\n%s\r\n" % (len(payload), payload))

    def _event(self, name: str, data: Any, raw: bool = False) -> None:
        text = data if raw else _dumps(data)
        self._chunk(f"event:{name}\ndata:{text}\n\n".encode())

    def _peer_closed(self) -> bool:
        sock = self.h.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def _check_halt(self) -> None:
        if self.active.halt.is_set():
            raise _Halted

    def _pace(self) -> None:
        """Wait until the next delta is due (stop, cancel and disconnect aware)."""
        self._check_halt()
        now = time.monotonic()
        if self.next_at is None:
            self.next_at = now
        while True:
            remaining = self.next_at - time.monotonic()
            if remaining <= 0:
                break
            if self.active.halt.wait(min(remaining, 0.05)):
                raise _Halted
            if remaining >= 0.02 and self._peer_closed():
                raise _Disconnected
        self.next_at += self.interval

    def _message(self, msg_id: str, mtype: str, content: str, **extra: Any) -> dict[str, Any]:
        now = int(time.time())
        return {
            "id": msg_id,
            "conversation_id": self.conv_id,
            "bot_id": self.sim.bot_id,
            "role": "assistant",
            "type": mtype,
            "content": content,
            "content_type": "text",
            "chat_id": self.chat_id,
            "section_id": self.conv_id,
            **extra,
            "created_at": self.created_at,
            "updated_at": now,
        }

    def _chat_obj(self, status: str, **kw: Any) -> dict[str, Any]:
        return self.sim._chat_object(
            self.chat_id, self.conv_id, status, created_at=self.created_at, **kw
        )

    def _sent_delta(self, reasoning: bool) -> None:
        wall, mono = time.time(), time.monotonic()
        r = self.record
        with self.sim._lock:
            if r.first_delta_sent_at is None:
                r.first_delta_sent_at, r.first_delta_monotonic = wall, mono
            r.last_delta_sent_at, r.last_delta_monotonic = wall, mono
            if reasoning:
                r.reasoning_deltas_sent += 1
            else:
                r.deltas_sent += 1
            self.sim._changed.notify_all()

    # -- the stream -------------------------------------------------------------------------

    def _texts(self) -> list[tuple[str, list[str]]]:
        """(full text, deltas) of each answer message."""
        p, size = self.p, self.sim.delta_chars
        if p.help:
            first = _help_answer()
            return [(first, _chunks(first, size))]
        if p.card:
            return []
        if p.long is not None:
            deltas = _long_deltas(p.question, p.long, size)
            texts = [("".join(deltas), deltas)]
        else:
            first = build_answer(p.question) + (_xss_lines() if p.xss else "")
            texts = [(first, _chunks(first, size))]
        if p.multi:
            second = _second_answer(p.question)
            texts.append((second, _chunks(second, size)))
        return texts

    def run(self) -> None:
        sim, h = self.sim, self.h
        texts = self._texts()
        sim._stream_started(self.record, self.active)
        self.rec.status = 200
        try:
            if self.p.late:
                # The chat exists (it can be cancelled) before a byte of the reply is sent.
                self.active.halt.wait(self.p.late)
            h.send_response(200)
            h.send_header("Content-Type", "text/event-stream; charset=utf-8")
            h.send_header("Cache-Control", "no-cache")
            h.send_header("Transfer-Encoding", "chunked")
            h.send_header("X-Tt-Logid", self.rec.logid)
            try:
                h.end_headers()
            except _DISCONNECT_ERRORS as exc:
                raise _Disconnected from exc
            self._event("conversation.chat.created", self._chat_obj("created"))
            self._event("conversation.chat.in_progress", self._chat_obj("in_progress"))
            self._body(texts)
        except _Halted:
            if self.active.canceled:
                with contextlib.suppress(_Disconnected):
                    self._event("done", "[DONE]")
                self._terminate("canceled")
            else:
                self._finish("stopped")
                self._abort()
        except _Disconnected:
            h.close_connection = True
            self._finish("disconnected")
            sim._record(sim._disconnects, self.chat_id)
        finally:
            sim._stream_ended(self.active)

    def _body(self, texts: list[tuple[str, list[str]]]) -> None:
        p = self.p
        first_msg_id = self.sim._new_id()
        if p.think:
            reasoning = _reasoning(p.question)
            for piece in _chunks(reasoning, self.sim.delta_chars):
                self._pace()
                msg = self._message(first_msg_id, "answer", "", reasoning_content=piece)
                self._event("conversation.message.delta", msg)
                self._sent_delta(reasoning=True)
            self.record.reasoning = reasoning
        for index, (full, deltas) in enumerate(texts):
            msg_id = first_msg_id if index == 0 else self.sim._new_id()
            for piece in deltas:
                self._pace()
                self._event("conversation.message.delta", self._message(msg_id, "answer", piece))
                self._sent_delta(reasoning=False)
                self.answer_deltas += 1
                if self.answer_deltas == _STALL_AFTER_DELTAS and p.stall:
                    if self.next_at is None:
                        self.next_at = time.monotonic()
                    self.next_at += p.stall
                if self.answer_deltas == _FAIL_AFTER_DELTAS and p.fail in _MID_STREAM_FAILS:
                    self._fail_mid_stream(msg_id)
                    return
            extra = {"reasoning_content": self.record.reasoning} if p.think and index == 0 else {}
            self._event(
                "conversation.message.completed", self._message(msg_id, "answer", full, **extra)
            )
            with self.sim._lock:
                self.record.answers.append(full)
        if p.card:
            # Cards come whole, as a JSON document in a string; a text client has nothing to show.
            card = _dumps({"card_type": 2, "title": p.question, "content": "card body"})
            self._event(
                "conversation.message.completed",
                {**self._message(first_msg_id, "answer", card), "content_type": "card"},
            )
        self._check_halt()
        verbose = _dumps(
            {
                "msg_type": "generate_answer_finish",
                "data": _dumps({"finish_reason": 0, "FinData": ""}),
                "from_module": None,
                "from_unit": None,
            }
        )
        self._event(
            "conversation.message.completed", self._message(self.sim._new_id(), "verbose", verbose)
        )
        for question in _follow_ups(p.question):
            msg = self._message(self.sim._new_id(), "follow_up", question)
            self._event("conversation.message.completed", msg)
        answer_len = sum(len(full) for full, _ in texts)
        input_count = 120 + len(self.record.message) // 2
        output_count = max(1, answer_len // 2 + len(self.record.reasoning) // 2)
        usage = {
            "token_count": input_count + output_count,
            "output_count": output_count,
            "input_count": input_count,
        }
        now = int(time.time())
        self._event(
            "conversation.chat.completed",
            self._chat_obj("completed", completed_at=now, usage=usage),
        )
        self._event("done", "[DONE]")
        self._terminate("completed")

    def _fail_mid_stream(self, msg_id: str) -> None:
        kind = self.p.fail or ""
        if kind == "error-event":
            self._event("error", {"code": 5000, "msg": "internal server error"})
            self._terminate(kind)
        elif kind == "chat-failed":
            now = int(time.time())
            err = {"code": 5000, "msg": "event interval error"}
            self._event(
                "conversation.chat.failed",
                self._chat_obj("failed", failed_at=now, last_error=err),
            )
            self._event("done", "[DONE]")
            self._terminate(kind)
        elif kind == "malformed":
            truncated = _dumps(self._message(msg_id, "answer", "oops"))
            truncated = truncated[: truncated.index('"content":"oops') + len('"content":"oops')]
            self._event("conversation.message.delta", truncated, raw=True)
            self._terminate(kind)
        else:  # cut
            self._finish(kind)
            self._abort()

    def _abort(self) -> None:
        """End the connection abruptly, without the chunked terminator."""
        self.h.close_connection = True
        with contextlib.suppress(OSError):
            self.h.connection.shutdown(socket.SHUT_RDWR)

    def _terminate(self, outcome: str) -> None:
        """Record the outcome, then end the chunked body (the record is final when it arrives)."""
        self._finish(outcome)
        with contextlib.suppress(_Disconnected):
            self._write(b"0\r\n\r\n")

    def _finish(self, outcome: str) -> None:
        r = self.record
        with self.sim._lock:
            self.sim._active.pop(self.chat_id, None)  # a cancel from now on finds it over
            r.outcome = outcome
            r.finished = outcome == "completed"
            r.ended = True
            r.ended_at = time.time()
            self.sim._changed.notify_all()


# --------------------------------------------------------------------------------------------
# Public class
# --------------------------------------------------------------------------------------------


class CozeSimulator:
    """A Coze v3 chat server on a local port. Use as a context manager or call start()/stop().

    ``deltas_per_second`` paces the deltas (0 or ``math.inf``: as fast as possible);
    ``delta_chars`` is the approximate number of characters per delta.
    """

    def __init__(
        self,
        pat: str = DEMO_PAT,
        bot_id: str = DEMO_BOT_ID,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        deltas_per_second: float = 30.0,
        delta_chars: int = 4,
        verbose: bool = False,
    ) -> None:
        self.pat = pat
        self.bot_id = bot_id
        self.host = host
        self.port = port
        self.deltas_per_second = float(deltas_per_second)
        self.delta_chars = max(1, int(delta_chars))
        self.verbose = verbose
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._requests: list[RecordedRequest] = []
        self._cancels: list[RecordedCancel] = []
        self._disconnects: list[str] = []
        self._streams: list[StreamRecord] = []
        self._active: dict[str, _Active] = {}
        self._rate_limited: set[tuple[str, str]] = set()
        self._rng = random.Random()
        self._last_id = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> CozeSimulator:
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        self._stopping.clear()
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"coze-simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        with self._lock:
            for active in self._active.values():
                active.halt.set()
        server.shutdown()
        server.cut_all_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=2)
        self._server = self._thread = None

    def __enter__(self) -> CozeSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment variables pointing a client at this simulator."""
        return {
            "COZE_PAT": self.pat,
            "COZE_BOT_ID": self.bot_id,
            "COZE_API_BASE_URL": self.base_url,
        }

    # -- records (snapshots; the records themselves are live) --------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def cancels(self) -> list[RecordedCancel]:
        with self._lock:
            return list(self._cancels)

    @property
    def disconnects(self) -> list[str]:
        with self._lock:
            return list(self._disconnects)

    @property
    def streams(self) -> list[StreamRecord]:
        with self._lock:
            return list(self._streams)

    def stream(self, chat_id: str) -> StreamRecord:
        """The record of the stream of ``chat_id`` (KeyError if none)."""
        with self._lock:
            for r in self._streams:
                if r.chat_id == chat_id:
                    return r
        raise KeyError(chat_id)

    def wait_for(self, predicate: Callable[[], _T], timeout: float = 5.0) -> _T:
        """Wait until ``predicate()`` is truthy and return its value; TimeoutError after timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"condition not met within {timeout} s")
                self._changed.wait(min(remaining, 0.05))

    # -- internals used by the handler --------------------------------------------------------

    def _notify(self) -> None:
        with self._lock:
            self._changed.notify_all()

    def _record(self, target: list[Any], item: Any) -> None:
        with self._lock:
            target.append(item)
            self._changed.notify_all()

    def _new_id(self) -> str:
        with self._lock:
            candidate = 7_300_000_000_000_000_000 + self._rng.randrange(10**17) * 10
            self._last_id = max(candidate, self._last_id + self._rng.randrange(1, 10**6))
            return str(self._last_id)

    def _first_rate_limit(self, user_id: str, message: str) -> bool:
        with self._lock:
            key = (user_id, message)
            if key in self._rate_limited:
                return False
            self._rate_limited.add(key)
            return True

    def _stream_started(self, record: StreamRecord, active: _Active) -> None:
        with self._lock:
            self._streams.append(record)
            self._active[active.chat_id] = active
            if self._stopping.is_set():
                active.halt.set()
            self._changed.notify_all()

    def _stream_ended(self, active: _Active) -> None:
        with self._lock:
            self._active.pop(active.chat_id, None)
            self._changed.notify_all()

    def _begin_cancel(self, conversation_id: str, chat_id: str) -> _Active | None:
        with self._lock:
            active = self._active.get(chat_id)
            running = (
                active is not None
                and active.conversation_id == conversation_id
                and not active.halt.is_set()
            )
            self._cancels.append(RecordedCancel(conversation_id, chat_id, running))
            if running and active is not None:
                active.canceled = True
                active.halt.set()
            self._changed.notify_all()
            return active if running else None

    def _chat_object(
        self,
        chat_id: str,
        conversation_id: str,
        status: str,
        *,
        created_at: int,
        completed_at: int = 0,
        failed_at: int = 0,
        last_error: dict[str, Any] | None = None,
        usage: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        return {
            "id": chat_id,
            "conversation_id": conversation_id,
            "bot_id": self.bot_id,
            "created_at": created_at,
            "completed_at": completed_at,
            "failed_at": failed_at,
            "last_error": last_error or {"code": 0, "msg": ""},
            "status": status,
            "usage": usage or {"token_count": 0, "output_count": 0, "input_count": 0},
            "section_id": conversation_id,
        }


def main(argv: list[str] | None = None) -> int:
    """Run the simulator from the command line until Ctrl+C."""
    parser = argparse.ArgumentParser(
        prog="python -m coze_stream.simulator",
        description="A local Coze v3 chat simulator. Send /help as a message to list the commands.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--pat", default=DEMO_PAT, help="the token clients must send")
    parser.add_argument("--bot-id", default=DEMO_BOT_ID)
    parser.add_argument("--deltas-per-second", type=float, default=30.0, help="0: no pacing")
    parser.add_argument("--delta-chars", type=int, default=4)
    parser.add_argument("--verbose", action="store_true", help="log method and path of requests")
    args = parser.parse_args(argv)
    sim = CozeSimulator(
        args.pat,
        args.bot_id,
        host=args.host,
        port=args.port,
        deltas_per_second=args.deltas_per_second,
        delta_chars=args.delta_chars,
        verbose=args.verbose,
    )
    try:
        sim.start()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(f"Coze simulator listening on {sim.base_url}")
    for key, value in (
        ("COZE_API_BASE_URL", sim.base_url),
        ("COZE_PAT", sim.pat),
        ("COZE_BOT_ID", sim.bot_id),
    ):
        print(f"export {key}={value}")
    print('Send "/help" as a message to list the commands. Ctrl+C to stop.', flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopping", file=sys.stderr)
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
