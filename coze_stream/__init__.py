"""Stream a Coze bot's answer: Coze v3 chat over Server-Sent Events, as typed events.

This package is Coze's wire protocol only: settings, the request (with the earlier turns the
bot should know, :class:`ContextMessage`), its retries and errors, the events of the answer, a
background reader that can stop at once, feedback on an answer (:func:`send_feedback`), and a
local simulator (:mod:`coze_stream.simulator`). How an answer is shown (its text assembled,
Markdown blocks, frames) is :mod:`coze_answer`'s job, one layer up.

>>> from coze_stream import AnswerDelta, load_config, stream_chat
>>> for event in stream_chat(load_config(), "你好"):
...     if isinstance(event, AnswerDelta):
...         print(event.text, end="", flush=True)
"""

from __future__ import annotations

from ._background import BackgroundChat
from ._client import cancel_chat, stream_chat
from ._config import DEFAULT_BASE_URL, CozeConfig, load_config
from ._context import MAX_CONTEXT_MESSAGES, ContextMessage
from ._exceptions import (
    CozeAPIError,
    CozeAuthError,
    CozeBotError,
    CozeConfigError,
    CozeConnectionError,
    CozeError,
    CozeRateLimitError,
    CozeStreamError,
    CozeTimeoutError,
    redact,
)
from ._feedback import Feedback, send_feedback
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
from ._transport import CozeHTTPClient

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_CONTEXT_MESSAGES",
    "AnswerCompleted",
    "AnswerDelta",
    "AnswerPart",
    "BackgroundChat",
    "ChatCompleted",
    "ChatEvent",
    "ChatStarted",
    "ContextMessage",
    "CozeAPIError",
    "CozeAuthError",
    "CozeBotError",
    "CozeConfig",
    "CozeConfigError",
    "CozeConnectionError",
    "CozeError",
    "CozeHTTPClient",
    "CozeRateLimitError",
    "CozeStreamError",
    "CozeTimeoutError",
    "Feedback",
    "FollowUp",
    "ReasoningDelta",
    "ReplyRequested",
    "RichAnswerCompleted",
    "Usage",
    "cancel_chat",
    "load_config",
    "redact",
    "send_feedback",
    "stream_chat",
]
