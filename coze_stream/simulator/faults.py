"""The faults ``/fail KIND`` injects, each defined once: its help, when it fires, what it sends.

A ``RequestFault`` answers the chat request instead of streaming (an HTTP or JSON error, as Coze
sends them); a ``StreamFault`` lets the stream run for ``after_deltas`` answer deltas, then breaks
it. Adding a fault is adding a row to ``FAULTS``: ``/fail``'s rows of the command table, ``/help``
and the module docstring all come from it.
"""

from __future__ import annotations

import base64
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .wire import dumps

FAIL_AFTER_DELTAS = 5

_BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


class Responder(Protocol):
    """A chat request that can still be answered with an error instead of a stream."""

    @property
    def bot_id(self) -> str: ...

    def received_token(self) -> str:
        """The Bearer token the request carried."""
        ...

    def first_time_seen(self) -> bool:
        """Whether this user id and message reach the simulator for the first time."""
        ...

    def send_json_error(
        self, code: int, msg: str, status: int = 200, headers: dict[str, str] | None = None
    ) -> None: ...

    def send_text(self, status: int, content_type: str, text: str) -> None: ...


class StreamWriter(Protocol):
    """A running chat stream: what a fault needs to write its last events."""

    def event(self, name: str, data: Any) -> None:
        """Send one SSE event whose data is ``data`` as compact JSON."""
        ...

    def raw_event(self, name: str, data: str) -> None:
        """Send one SSE event whose data is ``data`` as it is."""
        ...

    def message(self, msg_id: str, mtype: str, content: str) -> dict[str, Any]:
        """A message object of this chat."""
        ...

    def chat(self, status: str, **fields: Any) -> dict[str, Any]:
        """This chat's chat object with ``status`` (and more fields such as ``failed_at``)."""
        ...


@dataclass(frozen=True)
class RequestFault:
    """Answers the request instead of the stream when ``respond`` returns True."""

    kind: str
    help: str
    respond: Callable[[Responder], bool]  # False: this time the chat streams normally


@dataclass(frozen=True)
class StreamFault:
    """Streams ``after_deltas`` answer deltas, then ``send`` writes the rest and the stream ends:
    with the chunked terminator, or (``cuts``) by cutting the connection without it."""

    kind: str
    then: str  # what happens after the deltas, for the help text
    send: Callable[[StreamWriter, str], None]  # (stream, id of the message being streamed)
    cuts: bool = False
    after_deltas: int = FAIL_AFTER_DELTAS

    @property
    def help(self) -> str:
        return f"{self.after_deltas} deltas, then {self.then}"


Fault = RequestFault | StreamFault


# -- answers instead of a stream -------------------------------------------------------------


def _json_error(code: int, msg: str, status: int = 200) -> Callable[[Responder], bool]:
    def respond(reply: Responder) -> bool:
        reply.send_json_error(code, msg, status)
        return True

    return respond


def _echo_token(reply: Responder) -> bool:
    # Real Coze answers some permission errors quoting the token: a client must not show it.
    token = reply.received_token()
    reply.send_json_error(4101, f"token {token} has no permission to access bot {reply.bot_id}")
    return True


def _echo_token_everywhere(reply: Responder) -> bool:
    # A proxy or a logging layer may echo the token in other forms too: the client hides them all.
    token = reply.received_token()
    encoded = base64.b64encode(f"Bearer {token}".encode()).decode()
    msg = (
        f"denied {token.upper()} (authorization {encoded}, "
        f"query token={urllib.parse.quote(token, safe='')})"
    )
    reply.send_json_error(4101, msg, headers={"X-Tt-Logid": f"log-{token}"})
    return True


def _missing_bot(reply: Responder) -> bool:
    reply.send_json_error(4200, f"resource not found: bot {reply.bot_id} does not exist")
    return True


def _rate_limit(reply: Responder) -> bool:
    if not reply.first_time_seen():
        return False  # the client's retry succeeds
    msg = "rate limit exceeded, please retry later"
    reply.send_json_error(4020, msg, 429, {"Retry-After": "1"})
    return True


def _bad_gateway(reply: Responder) -> bool:
    reply.send_text(502, "text/html", _BAD_GATEWAY_HTML)
    return True


# -- the end of a broken stream --------------------------------------------------------------


def _error_event(stream: StreamWriter, msg_id: str) -> None:
    stream.event("error", {"code": 5000, "msg": "internal server error"})


def _chat_failed(stream: StreamWriter, msg_id: str) -> None:
    err = {"code": 5000, "msg": "event interval error"}
    stream.event(
        "conversation.chat.failed",
        stream.chat("failed", failed_at=int(time.time()), last_error=err),
    )
    stream.event("done", "[DONE]")


def _chat_failed_bare(stream: StreamWriter, msg_id: str) -> None:
    # Coze's docs show chat.failed's data as a bare {code, msg}, without a chat object.
    stream.event("conversation.chat.failed", {"code": 4011, "msg": "balance is not enough"})
    stream.event("done", "[DONE]")


def _error_code_string(stream: StreamWriter, msg_id: str) -> None:
    # Coze's open-source backend declares an error event's code as a string.
    stream.event("error", {"code": "4011", "msg": "balance is not enough"})


def _bare_json(reply: Responder) -> bool:
    # An event stream whose whole body is a JSON error, as Coze's JS SDK guards against.
    body = dumps({"code": 4101, "msg": "the token has no permission for this bot"})
    reply.send_text(200, "text/event-stream; charset=utf-8", body)
    return True


def _malformed(stream: StreamWriter, msg_id: str) -> None:
    # The delta's JSON cut off inside its content string, as a truncated write would leave it.
    whole = dumps(stream.message(msg_id, "answer", "oops"))
    end = whole.index('"content":"oops') + len('"content":"oops')
    stream.raw_event("conversation.message.delta", whole[:end])


def _nothing(stream: StreamWriter, msg_id: str) -> None:
    pass


FAULTS: tuple[Fault, ...] = (
    RequestFault(
        "auth",
        "HTTP 401, JSON code 4100 authentication is invalid",
        _json_error(4100, "authentication is invalid", 401),
    ),
    RequestFault(
        "echo-token", "JSON code 4101 whose msg echoes the Bearer token received", _echo_token
    ),
    RequestFault(
        "echo-token-everywhere",
        "JSON code 4101 echoing the token upper-cased, base64- and URL-encoded in its msg, and "
        "in an X-Tt-Logid header",
        _echo_token_everywhere,
    ),
    RequestFault("bot", "JSON code 4200 resource not found (as a wrong bot id)", _missing_bot),
    RequestFault(
        "unpublished",
        "JSON code 4015 the bot is not published",
        _json_error(4015, "The Bot is not currently published to the corresponding platform"),
    ),
    RequestFault(
        "rate-limit",
        "HTTP 429, Retry-After: 1, JSON code 4020 the first time a user_id + message is seen; "
        "the retry succeeds",
        _rate_limit,
    ),
    RequestFault(
        "busy",
        "JSON code 4009 system busy, every time",
        _json_error(4009, "system busy, please retry later"),
    ),
    RequestFault("502", "HTTP 502 with an nginx-style text/html page, every time", _bad_gateway),
    RequestFault(
        "bare-json",
        "HTTP 200 text/event-stream whose body is a bare JSON error, code 4101, no events",
        _bare_json,
    ),
    StreamFault("error-event", "event:error 5000 and the end of the stream", _error_event),
    StreamFault("chat-failed", "conversation.chat.failed 5000 and done", _chat_failed),
    StreamFault(
        "failed-bare",
        "conversation.chat.failed whose data is a bare {code: 4011, msg} (no chat object)",
        _chat_failed_bare,
    ),
    StreamFault(
        "error-code-string",
        'event:error with the code as a string ("4011") and the end of the stream',
        _error_code_string,
    ),
    StreamFault("cut", "the connection is cut (no chunked terminator)", _nothing, cuts=True),
    StreamFault("malformed", "a delta whose data is not valid JSON, then end", _malformed),
)

FAULTS_BY_KIND: dict[str, Fault] = {fault.kind: fault for fault in FAULTS}
FAIL_KINDS: frozenset[str] = frozenset(FAULTS_BY_KIND)
