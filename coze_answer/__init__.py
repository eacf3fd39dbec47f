"""What a person sees of a Coze answer: one model from events to text, blocks and status.

The middle layer between :mod:`coze_stream` (Coze's wire protocol: typed events) and a UI (the
Streamlit page, a terminal). It imports neither Streamlit nor httpx's internals: feed
:class:`AnswerStream` the events and a clock, and it says what to show.

>>> from coze_stream import load_config, stream_chat
>>> from coze_answer import AnswerStream
>>> answer = AnswerStream()
>>> for event in stream_chat(load_config(), "你好"):
...     changes = answer.update([event])  # what to show now: AppendText, EndBlock, Status...
>>> changes = answer.finish()  # the rest, or Replace when Coze's final text differs

The answer's text alone, as Coze sent it, is :func:`coze_stream.stream_text`;
:func:`coze_answer.stream_text` is that text guarded for a reader's browser (images only from
Coze's hosts, formulas capped), built on the same rule.
"""

from __future__ import annotations

# The same objects as coze_stream's: scripts and tests written when they lived here still work.
from coze_stream import parts_markdown, web_address

from ._attached import (
    Attached,
    Dropped,
    choose_files,
    file_size,
    join_wav,
    pick_voice,
    sendable_name,
    shown_name,
    speech_inputs,
    speech_text,
    stored_thumbnail,
    thumbnail,
)
from ._blocks import BLOCK_END, BlockSplitter, needs_whole_render
from ._context import CONTEXT_CHARS, CONTEXT_MESSAGES, context_budget, pick_context
from ._display import (
    Cap,
    DisplayGuard,
    Element,
    Grid,
    Markdown,
    Pieces,
    PlainText,
    Shown,
    shown,
    shown_blocks,
)
from ._export import chat_json, chat_markdown, local_time
from ._guard import DEFAULT_IMAGE_HOSTS, MAX_FORMULAS, MarkdownGuard, guarded
from ._keep import (
    KEEP_VERSION,
    MAX_STORED_CHARS,
    MAX_TURNS,
    KeptChat,
    KeptRefusal,
    chat_title,
    new_chat_id,
    read_chat,
    turn_record,
)
from ._model import (
    FRAME_CHARS,
    FRAME_SECONDS,
    STILL_ANSWERING_AFTER,
    AnswerStream,
    AppendReasoning,
    AppendText,
    Change,
    EndBlock,
    EndPiece,
    EndReasoningBlock,
    Preview,
    Replace,
    Status,
    StatusKind,
    ThinkingDone,
)
from ._pieces import PIECE_BYTES, PieceCutter, PieceKind
from ._text import stream_text
from ._trouble import Trouble, explain
from ._turn import MAX_MESSAGE_CHARS, Turn, clean_message, plain_markdown, turn_notes
from ._words import LANGUAGES, Language, Words, language_of, words

__all__ = [
    "BLOCK_END",
    "CONTEXT_CHARS",
    "CONTEXT_MESSAGES",
    "DEFAULT_IMAGE_HOSTS",
    "FRAME_CHARS",
    "FRAME_SECONDS",
    "KEEP_VERSION",
    "LANGUAGES",
    "MAX_FORMULAS",
    "MAX_MESSAGE_CHARS",
    "MAX_STORED_CHARS",
    "MAX_TURNS",
    "PIECE_BYTES",
    "STILL_ANSWERING_AFTER",
    "AnswerStream",
    "AppendReasoning",
    "AppendText",
    "Attached",
    "BlockSplitter",
    "Cap",
    "Change",
    "DisplayGuard",
    "Dropped",
    "Element",
    "EndBlock",
    "EndPiece",
    "EndReasoningBlock",
    "Grid",
    "KeptChat",
    "KeptRefusal",
    "Language",
    "Markdown",
    "MarkdownGuard",
    "PieceCutter",
    "PieceKind",
    "Pieces",
    "PlainText",
    "Preview",
    "Replace",
    "Shown",
    "Status",
    "StatusKind",
    "ThinkingDone",
    "Trouble",
    "Turn",
    "Words",
    "chat_json",
    "chat_markdown",
    "chat_title",
    "choose_files",
    "clean_message",
    "context_budget",
    "explain",
    "file_size",
    "guarded",
    "join_wav",
    "language_of",
    "local_time",
    "needs_whole_render",
    "new_chat_id",
    "parts_markdown",
    "pick_context",
    "pick_voice",
    "plain_markdown",
    "read_chat",
    "sendable_name",
    "shown",
    "shown_blocks",
    "shown_name",
    "speech_inputs",
    "speech_text",
    "stored_thumbnail",
    "stream_text",
    "thumbnail",
    "turn_notes",
    "turn_record",
    "web_address",
    "words",
]
