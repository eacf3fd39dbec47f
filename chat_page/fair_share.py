"""Fair share of one app among its visitors: chats at once, and messages a minute per visitor.

A public page serves everyone from one process. Without limits, one visitor (or a script) can
send as fast as the page allows and keep every connection to Coze busy, spending the owner's
tokens and starving the others. :class:`FairShare` is the one place that says yes or no; it
knows nothing of Streamlit (the page asks it), and its clock is a parameter, so its tests run
without waiting.

A visitor is whoever :func:`chat_page.settings.visitor` says (a browser session, or a client
address the owner's proxy vouches for); one answer at a time holds per browser session. With
``COZE_REDIS_URL`` set, :class:`chat_page.shared_limits.SharedFairShare` holds the same limits
across every replica. Demo chats (answered by the built-in simulator) have a cap of their own,
in each process, and never take a place of a live chat: a demo costs a live visitor nothing.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["FairShare", "Refusal", "Ticket"]

_WINDOW = 60.0


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a message is not sent now, and in how many seconds it may be."""

    # "busy": too many chats at once; "rate": this visitor's messages a minute; "streaming":
    # this visitor's previous answer still runs (Words.refusal says each to the visitor)
    reason: str
    retry_after: float


class Ticket:
    """A chat's place among those running; :meth:`release` (or ``with``) frees it, once.
    :meth:`renew` says the chat still runs (a shared place expires unless renewed)."""

    def __init__(
        self, release: Callable[[], None], renew: Callable[[], None] | None = None
    ) -> None:
        self._release: Callable[[], None] | None = release
        self._renew = renew

    def renew(self) -> None:
        if self._renew is not None and self._release is not None:
            self._renew()

    def release(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()

    def __enter__(self) -> Ticket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class FairShare:
    """Admits a visitor's message when a chat may start now; thread-safe, one per process."""

    def __init__(
        self,
        max_chats: int,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_demo_chats: int = 0,
    ) -> None:
        self.max_chats = max_chats
        self.max_demo_chats = max_demo_chats
        self.per_minute = per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._running = 0
        self._demo_running = 0
        self._streaming: collections.Counter[str] = collections.Counter()
        self._sent: dict[str, collections.deque[float]] = {}
        self._swept = clock()

    @property
    def running(self) -> int:
        """Live chats running (demo chats are not counted here)."""
        with self._lock:
            return self._running

    @property
    def demo_running(self) -> int:
        with self._lock:
            return self._demo_running

    def check(
        self, visitor: str, session: str | None = None, *, demo: bool = False
    ) -> Refusal | None:
        """Would a message from ``visitor`` be admitted now? (Nothing is counted.) One answer
        at a time holds per ``session`` (by default, per visitor)."""
        with self._lock:
            return self._refusal(visitor, session or visitor, self._clock(), demo)

    def admit(
        self, visitor: str, session: str | None = None, *, demo: bool = False
    ) -> Refusal | Ticket:
        """Count the message and take a place among the chats running (the demo's, for a demo
        chat), or say why not."""
        session = session or visitor
        with self._lock:
            now = self._clock()
            refusal = self._refusal(visitor, session, now, demo)
            if refusal is not None:
                return refusal
            self._sent.setdefault(visitor, collections.deque()).append(now)
            if demo:
                self._demo_running += 1
            else:
                self._running += 1
            self._streaming[session] += 1
            if now - self._swept > _WINDOW:  # forget visitors silent for a minute
                self._swept = now
                for quiet in [v for v, sent in self._sent.items() if sent[-1] <= now - _WINDOW]:
                    del self._sent[quiet]
        return Ticket(lambda: self._leave(session, demo))

    def spend(self, visitor: str, cost: int = 1, *, room: int = 0) -> Refusal | None:
        """Count a request that is no chat (a rating, an upload, a recording or an answer read
        aloud) as ``cost`` messages against the visitor's messages a minute, or say why not:
        clicks cannot send requests faster than messages. Refused too when ``room`` more
        messages would not fit after it (uploads leave room for the question they are for)."""
        with self._lock:
            now = self._clock()
            refusal = self._rate_refusal(visitor, now, cost + room)
            if refusal is None:
                self._sent.setdefault(visitor, collections.deque()).extend([now] * cost)
            return refusal

    def _leave(self, session: str, demo: bool) -> None:
        with self._lock:
            if demo:
                self._demo_running -= 1
            else:
                self._running -= 1
            self._streaming[session] -= 1
            if self._streaming[session] <= 0:
                del self._streaming[session]

    def _refusal(self, visitor: str, session: str, now: float, demo: bool) -> Refusal | None:
        if self._streaming[session]:  # one answer at a time per session
            return Refusal("streaming", 1.0)
        refusal = self._rate_refusal(visitor, now)
        if refusal is not None:
            return refusal
        if demo and self._demo_running >= self.max_demo_chats:
            return Refusal("busy", 5.0)
        if not demo and self._running >= self.max_chats:
            return Refusal("busy", 5.0)
        return None

    def _rate_refusal(self, visitor: str, now: float, cost: int = 1) -> Refusal | None:
        sent = self._sent.get(visitor)
        if cost > self.per_minute:
            return Refusal("too_much", 0.0)  # more than a minute's share at once: never
        if sent is not None:
            while sent and sent[0] <= now - _WINDOW:
                sent.popleft()
            if not sent:
                del self._sent[visitor]  # forget visitors who went quiet: memory stays bounded
            elif len(sent) + cost > self.per_minute:
                return Refusal("rate", sent[len(sent) + cost - self.per_minute - 1] + _WINDOW - now)
        return None
