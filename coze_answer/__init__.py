"""What a person sees of a Coze answer: one model from events to text, blocks and status.

The middle layer between :mod:`coze_stream` (Coze's wire protocol: typed events) and a UI (the
Streamlit page, a terminal). It imports neither Streamlit nor httpx's internals: feed
:class:`AnswerStream` the events and a clock, and it says what to show.

>>> from coze_stream import load_config
>>> from coze_answer import stream_text
>>> for text in stream_text(load_config(), "你好"):
...     print(text, end="", flush=True)
"""

from __future__ import annotations

from ._blocks import BLOCK_END, BlockSplitter, needs_whole_render
from ._context import CONTEXT_CHARS, CONTEXT_MESSAGES, pick_context
from ._guard import DEFAULT_IMAGE_HOSTS, MAX_FORMULAS, MarkdownGuard, guarded
from ._model import (
    FRAME_SECONDS,
    STILL_ANSWERING_AFTER,
    AnswerStream,
    AppendReasoning,
    AppendText,
    Change,
    EndBlock,
    EndPiece,
    EndReasoningBlock,
    Replace,
    Status,
    StatusKind,
    ThinkingDone,
)
from ._pieces import PIECE_BYTES, PieceCutter, PieceKind
from ._rich import parts_markdown, web_address
from ._text import stream_text
from ._turn import (
    AWAITING_REPLY_NOTE,
    FORMULAS_CAPPED_NOTE,
    MAX_MESSAGE_CHARS,
    NO_TEXT_NOTICE,
    STOPPED_CAPTION,
    Turn,
    clean_message,
    plain_markdown,
    status_caption,
    thought_label,
    too_long_warning,
    usage_caption,
)

__all__ = [
    "AWAITING_REPLY_NOTE",
    "BLOCK_END",
    "CONTEXT_CHARS",
    "CONTEXT_MESSAGES",
    "DEFAULT_IMAGE_HOSTS",
    "FORMULAS_CAPPED_NOTE",
    "FRAME_SECONDS",
    "MAX_FORMULAS",
    "MAX_MESSAGE_CHARS",
    "NO_TEXT_NOTICE",
    "PIECE_BYTES",
    "STILL_ANSWERING_AFTER",
    "STOPPED_CAPTION",
    "AnswerStream",
    "AppendReasoning",
    "AppendText",
    "BlockSplitter",
    "Change",
    "EndBlock",
    "EndPiece",
    "EndReasoningBlock",
    "MarkdownGuard",
    "PieceCutter",
    "PieceKind",
    "Replace",
    "Status",
    "StatusKind",
    "ThinkingDone",
    "Turn",
    "clean_message",
    "guarded",
    "needs_whole_render",
    "parts_markdown",
    "pick_context",
    "plain_markdown",
    "status_caption",
    "stream_text",
    "thought_label",
    "too_long_warning",
    "usage_caption",
    "web_address",
]
