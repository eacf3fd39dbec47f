"""The simulator's HTTP server: threads per connection, and every connection cut at once to stop."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .settings import SimulatorSettings
from .state import SimulatorState
from .wire import DISCONNECT_ERRORS


class SimulatorHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that can cut all its open connections (to stop quickly).

    Its requests read ``sim`` (the simulator's settings) and ``state`` (what it shares and
    records); ``handler`` is passed in, as it is the module that reads this one.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        sim: SimulatorSettings,
        state: SimulatorState,
    ) -> None:
        self.sim = sim
        self.state = state
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, handler)

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
