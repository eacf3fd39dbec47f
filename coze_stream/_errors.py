"""Coze's error codes, and the CozeError that a reply, an event or an HTTP failure stands for.

The table says, for each code Coze documents, the class (the cause) and the sentence for the
person at the screen; the functions here map a reply, a failure event or an httpx error onto it.
"""

from __future__ import annotations

import json
import math
import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ._body import read_at_most
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

__all__ = [
    "RETRY_AFTER_CAP",
    "coze_code",
    "error_for",
    "error_from_reply",
    "http_error",
    "log_id",
    "stream_error",
]

RETRY_AFTER_CAP = 10.0  # seconds: a longer Retry-After is not waited for
_INTERNAL_ERROR = 5000  # says only that Coze failed: a stream's own sentence says more

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


def log_id(value: object, pat: str) -> str | None:
    """Coze's log id as it may be shown: the token hidden (a proxy may echo it anywhere), only
    printable characters, at most 128 of them."""
    if not isinstance(value, str):
        return None
    value = "".join(ch for ch in redact(value, pat) if ch.isprintable()).strip()
    return value[:128] or None


def error_for(
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
        logid=log_id(logid, pat),
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
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


def error_from_reply(response: httpx.Response, pat: str) -> CozeError | None:
    """The error a non-stream reply stands for, or None when ``response`` is an event stream.

    Decided by content type and body, not status alone: Coze sends JSON errors with 200 and 401
    alike, and a proxy in front of it sends HTML pages.
    """
    content_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    status = response.status_code
    if content_type == "text/event-stream" and status < 400:
        return None
    body = read_at_most(response)  # a few KB at most: never a whole (or inflated) page
    logid = log_id(response.headers.get("x-tt-logid"), pat)
    retry_after = _retry_after(response)
    payload: Any = None
    if "json" in content_type or body.lstrip().startswith(b"{"):
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            payload = None
    if isinstance(payload, dict):
        detail = payload.get("detail")
        if not logid and isinstance(detail, dict):
            logid = log_id(detail.get("logid"), pat)
        code = payload.get("code")
        message = payload.get("msg") if isinstance(payload.get("msg"), str) else None
        if isinstance(code, int) and not isinstance(code, bool) and code != 0:
            return error_for(
                code, message, status=status, logid=logid, pat=pat, retry_after=retry_after
            )
        if status >= 400:
            return error_for(
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
        return error_for(None, None, status=status, logid=logid, pat=pat, retry_after=retry_after)
    what = f"content type {content_type!r}" if content_type else "no content type"
    return CozeAPIError(
        f"Coze answered with something that is not a streamed answer ({what}): check "
        "COZE_API_BASE_URL points at Coze's API.",
        logid=logid,
        http_status=status,
    )


def coze_code(value: object) -> int | None:
    """Coze's error code from a JSON value, or None for "no error" (0) and for no code at all.

    Coze's own backend declares the code of an ``error`` event as a string, its docs and SDKs
    as a number: both are read.
    """
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and value != 0:
        return value
    return None


def stream_error(default: str, detail: dict[str, Any], pat: str) -> CozeError:
    """A failure Coze reported mid-stream, with the sentence for its code when that says more
    (a 4011 mid-answer still means the balance is empty: "try again" would be wrong advice).

    Its class is the cause's, as before the stream (a 4020 is a CozeRateLimitError whenever it
    comes); only a failure without a code is a CozeStreamError.
    """
    code = coze_code(detail.get("code"))
    message = detail.get("msg") if isinstance(detail.get("msg"), str) else None
    cls: type[CozeError] = CozeStreamError
    sentence = default
    if code is not None:
        cls, specific = _CODES.get(code, (CozeAPIError, default))
        if code != _INTERNAL_ERROR:
            sentence = specific
    return cls(sentence, code=code, coze_message=redact(message, pat) if message else None)


def http_error(exc: httpx.HTTPError, config: CozeConfig) -> CozeError:
    """The CozeError for a failure of HTTP itself (no reply, a broken or silent one)."""
    if isinstance(exc, httpx.DecodingError):
        return CozeAPIError(
            "Coze's reply could not be decoded (a proxy in between may have altered it): "
            "try again, or check COZE_API_BASE_URL.",
        )
    if isinstance(exc, httpx.PoolTimeout):
        # Every connection of this app is busy with other chats: nothing to do with the
        # network of the person at the screen.
        return CozeTimeoutError(
            "This app is talking to Coze for many people at once and had no free connection "
            f"within {config.connect_timeout:g} seconds: try again in a moment.",
        )
    if isinstance(exc, httpx.ConnectTimeout):
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
