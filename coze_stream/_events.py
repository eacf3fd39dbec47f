"""Server-Sent Events in, typed chat events out: ``conversation.*`` events read as Coze sends them.

httpx-sse splits the body into events; this module decodes their JSON (orjson when installed),
keeps what a reader of the answer needs, and turns failure events into :class:`CozeError`s.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from httpx_sse import EventSource

from ._config import CozeConfig
from ._errors import http_error, stream_error
from ._exceptions import CozeError, CozeStreamError
from ._models import (
    AnswerCompleted,
    AnswerDelta,
    ChatCompleted,
    ChatEvent,
    ChatStarted,
    FollowUp,
    ReasoningDelta,
    Usage,
)

__all__ = ["iter_events"]

_fast_json: Callable[[str], Any]
try:
    from orjson import loads as _fast_json
except ImportError:  # optional: the standard library is correct, only slower
    _fast_json = json.loads


class _Terminated(httpx.SyncByteStream):
    """A response body with a blank line added after a clean end.

    Coze's recorded streams end without the blank line that completes their last event, and
    the SSE standard (so httpx-sse) drops such an event: given to httpx-sse as the body of a
    plain :class:`httpx.Response` (public API only), it is dispatched instead.
    """

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        yield from self._response.iter_bytes()  # content-decoded (gzip and the like)
        yield b"\n\n"


def _terminated(response: httpx.Response) -> httpx.Response:
    """``response``'s events as httpx-sse reads them, the last one terminated."""
    return httpx.Response(
        response.status_code,
        headers={"content-type": response.headers.get("content-type", "text/event-stream")},
        stream=_Terminated(response),
    )


def _parse_json(data: str) -> Any:
    """``data`` decoded as JSON, or None. orjson, when installed, decodes events 3x faster."""
    try:
        return _fast_json(data)
    except ValueError:
        return _parse_json_slowly(data)


def _parse_json_slowly(data: str) -> Any:
    try:  # orjson refuses a few things the standard library takes (huge integers, NaN)
        return json.loads(data)
    except ValueError:
        return None


def _load(data: str, event: str) -> dict[str, Any]:
    payload = _parse_json(data)
    if type(payload) is not dict:
        raise _unreadable(event)
    return payload


def _unreadable(event: str) -> CozeStreamError:
    return CozeStreamError(
        f"Coze sent part of the answer in a form this app cannot read (a {event} event that "
        "is not a JSON object): try again."
    )


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
    except (TypeError, ValueError):
        return None


def _failure(chat: dict[str, Any], pat: str) -> CozeError:
    last_error = chat.get("last_error")
    return stream_error(
        "The bot could not finish its answer: try again in a moment.",
        last_error if isinstance(last_error, dict) else {},
        pat,
    )


def iter_events(response: httpx.Response, config: CozeConfig) -> Iterator[ChatEvent]:
    """Typed events from an event-stream response, ending at chat.completed or done.

    Raises only :class:`CozeError`: a failure here comes after the chat began, so it is never
    retried (a retry would start a second chat).
    """
    pat = config.pat
    completed = done = False
    failure: CozeError | None = None
    try:
        for sse in EventSource(_terminated(response)).iter_sse():
            name = sse.event
            if name == "conversation.message.delta":  # the hot path: one per delta
                try:
                    message = _fast_json(sse.data)
                except ValueError:
                    message = _parse_json_slowly(sse.data)
                if type(message) is not dict:
                    raise _unreadable(name)
                get = message.get
                if get("type") != "answer" or get("content_type", "text") != "text":
                    continue
                reasoning = get("reasoning_content")
                if reasoning and type(reasoning) is str:
                    yield ReasoningDelta(reasoning, get("id", ""))
                content = get("content")
                if content and type(content) is str:
                    yield AnswerDelta(content, get("id", ""))
            elif name == "conversation.message.completed":
                message = _load(sse.data, name)
                kind = message.get("type")
                content = message.get("content")
                if not isinstance(content, str):
                    continue
                if kind == "answer" and message.get("content_type", "text") == "text":
                    yield AnswerCompleted(content, message.get("id", ""))
                elif kind == "follow_up" and content.strip():
                    yield FollowUp(content.strip())
            elif name == "conversation.chat.created":
                chat = _load(sse.data, name)
                yield ChatStarted(str(chat.get("conversation_id", "")), str(chat.get("id", "")))
            elif name == "conversation.chat.completed":
                chat = _load(sse.data, name)
                completed = True
                yield ChatCompleted(_usage(chat))
            elif name == "conversation.chat.failed":
                raise _failure(_load(sse.data, name), pat)
            elif name == "conversation.chat.requires_action":
                raise CozeStreamError(
                    "The bot wants this app to run a tool and send back the result, which this "
                    "app does not support: remove client-side plugins from the bot."
                )
            elif name == "error":
                payload = _parse_json(sse.data)
                raise stream_error(
                    "Coze stopped the answer with an error: try again in a moment.",
                    payload if isinstance(payload, dict) else {},
                    pat,
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
            failure = CozeStreamError(
                "The connection to Coze broke before the answer was complete: try again."
            )
    # Raised outside the except block, so the httpx error (whose request holds the token in
    # its headers) is not chained to it for an error reporter to capture.
    if failure is not None:
        raise failure
    if not (completed or done):
        raise CozeStreamError("The answer from Coze ended before it was complete: try again.")
