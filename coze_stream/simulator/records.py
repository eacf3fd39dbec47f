"""What the simulator records of the requests, cancels, feedback and streams it sees (for tests
to check)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecordedRequest:
    """A request the simulator received (the token is never stored)."""

    method: str
    path: str
    body: dict[str, Any] | None
    received_at: float  # time.time()
    logid: str
    client_port: int  # the client's port: the same for requests on one kept-alive connection
    status: int | None = None  # the HTTP status answered (set once the response started)
    code: int | None = None  # the JSON code of a JSON answer


@dataclass
class RecordedCancel:
    conversation_id: str
    chat_id: str
    running: bool  # the chat was streaming when the cancel arrived
    received_at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class StoredFile:
    """A file the simulator took (its bytes are not kept): what a question's ``file_id`` names."""

    file_id: str
    name: str
    kind: str  # image or file, by the extension
    size: int  # bytes
    content_type: str  # as the upload's part said


@dataclass(frozen=True)
class RecordedUpload:
    """A multipart request (an upload, a recording to transcribe) that passed the token check:
    its file's name, size and type as received (never its content), the Coze code answered
    (0: taken) and the file's id when an upload was taken."""

    path: str
    name: str | None
    size: int
    content_type: str | None
    code: int
    file_id: str | None = None
    received_at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class RecordedMessage:
    """One of the earlier messages a chat request carried in ``additional_messages``."""

    role: str  # user or assistant
    content: str  # the text; an object_string message's text item ("" when it has none)
    type: str | None = None  # question or answer, when the request said
    content_type: str | None = None
    # An object_string message's image and file items: (type as sent, the file it names).
    files: tuple[tuple[str, StoredFile], ...] = ()


@dataclass
class RecordedFeedback:
    """A feedback request (``POST`` or ``DELETE`` of a message's feedback) that passed the
    token check; ``code`` is the Coze code answered (0: it was taken)."""

    method: str  # POST (give feedback) or DELETE (take it back)
    conversation_id: str
    message_id: str
    feedback_type: str | None  # like or unlike; None for DELETE or a refused POST
    code: int
    reason_types: list[str] = field(default_factory=list)
    comment: str | None = None
    received_at: float = field(default_factory=time.time)


@dataclass
class StreamRecord:
    """One chat answered with a stream. Updated live while it runs."""

    chat_id: str
    conversation_id: str
    user_id: str
    message: str  # the user message as received (commands included)
    question: str  # the message without its commands
    commands: list[str]
    started_at: float  # time.time()
    # The messages before the question in additional_messages, oldest first: what the bot knows.
    earlier: list[RecordedMessage] = field(default_factory=list)
    # The question's image and file items: (type as sent, the file it names).
    files: list[tuple[str, StoredFile]] = field(default_factory=list)
    first_delta_sent_at: float | None = None  # time.time() of the first delta (any kind)
    last_delta_sent_at: float | None = None
    first_delta_monotonic: float | None = None  # time.monotonic() of the same moments
    last_delta_monotonic: float | None = None
    answers: list[str] = field(default_factory=list)  # full text of each answer message
    # The ids of the answer messages sent (text, card, object_string): what feedback may name.
    answer_ids: list[str] = field(default_factory=list)
    reasoning: str = ""
    deltas_sent: int = 0  # answer deltas (reasoning deltas not included)
    reasoning_deltas_sent: int = 0
    finished: bool = False  # ended normally with chat.completed and done
    ended: bool = False  # the stream is over, whatever the way
    # running, completed, requires-action, canceled, disconnected, stopped, or a /fail kind
    outcome: str = "running"
    ended_at: float | None = None

    @property
    def answer(self) -> str:
        return "\n\n".join(self.answers)
