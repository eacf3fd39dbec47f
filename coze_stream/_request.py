"""The request path every call to Coze shares: a chat, a cancel, feedback, files and audio.

Here are the headers (the token), the timeouts, a client when the caller gives none, a request
with its bounded reply (:func:`exchange`: JSON or a multipart file out, JSON or bytes back), when
a failed request is sent again and how long is waited before (:func:`worth_retrying`,
:func:`wait_before_retry`), and what a failure of HTTP itself means (:func:`http_error`).
"""

from __future__ import annotations

import functools
import json
import math
import random
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx

from . import _sentences as owner
from ._body import ERROR_BODY_BYTES, read_at_most
from ._config import CozeConfig
from ._errors import reply_error
from ._exceptions import (
    CozeAPIError,
    CozeConnectionError,
    CozeError,
    CozeTimeoutError,
    redact,
)
from ._unicode import valid_json

__all__ = [
    "RETRY_AFTER_CAP",
    "FileField",
    "Reply",
    "content_type",
    "exchange",
    "headers",
    "http_error",
    "new_client",
    "reply_of",
    "timeout",
    "wait_before_retry",
    "worth_retrying",
]

_T = TypeVar("_T")

FileField = tuple[str, bytes, str]
"""A multipart part's file name, bytes and content type."""

RETRY_AFTER_CAP = 10.0  # seconds: a longer Retry-After is not waited for
# What a retry is worth for. A chat is retried only before its first event: after it, a retry
# would start a second chat.
_RETRY_STATUSES = frozenset({429, 502, 503, 504})
_RETRY_CODES = frozenset({4009, 4020})
_BACKOFF_BASE = 0.5
# Failures that came before any reply: no connection, or one closed without an answer.
_RETRY_TRANSPORT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError)

# time.sleep, reachable for tests that check the waits between retries.
_sleep = time.sleep


def headers(config: CozeConfig, *, accept: str = "text/event-stream") -> dict[str, str]:
    return {
        "Authorization": f"Bearer {config.pat}",
        "Content-Type": "application/json",
        "Accept": accept,
        # Only what _body inflates in bounded steps (httpx would also offer br and zstd).
        "Accept-Encoding": "gzip, deflate",
    }


def timeout(config: CozeConfig) -> httpx.Timeout:
    """A chat's timeouts: ``read_timeout`` is the longest silence mid-answer."""
    return httpx.Timeout(
        connect=config.connect_timeout,
        read=config.read_timeout,
        write=config.connect_timeout,
        pool=config.connect_timeout,
    )


@functools.cache
def _tls() -> ssl.SSLContext:
    """The trusted certificates, read once: httpx reads its CA bundle anew for each client it
    makes (20 to 30 ms of CPU), and every chat, cancel or upload makes one. Shared by the
    clients of every thread, as one pooled client's connections share theirs (httpcore sets
    the same ALPN protocols on it for each connection)."""
    return httpx.create_ssl_context()


def new_client(config: CozeConfig) -> httpx.Client:
    """A client for one call, when the caller gives none (closed by that call)."""
    return httpx.Client(timeout=timeout(config), verify=_tls())


def worth_retrying(cause: CozeError | httpx.HTTPError) -> bool:
    """Whether a request that failed may succeed if sent again: a reply Coze asks to retry, by
    its code (a 429 with 4008, the daily limit, will not pass soon), else by its status; or a
    request that got no reply at all (no connection, or one closed unanswered)."""
    if isinstance(cause, httpx.HTTPError):
        return isinstance(cause, _RETRY_TRANSPORT_ERRORS)
    if cause.code is not None:
        return cause.code in _RETRY_CODES
    return cause.http_status in _RETRY_STATUSES


def wait_before_retry(
    attempt: int, error: CozeError | None, stop: threading.Event | None = None
) -> bool:
    """Wait before sending request number ``attempt + 2``: as long as Coze's Retry-After said,
    else an exponential backoff. False when ``stop`` was set meanwhile (send nothing more)."""
    if error is not None and error.retry_after is not None:
        delay = error.retry_after
    else:
        # Full jitter on an exponential base, so many clients retrying do not stay in step.
        delay = min(_BACKOFF_BASE * 2.0**attempt * random.uniform(0.5, 1.0), RETRY_AFTER_CAP)
    if stop is not None:
        return not stop.wait(delay)
    _sleep(delay)
    return True


@dataclass(frozen=True, slots=True)
class Reply:
    """What a reply that is not an answer stream says, for :func:`coze_stream._errors.reply_error`:
    its status, its parsed JSON body (None when it is none), and its headers' log id and
    Retry-After (seconds, capped; None when absent or unreadable)."""

    status: int
    payload: Any
    logid: str | None
    retry_after: float | None
    content_type: str = ""  # lower case, without its parameters
    body: bytes = b""  # the first bytes of the body, as read

    def error(
        self,
        pat: str,
        otherwise: str = owner.ANSWERED_WITH_ERROR,
        *,
        zero_is_success: bool = True,
    ) -> CozeError | None:
        """The error this reply stands for, or None when Coze took the request."""
        return reply_error(
            self.payload,
            pat=pat,
            status=self.status,
            logid=self.logid,
            retry_after=self.retry_after,
            otherwise=otherwise,
            zero_is_success=zero_is_success,
        )


def _parse_json(body: bytes) -> Any:
    """``body`` as JSON (every string in it valid Unicode), or None when it is not JSON (or
    nested too deep to read)."""
    try:
        return valid_json(json.loads(body))
    except (ValueError, RecursionError):
        return None


def content_type(response: httpx.Response) -> str:
    """The reply's content type, lower case, without its parameters ("" for none)."""
    value: str = response.headers.get("content-type", "")
    return value.partition(";")[0].strip().lower()


def reply_of(response: httpx.Response, body: bytes, *, json_body: bool = True) -> Reply:
    """The :class:`Reply` of ``response``, whose body's first bytes are ``body``; the body is
    read as JSON only when ``json_body``."""
    return Reply(
        response.status_code,
        _parse_json(body) if json_body else None,
        response.headers.get("x-tt-logid"),
        _retry_after(response),
        content_type(response),
        body,
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
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


def exchange(
    config: CozeConfig,
    method: str,
    url: str,
    body: dict[str, Any] | None,
    read: Callable[[Reply], _T],
    *,
    client: httpx.Client | None = None,
    retries: int = 0,
    silence: str | None = None,
    file: FileField | None = None,
    params: Mapping[str, str | int] | None = None,
    accept: str = "application/json",
    limit: int = ERROR_BODY_BYTES,
    wait: float | None = None,
    retry_if: Callable[[CozeError | httpx.HTTPError], bool] = worth_retrying,
) -> _T:
    """Send a request and give its reply to ``read``: ``body`` as JSON (None sends none), or
    ``file`` as the multipart part named ``file`` (Coze's uploads), with ``params`` as its query.

    At most ``limit`` bytes of the reply are read (a few KB: a JSON answer), waiting at most
    ``wait`` seconds for each (the connect timeout when None) and as long for the whole body.
    ``read`` returns the outcome or raises the reply's :class:`CozeError`; one that ``retry_if``
    says may pass (:func:`worth_retrying` by default) is sent again, up to ``retries`` times.
    ``silence`` is the template (``{seconds:g}``) for a Coze that did not answer in time;
    without it, the usual sentence of :func:`http_error`. A client made here is closed here.
    """
    http = new_client(config) if client is None else client
    request = _Request(method, url, body, file, params, accept, limit, wait, silence, retry_if)
    try:
        attempt = 0
        while True:
            outcome = _send(http, config, request)
            if isinstance(outcome, _NoReply):
                error, retriable = outcome.error, outcome.retriable
            else:
                try:
                    return read(outcome)
                except CozeError as refused:
                    error, retriable = refused, retry_if(refused)
            if not retriable or attempt >= retries:
                raise error
            wait_before_retry(attempt, error)
            attempt += 1
    finally:
        if client is None:
            http.close()


@dataclass(frozen=True, slots=True)
class _NoReply:
    """A request that got no reply: its error, and whether it may pass if sent again."""

    error: CozeError
    retriable: bool


@dataclass(frozen=True, slots=True)
class _Request:
    """What :func:`exchange` sends, and how much of the reply it reads (see there)."""

    method: str
    url: str
    body: dict[str, Any] | None
    file: FileField | None
    params: Mapping[str, str | int] | None
    accept: str
    limit: int
    wait: float | None
    silence: str | None
    retry_if: Callable[[CozeError | httpx.HTTPError], bool]


# Replies that are bytes, not JSON, however they begin (a raw PCM sample may be a "{").
_BINARY_TYPES = ("audio/", "application/octet-stream")


def _send(http: httpx.Client, config: CozeConfig, request: _Request) -> Reply | _NoReply:
    request_headers = headers(config, accept=request.accept)
    if request.body is None:
        # No body, or a multipart one whose Content-Type (with its boundary) httpx writes.
        del request_headers["Content-Type"]
    wait = config.connect_timeout if request.wait is None else request.wait
    try:
        with http.stream(
            request.method,
            request.url,
            json=request.body,
            files={"file": request.file} if request.file is not None else None,
            params=request.params,
            headers=request_headers,
            timeout=httpx.Timeout(config.connect_timeout, read=wait),
        ) as response:
            # Read within bounds of size and time, whatever the server sends.
            reply = read_at_most(response, request.limit, seconds=wait)
    except httpx.HTTPError as exc:
        # Returned, not raised here: the httpx error (whose request holds the token in its
        # headers) must not be chained to the CozeError for an error reporter to capture.
        silence = request.silence
        if silence is not None and isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout):
            error: CozeError = CozeTimeoutError(silence, values={"seconds": wait})
        else:
            error = http_error(exc, config)
        return _NoReply(error, request.retry_if(exc))
    binary = content_type(response).startswith(_BINARY_TYPES)
    return reply_of(response, reply, json_body=not binary)


def http_error(exc: httpx.HTTPError, config: CozeConfig) -> CozeError:
    """The CozeError for a failure of HTTP itself (no reply, a broken or silent one)."""
    if isinstance(exc, httpx.DecodingError):
        return CozeAPIError(owner.UNDECODABLE)
    if isinstance(exc, httpx.PoolTimeout):
        # Every connection of this app is busy with other chats: nothing to do with the
        # network of the person at the screen.
        return CozeTimeoutError(
            owner.NO_FREE_CONNECTION, values={"seconds": config.connect_timeout}
        )
    if isinstance(exc, httpx.ConnectTimeout):
        return CozeTimeoutError(owner.CONNECT_TIMEOUT, values={"seconds": config.connect_timeout})
    if isinstance(exc, httpx.TimeoutException):
        return CozeTimeoutError(owner.READ_TIMEOUT, values={"seconds": config.read_timeout})
    return CozeConnectionError(
        owner.UNREACHABLE,
        values={"host": redact(config.region_host, config.pat)},
        coze_message=redact(type(exc).__name__, config.pat),
    )
