"""One user message in, a streamed Coze answer out: ``POST /v3/chat`` with ``stream: true``."""

from __future__ import annotations

import contextlib
import json
import math
import random
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from httpx_sse import EventSource

from ._config import CozeConfig
from ._exceptions import (
    CozeAPIError,
    CozeAuthError,
    CozeBotError,
    CozeConnectionError,
    CozeError,
    CozeRateLimitError,
    CozeStreamError,
    CozeTimeoutError,
    redact,
)
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

_fast_json: Callable[[str], Any]
try:
    from orjson import loads as _fast_json
except ImportError:  # optional: the standard library is correct, only slower
    _fast_json = json.loads

__all__ = ["cancel_chat", "stream_chat"]

# Retried only before the first event: after it, a retry would start a second chat.
_RETRY_STATUSES = frozenset({429, 502, 503, 504})
_RETRY_CODES = frozenset({4009, 4020})
_RETRY_AFTER_CAP = 10.0
_BACKOFF_BASE = 0.5
_RETRY_TRANSPORT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError)
_CANCEL_GONE = 4104  # the chat is already over: nothing left to cancel
_INTERNAL_ERROR = 5000  # says only that Coze failed: a stream's own sentence says more

# time.sleep, reachable for tests that check the waits between retries.
_sleep = time.sleep

_TOKEN_ADVICE = (
    "A token made on coze.com needs COZE_API_BASE_URL=https://api.coze.com, "
    "one made on coze.cn needs https://api.coze.cn."
)

# Coze code -> (error class, sentence). Codes not listed become CozeAPIError.
_CODES: dict[int, tuple[type[CozeError], str]] = {
    4000: (CozeAPIError, "Coze rejected the request as invalid."),
    4001: (CozeAPIError, "Coze says the chat is invalid."),
    4002: (CozeAPIError, "Coze says the conversation is invalid."),
    4006: (
        CozeBotError,
        "Coze does not know this bot, or the token may not use it: check COZE_BOT_ID (the digits "
        "after /bot/ in the bot's address) and that the token's workspace holds the bot.",
    ),
    4008: (
        CozeRateLimitError,
        "The daily message limit for this Coze account has been reached: try again tomorrow.",
    ),
    4009: (CozeRateLimitError, "Coze is busy right now: try again in a moment."),
    4010: (
        CozeAPIError,
        "The message is too long for the bot's model: send a shorter one.",
    ),
    4011: (
        CozeAPIError,
        "The Coze account has run out of tokens: top up its balance in Coze, then try again.",
    ),
    4012: (CozeAPIError, "The bot's model is not valid: choose another model for the bot."),
    4013: (
        CozeRateLimitError,
        "The bot's model is overloaded or failed: try again in a moment.",
    ),
    4014: (CozeAPIError, "Coze cannot answer this question: try asking differently."),
    4015: (
        CozeBotError,
        "The bot is not published as an API service: in Coze, publish it with 'API' (Agent as "
        "API) selected, then try again.",
    ),
    4016: (
        CozeAPIError,
        "Coze is still busy with a previous answer in this conversation: try again shortly.",
    ),
    4019: (CozeAPIError, "The Coze account is in arrears: settle the bill in Coze."),
    4020: (CozeRateLimitError, "Too many requests to Coze right now: wait a moment and try again."),
    4022: (CozeAPIError, "The Coze account or model is in arrears: settle the bill in Coze."),
    4028: (
        CozeRateLimitError,
        "The free Coze quota of this account is used up: upgrade the account or wait for it to "
        "reset.",
    ),
    4100: (
        CozeAuthError,
        "Coze rejected the access token: it is wrong or has expired. Create a new personal "
        f"access token and set COZE_PAT. {_TOKEN_ADVICE}",
    ),
    4101: (
        CozeAuthError,
        "The access token has no permission for this: give it the chat permission and access to "
        "the bot's workspace, or create a new token.",
    ),
    4102: (CozeAPIError, "Coze's risk control blocked this request."),
    4105: (
        CozeAPIError,
        "Coze refused the message because it contains sensitive content: rephrase it.",
    ),
    4200: (
        CozeBotError,
        "Coze could not find the bot: check COZE_BOT_ID (the digits after /bot/ in the bot's "
        "address) and that the token's workspace holds the bot.",
    ),
    5000: (CozeAPIError, "Coze had an internal error: try again in a moment."),
    700012006: (
        CozeAuthError,
        f"Coze rejected the access token: it is wrong or has expired. {_TOKEN_ADVICE}",
    ),
}

_STATUSES: dict[int, tuple[type[CozeError], str]] = {
    401: (CozeAuthError, _CODES[4100][1]),
    403: (CozeAuthError, _CODES[4101][1]),
    404: (
        CozeAPIError,
        "Coze's chat service was not found at this address: check COZE_API_BASE_URL.",
    ),
    429: (CozeRateLimitError, _CODES[4020][1]),
}


def _error_for(
    code: int | None,
    message: str | None,
    *,
    status: int | None,
    logid: str | None,
    pat: str,
    retry_after: float | None = None,
) -> CozeError:
    if code is not None and code in _CODES:
        cls, sentence = _CODES[code]
    elif status in _STATUSES:
        cls, sentence = _STATUSES[status]
    elif status is not None and status >= 500:
        cls, sentence = CozeAPIError, "Coze is having trouble right now: try again in a moment."
    else:
        cls, sentence = CozeAPIError, "Coze answered with an error."
    return cls(
        sentence,
        code=code,
        coze_message=redact(message, pat) if message else None,
        logid=logid,
        http_status=status,
        retry_after=retry_after,
    )


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, OverflowError):
            return None
    if not math.isfinite(seconds):  # "nan" and "inf" parse as floats
        return None
    return min(max(seconds, 0.0), _RETRY_AFTER_CAP)


def _error_from_reply(response: httpx.Response, pat: str) -> CozeError | None:
    """The error a non-stream reply stands for, or None when ``response`` is an event stream.

    Decided by content type and body, not status alone: Coze sends JSON errors with 200 and 401
    alike, and a proxy in front of it sends HTML pages.
    """
    content_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    status = response.status_code
    if content_type == "text/event-stream" and status < 400:
        return None
    body = response.read()
    logid = response.headers.get("x-tt-logid") or None
    retry_after = _retry_after(response)
    payload: Any = None
    if "json" in content_type or body.lstrip().startswith(b"{"):
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
    if isinstance(payload, dict):
        detail = payload.get("detail")
        if not logid and isinstance(detail, dict) and isinstance(detail.get("logid"), str):
            logid = detail["logid"]
        code = payload.get("code")
        message = payload.get("msg") if isinstance(payload.get("msg"), str) else None
        if isinstance(code, int) and not isinstance(code, bool) and code != 0:
            return _error_for(
                code, message, status=status, logid=logid, pat=pat, retry_after=retry_after
            )
        if status >= 400:
            return _error_for(
                None, message, status=status, logid=logid, pat=pat, retry_after=retry_after
            )
        return CozeAPIError(
            "Coze answered with a plain reply instead of a streamed answer: check "
            "COZE_API_BASE_URL points at Coze's API.",
            coze_message=redact(message, pat) if message else None,
            logid=logid,
            http_status=status,
        )
    if status >= 400:
        return _error_for(None, None, status=status, logid=logid, pat=pat, retry_after=retry_after)
    what = f"content type {content_type!r}" if content_type else "no content type"
    return CozeAPIError(
        f"Coze answered with something that is not a streamed answer ({what}): check "
        "COZE_API_BASE_URL points at Coze's API.",
        logid=logid,
        http_status=status,
    )


def _should_retry(error: CozeError) -> bool:
    # Coze's code says more than the status: a 429 with 4008 (daily limit) will not pass soon.
    if error.code is not None:
        return error.code in _RETRY_CODES
    return error.http_status in _RETRY_STATUSES


def _backoff(attempt: int, error: CozeError | None) -> float:
    if error is not None and error.retry_after is not None:
        return error.retry_after
    # Full jitter on an exponential base, so many clients retrying do not stay in step.
    return min(_BACKOFF_BASE * 2.0**attempt * random.uniform(0.5, 1.0), _RETRY_AFTER_CAP)


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
    return _stream_error(
        "The bot could not finish its answer: try again in a moment.",
        last_error if isinstance(last_error, dict) else {},
        pat,
    )


def _stream_error(default: str, detail: dict[str, Any], pat: str) -> CozeError:
    """A failure Coze reported mid-stream, with the sentence for its code when that says more
    (a 4011 mid-answer still means the balance is empty: "try again" would be wrong advice).

    Its class is the cause's, as before the stream (a 4020 is a CozeRateLimitError whenever it
    comes); only a failure without a code is a CozeStreamError.
    """
    code = detail.get("code")
    code = code if isinstance(code, int) and not isinstance(code, bool) and code != 0 else None
    message = detail.get("msg") if isinstance(detail.get("msg"), str) else None
    cls: type[CozeError] = CozeStreamError
    sentence = default
    if code is not None:
        cls, specific = _CODES.get(code, (CozeAPIError, default))
        if code != _INTERNAL_ERROR:
            sentence = specific
    return cls(sentence, code=code, coze_message=redact(message, pat) if message else None)


def _iter_events(response: httpx.Response, config: CozeConfig) -> Iterator[ChatEvent]:
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
                raise _stream_error(
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
            failure = _http_error(exc, config)
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


def _new_client(config: CozeConfig) -> httpx.Client:
    return httpx.Client(timeout=_timeout(config))


def _timeout(config: CozeConfig) -> httpx.Timeout:
    return httpx.Timeout(
        connect=config.connect_timeout,
        read=config.read_timeout,
        write=config.connect_timeout,
        pool=config.connect_timeout,
    )


def _headers(config: CozeConfig) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {config.pat}",
        "Content-Type": "application/json",
        "Accept": "text/event-stream",
    }


def _http_error(exc: httpx.HTTPError, config: CozeConfig) -> CozeError:
    """The CozeError for a failure of HTTP itself (no reply, a broken or silent one)."""
    if isinstance(exc, httpx.DecodingError):
        return CozeAPIError(
            "Coze's reply could not be decoded (a proxy in between may have altered it): "
            "try again, or check COZE_API_BASE_URL.",
        )
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return CozeTimeoutError(
            f"Coze did not accept the connection within {config.connect_timeout:g} seconds: "
            "check your internet connection and try again.",
        )
    if isinstance(exc, httpx.TimeoutException):
        return CozeTimeoutError(
            f"Coze sent nothing for {config.read_timeout:g} seconds, so the answer was abandoned: "
            "try again.",
        )
    return CozeConnectionError(
        f"Could not reach Coze at {config.region_host}: check your internet connection and "
        "COZE_API_BASE_URL.",
        coze_message=redact(type(exc).__name__, config.pat),
    )


def stream_chat(
    config: CozeConfig,
    message: str,
    *,
    client: httpx.Client | None = None,
    user_id: str | None = None,
) -> Generator[ChatEvent, None, None]:
    """Send ``message`` to the bot in a new conversation and yield the answer's events.

    Events are yielded the moment their bytes arrive. Closing the generator closes the HTTP
    response at once. Raises a :class:`CozeError` subclass on any failure, and ``ValueError``
    at once (before any request) for an empty message.
    """
    return _stream_chat(config, message, client=client, user_id=user_id)


def _stream_chat(
    config: CozeConfig,
    message: str,
    *,
    client: httpx.Client | None = None,
    user_id: str | None = None,
    on_response: Callable[[httpx.Response | None], None] | None = None,
    stop: threading.Event | None = None,
) -> Generator[ChatEvent, None, None]:
    """``stream_chat`` for :class:`BackgroundChat`: ``on_response`` hears of each response while
    it is open (then of None), so another thread can abort it; ``stop`` ends the retry waits.
    A response that opens after ``stop`` is still read: the caller may want its chat's ids.
    Checks ``message`` now, so a caller hears of an empty one before anything runs.
    """
    if not isinstance(message, str) or not message.strip():
        raise ValueError("message must be a non-empty string")
    body: dict[str, Any] = {
        "bot_id": config.bot_id,
        "user_id": user_id if user_id is not None else str(uuid.uuid4()),
        "stream": True,
        "auto_save_history": True,
        "additional_messages": [
            {"role": "user", "type": "question", "content": message, "content_type": "text"}
        ],
    }
    return _chat_events(config, body, client, on_response, stop)


def _chat_events(
    config: CozeConfig,
    body: dict[str, Any],
    client: httpx.Client | None,
    on_response: Callable[[httpx.Response | None], None] | None,
    stop: threading.Event | None,
) -> Generator[ChatEvent, None, None]:
    """The request, its retries and its events (see :func:`_stream_chat`)."""
    own_client = client is None
    http = _new_client(config) if client is None else client
    try:
        attempt = 0
        while True:
            if stop is not None and stop.is_set():
                return  # stopped before the request went out: no chat is started
            retry_error: CozeError | None = None
            failure: CozeError | None = None
            try:
                with (
                    http.stream(
                        "POST",
                        f"{config.base_url}/v3/chat",
                        json=body,
                        headers=_headers(config),
                        timeout=_timeout(config),
                    ) as response,
                    _reporting(response, on_response),
                ):
                    error = _error_from_reply(response, config.pat)
                    if error is not None:
                        if not _should_retry(error) or attempt >= config.max_retries:
                            raise error
                        retry_error = error
                    else:
                        # Past this point nothing is retried: _iter_events raises CozeErrors only.
                        try:
                            yield from _iter_events(response, config)
                        except CozeError as broken:
                            # The stream's log id is what Coze support needs for a broken answer.
                            broken.logid = broken.logid or response.headers.get("x-tt-logid")
                            raise
                        return
            except httpx.HTTPError as exc:
                failure = _http_error(exc, config)
                if attempt < config.max_retries and isinstance(exc, _RETRY_TRANSPORT_ERRORS):
                    failure = None
            if failure is not None:
                raise failure  # outside the except block: see _iter_events
            delay = _backoff(attempt, retry_error)
            if stop is not None:
                if stop.wait(delay):
                    return  # stopped while waiting: no new chat is started
            else:
                _sleep(delay)
            attempt += 1
    finally:
        if own_client:
            http.close()


@contextlib.contextmanager
def _reporting(
    response: httpx.Response, on_response: Callable[[httpx.Response | None], None] | None
) -> Iterator[None]:
    """Tell ``on_response`` of the response while it is open, and of None before it closes
    (once closed, its connection may serve another request and must not be touched)."""
    if on_response is None:
        yield
        return
    on_response(response)
    try:
        yield
    finally:
        on_response(None)


def cancel_chat(
    config: CozeConfig,
    conversation_id: str,
    chat_id: str,
    *,
    client: httpx.Client | None = None,
) -> bool:
    """Ask Coze to stop a running chat. True if it was cancelled, False if it was already over."""
    http = _new_client(config) if client is None else client
    failure: CozeError | None = None
    try:
        response = http.post(
            f"{config.base_url}/v3/chat/cancel",
            json={"conversation_id": conversation_id, "chat_id": chat_id},
            headers=_headers(config) | {"Accept": "application/json"},
            timeout=httpx.Timeout(config.connect_timeout),
        )
    except httpx.HTTPError as exc:
        failure = _http_error(exc, config)
    finally:
        if client is None:
            http.close()
    if failure is not None:
        raise failure
    logid = response.headers.get("x-tt-logid") or None
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("code"), int):
        code = payload["code"]
        if code == 0 and response.status_code < 400:
            return True
        if code == _CANCEL_GONE:
            return False
        message = payload.get("msg") if isinstance(payload.get("msg"), str) else None
        raise _error_for(code, message, status=response.status_code, logid=logid, pat=config.pat)
    raise _error_for(None, None, status=response.status_code, logid=logid, pat=config.pat)
