"""A chat streamed on a background thread, so a UI can wait with a timeout and stop it at once.

A UI thread that blocks on the socket cannot react while Coze is silent (a reasoning bot can
think for a minute). Here a daemon thread reads the stream and hands events over a queue; the
UI thread waits in short slices, and :meth:`BackgroundChat.stop` aborts the socket immediately
instead of waiting for Coze's next byte.

A Stop that comes before Coze has said which chat it started (its first event carries the ids)
cannot cancel anything yet, and aborting then would leave the chat running on Coze's side,
spending the owner's tokens. So the reading thread reads on, handing nothing out, until the ids
arrive (then it closes the stream and cancels the chat) or for at most ``START_GRACE`` seconds.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx

from ._client import _stream_chat, cancel_chat
from ._config import CozeConfig
from ._exceptions import CozeError, redact
from ._models import ChatEvent, ChatStarted

__all__ = ["BackgroundChat"]

logger = logging.getLogger("coze_stream")

# How long a chat stopped before its first event is still read for its ids, to cancel it.
START_GRACE = 10.0


@dataclass(frozen=True, slots=True)
class _Failed:
    error: BaseException


_END = object()


class BackgroundChat:
    """``stream_chat(config, message)`` running on a daemon thread.

    Use :meth:`take` to receive events, :meth:`stop` to end the answer early (closes the stream
    at once and asks Coze to cancel the chat). Events keep their order; an error is raised by
    :meth:`take` only after every event that came before it was handed out.
    """

    def __init__(
        self,
        config: CozeConfig,
        message: str,
        *,
        client: httpx.Client | None = None,
        user_id: str | None = None,
    ) -> None:
        self._config = config
        self._client = client
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._stopping = threading.Event()
        # The open response, if any; the lock keeps stop() from touching a connection that has
        # gone back to the client's pool (it may already serve another chat). It also guards
        # the stop and cancel decisions below, taken on two threads.
        self._response: httpx.Response | None = None
        self._response_lock = threading.Lock()
        self._cancel_wanted = False
        self._cancel_claimed = False
        self._given_up = False  # stopped before the ids came, and they did not come in time
        self._grace_timer: threading.Timer | None = None
        self._pending: BaseException | None = None
        self.started: ChatStarted | None = None
        self.finished = False
        self.cancel_thread: threading.Thread | None = None
        self._events = _stream_chat(
            config,
            message,
            client=client,
            user_id=user_id,
            on_response=self._opened,
            stop=self._stopping,
        )
        self._thread = threading.Thread(target=self._read, name="coze-chat", daemon=True)
        self._thread.start()

    def _opened(self, response: httpx.Response | None) -> None:
        if response is not None:
            # httpx hands the connection back to the pool when the body has been read, before
            # the events are all handed out: forget the response first, under the lock.
            response.stream = _ForgetOnClose(response.stream, self._forget_response)
        with self._response_lock:
            self._response = response
            if response is not None and self._stopping.is_set():
                if self._awaiting_ids():
                    self._start_grace()  # counted from the reply, not from the Stop
                else:
                    _abort(response)

    def _forget_response(self) -> None:
        with self._response_lock:
            self._response = None

    def _awaiting_ids(self) -> bool:
        """Stopped before the chat's ids came, and still reading for them (lock held)."""
        return self._cancel_wanted and self.started is None and not self._given_up

    def _read(self) -> None:
        try:
            for event in self._events:
                with self._response_lock:
                    if isinstance(event, ChatStarted):
                        self.started = event
                    stopping = self._stopping.is_set()
                    cancel = stopping and self.started is not None and self._claim_cancel()
                    if not stopping:  # under the lock: nothing is handed out after stop()
                        self._queue.put(event)
                if cancel:
                    # Stopped before the ids came, and here they are. Nobody waits for this
                    # thread, so cancel first and close after: Coze hears of the cancel while
                    # the chat still runs, not of a closed connection first.
                    self._cancel(self.started)  # type: ignore[arg-type]
                if stopping and self.started is not None:
                    break  # stopped: nothing more is wanted
                # Otherwise stopped before the ids came: read on, handing nothing out.
        except CozeError as error:
            if not self._stopping.is_set():
                self._queue.put(_Failed(error))
        except Exception as error:  # never lose a failure on a thread nobody watches
            if not self._stopping.is_set():
                logger.error(
                    "unexpected error while streaming: %s",
                    redact(f"{type(error).__name__}: {error}", self._config.pat),
                )
                self._queue.put(_Failed(error))
        finally:
            self._events.close()
            with self._response_lock:
                if self._grace_timer is not None:
                    self._grace_timer.cancel()
            self._queue.put(_END)

    def take(self, timeout: float) -> list[ChatEvent]:
        """Every event that has arrived, waiting up to ``timeout`` seconds for the first one.

        Returns ``[]`` when nothing arrived in time or the chat is over (see ``finished``).
        Raises the chat's :class:`CozeError` once the events before it have been taken.
        """
        if self._pending is not None:
            error, self._pending = self._pending, None
            self.finished = True
            raise error
        if self.finished or self._stopping.is_set():
            return []  # after stop(), nothing more of the answer is handed out
        events: list[ChatEvent] = []
        try:
            item = self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
            while True:
                if item is _END:
                    self.finished = True
                    break
                if isinstance(item, _Failed):
                    if events:
                        self._pending = item.error
                        break
                    self.finished = True
                    raise item.error
                events.append(item)  # type: ignore[arg-type]
                item = self._queue.get_nowait()
        except queue.Empty:
            pass
        return events

    def stop(self, *, cancel: bool = True) -> None:
        """End the answer now: abort the stream's socket and, if the chat started, cancel it.

        Returns at once; the cancel request runs on its own daemon thread (``cancel_thread``).
        """
        if self._stopping.is_set():
            return
        with self._response_lock:
            self._stopping.set()
            self._cancel_wanted = cancel and not self.finished
            awaiting = self._awaiting_ids() and self._thread.is_alive()
            if self._response is not None:
                if awaiting:
                    self._start_grace()
                else:
                    _abort(self._response)
            # With no reply yet, the reader waits for it (at most the read timeout) and the
            # grace starts when it opens: giving up before would only lose the cancel.
            claimed = self._cancel_wanted and self.started is not None and self._claim_cancel()
        if claimed:
            self._start_cancel()

    def _start_grace(self) -> None:
        """Give the ids START_GRACE seconds more to come (lock held)."""
        if self._grace_timer is None:
            self._grace_timer = threading.Timer(START_GRACE, self._give_up_on_ids)
            self._grace_timer.daemon = True
            self._grace_timer.start()

    def _claim_cancel(self) -> bool:
        """True for the one caller that is to send the cancel request (lock held)."""
        if not self._cancel_wanted or self._cancel_claimed:
            return False
        self._cancel_claimed = True
        return True

    def _start_cancel(self) -> None:
        started = self.started
        assert started is not None
        self.cancel_thread = threading.Thread(
            target=self._cancel, args=(started,), name="coze-cancel", daemon=True
        )
        self.cancel_thread.start()

    def _give_up_on_ids(self) -> None:
        with self._response_lock:
            if self.started is None:
                self._given_up = True
                if self._response is not None:
                    _abort(self._response)

    def _cancel(self, started: ChatStarted) -> None:
        try:
            cancel_chat(self._config, started.conversation_id, started.chat_id, client=self._client)
        except CozeError as error:
            logger.warning("could not cancel chat %s: %s", started.chat_id, error)
        except Exception as error:
            logger.warning(
                "could not cancel chat %s: %s",
                started.chat_id,
                redact(f"{type(error).__name__}: {error}", self._config.pat),
            )

    @property
    def reading(self) -> bool:
        """True while the reading thread runs (it may still read after :meth:`stop`)."""
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the reading thread (and a cancel request) to end; for tests and shutdown."""
        deadline = None if timeout is None else time.monotonic() + timeout
        self._thread.join(timeout)
        if self.cancel_thread is not None:  # read after the reader ended: it may start one
            self.cancel_thread.join(
                None if deadline is None else max(0.0, deadline - time.monotonic())
            )


class _ForgetOnClose(httpx.SyncByteStream):
    """A response body that calls ``forget`` before it is closed (and its connection freed)."""

    def __init__(self, stream: httpx.SyncByteStream, forget: Callable[[], None]) -> None:
        self._stream = stream
        self._forget = forget

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    def close(self) -> None:
        self._forget()
        self._stream.close()


def _abort(response: httpx.Response) -> None:
    """Shut the response's socket down, waking a thread blocked reading it.

    Closing a socket does not wake a ``recv`` blocked on it in another thread; ``shutdown``
    does. Without a network stream (a faked transport) there is nothing to wake.
    """
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
