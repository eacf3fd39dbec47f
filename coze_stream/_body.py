"""Reading a reply's bytes within bounds, whatever the server sends.

A hostile or broken server (or a proxy in front of Coze) can send a line that never ends, an
event of a hundred megabytes, bytes that trickle in forever without finishing an event, or a
small compressed body that inflates to gigabytes. httpx decompresses a whole network chunk at
once, so the body is read raw here and inflated in steps of at most ``_STEP`` bytes, and every
limit ends the answer with a :class:`CozeError` instead of using up the app's memory.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import httpx

from . import _sentences as owner
from ._exceptions import CozeAPIError, CozeStreamError, CozeTimeoutError

__all__ = [
    "ERROR_BODY_BYTES",
    "ERROR_BODY_SECONDS",
    "Limits",
    "StreamBody",
    "decoded",
    "read_at_most",
]

ERROR_BODY_BYTES = 8192
"""The most of an error reply that is read (after decompression)."""
ERROR_BODY_SECONDS = 30.0
"""The longest an error reply is read for."""
_STEP = 65536  # the most one inflation step produces
_CR = ord("\r")


@dataclass(frozen=True, slots=True)
class Limits:
    """How much of an answer stream is read before it is ended as too large or too slow."""

    line_bytes: int = 4 * 1024 * 1024
    event_bytes: int = 4 * 1024 * 1024
    event_seconds: float = 60.0  # the longest wait for an event to be finished


def decoded(response: httpx.Response) -> Iterator[bytes]:
    """The body, decompressed in bounded steps (gzip and deflate; none is passed through).

    Read from ``response.stream``, the raw body: one generator less per chunk than
    ``iter_raw`` (parsing is measured per chunk, see ``bench/parse.py``), and nothing in httpx
    inflates it first.
    """
    encoding = response.headers.get("content-encoding", "").strip().lower()
    raw = response.stream
    if not isinstance(raw, httpx.SyncByteStream):
        raise TypeError("coze_stream reads replies of httpx.Client, not httpx.AsyncClient")
    if encoding in ("", "identity"):
        return iter(raw)
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise CozeAPIError(
            owner.UNKNOWN_COMPRESSION,
            values={"encoding": encoding[:20]},
            http_status=response.status_code,
        )
    return _inflate(raw, 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS)


def _inflate(raw: Iterable[bytes], wbits: int) -> Iterator[bytes]:
    inflater = zlib.decompressobj(wbits)
    try:
        for chunk in raw:
            data = chunk
            while data:
                out = inflater.decompress(data, _STEP)
                data = inflater.unconsumed_tail
                if out:
                    yield out
        rest = inflater.flush()
    except zlib.error:
        raise CozeAPIError(owner.UNDECODABLE) from None
    if rest:
        yield rest


def read_at_most(
    response: httpx.Response, limit: int = ERROR_BODY_BYTES, seconds: float = ERROR_BODY_SECONDS
) -> bytes:
    """The first ``limit`` bytes of the decompressed body, read within ``seconds`` (a reply
    that trickles in is not waited for longer); the rest is never read."""
    body = bytearray()
    deadline = time.monotonic() + seconds
    for chunk in decoded(response):
        body += chunk[: limit - len(body)]
        if len(body) >= limit:
            break
        if time.monotonic() > deadline:
            raise CozeTimeoutError(owner.REPLY_TRICKLED, values={"seconds": seconds})
    return bytes(body)


class StreamBody(httpx.SyncByteStream):
    """An event stream's body within :class:`Limits`, with a blank line added after a clean end.

    Coze's recorded streams end without the blank line that completes their last event, and
    the SSE standard (so httpx-sse) drops such an event: given to httpx-sse as the body of a
    plain :class:`httpx.Response` (public API only), it is dispatched instead. ``head`` keeps
    the first bytes: a stream with no event at all may be a bare JSON error.
    """

    def __init__(
        self,
        response: httpx.Response,
        limits: Limits,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._response = response
        self._limits = limits
        self._clock = clock
        self.head = bytearray()
        self._line = 0  # bytes since the last line break
        self._event = 0  # bytes since the last blank line (the end of an event)
        self._tail = b""  # the last bytes of the previous chunk: a blank line may straddle two
        self._event_started = clock()

    def __iter__(self) -> Iterator[bytes]:
        for chunk in decoded(self._response):
            if len(self.head) < ERROR_BODY_BYTES:
                self.head += chunk[: ERROR_BODY_BYTES - len(self.head)]
            self._check(chunk)
            yield chunk
        yield b"\n\n"

    def _check(self, chunk: bytes) -> None:
        limits = self._limits
        # Coze sends "\n" only: the CR searches are usually skipped. (An int is looked for with
        # memchr; ``b"\r" in chunk`` first fails, with a formatted TypeError, to read b"\r" as one.)
        has_cr = _CR in chunk
        breaks = chunk.rfind(b"\n")
        if has_cr:
            breaks = max(breaks, chunk.rfind(b"\r"))
        self._line = self._line + len(chunk) if breaks < 0 else len(chunk) - breaks - 1
        # The end of the last event in this chunk: a blank line, maybe straddling two chunks.
        end = chunk.rfind(b"\n\n")
        if has_cr:
            end = max(end, chunk.rfind(b"\r\r"), chunk.rfind(b"\r\n\r\n"), chunk.rfind(b"\n\r\n"))
        if end < 0 and self._tail:
            joined = self._tail + chunk[:3]
            if any(blank in joined for blank in (b"\n\n", b"\r\r", b"\n\r\n", b"\r\n\r\n")):
                end = 0
        if end >= 0:
            self._event = len(chunk) - end
            self._event_started = self._clock()
        else:
            self._event += len(chunk)
        self._tail = chunk[-3:]
        if self._line > limits.line_bytes or self._event > limits.event_bytes:
            raise CozeStreamError(
                owner.PIECE_TOO_LARGE,
                values={"megabytes": max(limits.line_bytes, limits.event_bytes) // 1048576},
            )
        if end < 0 and self._clock() - self._event_started > limits.event_seconds:
            raise CozeTimeoutError(
                owner.PIECE_NEVER_FINISHED, values={"seconds": limits.event_seconds}
            )
