"""Stream a Coze bot's answer: Coze v3 chat over Server-Sent Events, as typed events.

This package is Coze's wire protocol only: settings, the request (with the earlier turns the
bot should know, :class:`ContextMessage`), its retries and errors, the events of the answer and
the text they make (:class:`AnswerText`, :func:`stream_text`), a background reader that can stop
at once, feedback on an answer (:func:`send_feedback`), files for the bot (:func:`upload_file`,
:class:`Attachment`), voice (:func:`transcribe_audio`, :func:`synthesize_speech`,
:func:`list_voices`), and a local simulator
(:mod:`coze_stream.simulator`). How an answer is shown (Markdown blocks, frames, images kept
safe, status) is :mod:`coze_answer`'s job, one layer up.

>>> from coze_stream import load_config, stream_text
>>> for text in stream_text(load_config(), "你好"):
...     print(text, end="", flush=True)

:func:`stream_chat` yields the typed events instead (:class:`AnswerDelta` and the rest).
"""

from __future__ import annotations

from ._audio import (
    MAX_SPEECH_INPUT_BYTES,
    MAX_TRANSCRIPTION_BYTES,
    Voice,
    list_voices,
    synthesize_speech,
    transcribe_audio,
)
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
from ._files import (
    FILE_TYPES,
    MAX_UPLOAD_BYTES,
    Attachment,
    attachment_kind,
    upload_file,
)
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
    "FILE_TYPES",
    "MAX_CONTEXT_MESSAGES",
    "MAX_SPEECH_INPUT_BYTES",
    "MAX_TRANSCRIPTION_BYTES",
    "MAX_UPLOAD_BYTES",
    "AnswerCompleted",
    "AnswerDelta",
    "AnswerPart",
    "AnswerText",
    "Attachment",
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
    "Voice",
    "attachment_kind",
    "cancel_chat",
    "list_voices",
    "load_config",
    "parts_markdown",
    "redact",
    "send_feedback",
    "stream_chat",
    "stream_text",
    "synthesize_speech",
    "text_after",
    "transcribe_audio",
    "upload_file",
    "valid_text",
    "web_address",
]
