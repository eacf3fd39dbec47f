"""Like or unlike one of the bot's answers, or take that back: Coze's message feedback.

``POST {base}/v1/conversations/{conversation_id}/messages/{message_id}/feedback`` with
``{"feedback_type": "like"}`` (or ``"unlike"``) gives feedback; ``DELETE`` of the same path takes
it back (cozepy's ``conversations.messages.feedback.create`` / ``delete``). Coze answers
``{"code": 0, "msg": ""}``, or an error as everywhere else (``{"code", "msg", "detail"}``).

The ids are the ones the answer's stream carried: :class:`ChatStarted`'s ``conversation_id``
and the answer message's ``message_id`` (:class:`AnswerCompleted`, :class:`AnswerDelta`).
"""

from __future__ import annotations

from typing import Final, Literal
from urllib.parse import quote

import httpx

from . import _request
from . import _sentences as owner
from ._config import CozeConfig
from ._exceptions import CozeAPIError, CozeAuthError, CozeError
from ._request import Reply

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
    _request.exchange(
        config,
        method,
        url,
        body,
        lambda reply: _taken(reply, config.pat),
        client=client,
        retries=config.max_retries,
        silence=owner.FEEDBACK_TIMEOUT,
    )


def _taken(reply: Reply, pat: str) -> None:
    """Return when Coze took the feedback (code 0), else raise the error its reply stands for."""
    error = reply.error(pat, otherwise=owner.FEEDBACK_UNEXPECTED)
    if error is not None:
        raise _about_feedback(error)


def _about_feedback(error: CozeError) -> CozeError:
    """The chat's sentence where it fits feedback too; a feedback sentence where it does not
    (a 4200 means the answer here, not the bot)."""
    if error.code in _UNKNOWN_CODES:
        cls: type[CozeError] = CozeAPIError
        template = owner.UNKNOWN_ANSWER
    elif error.code == _NO_PERMISSION:
        cls, template = CozeAuthError, owner.NO_FEEDBACK_PERMISSION
    elif error.code is None and error.http_status == _NOT_FOUND_STATUS:
        cls, template = CozeAPIError, owner.NO_FEEDBACK_SERVICE
    else:
        return error
    return cls(
        template,
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
