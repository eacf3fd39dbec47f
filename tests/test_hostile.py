"""A hostile Coze-compatible server and hostile data: bounded memory, only CozeErrors, no secret.

The server here is a real HTTP server on 127.0.0.1 that sends what Coze never should: endless
lines, a huge event, bytes that trickle in forever, compressed bombs. Each case must end with a
CozeError that says what happened, keep what was shown before it, and leave the process's memory
within 50 MB of where it started.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import json
import threading
import time
import traceback
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coze_stream import (
    AnswerDelta,
    CozeAPIError,
    CozeConfig,
    CozeConfigError,
    CozeError,
    CozeStreamError,
    CozeTimeoutError,
    load_config,
    redact,
    stream_chat,
)
from tests.helpers import BOT_ID, CHAT_URL, TOKEN, frame

MB = 1024 * 1024

pytestmark = pytest.mark.timeout(60)


def rss() -> int:
    """This process's resident memory, in bytes (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


CREATED = frame("conversation.chat.created", {"id": "c1", "conversation_id": "v1"})
DELTA = frame(
    "conversation.message.delta",
    {"id": "m1", "type": "answer", "content": "shown before", "content_type": "text"},
)


class Hostile:
    """A server on 127.0.0.1 whose ``send(handler)`` answers every POST."""

    def __init__(self) -> None:
        self.send: Callable[[BaseHTTPRequestHandler], None] = lambda handler: None
        hostile = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with contextlib.suppress(OSError):  # the client went away, as it should
                    hostile.send(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def config(self) -> CozeConfig:
        port = self.server.server_address[1]
        return load_config(
            {
                "COZE_PAT": TOKEN,
                "COZE_BOT_ID": BOT_ID,
                "COZE_API_BASE_URL": f"http://127.0.0.1:{port}",
                "COZE_READ_TIMEOUT": "2",
            }
        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def hostile() -> Iterator[Hostile]:
    server = Hostile()
    yield server
    server.close()


def stream_head(handler: BaseHTTPRequestHandler, headers: dict[str, str] | None = None) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream; charset=utf-8")
    handler.send_header("X-Tt-Logid", "LOG1")
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Connection", "close")
    handler.end_headers()


def forever(piece: bytes, *, pause: float = 0.0, limit: int = 64 * MB) -> Callable[..., None]:
    """Send the chat's start, one delta, then ``piece`` again and again (up to ``limit``)."""

    def send(handler: BaseHTTPRequestHandler) -> None:
        stream_head(handler)
        handler.wfile.write(CREATED + DELTA)
        sent = 0
        while sent < limit:
            handler.wfile.write(piece)
            handler.wfile.flush()
            sent += len(piece)
            if pause:
                time.sleep(pause)

    return send


def outcome(config: CozeConfig, message: str = "hi") -> tuple[list[str], CozeError, int]:
    """What was shown, the error that ended it, and how much memory it took (peak RSS)."""
    gc.collect()
    before = rss()
    peak = before
    shown: list[str] = []
    try:
        for event in stream_chat(config, message):
            peak = max(peak, rss())
            if isinstance(event, AnswerDelta):
                shown.append(event.text)
    except CozeError as error:
        return shown, error, max(peak, rss()) - before
    raise AssertionError("the stream ended without an error")


def test_endless_bytes_without_a_line_break_end_the_answer(hostile: Hostile) -> None:
    hostile.send = forever(b"x" * 65536)
    shown, error, grew = outcome(hostile.config)
    assert isinstance(error, CozeStreamError) and "larger than this app reads" in str(error)
    assert shown == ["shown before"] and grew < 50 * MB
    assert error.logid == "LOG1"


def test_one_huge_event_ends_the_answer(hostile: Hostile) -> None:
    line = b"data:" + b"y" * 65536 + b"\n"
    hostile.send = forever(b"event:conversation.message.delta\n" + line * 2000, limit=140 * MB)
    shown, error, grew = outcome(hostile.config)
    assert isinstance(error, CozeStreamError) and "larger than this app reads" in str(error)
    assert shown == ["shown before"] and grew < 50 * MB


def test_bytes_that_trickle_in_without_finishing_an_event_time_out(hostile: Hostile) -> None:
    # Each byte comes well within the read timeout (2 s), so only a timeout on events ends it.
    hostile.send = forever(b"event:conversation.message.delta\ndata:{", pause=0.2, limit=4000)
    started = time.monotonic()
    shown, error, _ = outcome(hostile.config)
    assert isinstance(error, CozeTimeoutError) and "without finishing" in str(error)
    assert shown == ["shown before"] and time.monotonic() - started < 20


def gzip_bomb(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * MB
    return b"".join(compressor.compress(block) for _ in range(size // MB)) + compressor.flush()


BOMB = gzip_bomb(200 * MB)


def test_a_compressed_bomb_as_an_error_page_is_read_a_few_kb_at_most(hostile: Hostile) -> None:
    def send(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(502)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(BOMB)))
        handler.end_headers()
        handler.wfile.write(BOMB)

    hostile.send = send
    config = hostile.config
    gc.collect()
    before = rss()
    with pytest.raises(CozeAPIError, match="HTTP 502"):
        list(stream_chat(config, "hi"))  # tried three times: each reads a few KB
    assert rss() - before < 50 * MB


def test_a_compressed_bomb_as_an_event_stream_is_inflated_in_bounded_steps(
    hostile: Hostile,
) -> None:
    def send(handler: BaseHTTPRequestHandler) -> None:
        stream_head(handler, {"Content-Encoding": "gzip"})
        handler.wfile.write(BOMB)

    hostile.send = send
    _, error, grew = outcome(hostile.config)
    assert isinstance(error, CozeStreamError) and grew < 50 * MB


def test_a_compression_this_app_does_not_read_is_said_so(hostile: Hostile) -> None:
    def send(handler: BaseHTTPRequestHandler) -> None:
        stream_head(handler, {"Content-Encoding": "br"})
        handler.wfile.write(b"\x00" * 100)

    hostile.send = send
    with pytest.raises(CozeAPIError, match="compressed in a way this app does not read"):
        list(stream_chat(hostile.config, "hi"))


def test_an_answer_past_its_limit_is_ended_with_what_came_before_kept(hostile: Hostile) -> None:
    piece = frame(
        "conversation.message.delta",
        {"id": "m1", "type": "answer", "content": "z" * 60000, "content_type": "text"},
    )
    hostile.send = forever(piece, limit=80 * MB)
    shown, error, grew = outcome(hostile.config)
    assert isinstance(error, CozeStreamError) and "1,000,000 characters" in str(error)
    assert sum(map(len, shown)) <= 1_000_000 + len("shown before") and grew < 50 * MB


# -- secrets ----------------------------------------------------------------------------------


ECHOES = {
    "plain": TOKEN,
    "upper-cased": TOKEN.upper(),
    "URL-encoded": quote(f"Bearer {TOKEN}", safe=""),
    "base64": base64.b64encode(f"Bearer {TOKEN}".encode()).decode(),
    "base64, other alignment": base64.b64encode(f"Bearer: {TOKEN}".encode()).decode(),
    "url-safe base64": base64.urlsafe_b64encode(f"x{TOKEN}".encode()).decode(),
}


@pytest.mark.parametrize("echo", ECHOES.values(), ids=ECHOES.keys())
def test_a_token_echoed_in_any_form_is_hidden_everywhere(echo: str) -> None:
    config = CozeConfig(pat=TOKEN, bot_id=BOT_ID)
    reply = httpx.Response(
        401,
        json={"code": 4101, "msg": f"token {echo} refused", "detail": {"logid": f"L-{echo}"}},
        headers={"x-tt-logid": f"{echo}-log"},
    )
    with respx.mock:
        respx.post(CHAT_URL).mock(return_value=reply)
        with pytest.raises(CozeError) as caught:
            list(stream_chat(config, "hi"))
    error = caught.value
    text = f"{error} {error.logid} {error.coze_message} {error!r}"
    assert "[token hidden]" in text
    for form in (TOKEN, TOKEN.upper(), TOKEN.lower(), echo):
        assert form not in text
    assert "CANARY" not in text.upper().replace("[TOKEN HIDDEN]", "")


def test_a_traceback_printed_with_its_locals_never_shows_the_token() -> None:
    config = CozeConfig(pat=TOKEN, bot_id=BOT_ID)
    body = CREATED + DELTA + frame("conversation.chat.failed", {"code": 5000, "msg": "boom"})
    with respx.mock:
        respx.post(CHAT_URL).mock(
            return_value=httpx.Response(
                200, content=body, headers={"content-type": "text/event-stream"}
            )
        )
        with pytest.raises(CozeError) as caught:
            list(stream_chat(config, "hi"))
    printed = "".join(
        traceback.TracebackException.from_exception(caught.value, capture_locals=True).format()
    )
    assert "config = CozeConfig(" in printed or "config =" in printed  # locals were captured
    assert TOKEN not in printed and "CANARY" not in printed
    assert repr(config.pat) == "'[token hidden]'" and f"Bearer {config.pat}".endswith(TOKEN)


@pytest.mark.parametrize(
    "url",
    [
        "https://user:secret@api.coze.cn",
        "https://user:pa/ss@api.coze.cn",
        "https://tok@api.coze.cn/v3",
    ],
)
def test_a_base_url_with_credentials_is_refused_without_repeating_them(url: str) -> None:
    with pytest.raises(CozeConfigError) as caught:
        load_config({"COZE_PAT": TOKEN, "COZE_BOT_ID": BOT_ID, "COZE_API_BASE_URL": url})
    assert "user name or password" in str(caught.value)
    assert "secret" not in str(caught.value) and "pa/ss" not in str(caught.value)


@pytest.mark.parametrize("token", ["x", "pat_short", "0123456789abcde"])
def test_tokens_shorter_than_16_characters_are_refused(token: str) -> None:
    with pytest.raises(CozeConfigError, match="too short"):
        load_config({"COZE_PAT": token, "COZE_BOT_ID": BOT_ID})


def test_a_short_secret_does_not_garble_text() -> None:
    assert redact("a cat sat", "a") == "a cat sat"


# -- only CozeErrors, whatever Coze sends -------------------------------------------------------

EVENT_NAMES = [
    "conversation.chat.created",
    "conversation.chat.in_progress",
    "conversation.message.delta",
    "conversation.message.completed",
    "conversation.chat.completed",
    "conversation.chat.failed",
    "conversation.chat.requires_action",
    "conversation.audio.delta",
    "error",
    "done",
]
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
FIELDS = [
    "id",
    "type",
    "content",
    "content_type",
    "reasoning_content",
    "usage",
    "code",
    "msg",
    "last_error",
    "required_action",
    "conversation_id",
    "chat_id",
]
HOSTILE_DATA = [
    "[" * 100_000 + "]" * 100_000,
    '{"usage": {"token_count": 1e999, "input_count": -1e999, "output_count": NaN}}',
    '{"usage": {"token_count": ' + "9" * 5000 + "}}",
    '{"code": "99999999999999999999999", "msg": 1}',
    '{"type": "answer", "content_type": "object_string", "content": "[' + "[" * 5000 + '"}',
    '{"required_action": {"submit_tool_outputs": {"tool_calls": [{"function": 7}, 3]}}}',
    '"[DONE]"',
    "\ud800",
]


def message_like() -> st.SearchStrategy[str]:
    objects = st.fixed_dictionaries({}, optional={name: JSON_VALUES for name in FIELDS})
    return st.one_of(
        objects.map(lambda value: json.dumps(value, allow_nan=True)),
        st.sampled_from(HOSTILE_DATA),
        st.text(max_size=40),
    )


# 300 examples: 15 s on a quiet machine, past 60 s with the load average at 20 (two full runs).
@pytest.mark.timeout(240)
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    events=st.lists(
        st.tuples(st.sampled_from(EVENT_NAMES) | st.text(max_size=10), message_like()), max_size=8
    ),
    noise=st.binary(max_size=64),
    status=st.sampled_from([200, 200, 200, 400, 401, 429, 500, 502]),
    content_type=st.sampled_from(["text/event-stream", "application/json", "text/html", ""]),
)
def test_whatever_coze_sends_only_coze_errors_come_out(events, noise, status, content_type) -> None:
    body = (
        b"".join(
            f"event:{name}\ndata:{data}\n\n".encode("utf-8", "surrogatepass")
            for name, data in events
        )
        + noise
    )
    config = CozeConfig(pat=TOKEN, bot_id=BOT_ID, max_retries=0)
    headers = {"content-type": content_type} if content_type else {}
    with respx.mock:
        respx.post(CHAT_URL).mock(
            return_value=httpx.Response(status, content=body, headers=headers)
        )
        try:
            for _ in stream_chat(config, "hi"):
                pass
        except CozeError as error:
            assert TOKEN not in str(error)


@pytest.mark.parametrize("data", HOSTILE_DATA)
@pytest.mark.parametrize("name", EVENT_NAMES)
def test_each_hostile_payload_in_each_event_gives_only_coze_errors(name: str, data: str) -> None:
    body = CREATED + f"event:{name}\ndata:{data}\n\n".encode("utf-8", "surrogatepass")
    config = CozeConfig(pat=TOKEN, bot_id=BOT_ID, max_retries=0)
    with respx.mock:
        respx.post(CHAT_URL).mock(
            return_value=httpx.Response(
                200, content=body, headers={"content-type": "text/event-stream"}
            )
        )
        try:
            for _ in stream_chat(config, "hi"):
                pass
        except CozeError:
            pass


# -- found in review ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        '{"id": ["m"], "type": "answer", "content": "x", "content_type": "text"}',
        '{"id": {"a": 1}, "type": "answer", "content": "x", "reasoning_content": "r"}',
        '{"conversation_id": ' + "[" * 1000 + "]" * 1000 + ', "id": 7}',
    ],
)
def test_odd_ids_never_escape_as_other_errors(data: str) -> None:
    body = b"".join(
        f"event:{name}\ndata:{data}\n\n".encode()
        for name in (
            "conversation.chat.created",
            "conversation.message.delta",
            "conversation.message.completed",
        )
    ) + frame("conversation.chat.completed", {"id": "c"})
    from coze_answer import AnswerStream

    config = CozeConfig(pat=TOKEN, bot_id=BOT_ID)
    with respx.mock:
        respx.post(CHAT_URL).mock(
            return_value=httpx.Response(
                200, content=body, headers={"content-type": "text/event-stream"}
            )
        )
        answer = AnswerStream(frame_seconds=0)
        for event in stream_chat(config, "hi"):
            answer.update([event])  # the model takes whatever the client yields
        answer.finish()


def test_a_deeply_nested_error_body_is_a_coze_error() -> None:
    config = CozeConfig(pat=TOKEN, bot_id=BOT_ID, max_retries=0)
    with respx.mock:
        respx.post(CHAT_URL).mock(
            return_value=httpx.Response(
                400, content=b"[" * 8000, headers={"content-type": "application/json"}
            )
        )
        with pytest.raises(CozeAPIError, match="HTTP 400"):
            list(stream_chat(config, "hi"))


def test_whole_messages_and_reasoning_count_toward_the_answer_limit() -> None:
    config = CozeConfig(pat=TOKEN, bot_id=BOT_ID)
    whole = b"".join(
        frame(
            "conversation.message.completed",
            {"id": f"m{n}", "type": "answer", "content": "w" * 300_000, "content_type": "text"},
        )
        for n in range(5)
    )
    reasoning = b"".join(
        frame(
            "conversation.message.delta",
            {"id": "m", "type": "answer", "content": "", "reasoning_content": "r" * 300_000},
        )
        for _ in range(5)
    )
    for body in (whole, reasoning):
        with respx.mock:
            respx.post(CHAT_URL).mock(
                return_value=httpx.Response(
                    200, content=CREATED + body, headers={"content-type": "text/event-stream"}
                )
            )
            with pytest.raises(CozeStreamError, match="1,000,000 characters"):
                list(stream_chat(config, "hi"))


def test_a_blank_line_of_mixed_line_endings_ends_an_event() -> None:
    from coze_stream._body import Limits, StreamBody

    event = b"event:x\ndata:" + b"y" * 40 + b"\n\r\n"
    reply = httpx.Response(200, content=event * 50)
    assert b"".join(StreamBody(reply, Limits(line_bytes=100, event_bytes=100))).count(b"y") == 2000


def test_a_stop_aimed_at_a_thread_hits_that_thread_only(hostile: Hostile) -> None:
    from coze_stream import CozeHTTPClient

    def slow(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(0.5)
        handler.send_response(200)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"ok")

    hostile.send = slow
    url = hostile.config.base_url + "/v3/chat"
    with CozeHTTPClient() as client:
        outcomes: dict[str, object] = {}

        def post(name: str, go: threading.Event | None = None) -> None:
            if go is not None:
                go.wait(5)
            try:
                outcomes[name] = client.post(url, content=b"{}").status_code
            except httpx.HTTPError as error:
                outcomes[name] = type(error).__name__

        done = threading.Thread(target=post, args=("done",))
        done.start()
        done.join()
        # A stop for a thread that has ended reaches no other thread's request.
        waiting = threading.Thread(target=post, args=("waiting",))
        waiting.start()
        time.sleep(0.1)
        client.abort_requests_of(done)
        waiting.join()
        # A stop for a thread that has not yet connected fails its first read or write.
        go = threading.Event()
        doomed = threading.Thread(target=post, args=("doomed", go))
        doomed.start()
        client.abort_requests_of(doomed)
        go.set()
        doomed.join()
    assert outcomes["done"] == 200 and outcomes["waiting"] == 200
    assert outcomes["doomed"] in ("ReadError", "WriteError", "RemoteProtocolError")
