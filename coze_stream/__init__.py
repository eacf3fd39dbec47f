"""Stream a Coze bot's answer: Coze v3 chat over Server-Sent Events, typed and safe to show.

>>> from coze_stream import load_config, stream_text
>>> for text in stream_text(load_config(), "你好"):
...     print(text, end="", flush=True)
"""

from __future__ import annotations

from ._background import BackgroundChat
from ._blocks import BLOCK_END, BlockSplitter, needs_whole_render
from ._client import cancel_chat, stream_chat, stream_text
from ._config import DEFAULT_BASE_URL, CozeConfig, load_config
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
from ._models import (
    AnswerCompleted,
    AnswerDelta,
    ChatCompleted,
    ChatEvent,
    ChatStarted,
    FollowUp,
    ReasoningDelta,
    Usage,
)

__all__ = [
    "BLOCK_END",
    "DEFAULT_BASE_URL",
    "AnswerCompleted",
    "AnswerDelta",
    "BackgroundChat",
    "BlockSplitter",
    "ChatCompleted",
    "ChatEvent",
    "ChatStarted",
    "CozeAPIError",
    "CozeAuthError",
    "CozeBotError",
    "CozeConfig",
    "CozeConfigError",
    "CozeConnectionError",
    "CozeError",
    "CozeRateLimitError",
    "CozeStreamError",
    "CozeTimeoutError",
    "FollowUp",
    "ReasoningDelta",
    "Usage",
    "cancel_chat",
    "load_config",
    "needs_whole_render",
    "redact",
    "stream_chat",
    "stream_text",
]
