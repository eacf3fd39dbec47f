"""Server-Sent Events in, typed chat events out: ``conversation.*`` events read as Coze sends them.

httpx-sse splits the body into events; this module decodes their JSON (orjson when installed),
keeps what a reader of the answer needs, and turns failure events into :class:`CozeError`s.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Generator, Iterator
from typing import Any

import httpx
from httpx_sse import EventSource, ServerSentEvent

from . import _sentences as owner
from ._body import Limits, StreamBody
from ._config import CozeConfig
from ._errors import coze_code, reply_error
from ._exceptions import CozeError, CozeStreamError, redact
from ._models import (
    AnswerCompleted,
    AnswerDelta,
    AnswerPart,
    ChatCompleted,
    ChatEvent,
    ChatStarted,
    FollowUp,
    ReasoningDelta,
    ReplyRequested,
    RichAnswerCompleted,
    Usage,
)
from ._request import http_error
from ._unicode import REPLACEMENT, is_high_surrogate, valid_json, valid_text

__all__ = ["MAX_ANSWER_CHARS", "iter_events"]

# The longest answer shown; past it the answer is ended (what came before stays).
MAX_ANSWER_CHARS = 1_000_000
# Longest name of a plugin or file shown in a sentence or a link.
_NAME_CHARS = 100

# A surrogate spelled as an escape: \ud800 to \udfff (may be a false alarm, as in "\\ud800").
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _json_without_surrogates(data: str) -> Any:
    """``data`` as the standard library decodes it, refusing surrogate escapes as orjson does,
    so that such text takes the path that makes it valid Unicode."""
    if _SURROGATE_ESCAPE.search(data) is not None:
        raise ValueError("a surrogate escape")
    return json.loads(data)


_fast_json: Callable[[str], Any]
try:  # orjson refuses a lone surrogate ("\ud800"), so what it decodes is valid Unicode
    from orjson import loads as _fast_json
except ImportError:  # optional: the standard library is correct, only slower
    _fast_json = _json_without_surrogates


# The keys a delta is read by, as the JSON decoder makes them: orjson hands out the same key
# objects every time (its key cache), and a lookup by the very object skips a string comparison
# per key (orjson's dicts are not of the str-keys-only kind, whose lookups compare cheaply).
_DELTA_KEYS: tuple[str, ...] = tuple(_fast_json('{"type":0,"content_type":0,"content":0,"id":0}'))


class _EventStreamResponse(httpx.Response):
    """A plain response around a :class:`StreamBody`, as httpx-sse reads it: by its text.

    httpx's own ``iter_text`` passes each network chunk through four generators (raw, chunked,
    decoded, text); here the body's chunks are decoded in one step, as httpx decodes them (the
    response's charset, UTF-8 by default, bad bytes replaced). Should httpx-sse read a response
    some other way, httpx's methods apply as they are.
    """

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        body = self.stream
        if chunk_size is not None or not isinstance(body, StreamBody):
            yield from super().iter_text(chunk_size)
            return
        decode = codecs.getincrementaldecoder(self.encoding or "utf-8")(errors="replace").decode
        for chunk in body:
            text = decode(chunk)
            if text:
                yield text
        text = decode(b"", True)
        if text:
            yield text


def _terminated(body: StreamBody, response: httpx.Response) -> httpx.Response:
    """``response``'s events as httpx-sse reads them: a plain response around ``body``."""
    return _EventStreamResponse(
        response.status_code,
        headers={"content-type": response.headers.get("content-type", "text/event-stream")},
        stream=body,
    )


def _parse_json(data: str) -> Any:
    """``data`` decoded as JSON, or None; every string in it valid Unicode. orjson, when
    installed, decodes events 3x faster."""
    try:
        return _fast_json(data)
    except ValueError:
        return valid_json(_parse_json_slowly(data))


def _parse_json_slowly(data: str) -> Any:
    """``data`` as the standard library decodes it, or None: its strings may hold surrogates."""
    try:  # orjson refuses a few things the standard library takes (huge integers, NaN, "\ud800")
        return json.loads(data)
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        return None


def _load(data: str, event: str) -> dict[str, Any]:
    payload = _parse_json(data)
    if type(payload) is not dict:
        raise _unreadable(event)
    return payload


def _unreadable(event: str) -> CozeStreamError:
    return CozeStreamError(owner.UNREADABLE_EVENT, values={"event": event})


def _usage(chat: dict[str, Any]) -> Usage | None:
    usage = chat.get("usage")
    if not isinstance(usage, dict):
        return None
    try:
        return Usage(
            int(usage.get("token_count") or 0),
            int(usage.get("input_count") or 0),
            int(usage.get("output_count") or 0),
        )
    except (TypeError, ValueError, OverflowError):  # OverflowError: 1e999 is infinity
        return None


def _failure(chat: dict[str, Any], pat: str) -> CozeError:
    # Coze's docs show chat.failed both as a chat object with last_error and as a bare
    # {"code": ..., "msg": ...}: whichever carries a code is the failure.
    last_error = chat.get("last_error")
    if not (isinstance(last_error, dict) and coze_code(last_error.get("code")) is not None):
        last_error = chat if coze_code(chat.get("code")) is not None else last_error
    return reply_error(last_error, pat=pat, otherwise=owner.CHAT_FAILED)


def _tool_calls(chat: dict[str, Any]) -> list[dict[str, Any]]:
    action = chat.get("required_action")
    outputs = action.get("submit_tool_outputs") if isinstance(action, dict) else None
    calls = outputs.get("tool_calls") if isinstance(outputs, dict) else None
    return [call for call in calls if isinstance(call, dict)] if isinstance(calls, list) else []


def _requires_action(chat: dict[str, Any], pat: str) -> ReplyRequested:
    """What ``conversation.chat.requires_action`` asks for, by its tool calls' type.

    ``reply_message``: a chatflow's Question or Input node asked the user and waits (the
    question came as the answer): the chat ends well. ``function``: a client-side plugin this
    app cannot run: an error that names it.
    """
    calls = _tool_calls(chat)
    plugins = [call for call in calls if call.get("type") != "reply_message"]
    if calls and not plugins:
        return ReplyRequested(_usage(chat))
    names = []
    for call in plugins:
        function = call.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        if isinstance(name, str) and name.strip():
            names.append(_short(redact(name.strip(), pat)))
    if names:
        raise CozeStreamError(owner.CLIENT_PLUGIN, values={"plugins": ", ".join(names)})
    raise CozeStreamError(owner.CLIENT_TOOL)


def _text_id(value: object) -> str:
    """An id as text: Coze's are strings of digits (a number is taken too); anything else is
    no id (nested values must not reach str(), where deep nesting raises RecursionError)."""
    if isinstance(value, str):
        return value[:64]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)[:64]
    return ""


class _Halves:
    """The first half of a surrogate pair that ended a delta, held back until the next delta of
    the same text (the answer's or the reasoning's, of one message) brings the second half.

    A gateway that cuts strings by UTF-16 units splits an emoji so; a half whose other half
    does not come next becomes U+FFFD.
    """

    __slots__ = ("held",)

    def __init__(self) -> None:
        self.held: dict[tuple[bool, str], str] = {}  # (reasoning?, message id): the half

    def join(self, text: str, message_id: str, *, reasoning: bool) -> str:
        """``text`` as valid Unicode, with a half held before it, and its own last half held."""
        if self.held:
            text = self.held.pop((reasoning, message_id), "") + text
        if text and is_high_surrogate(text[-1]):
            self.held[reasoning, message_id] = text[-1]
            text = text[:-1]
        return valid_text(text)

    def flush(self) -> Iterator[ChatEvent]:
        """Each half still held, as U+FFFD: its other half will not come."""
        for (reasoning, message_id), _half in self.held.items():
            yield (ReasoningDelta if reasoning else AnswerDelta)(REPLACEMENT, message_id)
        self.held.clear()


def _other_deltas(
    message: Any, sse: ServerSentEvent, streamed_chars: int, halves: _Halves
) -> Generator[ChatEvent, None, int]:
    """A delta that is not plain answer text (reasoning, a key missing, another type, JSON that
    orjson refused: ``message`` None) by the general rules; returns the count of streamed
    characters, this delta's included."""
    if message is None:
        message = _parse_json_slowly(sse.data)
    if type(message) is not dict:
        raise _unreadable(sse.event)
    get = message.get
    if get("type") != "answer" or get("content_type", "text") != "text":
        return streamed_chars
    message_id = get("id", "")
    message_id = valid_text(message_id) if type(message_id) is str else ""
    reasoning = get("reasoning_content")
    if reasoning and type(reasoning) is str:
        reasoning = halves.join(reasoning, message_id, reasoning=True)
        streamed_chars += len(reasoning)
        if streamed_chars > MAX_ANSWER_CHARS:
            raise _too_long()
        if reasoning:
            yield ReasoningDelta(reasoning, message_id)
    content = get("content")
    if content and type(content) is str:
        content = halves.join(content, message_id, reasoning=False)
        streamed_chars += len(content)
        if streamed_chars > MAX_ANSWER_CHARS:
            raise _too_long()
        if content:
            yield AnswerDelta(content, message_id)
    return streamed_chars


# The events after which no delta continues the text before them: a half held back is alone.
_TEXT_ENDS = frozenset(
    (
        "conversation.message.completed",
        "conversation.chat.completed",
        "conversation.chat.failed",
        "conversation.chat.requires_action",
        "error",
        "done",
    )
)


def _too_long() -> CozeStreamError:
    return CozeStreamError(owner.ANSWER_TOO_LONG, values={"limit": MAX_ANSWER_CHARS})


def _short(text: str) -> str:
    return text if len(text) <= _NAME_CHARS else text[: _NAME_CHARS - 1] + "…"


def _parts(content: str) -> tuple[AnswerPart, ...]:
    """The items of an ``object_string`` answer; items of unknown kinds are left out."""
    items = _parse_json(content)
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        return ()
    parts = []
    for item in items:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "text" and isinstance(item.get("text"), str):
            parts.append(AnswerPart("text", text=item["text"]))
        elif kind in ("image", "file") and isinstance(item.get("file_url"), str):
            name = item.get("name")
            name = _short(name.strip()) if isinstance(name, str) else ""
            parts.append(AnswerPart(kind, url=item["file_url"].strip(), name=name))
    return tuple(parts)


def _bare_json_error(
    head: bytes | bytearray, response: httpx.Response, pat: str
) -> CozeError | None:
    """A JSON error sent as the whole body of an event stream (Coze's JS SDK guards against
    this): the same error as before the stream, from the same code table."""
    payload = _parse_json(bytes(head).decode("utf-8", "replace").strip())
    if not isinstance(payload, dict) or coze_code(payload.get("code")) is None:
        return None
    return reply_error(
        payload, pat=pat, status=response.status_code, logid=response.headers.get("x-tt-logid")
    )


def iter_events(response: httpx.Response, config: CozeConfig) -> Iterator[ChatEvent]:
    """Typed events from an event-stream response, ending at chat.completed or done.

    Raises only :class:`CozeError`: a failure here comes after the chat began, so it is never
    retried (a retry would start a second chat).
    """
    # The token is used as config.pat, never kept in a local of this long-lived frame.
    completed = done = False
    sse = None  # the last event httpx-sse dispatched: None, none at all
    # Text kept in memory is bounded: what streams (answer and reasoning deltas) and what
    # comes whole (completed messages, follow-ups) each up to MAX_ANSWER_CHARS.
    streamed_chars = whole_chars = 0
    failure: CozeError | None = None
    halves = _Halves()
    body = StreamBody(response, Limits(event_seconds=config.read_timeout))
    # Names the hot path (one answer delta per event) reads as locals, not globals.
    loads = _fast_json
    limit = MAX_ANSWER_CHARS
    type_key, content_type_key, content_key, id_key = _DELTA_KEYS
    try:
        for sse in EventSource(_terminated(body, response)).iter_sse():
            name = sse.event
            if name == "conversation.message.delta":  # the hot path: one per delta
                # Plain answer text here, every other delta in _other_deltas: CPython 3.11
                # specializes the comparison above only while the jump past this branch fits
                # in one byte (about 250 code units; `dis` shows COMPARE_OP_STR_JUMP).
                try:
                    message = loads(sse.data)
                    kind = message[type_key]
                    content_type = message[content_type_key]
                    content = message[content_key]
                    message_id = message[id_key]
                except ValueError:  # read again, by the general rules
                    message = kind = None
                except (KeyError, TypeError):  # TypeError: JSON, but not an object
                    kind = None
                if (
                    kind == "answer"
                    and content_type == "text"
                    and type(content) is str
                    and type(message_id) is str
                    and "reasoning_content" not in message
                    and not halves.held  # a half waits: it may be this delta's first character
                ):
                    if content:
                        streamed_chars += len(content)
                        if streamed_chars > limit:
                            raise _too_long()
                        yield AnswerDelta(content, message_id)
                    continue
                streamed_chars = yield from _other_deltas(message, sse, streamed_chars, halves)
                continue
            if halves.held and name in _TEXT_ENDS:
                yield from halves.flush()
            if name == "conversation.message.completed":
                message = _load(sse.data, name)
                kind = message.get("type")
                content = message.get("content")
                if not isinstance(content, str):
                    continue
                content_type = message.get("content_type", "text")
                message_id = _text_id(message.get("id"))
                if kind == "answer" and content_type in ("text", "object_string"):
                    whole_chars += len(content)
                    if whole_chars > MAX_ANSWER_CHARS:
                        raise _too_long()
                    if content_type == "text":
                        yield AnswerCompleted(content, message_id)
                    else:
                        yield RichAnswerCompleted(_parts(content), message_id)
                elif kind == "follow_up" and content.strip():
                    whole_chars += len(content)
                    if whole_chars > MAX_ANSWER_CHARS:
                        raise _too_long()
                    yield FollowUp(content.strip())
            elif name == "conversation.chat.created":
                chat = _load(sse.data, name)
                yield ChatStarted(_text_id(chat.get("conversation_id")), _text_id(chat.get("id")))
            elif name == "conversation.chat.completed":
                chat = _load(sse.data, name)
                completed = True
                yield ChatCompleted(_usage(chat))
            elif name == "conversation.chat.failed":
                raise _failure(_load(sse.data, name), config.pat)
            elif name == "conversation.chat.requires_action":
                reply = _requires_action(_load(sse.data, name), config.pat)
                completed = True  # the chat ends here, waiting for the user's reply
                yield reply
            elif name == "error":
                raise reply_error(
                    _parse_json(sse.data), pat=config.pat, otherwise=owner.ERROR_EVENT
                )
            elif name == "done":
                # Read on to the end of the body (the chunk terminator follows at once) so that
                # a pooled connection is handed back for the next message instead of closed.
                done = True
            # Anything else (verbose messages, audio, in_progress, unknown kinds) is skipped.
    except httpx.HTTPError as exc:
        if completed or done:
            return  # only trailing events (audio, done) were lost; the answer is whole
        if isinstance(exc, httpx.TimeoutException | httpx.DecodingError):
            failure = http_error(exc, config)
        else:
            failure = CozeStreamError(owner.CONNECTION_BROKE)
    # Raised outside the except block, so the httpx error (whose request holds the token in
    # its headers) is not chained to it for an error reporter to capture.
    yield from halves.flush()
    if failure is not None:
        raise failure
    if not (completed or done):
        bare = _bare_json_error(body.head, response, config.pat) if sse is None else None
        raise bare or CozeStreamError(owner.ENDED_EARLY)
