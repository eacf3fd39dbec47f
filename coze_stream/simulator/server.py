"""``CozeSimulator``: the server's settings, its lifecycle and the records tests read."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from .handler import Handler
from .httpserver import SimulatorHTTPServer
from .records import (
    RecordedCancel,
    RecordedFeedback,
    RecordedRequest,
    RecordedUpload,
    StoredFile,
    StreamRecord,
)
from .settings import DeltaHook
from .state import SimulatorState
from .uploads import DEFAULT_MAX_UPLOAD_BYTES

DEMO_PAT = "demo-token-of-the-coze-simulator"
DEMO_BOT_ID = "7379462189365198898"

_T = TypeVar("_T")


class CozeSimulator:
    """A Coze v3 chat server on a local port. Use as a context manager or call start()/stop().

    ``deltas_per_second`` paces the deltas (0 or ``math.inf``: as fast as possible);
    ``delta_chars`` is the approximate number of characters per delta. ``on_delta`` (a
    ``DeltaHook``) is called as ``on_delta(chat_id, index, sent_at)`` after each answer delta
    is written, with the delta's index in its chat (from 0) and the ``time.time()`` it was sent.
    ``max_chat_seconds`` (None: no limit) ends an answer where it is once it has run that long,
    as if the bot had finished there: ``/long``, ``/slow``, ``/stall`` and ``/late`` then hold a
    connection for no longer (a public demo's bound; ``/help`` says it).
    ``max_upload_bytes`` is the largest file its upload takes (Coze's own limit is 512 MB; a
    smaller one keeps a demo's memory bounded), answered with 4302 beyond.
    The settings are plain attributes that may be changed while the simulator runs; pacing and
    delta size apply from the next chat on.
    """

    def __init__(
        self,
        pat: str = DEMO_PAT,
        bot_id: str = DEMO_BOT_ID,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        deltas_per_second: float = 30.0,
        delta_chars: int = 4,
        max_chat_seconds: float | None = None,
        max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
        verbose: bool = False,
        on_delta: DeltaHook | None = None,
    ) -> None:
        self.pat = pat
        self.bot_id = bot_id
        self.host = host
        self.port = port
        self.deltas_per_second = float(deltas_per_second)
        self.delta_chars = max(1, int(delta_chars))
        self.max_chat_seconds = max_chat_seconds
        self.max_upload_bytes = max_upload_bytes
        self.verbose = verbose
        self.on_delta = on_delta
        self._state = SimulatorState()
        self._server: SimulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> CozeSimulator:
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        self._state.stopping.clear()
        self._server = SimulatorHTTPServer((self.host, self.port), Handler, self, self._state)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"coze-simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._state.halt_all()
        server.shutdown()
        server.cut_all_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=2)
        self._server = self._thread = None

    def __enter__(self) -> CozeSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment variables pointing a client at this simulator."""
        return {
            "COZE_PAT": self.pat,
            "COZE_BOT_ID": self.bot_id,
            "COZE_API_BASE_URL": self.base_url,
        }

    # -- records (snapshots; the records themselves are live) --------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._state.lock:
            return list(self._state.requests)

    @property
    def cancels(self) -> list[RecordedCancel]:
        with self._state.lock:
            return list(self._state.cancels)

    @property
    def disconnects(self) -> list[str]:
        with self._state.lock:
            return list(self._state.disconnects)

    @property
    def feedbacks(self) -> list[RecordedFeedback]:
        """Every feedback request that passed the token check, taken or refused."""
        with self._state.lock:
            return list(self._state.feedbacks)

    def feedback_of(self, conversation_id: str, message_id: str) -> str | None:
        """The feedback an answer has now: ``"like"``, ``"unlike"``, or None (none, or taken
        back)."""
        with self._state.lock:
            return self._state.feedback_now.get((conversation_id, message_id))

    @property
    def uploads(self) -> list[RecordedUpload]:
        """Every upload and recording to transcribe that passed the token check: name, size,
        type and the code answered (never the content)."""
        with self._state.lock:
            return list(self._state.uploads)

    @property
    def files(self) -> list[StoredFile]:
        """The files the simulator holds now, oldest first."""
        with self._state.lock:
            return list(self._state.files.values())

    @property
    def streams(self) -> list[StreamRecord]:
        with self._state.lock:
            return list(self._state.streams)

    def stream(self, chat_id: str) -> StreamRecord:
        """The record of the stream of ``chat_id`` (KeyError if none)."""
        with self._state.lock:
            for r in self._state.streams:
                if r.chat_id == chat_id:
                    return r
        raise KeyError(chat_id)

    def wait_for(self, predicate: Callable[[], _T], timeout: float = 5.0) -> _T:
        """Wait until ``predicate()`` is truthy and return its value; TimeoutError after timeout."""
        return self._state.wait_for(predicate, timeout)
