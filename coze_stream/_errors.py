"""Coze's error codes, and the one place Coze's error reply ``{code, msg, detail}`` is read.

The tables say, for each code Coze documents (and each HTTP status that says something alone),
the class (the cause) and the template of the sentence for the person at the screen (see
:mod:`coze_stream._sentences`). :func:`reply_error` maps a reply, or a failure event, onto them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, overload

from . import _sentences as owner
from ._exceptions import (
    CozeAPIError,
    CozeAuthError,
    CozeBotError,
    CozeError,
    CozeRateLimitError,
    CozeStreamError,
    Value,
    redact,
)

__all__ = ["coze_code", "log_id", "recast", "reply_error"]

_INTERNAL_ERROR = 5000  # says only that Coze failed: a stream's own sentence says more

# Coze code -> (error class, template). Codes not listed become CozeAPIError.
_CODES: dict[int, tuple[type[CozeError], str]] = {
    4000: (CozeAPIError, owner.INVALID_REQUEST),
    4001: (CozeAPIError, owner.INVALID_CHAT),
    4002: (CozeAPIError, owner.INVALID_CONVERSATION),
    4006: (CozeBotError, owner.UNKNOWN_BOT),
    4008: (CozeRateLimitError, owner.DAILY_LIMIT),
    4009: (CozeRateLimitError, owner.BUSY),
    4010: (CozeAPIError, owner.MESSAGE_TOO_LONG),
    4011: (CozeAPIError, owner.NO_TOKENS_LEFT),
    4012: (CozeAPIError, owner.INVALID_MODEL),
    4013: (CozeRateLimitError, owner.MODEL_OVERLOADED),
    4014: (CozeAPIError, owner.CANNOT_ANSWER),
    4015: (CozeBotError, owner.NOT_PUBLISHED),
    4016: (CozeAPIError, owner.PREVIOUS_ANSWER_RUNNING),
    4019: (CozeAPIError, owner.IN_ARREARS),
    4020: (CozeRateLimitError, owner.TOO_MANY_REQUESTS),
    4022: (CozeAPIError, owner.ACCOUNT_OR_MODEL_IN_ARREARS),
    4028: (CozeRateLimitError, owner.FREE_QUOTA_USED_UP),
    4100: (CozeAuthError, owner.TOKEN_REJECTED),
    4101: (CozeAuthError, owner.NO_PERMISSION),
    4102: (CozeAPIError, owner.RISK_CONTROL),
    4105: (CozeAPIError, owner.SENSITIVE_CONTENT),
    4200: (CozeBotError, owner.BOT_NOT_FOUND),
    _INTERNAL_ERROR: (CozeAPIError, owner.INTERNAL_ERROR),
    700012006: (CozeAuthError, owner.TOKEN_OF_ANOTHER_REGION),
}

# HTTP status -> (error class, template), for a reply without a code.
_STATUSES: dict[int, tuple[type[CozeError], str]] = {
    401: (CozeAuthError, owner.TOKEN_REJECTED),
    403: (CozeAuthError, owner.NO_PERMISSION),
    404: (CozeAPIError, owner.NO_CHAT_SERVICE),
    429: (CozeRateLimitError, owner.TOO_MANY_REQUESTS),
}
_FIRST_ERROR_STATUS = 400
_FIRST_SERVER_ERROR = 500


def log_id(value: object, pat: str) -> str | None:
    """Coze's log id as it may be shown: the token hidden (a proxy may echo it anywhere), only
    printable characters, at most 128 of them."""
    if not isinstance(value, str):
        return None
    value = "".join(ch for ch in redact(value, pat) if ch.isprintable()).strip()
    return value[:128] or None


def coze_code(value: object) -> int | None:
    """Coze's error code from a JSON value, or None for "no error" (0) and for no code at all.

    Coze's own backend declares the code of an ``error`` event as a string, its docs and SDKs
    as a number: both are read.
    """
    code = _code(value)
    return code or None


def _code(value: object) -> int | None:
    """A code as Coze sends it (a number, or digits in a string), 0 included; else None."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


@overload
def reply_error(
    payload: Any,
    *,
    pat: str,
    status: None = None,
    logid: str | None = None,
    retry_after: float | None = None,
    otherwise: str = ...,
    zero_is_success: bool = True,
) -> CozeError: ...


@overload
def reply_error(
    payload: Any,
    *,
    pat: str,
    status: int,
    logid: str | None = None,
    retry_after: float | None = None,
    otherwise: str = ...,
    zero_is_success: bool = True,
) -> CozeError | None: ...


def reply_error(
    payload: Any,
    *,
    pat: str,
    status: int | None = None,
    logid: str | None = None,
    retry_after: float | None = None,
    otherwise: str = owner.ANSWERED_WITH_ERROR,
    zero_is_success: bool = True,
) -> CozeError | None:
    """The error Coze's reply ``{"code", "msg", "detail": {"logid"}}`` stands for, or None when
    it says all went well: code 0 with a status below 400.

    ``payload`` is the parsed JSON of a reply, with its HTTP ``status``, the log id of its
    header (``detail.logid`` is read when there is none) and its Retry-After in seconds; or of
    a failure event mid-answer, which has no status. Anything but a JSON object has no code.

    Coze's code decides the class and the sentence (a 4020 is a rate limit whenever it comes),
    else the status does. ``otherwise`` is the sentence when neither names a cause: a reply
    below 400 without a code (or with code 0 where ``zero_is_success`` is False: a chat wanted
    a stream, not a plain success), or an event whose code is unknown or is 5000, which says
    less than the event itself. An event without a code is a :class:`CozeStreamError`.
    """
    reply: dict[str, Any] = payload if isinstance(payload, dict) else {}
    code = _code(reply.get("code"))
    message = reply.get("msg") if isinstance(reply.get("msg"), str) else None
    logid = log_id(logid, pat)
    detail = reply.get("detail")
    if not logid and isinstance(detail, dict):
        logid = log_id(detail.get("logid"), pat)
    if code == 0:
        if zero_is_success and status is not None and status < _FIRST_ERROR_STATUS:
            return None
        code = None
    cls, template = _cause(code, status, otherwise)
    return cls(
        template,
        code=code,
        coze_message=redact(message, pat) if message else None,
        logid=logid,
        http_status=status,
        retry_after=retry_after,
    )


def _cause(code: int | None, status: int | None, otherwise: str) -> tuple[type[CozeError], str]:
    if status is None:  # mid-answer
        if code is None:
            return CozeStreamError, otherwise
        if code in _CODES and code != _INTERNAL_ERROR:
            return _CODES[code]
        return CozeAPIError, otherwise
    if code is not None and code in _CODES:
        return _CODES[code]
    if status in _STATUSES:
        return _STATUSES[status]
    if status >= _FIRST_SERVER_ERROR:
        return CozeAPIError, owner.COZE_IN_TROUBLE
    if code is None and status < _FIRST_ERROR_STATUS:
        return CozeAPIError, otherwise
    return CozeAPIError, owner.ANSWERED_WITH_ERROR


def recast(
    error: CozeError,
    cls: type[CozeError],
    template: str,
    values: Mapping[str, Value] | None = None,
) -> CozeError:
    """``error`` with another class and sentence, for a call where the chat's sentence does not
    fit (a 4101 on an upload is about the upload's permission); Coze's code, message, log id,
    HTTP status and Retry-After kept."""
    return cls(
        template,
        values=values,
        code=error.code,
        coze_message=error.coze_message,
        logid=error.logid,
        http_status=error.http_status,
        retry_after=error.retry_after,
    )
