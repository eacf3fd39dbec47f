"""A chat streamed on a background thread, so a UI can wait with a timeout and stop it at once.

A UI thread that blocks on the socket cannot react while Coze is silent (a reasoning bot can
think for a minute). Here a daemon thread reads the stream and hands events over a queue; the
UI thread waits in short slices, and :meth:`BackgroundChat.stop` aborts the socket immediately
instead of waiting for Coze's next byte.

A Stop that comes before Coze has said which chat it started (its first event carries the ids)
cannot cancel anything yet, and aborting then would leave the chat running on Coze's side,
spending the owner's tokens. So the reading thread reads on, handing nothing out, until the ids
arrive (then it cancels the chat and closes the stream) or for at most ``start_grace`` seconds
(``START_GRACE`` by default), counted from Coze's reply.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

import httpx

from ._client import cancel_chat, stoppable_chat
from ._config import CozeConfig
from ._context import ContextMessage
from ._exceptions import CozeError, redact
from ._files import Attachment
from ._models import ChatEvent, ChatStarted
from ._transport import CozeHTTPClient

__all__ = ["START_GRACE", "BackgroundChat", "ChatState"]

logger = logging.getLogger("coze_stream")

# How long a chat stopped after Coze's reply opened, but before its first event, is still read
# for its ids, to cancel it. Coze sends them at once with the reply; a stop must free the
# connection within a second, whatever the server does.
START_GRACE = 0.5


class ChatState(enum.Enum):
    """Where a :class:`BackgroundChat` is. Every change goes through ``BackgroundChat._advance``."""

    READING = "reading"
    """The stream is read and its events handed out."""
    ENDED = "ended"
    """The stream is over (or failed) on its own; what it handed over is still being taken."""
    FINISHED = "finished"
    """Everything was taken: the last event, then the end or the error. Final."""
    STOPPING_AWAITING_IDS = "stopping, awaiting ids"
    """Stopped before Coze named the chat: the stream is read on for its ids, handing nothing
    out, until they come or the grace is over (the grace starts when Coze's reply opens)."""
    CANCELLING = "cancelling"
    """Stopped and the ids are known: the cancel request is on its way."""
    STOPPED = "stopped"
    """Stopped: the cancel was sent, or none was wanted. Final."""
    GAVE_UP = "gave up"
    """Stopped before the ids came, and they did not come in time (or the stream ended first):
    the chat could not be cancelled. Should the ids turn up after all, it still is."""


class _Trigger(enum.Enum):
    """What can happen to a chat, and on which thread (see ``_TRANSITIONS``)."""

    STOP_WITH_IDS = enum.auto()  # UI: stop(cancel=True), the chat's ids known
    STOP_BEFORE_IDS = enum.auto()  # UI: stop(cancel=True), no ids yet
    STOP_WITHOUT_CANCEL = enum.auto()  # UI: stop(cancel=False)
    END_TAKEN = enum.auto()  # UI: take() reached the end or raised the error
    READ_WITH_IDS = enum.auto()  # reader: an event was read, and the chat's ids are known
    READER_ENDED = enum.auto()  # reader: it reads no more (stream over, failed or left)
    GRACE_OVER = enum.auto()  # grace timer: the ids did not come in time
    CANCEL_SENT = enum.auto()  # cancel thread or reader: the cancel request is done


# Every legal transition, by the thread whose trigger makes it. Any other (state, trigger) pair
# leaves the state as it is: a second stop(), a stop() once finished, the grace running out
# after the ids came, the reader ending after a stop that knew the ids, and so on.
_TRANSITIONS: Final[dict[tuple[ChatState, _Trigger], ChatState]] = {
    # UI thread. A stop that knows the ids aborts the socket and a thread sends the cancel;
    # one before the ids reads on for them; one without cancel just aborts the socket.
    (ChatState.READING, _Trigger.STOP_WITH_IDS): ChatState.CANCELLING,
    (ChatState.READING, _Trigger.STOP_BEFORE_IDS): ChatState.STOPPING_AWAITING_IDS,
    (ChatState.READING, _Trigger.STOP_WITHOUT_CANCEL): ChatState.STOPPED,
    # (after a failed stream the chat may still run; with the stream over, no ids can come)
    (ChatState.ENDED, _Trigger.STOP_WITH_IDS): ChatState.CANCELLING,
    (ChatState.ENDED, _Trigger.STOP_BEFORE_IDS): ChatState.GAVE_UP,
    (ChatState.ENDED, _Trigger.STOP_WITHOUT_CANCEL): ChatState.STOPPED,
    (ChatState.ENDED, _Trigger.END_TAKEN): ChatState.FINISHED,
    # Reader thread. The ids after a stop: it sends the cancel itself, then closes the stream.
    (ChatState.READING, _Trigger.READER_ENDED): ChatState.ENDED,
    (ChatState.STOPPING_AWAITING_IDS, _Trigger.READ_WITH_IDS): ChatState.CANCELLING,
    (ChatState.STOPPING_AWAITING_IDS, _Trigger.READER_ENDED): ChatState.GAVE_UP,
    (ChatState.GAVE_UP, _Trigger.READ_WITH_IDS): ChatState.CANCELLING,  # read as time ran out
    # Grace timer: it aborts the socket.
    (ChatState.STOPPING_AWAITING_IDS, _Trigger.GRACE_OVER): ChatState.GAVE_UP,
    # Cancel thread, or the reader after its own cancel.
    (ChatState.CANCELLING, _Trigger.CANCEL_SENT): ChatState.STOPPED,
}

# The states after a stop(): stoppable_chat sends no request any more, nothing is handed out.
_STOPPED: Final = frozenset(
    {ChatState.STOPPING_AWAITING_IDS, ChatState.CANCELLING, ChatState.STOPPED, ChatState.GAVE_UP}
)


@dataclass(frozen=True, slots=True)
class _Failed:
    error: BaseException


@dataclass(frozen=True, slots=True)
class _End:
    pass


_END: Final = _End()


class BackgroundChat:
    """``stream_chat(config, message, context=..., attachments=...)`` running on a daemon thread.

    A message or context that ``stream_chat`` refuses (``ValueError``, ``TypeError``) is
    refused here, before the thread starts.

    Use :meth:`take` to receive events, :meth:`stop` to end the answer early (closes the stream
    at once and asks Coze to cancel the chat). Events keep their order; an error is raised by
    :meth:`take` only after every event that came before it was handed out. After :meth:`stop`
    nothing more is handed out (neither events nor an error).

    :attr:`state` is a :class:`ChatState`; ``_TRANSITIONS`` lists every change, and
    :meth:`_advance` is the only place that makes one (under the one lock, ``_lock``, which
    also guards ``started``, the open response, the grace timer and what goes into the queue).
    Four threads take part, each with its own share:

    - the UI thread (the one that made the chat): :meth:`take`, :meth:`stop`, :attr:`finished`,
      :attr:`state`, :meth:`join`. Its triggers: the stops and ``END_TAKEN``. It alone sets
      ``cancel_thread`` and holds an error taken after events, for the next :meth:`take`.
    - the reader thread (``coze-chat``): reads the stream, records ``started``, puts events in
      the queue while ``READING``; when a reply opens after a stop, aborts it or starts the
      grace. Stopped before the ids, it reads on, and when they come sends the cancel itself,
      before closing the stream. Its triggers: ``READ_WITH_IDS``, ``CANCEL_SENT`` (its own
      cancel), ``READER_ENDED``; then it queues the error, if it has one to hand out, and the end.
    - the grace timer (``coze-grace``): ``GRACE_OVER``, aborting the reply's socket.
    - the cancel thread (``coze-cancel``, ``cancel_thread``): the cancel request of a stop
      that knew the ids; ``CANCEL_SENT``.
    """

    def __init__(
        self,
        config: CozeConfig,
        message: str,
        *,
        client: httpx.Client | None = None,
        user_id: str | None = None,
        context: Iterable[ContextMessage] = (),
        attachments: Sequence[Attachment] = (),
        start_grace: float = START_GRACE,
    ) -> None:
        self._config = config
        self._client = client
        # The stream's client: the caller's, or one of our own whose requests a stop can abort
        # before Coze's reply arrives (closed when the reading ends).
        self._http = client if client is not None else CozeHTTPClient()
        self._own_http = client is None
        self._start_grace = start_grace
        self._lock = threading.Lock()
        self._state = ChatState.READING
        # Set by _advance on the way into a stopped state; stoppable_chat reads it to send no
        # request any more and to cut its retry waits short.
        self._stop_requested = threading.Event()
        self._queue: queue.SimpleQueue[ChatEvent | _Failed | _End] = queue.SimpleQueue()
        # The open response, if any. It is forgotten (under the lock) before httpx can give its
        # connection back to the pool, where it may already serve another chat: a stop must
        # not touch it then.
        self._response: httpx.Response | None = None
        self._grace_timer: threading.Timer | None = None
        self._pending: BaseException | None = None  # UI thread only: raised by the next take()
        self.started: ChatStarted | None = None
        self.cancel_thread: threading.Thread | None = None
        try:
            self._events: Iterator[ChatEvent] = stoppable_chat(
                config,
                message,
                client=self._http,
                user_id=user_id,
                context=context,
                attachments=attachments,
                on_response=self._opened,
                stop=self._stop_requested,
            )
        except Exception:
            if self._own_http:  # refused before anything ran: no thread will close it
                self._http.close()
            raise
        self._thread = threading.Thread(target=self._read, name="coze-chat", daemon=True)
        self._thread.start()

    # -- the state machine ---------------------------------------------------------------------

    def _advance(self, trigger: _Trigger) -> tuple[ChatState, ChatState]:
        """Make the transition ``trigger`` calls for, if any: (state before, state after).

        The only place the state changes (lock held). The legal transitions are ``_TRANSITIONS``.
        """
        before = self._state
        after = _TRANSITIONS.get((before, trigger), before)
        self._state = after
        if after in _STOPPED:
            self._stop_requested.set()
        return before, after

    @property
    def state(self) -> ChatState:
        """Where the chat is now (another thread may move it on a moment later)."""
        with self._lock:
            return self._state

    @property
    def finished(self) -> bool:
        """True once the answer ended and everything was taken (never after :meth:`stop`)."""
        return self.state is ChatState.FINISHED

    @property
    def reading(self) -> bool:
        """True while the reading thread runs (it may still read after :meth:`stop`)."""
        return self._thread.is_alive()

    # -- the UI thread -------------------------------------------------------------------------

    def take(self, timeout: float) -> list[ChatEvent]:
        """Every event that has arrived, waiting up to ``timeout`` seconds for the first one.

        Returns ``[]`` when nothing arrived in time, the chat is over (see ``finished``) or it
        was stopped. Raises the chat's :class:`CozeError` once the events before it were taken.
        """
        if self.state not in (ChatState.READING, ChatState.ENDED):
            return []  # finished, or stopped: nothing more of the answer is handed out
        if self._pending is not None:
            error, self._pending = self._pending, None
            self._end_taken()
            raise error
        events: list[ChatEvent] = []
        try:
            item = self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
            while True:
                if isinstance(item, _End):
                    self._end_taken()
                    break
                if isinstance(item, _Failed):
                    if events:
                        self._pending = item.error
                        break
                    self._end_taken()
                    raise item.error
                events.append(item)
                item = self._queue.get_nowait()
        except queue.Empty:
            pass
        return events

    def _end_taken(self) -> None:
        with self._lock:
            self._advance(_Trigger.END_TAKEN)

    def stop(self, *, cancel: bool = True) -> None:
        """End the answer now: abort the stream's socket and, if the chat started, cancel it.

        Returns at once; the cancel request runs on its own daemon thread (``cancel_thread``),
        or, when the ids are still to come, on the reading thread once they do. Stopping a
        chat that is stopped or finished does nothing.
        """
        with self._lock:
            if not cancel:
                trigger = _Trigger.STOP_WITHOUT_CANCEL
            elif self.started is None:
                trigger = _Trigger.STOP_BEFORE_IDS
            else:
                trigger = _Trigger.STOP_WITH_IDS
            before, after = self._advance(trigger)
            if after is before:
                return
            if self._response is None:
                # No reply yet: abort the request that waits for it, rather than hold its
                # connection until the read timeout (no ids came, so there is nothing to cancel).
                self._abort_waiting_request()
            elif after is ChatState.STOPPING_AWAITING_IDS:
                self._begin_grace()
            else:
                _abort(self._response)
            started = self.started
        if after is ChatState.CANCELLING:
            assert started is not None  # STOP_WITH_IDS
            self.cancel_thread = threading.Thread(
                target=self._cancel, args=(started,), name="coze-cancel", daemon=True
            )
            self.cancel_thread.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the reading thread (and a cancel request) to end; for tests and shutdown."""
        deadline = None if timeout is None else time.monotonic() + timeout
        self._thread.join(timeout)
        if self.cancel_thread is not None:
            self.cancel_thread.join(
                None if deadline is None else max(0.0, deadline - time.monotonic())
            )

    # -- the reader thread ---------------------------------------------------------------------

    def _read(self) -> None:
        failure: Exception | None = None
        try:
            for event in self._events:
                if not self._on_event(event):
                    break
        except Exception as error:  # never lose a failure on a thread nobody watches
            failure = error
        finally:
            try:
                if isinstance(self._events, Generator):  # what stoppable_chat returns
                    self._events.close()  # outside the lock: it reports the response's end
                if self._own_http:
                    self._http.close()
            finally:
                self._end_reading(failure)

    def _on_event(self, event: ChatEvent) -> bool:
        """Hand ``event`` out, or act on it after a stop; False when nothing more is wanted."""
        with self._lock:
            if isinstance(event, ChatStarted):
                self.started = event
            before = after = self._state
            if self.started is not None:
                before, after = self._advance(_Trigger.READ_WITH_IDS)
            if after is ChatState.READING:
                self._queue.put(event)  # under the lock: nothing is handed out after stop()
                return True
            started = self.started
        if after in (ChatState.STOPPING_AWAITING_IDS, ChatState.GAVE_UP):
            return True  # stopped before the ids came: read on for them, handing nothing out
        if after is ChatState.CANCELLING and before is not ChatState.CANCELLING:
            # Stopped before the ids came, and here they are. Nobody waits for this thread, so
            # cancel first and close after: Coze hears of the cancel while the chat still runs,
            # not of a closed connection first.
            assert started is not None  # READ_WITH_IDS
            self._cancel(started)
        return False

    def _abort_waiting_request(self) -> None:
        """Shut down the socket the reader waits on for Coze's reply (lock held): only while
        the reader still runs, and only a client that can tell its threads apart."""
        if isinstance(self._http, CozeHTTPClient) and self._thread.is_alive():
            self._http.abort_requests_of(self._thread)

    def _end_reading(self, failure: Exception | None) -> None:
        with self._lock:
            _, after = self._advance(_Trigger.READER_ENDED)
            if self._grace_timer is not None:
                self._grace_timer.cancel()
            handed_out = failure is not None and after is ChatState.ENDED
            if handed_out:
                assert failure is not None
                self._queue.put(_Failed(failure))
            self._queue.put(_END)
        if handed_out and not isinstance(failure, CozeError):
            logger.error(
                "unexpected error while streaming: %s",
                redact(f"{type(failure).__name__}: {failure}", self._config.pat),
            )

    def _opened(self, response: httpx.Response | None) -> None:
        """``stoppable_chat`` tells of a response that opened (then of None, before it closes)."""
        if response is not None and isinstance(response.stream, httpx.SyncByteStream):
            # httpx hands the connection back to the pool when the body has been read, before
            # the events are all handed out: forget the response first, under the lock.
            response.stream = _ForgetOnClose(response.stream, self._forget_response)
        with self._lock:
            self._response = response
            if response is None or self._state is ChatState.READING:
                return
            if self._state is ChatState.STOPPING_AWAITING_IDS:
                self._begin_grace()  # counted from the reply, not from the Stop
            else:
                _abort(response)

    def _forget_response(self) -> None:
        with self._lock:
            self._response = None

    def _begin_grace(self) -> None:
        """Give the ids ``start_grace`` seconds more to come (lock held)."""
        if self._grace_timer is None:
            self._grace_timer = threading.Timer(self._start_grace, self._grace_over)
            self._grace_timer.name = "coze-grace"
            self._grace_timer.daemon = True
            self._grace_timer.start()

    # -- the grace timer -----------------------------------------------------------------------

    def _grace_over(self) -> None:
        with self._lock:
            before, after = self._advance(_Trigger.GRACE_OVER)
            if after is not before and self._response is not None:
                _abort(self._response)

    # -- the cancel thread (or the reader) -----------------------------------------------------

    def _cancel(self, started: ChatStarted) -> None:
        try:
            cancel_chat(self._config, started.conversation_id, started.chat_id, client=self._client)
        except CozeError as error:
            logger.warning("could not cancel chat %s: %s", _shown_id(started.chat_id), error)
        except Exception as error:
            logger.warning(
                "could not cancel chat %s: %s",
                _shown_id(started.chat_id),
                redact(f"{type(error).__name__}: {error}", self._config.pat),
            )
        finally:
            with self._lock:
                self._advance(_Trigger.CANCEL_SENT)


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


def _shown_id(chat_id: str) -> str:
    """A chat id as Coze sent it, fit for a log line: the token hidden, short, printable."""
    return "".join(ch for ch in redact(chat_id) if ch.isprintable())[:64]


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
