"""A local Coze-compatible server speaking the v3 chat wire protocol (tests, demos, benchmarks).

``CozeSimulator`` runs an HTTP/1.1 server on 127.0.0.1 (a free port by default) that answers
``POST /v3/chat`` with a Server-Sent-Events stream framed exactly like Coze's (``event:NAME`` and
``data:<compact JSON>`` without a space, chunked transfer encoding, one socket write per event) and
``POST /v3/chat/cancel`` and ``POST``/``DELETE /v1/conversations/{id}/messages/{id}/feedback``
(like, unlike, taken back) like Coze, and takes files (``POST /v1/files/upload``, with Coze's
checks; a file named ``fail-NNNN`` gets that code) and questions about them (``object_string``,
answered with what they carry), and voice (``/v1/audio/transcriptions``, ``/v1/audio/speech``
as a WAV tone, ``/v1/audio/voices``). Requests are validated like Coze does (token, bot id, user id,
``additional_messages``: earlier user and assistant messages, the user's question last; streaming)
and every response carries an ``X-Tt-Logid`` header. Everything the server sees and does is recorded
(``requests``, ``cancels``, ``disconnects``, ``streams`` with the ``earlier`` messages each chat was
told, ``feedbacks`` and ``feedback_of``) so tests can check the client's behaviour from the server's
side; ``on_delta`` reports the send time of every answer delta, ``long_deltas`` gives the deltas
``/long N`` will send and ``shape_deltas`` those of ``/long N /shape KIND`` (one long block of a
kind: ``SHAPE_KINDS``).

The answer quotes the question verbatim and is deterministic Markdown (heading, list, code block,
link), in the language the request's ``Accept-Language`` header names (Chinese or English; both
without one). ``max_chat_seconds`` bounds an answer's time (a public demo's limit).

Commands anywhere in the user message (whitespace separated tokens starting with ``/``; they
combine, e.g. ``/think /long 300 hello``) change the behaviour; they are stripped from the quoted
question and unknown ones are plain text. The commands (the same table
``/help`` answers with) are listed below.

This package is standard library only and shares no code with the client on purpose: each checks
the other.

Modules: ``uploads`` (multipart bodies, upload checks), ``voice`` (transcript, tone, voices),
``commands`` (the command table and parser), ``faults`` (the ``/fail`` kinds),
``answers`` (the answer texts), ``shapes`` (the ``/shape`` texts), ``deltas`` (splitting text into
deltas), ``stream`` (one chat's SSE stream), ``handler`` (HTTP requests), ``server``
(``CozeSimulator``), ``state`` (the shared, locked state), ``records``, ``wire`` (Coze's formats),
``cli`` (the command line).

Command line::

    python -m coze_stream.simulator --port 8765 [--host 127.0.0.1]
        [--pat demo-token-of-the-coze-simulator] [--bot-id 7379462189365198898]
        [--deltas-per-second 30] [--delta-chars 4] [--verbose]

Commands:
"""

from __future__ import annotations

from .answers import build_answer, long_deltas, shape_deltas
from .cli import main
from .commands import COMMANDS, Command, ParsedMessage, commands_markdown, parse_message
from .faults import FAIL_KINDS, FAULTS, Fault, RequestFault, StreamFault
from .records import (
    RecordedCancel,
    RecordedFeedback,
    RecordedMessage,
    RecordedRequest,
    RecordedUpload,
    StoredFile,
    StreamRecord,
)
from .server import DEMO_BOT_ID, DEMO_PAT, CozeSimulator
from .settings import DeltaHook
from .shapes import SHAPE_KINDS, SHAPES, Shape

__all__ = [
    "COMMANDS",
    "DEMO_BOT_ID",
    "DEMO_PAT",
    "FAIL_KINDS",
    "FAULTS",
    "SHAPES",
    "SHAPE_KINDS",
    "Command",
    "CozeSimulator",
    "DeltaHook",
    "Fault",
    "ParsedMessage",
    "RecordedCancel",
    "RecordedFeedback",
    "RecordedMessage",
    "RecordedRequest",
    "RecordedUpload",
    "RequestFault",
    "Shape",
    "StoredFile",
    "StreamFault",
    "StreamRecord",
    "build_answer",
    "commands_markdown",
    "long_deltas",
    "main",
    "parse_message",
    "shape_deltas",
]

if __doc__ is not None:  # pragma: no branch - absent under python -OO
    __doc__ += "\n" + commands_markdown() + "\n"
