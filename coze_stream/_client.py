"""One user message in, a streamed Coze answer out: ``POST /v3/chat`` with ``stream: true``."""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any

import httpx

from ._body import read_at_most
from ._config import CozeConfig
from ._context import ContextMessage, additional_messages
from ._errors import RETRY_AFTER_CAP, error_for, error_from_reply, http_error, log_id
from ._events import iter_events
from ._exceptions import CozeError
from ._models import ChatEvent

__all__ = ["cancel_chat", "stream_chat"]

# Retried only before the first event: after it, a retry would start a second chat.
_RETRY_STATUSES = frozenset({429, 502, 503, 504})
_RETRY_CODES = frozenset({4009, 4020})
_BACKOFF_BASE = 0.5
_RETRY_TRANSPORT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError)
_CANCEL_GONE = 4104  # the chat is already over: nothing left to cancel

# time.sleep, reachable for tests that check the waits between retries.
_sleep = time.sleep


def _should_retry(error: CozeError) -> bool:
    # Coze's code says more than the status: a 429 with 4008 (daily limit) will not pass soon.
    if error.code is not None:
        return error.code in _RETRY_CODES
    return error.http_status in _RETRY_STATUSES


def _backoff(attempt: int, error: CozeError | None) -> float:
    if error is not None and error.retry_after is not None:
        return error.retry_after
    # Full jitter on an exponential base, so many clients retrying do not stay in step.
    return min(_BACKOFF_BASE * 2.0**attempt * random.uniform(0.5, 1.0), RETRY_AFTER_CAP)


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
        # Only what _body inflates in bounded steps (httpx would also offer br and zstd).
        "Accept-Encoding": "gzip, deflate",
    }


def stream_chat(
    config: CozeConfig,
    message: str,
    *,
    client: httpx.Client | None = None,
    user_id: str | None = None,
    context: Iterable[ContextMessage] = (),
) -> Generator[ChatEvent, None, None]:
    """Send ``message`` to the bot in a new conversation and yield the answer's events.

    ``context`` is the earlier turns the bot should know, oldest first: they go before the
    message in Coze's ``additional_messages`` (at most :data:`MAX_CONTEXT_MESSAGES`); nothing
    is stored on Coze's side between messages.

    Events are yielded the moment their bytes arrive. Closing the generator closes the HTTP
    response at once. Raises a :class:`CozeError` subclass on any failure, and ``ValueError``
    or ``TypeError`` at once (before any request) for an empty message or a malformed context.
    """
    return _stream_chat(config, message, client=client, user_id=user_id, context=context)


def _stream_chat(
    config: CozeConfig,
    message: str,
    *,
    client: httpx.Client | None = None,
    user_id: str | None = None,
    context: Iterable[ContextMessage] = (),
    on_response: Callable[[httpx.Response | None], None] | None = None,
    stop: threading.Event | None = None,
) -> Generator[ChatEvent, None, None]:
    """``stream_chat`` for :class:`BackgroundChat`: ``on_response`` hears of each response while
    it is open (then of None), so another thread can abort it; ``stop`` ends the retry waits.
    A response that opens after ``stop`` is still read: the caller may want its chat's ids.
    Checks ``message`` and ``context`` now, so a caller hears of a bad one before anything runs.
    """
    if not isinstance(message, str) or not message.strip():
        raise ValueError("message must be a non-empty string")
    body: dict[str, Any] = {
        "bot_id": config.bot_id,
        "user_id": user_id if user_id is not None else str(uuid.uuid4()),
        "stream": True,
        "auto_save_history": True,
        "additional_messages": additional_messages(context, message),
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
                    error = error_from_reply(response, config.pat)
                    if error is not None:
                        if not _should_retry(error) or attempt >= config.max_retries:
                            raise error
                        retry_error = error
                    else:
                        # Past this point nothing is retried: iter_events raises CozeErrors only.
                        try:
                            yield from iter_events(response, config)
                        except CozeError as broken:
                            # The stream's log id is what Coze support needs for a broken answer.
                            broken.logid = broken.logid or log_id(
                                response.headers.get("x-tt-logid"), config.pat
                            )
                            raise
                        return
            except httpx.HTTPError as exc:
                failure = http_error(exc, config)
                if attempt < config.max_retries and isinstance(exc, _RETRY_TRANSPORT_ERRORS):
                    failure = None
            if failure is not None:
                raise failure  # outside the except block: see iter_events
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
        with http.stream(
            "POST",
            f"{config.base_url}/v3/chat/cancel",
            json={"conversation_id": conversation_id, "chat_id": chat_id},
            headers=_headers(config) | {"Accept": "application/json"},
            timeout=httpx.Timeout(config.connect_timeout),
        ) as response:
            # A few KB read within the timeout: the answer to a cancel is a small JSON object.
            body = read_at_most(response, seconds=config.connect_timeout)
    except httpx.HTTPError as exc:
        failure = http_error(exc, config)
    finally:
        if client is None:
            http.close()
    if failure is not None:
        raise failure
    logid = response.headers.get("x-tt-logid") or None
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("code"), int):
        code = payload["code"]
        if code == 0 and response.status_code < 400:
            return True
        if code == _CANCEL_GONE:
            return False
        message = payload.get("msg") if isinstance(payload.get("msg"), str) else None
        raise error_for(code, message, status=response.status_code, logid=logid, pat=config.pat)
    raise error_for(None, None, status=response.status_code, logid=logid, pat=config.pat)
