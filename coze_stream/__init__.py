"""Stream a Coze bot's answer: Coze v3 chat over Server-Sent Events, as typed events.

This package is Coze's wire protocol only: settings, the request (with the earlier turns the
bot should know, :class:`ContextMessage`), its retries and errors, the events of the answer and
the text they make (:class:`AnswerText`, :func:`stream_text`), a background reader that can stop
at once, feedback on an answer (:func:`send_feedback`), and a local simulator
(:mod:`coze_stream.simulator`). How an answer is shown (Markdown blocks, frames, images kept
safe, status) is :mod:`coze_answer`'s job, one layer up.

>>> from coze_stream import load_config, stream_text
>>> for text in stream_text(load_config(), "你好"):
...     print(text, end="", flush=True)

:func:`stream_chat` yields the typed events instead (:class:`AnswerDelta` and the rest).
"""

from __future__ import annotations

from ._background import BackgroundChat, ChatState
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
from ._rich import parts_markdown, web_address
from ._text import AnswerText, stream_text, text_after
from ._transport import CozeHTTPClient
from ._unicode import valid_text

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_CONTEXT_MESSAGES",
    "AnswerCompleted",
    "AnswerDelta",
    "AnswerPart",
    "AnswerText",
    "BackgroundChat",
    "ChatCompleted",
    "ChatEvent",
    "ChatStarted",
    "ChatState",
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
    "parts_markdown",
    "redact",
    "send_feedback",
    "stream_chat",
    "stream_text",
    "text_after",
    "valid_text",
    "web_address",
]
