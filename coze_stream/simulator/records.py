"""What the simulator records of the requests, cancels and streams it sees (for tests to check)."""

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
    first_delta_sent_at: float | None = None  # time.time() of the first delta (any kind)
    last_delta_sent_at: float | None = None
    first_delta_monotonic: float | None = None  # time.monotonic() of the same moments
    last_delta_monotonic: float | None = None
    answers: list[str] = field(default_factory=list)  # full text of each answer message
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
