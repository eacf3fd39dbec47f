"""The simulator's shared state: records, running chats and ids, behind one lock.

Every connection runs on its own thread, and tests read the records from theirs: all changes
happen here, under ``lock``, and wake ``wait_for``.
"""

from __future__ import annotations

import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from .records import (
    RecordedCancel,
    RecordedFeedback,
    RecordedRequest,
    RecordedUpload,
    StoredFile,
    StreamRecord,
)

_T = TypeVar("_T")

MAX_STORED_FILES = 1000  # the files the simulator remembers; the oldest is forgotten first


@dataclass
class ActiveChat:
    """A chat whose stream is running; ``halt`` ends it (a cancel, or the simulator stopping)."""

    conversation_id: str
    chat_id: str
    halt: threading.Event = field(default_factory=threading.Event)
    canceled: bool = False


class SimulatorState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._changed = threading.Condition(self.lock)
        self.stopping = threading.Event()
        self.requests: list[RecordedRequest] = []
        self.cancels: list[RecordedCancel] = []
        self.disconnects: list[str] = []
        self.streams: list[StreamRecord] = []
        self.feedbacks: list[RecordedFeedback] = []
        # The feedback each answer message has now: (conversation id, message id) -> type.
        self.feedback_now: dict[tuple[str, str], str] = {}
        self.uploads: list[RecordedUpload] = []
        # The files taken, by id, oldest first (this process only, in memory, bounded).
        self.files: OrderedDict[str, StoredFile] = OrderedDict()
        self._active: dict[str, ActiveChat] = {}
        self._rate_limited: set[tuple[str, str]] = set()
        self._rng = random.Random()
        self._last_id = 0

    def wait_for(self, predicate: Callable[[], _T], timeout: float) -> _T:
        """Wait until ``predicate()`` is truthy and return its value; TimeoutError after timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"condition not met within {timeout} s")
                self._changed.wait(min(remaining, 0.05))

    def notify(self) -> None:
        """Wake ``wait_for`` after a change made outside this class (a request's status)."""
        with self.lock:
            self._changed.notify_all()

    def add_request(self, request: RecordedRequest) -> None:
        with self.lock:
            self.requests.append(request)
            self._changed.notify_all()

    def add_disconnect(self, chat_id: str) -> None:
        with self.lock:
            self.disconnects.append(chat_id)
            self._changed.notify_all()

    def new_id(self) -> str:
        """A new 19-digit id, larger than the ones before (as Coze's are)."""
        with self.lock:
            candidate = 7_300_000_000_000_000_000 + self._rng.randrange(10**17) * 10
            self._last_id = max(candidate, self._last_id + self._rng.randrange(1, 10**6))
            return str(self._last_id)

    def first_time_seen(self, user_id: str, message: str) -> bool:
        with self.lock:
            key = (user_id, message)
            if key in self._rate_limited:
                return False
            self._rate_limited.add(key)
            return True

    # -- running chats ------------------------------------------------------------------------

    def stream_started(self, record: StreamRecord, active: ActiveChat) -> None:
        with self.lock:
            self.streams.append(record)
            self._active[active.chat_id] = active
            if self.stopping.is_set():
                active.halt.set()
            self._changed.notify_all()

    def stream_ended(self, active: ActiveChat) -> None:
        with self.lock:
            self._active.pop(active.chat_id, None)
            self._changed.notify_all()

    def halt_all(self) -> None:
        """Stop every running chat, and the ones that start from now on."""
        self.stopping.set()
        with self.lock:
            for active in self._active.values():
                active.halt.set()

    def begin_cancel(self, conversation_id: str, chat_id: str) -> ActiveChat | None:
        """Record a cancel; halt and return the chat if it is running, else None."""
        with self.lock:
            active = self._active.get(chat_id)
            running = (
                active is not None
                and active.conversation_id == conversation_id
                and not active.halt.is_set()
            )
            self.cancels.append(RecordedCancel(conversation_id, chat_id, running))
            if running and active is not None:
                active.canceled = True
                active.halt.set()
            self._changed.notify_all()
            return active if running else None

    # -- a stream's record --------------------------------------------------------------------

    def delta_sent(
        self, record: StreamRecord, *, reasoning: bool, wall: float, mono: float
    ) -> None:
        with self.lock:
            if record.first_delta_sent_at is None:
                record.first_delta_sent_at, record.first_delta_monotonic = wall, mono
            record.last_delta_sent_at, record.last_delta_monotonic = wall, mono
            if reasoning:
                record.reasoning_deltas_sent += 1
            else:
                record.deltas_sent += 1
            self._changed.notify_all()

    def answer_completed(self, record: StreamRecord, text: str | None, message_id: str) -> None:
        """An answer message was sent whole: its text (None for a card or items), its id."""
        with self.lock:
            if text is not None:
                record.answers.append(text)
            if message_id not in record.answer_ids:
                record.answer_ids.append(message_id)

    # -- files ----------------------------------------------------------------------------------

    def add_upload(self, upload: RecordedUpload, stored: StoredFile | None = None) -> None:
        """Record a multipart request; keep the file it stored, forgetting the oldest ones."""
        with self.lock:
            self.uploads.append(upload)
            if stored is not None:
                self.files[stored.file_id] = stored
                while len(self.files) > MAX_STORED_FILES:
                    self.files.popitem(last=False)
            self._changed.notify_all()

    def stored_file(self, file_id: str) -> StoredFile | None:
        with self.lock:
            return self.files.get(file_id)

    # -- feedback -----------------------------------------------------------------------------

    def knows_answer(self, conversation_id: str, message_id: str) -> bool:
        """True if ``message_id`` is an answer message this simulator sent in the conversation."""
        with self.lock:
            return any(
                r.conversation_id == conversation_id and message_id in r.answer_ids
                for r in self.streams
            )

    def add_feedback(self, feedback: RecordedFeedback) -> None:
        """Record a feedback request; when it was taken (code 0), set or clear the feedback."""
        with self.lock:
            self.feedbacks.append(feedback)
            if feedback.code == 0:
                key = (feedback.conversation_id, feedback.message_id)
                if feedback.feedback_type is None:
                    self.feedback_now.pop(key, None)
                else:
                    self.feedback_now[key] = feedback.feedback_type
            self._changed.notify_all()

    def finish(self, record: StreamRecord, outcome: str) -> None:
        """Record how the stream ended; a cancel from now on finds the chat over."""
        with self.lock:
            self._active.pop(record.chat_id, None)
            record.outcome = outcome
            record.finished = outcome == "completed"
            record.ended = True
            record.ended_at = time.time()
            self._changed.notify_all()
