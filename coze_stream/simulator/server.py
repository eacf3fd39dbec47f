"""``CozeSimulator``: the server's settings, its lifecycle and the records tests read."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from typing import Any, TypeVar

from .handler import Handler
from .records import RecordedCancel, RecordedFeedback, RecordedRequest, StreamRecord
from .state import SimulatorState
from .wire import DISCONNECT_ERRORS

DEMO_PAT = "demo-token-of-the-coze-simulator"
DEMO_BOT_ID = "7379462189365198898"

_T = TypeVar("_T")

DeltaHook = Callable[[str, int, float], None]
"""Called as ``on_delta(chat_id, index, sent_at)`` after each answer delta is written.

``index`` counts the chat's answer deltas from 0 (across all its answer messages; reasoning
deltas are not answer deltas) and ``sent_at`` is the ``time.time()`` the delta was recorded as
sent with (the same clock as ``StreamRecord.first_delta_sent_at``). It runs on the connection's
thread while the stream waits: keep it quick, and it must not raise.
"""


class SimulatorHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that can cut all its open connections (to stop quickly)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sim: CozeSimulator, state: SimulatorState) -> None:
        self.sim = sim
        self.state = state
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def cut_all_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client going away, or the simulator cutting connections to stop, is no error.
        exc = sys.exc_info()[1]
        if isinstance(exc, (*DISCONNECT_ERRORS, TimeoutError)) or self.state.stopping.is_set():
            return
        super().handle_error(request, client_address)


class CozeSimulator:
    """A Coze v3 chat server on a local port. Use as a context manager or call start()/stop().

    ``deltas_per_second`` paces the deltas (0 or ``math.inf``: as fast as possible);
    ``delta_chars`` is the approximate number of characters per delta. ``on_delta`` (a
    ``DeltaHook``) is called as ``on_delta(chat_id, index, sent_at)`` after each answer delta
    is written, with the delta's index in its chat (from 0) and the ``time.time()`` it was sent.
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
        verbose: bool = False,
        on_delta: DeltaHook | None = None,
    ) -> None:
        self.pat = pat
        self.bot_id = bot_id
        self.host = host
        self.port = port
        self.deltas_per_second = float(deltas_per_second)
        self.delta_chars = max(1, int(delta_chars))
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
        self._server = SimulatorHTTPServer((self.host, self.port), self, self._state)
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
