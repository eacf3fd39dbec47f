"""One user message in, a streamed Coze answer out: ``POST /v3/chat`` with ``stream: true``."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from typing import Any

import httpx

from . import _request
from . import _sentences as owner
from ._body import read_at_most
from ._config import CozeConfig
from ._context import ContextMessage, additional_messages
from ._errors import log_id
from ._events import iter_events
from ._exceptions import CozeAPIError, CozeError, redact
from ._files import Attachment
from ._models import ChatEvent
from ._request import Reply

__all__ = ["cancel_chat", "error_from_reply", "stoppable_chat", "stream_chat"]

_CANCEL_GONE = 4104  # the chat is already over: nothing left to cancel


def stream_chat(
    config: CozeConfig,
    message: str,
    *,
    client: httpx.Client | None = None,
    user_id: str | None = None,
    context: Iterable[ContextMessage] = (),
    attachments: Sequence[Attachment] = (),
) -> Generator[ChatEvent, None, None]:
    """Send ``message`` to the bot in a new conversation and yield the answer's events.

    ``context`` is the earlier turns the bot should know, oldest first: they go before the
    message in Coze's ``additional_messages`` (at most :data:`MAX_CONTEXT_MESSAGES`); nothing
    is stored on Coze's side between messages. ``attachments`` are files uploaded with
    :func:`upload_file`, sent with the message as one ``object_string`` message; ``message``
    is still needed (a short text in the visitor's language for files alone: Coze refuses
    files without a text).

    Events are yielded the moment their bytes arrive. Closing the generator closes the HTTP
    response at once. Raises a :class:`CozeError` subclass on any failure, and ``ValueError``
    or ``TypeError`` at once (before any request) for an empty message or a malformed context
    or attachment.
    """
    return stoppable_chat(
        config, message, client=client, user_id=user_id, context=context, attachments=attachments
    )


def stoppable_chat(
    config: CozeConfig,
    message: str,
    *,
    client: httpx.Client | None = None,
    user_id: str | None = None,
    context: Iterable[ContextMessage] = (),
    attachments: Sequence[Attachment] = (),
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
        "additional_messages": additional_messages(context, message, attachments),
    }
    return _chat_events(config, body, client, on_response, stop)


def _chat_events(
    config: CozeConfig,
    body: dict[str, Any],
    client: httpx.Client | None,
    on_response: Callable[[httpx.Response | None], None] | None,
    stop: threading.Event | None,
) -> Generator[ChatEvent, None, None]:
    """The request, its retries and its events (see :func:`stoppable_chat`)."""
    own_client = client is None
    http = _request.new_client(config) if client is None else client
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
                        headers=_request.headers(config),
                        timeout=_request.timeout(config),
                    ) as response,
                    _reporting(response, on_response),
                ):
                    error = error_from_reply(response, config.pat)
                    if error is not None:
                        if not _request.worth_retrying(error) or attempt >= config.max_retries:
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
                failure = _request.http_error(exc, config)
                if attempt < config.max_retries and _request.worth_retrying(exc):
                    failure = None
            if failure is not None:
                raise failure  # outside the except block: see iter_events
            if not _request.wait_before_retry(attempt, retry_error, stop):
                return  # stopped while waiting: no new chat is started
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
    return _request.exchange(
        config,
        "POST",
        f"{config.base_url}/v3/chat/cancel",
        {"conversation_id": conversation_id, "chat_id": chat_id},
        lambda reply: _cancelled(reply, config.pat),
        client=client,
    )


def _cancelled(reply: Reply, pat: str) -> bool:
    error = reply.error(pat)
    if error is None:
        return True
    if error.code == _CANCEL_GONE:
        return False
    raise error


def error_from_reply(response: httpx.Response, pat: str) -> CozeError | None:
    """The error a chat's reply stands for, or None when ``response`` is an event stream.

    Decided by content type and body, not status alone: Coze sends JSON errors with 200 and 401
    alike, and a proxy in front of it sends HTML pages.
    """
    content_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type == "text/event-stream" and response.status_code < 400:
        return None
    body = read_at_most(response)  # a few KB at most: never a whole (or inflated) page
    json_body = "json" in content_type or body.lstrip().startswith(b"{")
    reply = _request.reply_of(response, body, json_body=json_body)
    if not isinstance(reply.payload, dict) and reply.status < 400:
        if content_type:
            template, values = owner.NOT_A_STREAM, {"content_type": redact(content_type, pat)}
        else:
            template, values = owner.NOT_A_STREAM_UNTYPED, {}
        return CozeAPIError(
            template, values=values, logid=log_id(reply.logid, pat), http_status=reply.status
        )
    # A chat answers with a stream: a plain reply is an error even when it says code 0.
    return reply.error(pat, owner.PLAIN_REPLY, zero_is_success=False)
