"""An HTTP client whose requests another thread can abort while they wait for Coze's reply.

Before a reply's headers arrive, httpx gives a caller nothing to close: a thread blocked on a
silent server stays blocked until the read timeout, holding its connection and its socket. A
public deployment cannot afford that (one visitor pressing Stop again and again would hold
them all), so this client's connections note which thread is reading or writing them, and
:meth:`CozeHTTPClient.abort_requests_of` shuts down the socket a given thread is blocked on.

Built on public API only: httpcore's connection pool with a network backend of its own, behind
an :class:`httpx.BaseTransport`. Proxies from the environment are not used.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

__all__ = ["CozeHTTPClient"]

# httpcore's errors as httpx's, so callers see what an ordinary httpx.Client raises.
_ERRORS: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
)


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for core, mapped in _ERRORS:
            if isinstance(exc, core):
                raise mapped(str(exc)) from None
        raise


class _Readers:
    """Which stream each thread is reading or writing right now (one lock for all).

    Threads are told apart by the thread object, not its ident: Linux reuses idents, and a stop
    aimed at a chat whose thread has ended must not reach a newer chat's thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: dict[threading.Thread, _Stream] = {}
        # Threads told to stop while they had no stream (still connecting): their next read or
        # write fails at once. Weak, so an ended thread is forgotten.
        self._doomed: weakref.WeakSet[threading.Thread] = weakref.WeakSet()

    @contextlib.contextmanager
    def using(self, stream: _Stream) -> Iterator[None]:
        me = threading.current_thread()
        with self._lock:
            if me in self._doomed:
                self._doomed.discard(me)
                _shut(stream)
            self._streams[me] = stream
        try:
            yield
        finally:
            with self._lock:
                self._streams.pop(me, None)

    def abort(self, thread: threading.Thread) -> None:
        """Shut down the socket ``thread`` is blocked on, or the one it is about to use. The
        lock is held throughout, so the stream cannot have gone back to the pool (to another
        thread) in between."""
        with self._lock:
            stream = self._streams.get(thread)
            if stream is None:
                self._doomed.add(thread)
            else:
                _shut(stream)


def _shut(stream: httpcore.NetworkStream) -> None:
    sock = stream.get_extra_info("socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, readers: _Readers) -> None:
        self._inner = inner
        self._readers = readers

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with self._readers.using(self):
            return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        with self._readers.using(self):
            self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        with self._readers.using(self):
            inner = self._inner.start_tls(ssl_context, server_hostname, timeout)
            return _Stream(inner, self._readers)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, readers: _Readers) -> None:
        self._inner = httpcore.SyncBackend()
        self._readers = readers

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _Stream(stream, self._readers)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(path, timeout, socket_options)
        return _Stream(stream, self._readers)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _Body(httpx.SyncByteStream):
    def __init__(self, response: httpcore.Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors():
            yield from self._response.iter_stream()

    def close(self) -> None:
        self._response.close()


class _Transport(httpx.BaseTransport):
    def __init__(self, readers: _Readers, limits: httpx.Limits) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_Backend(readers),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            response = self._pool.handle_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


class CozeHTTPClient(httpx.Client):
    """An :class:`httpx.Client` (pooled, reusable) whose waiting requests can be aborted."""

    def __init__(self, *, limits: httpx.Limits | None = None, **kwargs: Any) -> None:
        self._readers = _Readers()
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
        super().__init__(transport=_Transport(self._readers, limits), **kwargs)

    def abort_requests_of(self, thread: threading.Thread) -> None:
        """Shut down the socket ``thread`` is reading or writing now (or, while it is still
        connecting, the next one it uses): its request then fails at once (an
        :class:`httpx.ReadError`) instead of waiting for Coze. Call it only while ``thread``
        is alive and waiting on this client."""
        self._readers.abort(thread)
