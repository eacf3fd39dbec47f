"""The fair share held across replicas: :class:`~chat_page.fair_share.FairShare`'s limits, in Redis.

With ``COZE_REDIS_URL`` set, every replica asks the same Redis:

- messages a minute per visitor: a moving window kept by the ``limits`` library's Redis storage
  (its Lua scripts test and count in one step, so two replicas cannot both take the last place);
- chats at once: leases, one sorted set of lease ids scored by when each expires on Redis's own
  clock (replicas' clocks never matter). A Lua script drops the lapsed leases and takes a place
  only below the cap, in one step; a chat renews its lease while its answer streams and removes
  it when the answer ends or is stopped, and a replica that crashed stops renewing, so its
  leases lapse within :data:`LEASE_SECONDS`;
- one answer at a time per browser session stays in the process: a session lives on one replica.

Redis failing never fails a visitor. Every call waits at most :data:`TIMEOUT_SECONDS` (no
retries); the first failure switches this process to its own :class:`FairShare` (today's
per-process limits), logged once, with the URL's password hidden; Redis is tried again after a
pause that doubles from 1 s to 30 s, never on every message, and once it answers the limits are
shared again (logged once too).
"""

from __future__ import annotations

import collections
import logging
import threading
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

import redis
from limits import RateLimitItemPerMinute
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis.backoff import NoBackoff
from redis.retry import Retry

from .fair_share import FairShare, Refusal, Ticket

__all__ = [
    "LEASE_SECONDS",
    "RENEW_SECONDS",
    "TIMEOUT_SECONDS",
    "SharedFairShare",
    "redis_address",
]

# A lease lapses this long after its last renewal: a crashed replica's chats free their places
# within it (under 30 s).
LEASE_SECONDS = 20.0
# A streaming answer renews its lease at most this often (its heartbeat comes every 0.2 s).
RENEW_SECONDS = 5.0
# The longest one Redis call may take (connect, or send and read), and so the longest a message
# waits on Redis: after a failure the message's other calls go to the process's own limits.
# Loopback or a cluster-local Redis answers in well under a millisecond.
TIMEOUT_SECONDS = 0.2
FIRST_PAUSE = 1.0
LAST_PAUSE = 30.0
_BUSY_RETRY = 5.0  # as FairShare says when the cap is reached

logger = logging.getLogger("coze_chat")

# Lapsed leases out, then a place only below the cap. KEYS[1]: the leases; ARGV: the cap, the
# lease's life in seconds, its id. The key itself expires with its last lease.
_ACQUIRE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])))
return 1
"""
# A lease's life starts again. Also after Redis lost it (a restart): the chat still runs, so it
# is counted again, even past the cap. ARGV: the lease's life in seconds, its id.
_RENEW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[1])))
return 1
"""
# The leases still alive (read only).
_COUNT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
"""

_REDIS_FAILURES = (redis.RedisError, OSError)


def redis_address(url: str) -> str:
    """``url`` as it may be logged: scheme, host, port and database, never a user or password."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(a malformed Redis URL)"
    return f"{parts.scheme}://{host}{port}{parts.path}"


class SharedFairShare:
    """Admits a visitor's message when the whole deployment may start a chat now; thread-safe,
    one per process. Same questions and answers as :class:`FairShare`."""

    def __init__(
        self,
        url: str,
        max_chats: int,
        per_minute: int,
        *,
        max_demo_chats: int = 0,
        key_prefix: str = "coze-chat",
        lease_seconds: float = LEASE_SECONDS,
        renew_seconds: float = RENEW_SECONDS,
        timeout: float = TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Connects lazily: a Redis that is down now only means per-process limits for a while.
        Raises ValueError for a URL that is not a Redis URL."""
        self.max_chats = max_chats
        self.per_minute = per_minute
        # While Redis does not answer; and always for demo chats, whose small cap is each
        # process's own (they cost no live place, nor anything at Coze).
        self.local = FairShare(max_chats, per_minute, max_demo_chats=max_demo_chats)
        self._where = redis_address(url)
        self._lease_seconds = lease_seconds
        self._renew_seconds = renew_seconds
        self._clock = clock
        pool = redis.ConnectionPool.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),  # one try: the fallback is the retry
        )
        self._redis = redis.Redis(connection_pool=pool)
        self._rate = MovingWindowRateLimiter(
            RedisStorage(url, connection_pool=pool, key_prefix=key_prefix)
        )
        self._per_minute = RateLimitItemPerMinute(per_minute)
        self._leases = f"{key_prefix}:chats"
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._renew = self._redis.register_script(_RENEW)
        self._count = self._redis.register_script(_COUNT)
        self._lock = threading.Lock()
        self._streaming: collections.Counter[str] = collections.Counter()
        self._down_until: float | None = None  # while set, Redis is not asked before then
        self._pause = FIRST_PAUSE

    @property
    def shared(self) -> bool:
        """Whether the limits are shared now (False while Redis is not answering)."""
        with self._lock:
            return self._down_until is None

    def check(
        self, visitor: str, session: str | None = None, *, demo: bool = False
    ) -> Refusal | None:
        """Would a message from ``visitor`` be admitted now? (Nothing is counted.)"""
        session = session or visitor
        if demo:
            return self.local.check(visitor, session, demo=True)
        with self._lock:
            if self._streaming[session]:
                return Refusal("streaming", 1.0)
        if self._may_ask():
            try:
                refusal = self._rate_refusal(visitor)
                if refusal is None and int(self._count([self._leases])) >= self.max_chats:
                    refusal = Refusal("busy", _BUSY_RETRY)
            except _REDIS_FAILURES as error:
                self._failed(error)
            else:
                self._answered()
                return refusal
        return self.local.check(visitor, session)

    def admit(
        self, visitor: str, session: str | None = None, *, demo: bool = False
    ) -> Refusal | Ticket:
        """Count the message and take a place among the chats running, or say why not."""
        session = session or visitor
        if demo:
            return self.local.admit(visitor, session, demo=True)
        with self._lock:
            if self._streaming[session]:  # one answer at a time per session
                return Refusal("streaming", 1.0)
            self._streaming[session] += 1
        try:
            ticket = self._admit(visitor, session)
        except BaseException:
            self._leave(session)
            raise
        if isinstance(ticket, Refusal):
            self._leave(session)
        return ticket

    def spend(self, visitor: str, cost: int = 1, *, room: int = 0) -> Refusal | None:
        """Count a request that is no chat (a rating, an upload, a recording, an answer read
        aloud) as ``cost`` messages against the visitor's messages a minute, or say why not;
        refused too when ``room`` more messages would not fit after it (see FairShare.spend)."""
        if cost + room > self.per_minute:
            return Refusal("too_much", 0.0)  # more than a minute's share at once: never
        if self._may_ask():
            try:
                fits = not room or self._rate.test(
                    self._per_minute, "messages", visitor, cost=cost + room
                )
                hit = fits and self._rate.hit(self._per_minute, "messages", visitor, cost=cost)
                refusal = None
                if not hit:  # (a race may leave room by now: it is still refused this time)
                    refusal = self._rate_refusal(visitor, cost + room) or Refusal("rate", 1.0)
            except _REDIS_FAILURES as error:
                self._failed(error)
            else:
                self._answered()
                return refusal
        return self.local.spend(visitor, cost, room=room)

    def _admit(self, visitor: str, session: str) -> Refusal | Ticket:
        if self._may_ask():
            lease = uuid.uuid4().hex
            try:
                # Tested first, counted last: a message refused for the cap is not counted.
                refusal = self._rate_refusal(visitor)
                if refusal is not None:
                    self._answered()
                    return refusal
                if not self._acquire([self._leases], [self.max_chats, self._lease_seconds, lease]):
                    self._answered()
                    return Refusal("busy", _BUSY_RETRY)
                if not self._rate.hit(self._per_minute, "messages", visitor):
                    self._redis.zrem(self._leases, lease)  # another replica took the last one
                    self._answered()
                    return self._rate_refusal(visitor) or Refusal("rate", 1.0)
            except _REDIS_FAILURES as error:
                self._failed(error)
            else:
                self._answered()
                return self._shared_ticket(session, lease)
        ticket = self.local.admit(visitor, session)
        if isinstance(ticket, Refusal):
            return ticket
        local = ticket

        def release() -> None:
            local.release()
            self._leave(session)

        return Ticket(release)

    def _shared_ticket(self, session: str, lease: str) -> Ticket:
        renewed = self._clock()

        def renew() -> None:
            nonlocal renewed
            now = self._clock()
            if now - renewed < self._renew_seconds or not self._may_ask():
                return
            renewed = now
            try:
                self._renew([self._leases], [self._lease_seconds, lease])
            except _REDIS_FAILURES as error:
                self._failed(error)  # unrenewed, the lease lapses by itself
            else:
                self._answered()

        def release() -> None:
            self._leave(session)
            if self._may_ask():
                try:
                    self._redis.zrem(self._leases, lease)
                except _REDIS_FAILURES as error:
                    self._failed(error)  # the lease lapses by itself
                else:
                    self._answered()

        return Ticket(release, renew)

    def _rate_refusal(self, visitor: str, cost: int = 1) -> Refusal | None:
        """Why ``cost`` more messages from ``visitor`` do not fit now (None when they do); the
        wait is until the window's oldest leaves it."""
        if self._rate.test(self._per_minute, "messages", visitor, cost=cost):
            return None
        reset_at, _ = self._rate.get_window_stats(self._per_minute, "messages", visitor)
        return Refusal("rate", max(1.0, reset_at - time.time()))

    def _leave(self, session: str) -> None:
        with self._lock:
            self._streaming[session] -= 1
            if self._streaming[session] <= 0:
                del self._streaming[session]

    def _may_ask(self) -> bool:
        with self._lock:
            return self._down_until is None or self._clock() >= self._down_until

    def _failed(self, error: BaseException) -> None:
        with self._lock:
            first = self._down_until is None
            if not first:  # failed again after a pause: the next one is twice as long
                self._pause = min(self._pause * 2, LAST_PAUSE)
            self._down_until = self._clock() + self._pause
        if first:  # the error's type only: its text may quote the server's address and more
            logger.warning(
                "Redis at %s is not answering (%s): each replica keeps its own limits until it"
                " does (tried again after %.0f s, then less and less often)",
                self._where,
                type(error).__name__,
                FIRST_PAUSE,
            )

    def _answered(self) -> None:
        with self._lock:
            if self._down_until is None:
                return
            self._down_until = None
            self._pause = FIRST_PAUSE
        logger.warning("Redis at %s answers again: the limits are shared again", self._where)
