"""Like or unlike one of the bot's answers, or take that back: Coze's message feedback.

``POST {base}/v1/conversations/{conversation_id}/messages/{message_id}/feedback`` with
``{"feedback_type": "like"}`` (or ``"unlike"``) gives feedback; ``DELETE`` of the same path takes
it back (cozepy's ``conversations.messages.feedback.create`` / ``delete``). Coze answers
``{"code": 0, "msg": ""}``, or an error as everywhere else (``{"code", "msg", "detail"}``).

The ids are the ones the answer's stream carried: :class:`ChatStarted`'s ``conversation_id``
and the answer message's ``message_id`` (:class:`AnswerCompleted`, :class:`AnswerDelta`).
"""

from __future__ import annotations

import json
from typing import Any, Final, Literal
from urllib.parse import quote

import httpx

from . import _client
from ._body import read_at_most
from ._config import CozeConfig
from ._errors import _retry_after, error_for, http_error, log_id
from ._exceptions import CozeAPIError, CozeAuthError, CozeError, CozeTimeoutError

__all__ = ["FEEDBACK_TYPES", "Feedback", "send_feedback"]

Feedback = Literal["like", "unlike"]
FEEDBACK_TYPES: Final[tuple[Feedback, ...]] = ("like", "unlike")

_MAX_ID_CHARS = 256
# Coze's codes for an id it does not know here: an invalid chat or conversation, or "not found".
_UNKNOWN_CODES: Final = frozenset({4001, 4002, 4200})
_NO_PERMISSION = 4101
_NOT_FOUND_STATUS = 404


def send_feedback(
    config: CozeConfig,
    conversation_id: str,
    message_id: str,
    feedback: Feedback | None,
    *,
    client: httpx.Client | None = None,
) -> None:
    """Tell Coze how an answer was received: ``"like"``, ``"unlike"``, or None to take back
    the feedback given before (``DELETE``).

    Giving or taking back feedback twice leaves it the same, so a reply Coze asks to be
    retried (429, 502-504, codes 4009 and 4020) and a failed connection are retried, up to
    ``config.max_retries`` times. Raises a :class:`CozeError` subclass on failure (the same
    tree, code table and log id as a chat; an answer Coze does not know is a
    :class:`CozeAPIError`), and ``ValueError`` or ``TypeError`` at once, before any request,
    for another ``feedback`` or an id that is not a non-empty string.
    """
    if feedback is not None and feedback not in FEEDBACK_TYPES:
        raise ValueError("feedback is 'like', 'unlike' or None (to take it back)")
    url = (
        f"{config.base_url}/v1/conversations/{_path_segment(conversation_id, 'conversation_id')}"
        f"/messages/{_path_segment(message_id, 'message_id')}/feedback"
    )
    method = "DELETE" if feedback is None else "POST"
    body = None if feedback is None else {"feedback_type": feedback}
    http = _client._new_client(config) if client is None else client
    try:
        attempt = 0
        while True:
            outcome = _attempt(http, config, method, url, body)
            if outcome is None:
                return
            error, retriable = outcome
            if not retriable or attempt >= config.max_retries:
                raise error
            _client._sleep(_client._backoff(attempt, error))
            attempt += 1
    finally:
        if client is None:
            http.close()


def _attempt(
    http: httpx.Client,
    config: CozeConfig,
    method: str,
    url: str,
    body: dict[str, Any] | None,
) -> tuple[CozeError, bool] | None:
    """One request: None when Coze took it, else its error and whether it may be retried (a
    reply Coze asks to retry, or a request that never arrived)."""
    headers = _client._headers(config) | {"Accept": "application/json"}
    if body is None:
        del headers["Content-Type"]
    failure: tuple[CozeError, bool] | None = None
    try:
        with http.stream(
            method,
            url,
            json=body,
            headers=headers,
            timeout=httpx.Timeout(config.connect_timeout),
        ) as response:
            # A few KB read within the timeout: the answer is a small JSON object.
            reply = read_at_most(response, seconds=config.connect_timeout)
    except httpx.HTTPError as exc:
        failure = (_http_failure(exc, config), isinstance(exc, _client._RETRY_TRANSPORT_ERRORS))
    if failure is not None:
        return failure  # returned outside the except block: no httpx error (or request) chained
    error = _reply_error(response, reply, config.pat)
    return None if error is None else (error, _client._should_retry(error))


def _http_failure(exc: httpx.HTTPError, config: CozeConfig) -> CozeError:
    if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout):
        return CozeTimeoutError(
            f"Coze did not answer the feedback within {config.connect_timeout:g} seconds: "
            "try again."
        )
    return http_error(exc, config)


def _reply_error(response: httpx.Response, reply: bytes, pat: str) -> CozeError | None:
    """None when Coze took the feedback (code 0), else the error its reply stands for."""
    status = response.status_code
    logid = log_id(response.headers.get("x-tt-logid"), pat)
    retry_after = _retry_after(response)
    try:
        payload = json.loads(reply)
    except (ValueError, RecursionError):
        payload = None
    code: int | None = None
    message: str | None = None
    if isinstance(payload, dict):
        detail = payload.get("detail")
        if not logid and isinstance(detail, dict):
            logid = log_id(detail.get("logid"), pat)
        raw_code = payload.get("code")
        if isinstance(raw_code, int) and not isinstance(raw_code, bool):
            if raw_code == 0 and status < 400:
                return None
            code = raw_code or None
        message = payload.get("msg") if isinstance(payload.get("msg"), str) else None
    if code is None and status < 400:
        return CozeAPIError(
            "Coze answered the feedback with something unexpected: check COZE_API_BASE_URL "
            "points at Coze's API.",
            logid=logid,
            http_status=status,
        )
    error = error_for(code, message, status=status, logid=logid, pat=pat, retry_after=retry_after)
    return _about_feedback(error)


def _about_feedback(error: CozeError) -> CozeError:
    """The chat's sentence where it fits feedback too; a feedback sentence where it does not
    (a 4200 means the answer here, not the bot)."""
    if error.code in _UNKNOWN_CODES:
        cls: type[CozeError] = CozeAPIError
        sentence = (
            "Coze does not know this answer (it may be from an earlier session, or deleted): "
            "the feedback was not recorded."
        )
    elif error.code == _NO_PERMISSION:
        cls = CozeAuthError
        sentence = (
            "The access token may not give feedback on answers: give it that permission in "
            "Coze, or create a new token."
        )
    elif error.code is None and error.http_status == _NOT_FOUND_STATUS:
        cls = CozeAPIError
        sentence = "Coze's feedback service was not found at this address: check COZE_API_BASE_URL."
    else:
        return error
    return cls(
        sentence,
        code=error.code,
        coze_message=error.coze_message,
        logid=error.logid,
        http_status=error.http_status,
        retry_after=error.retry_after,
    )


def _path_segment(value: object, name: str) -> str:
    """``value`` as one segment of a URL path: every character but letters, digits and ``-._~``
    percent-encoded (a ``/`` or ``?`` in an id cannot reach another endpoint), and ``.`` and
    ``..``, which HTTP clients resolve away, refused. The id itself is never in the error."""
    if not isinstance(value, str):
        raise TypeError(f"{name} is a string")
    if not value.strip() or value in (".", ".."):
        raise ValueError(f"{name} must be a non-empty id")
    if len(value) > _MAX_ID_CHARS or not value.isprintable():
        raise ValueError(f"{name} is not an id Coze gives (too long or not printable)")
    return quote(value, safe="")
