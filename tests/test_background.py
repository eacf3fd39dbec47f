"""BackgroundChat's state machine, step by step: against the simulator over real sockets, and
against a scripted Coze (an httpx transport) whose reply and cancel the test lets go."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest

from coze_stream import (
    AnswerDelta,
    BackgroundChat,
    ChatCompleted,
    ChatEvent,
    ChatStarted,
    ChatState,
    CozeConfig,
    CozeError,
)
from coze_stream.simulator import CozeSimulator
from tests.helpers import BOT_ID, TOKEN

pytestmark = pytest.mark.timeout(60)

_V = TypeVar("_V")


def wait_until(predicate: Callable[[], _V], timeout: float = 10.0) -> _V:
    """Poll ``predicate`` until it is truthy (a bound on the wait, not on what is tested)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.005)


# -- against the simulator ----------------------------------------------------------------------


# `sim` (1000 deltas a second) and `config` come from conftest.py.


def cancels_of(sim: CozeSimulator, chat_id: str) -> list[Any]:
    return [c for c in sim.cancels if c.chat_id == chat_id]


def test_a_whole_answer_reads_ends_then_finishes_when_taken(sim, config):
    chat = BackgroundChat(config, "/long 50 hi")
    wait_until(lambda: chat.state is ChatState.ENDED)  # everything is in the queue, none taken
    assert not chat.finished and not chat.reading
    events = chat.take(0)
    assert isinstance(events[0], ChatStarted) and isinstance(events[-1], ChatCompleted)
    assert len([e for e in events if isinstance(e, AnswerDelta)]) == 50
    assert chat.state is ChatState.FINISHED and chat.finished
    assert chat.take(0) == [] and chat.take(0.05) == []
    chat.stop()  # over: nothing to abort, nothing to cancel
    assert chat.state is ChatState.FINISHED and chat.cancel_thread is None
    assert cancels_of(sim, events[0].chat_id) == []


def test_take_after_stop_returns_nothing(sim, config):
    chat = BackgroundChat(config, "/long 50 hi")
    wait_until(lambda: chat.state is ChatState.ENDED)  # all 50 deltas wait in the queue
    chat.stop(cancel=False)
    assert chat.state is ChatState.STOPPED
    assert chat.take(0) == [] and chat.take(0.05) == []
    assert not chat.finished  # stopped, not finished: the end was never taken
    chat.join(5)
    assert chat.cancel_thread is None and cancels_of(sim, chat.started.chat_id) == []


def test_stop_twice_is_a_no_op(sim, config):
    chat = BackgroundChat(config, "/stall 5 hi")
    while not any(isinstance(e, AnswerDelta) for e in chat.take(0.5)):
        pass  # until the answer flows; then Coze stalls for 5 s
    assert chat.state is ChatState.READING
    chat.stop()
    assert chat.state in (ChatState.CANCELLING, ChatState.STOPPED)  # the cancel may be back
    first = chat.cancel_thread
    assert first is not None
    chat.stop()
    chat.stop(cancel=False)
    assert chat.cancel_thread is first
    chat.join(5)
    assert chat.state is ChatState.STOPPED
    assert len(cancels_of(sim, chat.started.chat_id)) == 1
    assert chat.take(0) == []


def test_an_error_after_events_is_raised_only_after_those_events_were_taken(config):
    chat = BackgroundChat(config, "/fail error-event hi")
    wait_until(lambda: chat.state is ChatState.ENDED)  # events, then the error, all queued
    events = chat.take(0)
    assert len([e for e in events if isinstance(e, AnswerDelta)]) == 5
    assert chat.state is ChatState.ENDED and not chat.finished  # the error is held back
    with pytest.raises(CozeError) as caught:
        chat.take(0)
    assert caught.value.code == 5000
    assert chat.state is ChatState.FINISHED and chat.finished
    assert chat.take(0) == []


def test_an_error_before_any_event_is_raised_by_the_first_take(config):
    chat = BackgroundChat(config, "/fail bot hi")
    wait_until(lambda: chat.state is ChatState.ENDED)
    with pytest.raises(CozeError):
        chat.take(0)
    assert chat.finished and chat.started is None and chat.take(0) == []


def test_a_stop_after_a_failed_stream_still_asks_to_cancel(sim, config):
    # The stream was cut: Coze may still be running the chat, so a stop still cancels it.
    chat = BackgroundChat(config, "/fail cut hi")
    wait_until(lambda: chat.state is ChatState.ENDED)
    chat.stop()
    assert chat.state in (ChatState.CANCELLING, ChatState.STOPPED)
    chat.join(5)
    assert chat.state is ChatState.STOPPED
    assert len(cancels_of(sim, chat.started.chat_id)) == 1
    assert chat.take(0) == []  # neither the events nor the error


def test_stop_before_coze_replies_aborts_the_request_at_once(sim, config):
    before = len(sim.streams)
    chat = BackgroundChat(config, "/late 60 /slow hi", start_grace=30)
    record = sim.wait_for(lambda: len(sim.streams) > before and sim.streams[-1])
    chat.stop()  # Coze holds back even its headers for 60 s: no reply, no ids
    assert chat.take(0) == []
    chat.join(10)  # far sooner than the 60 s of silence or the read timeout
    assert not chat.reading and chat.state is ChatState.GAVE_UP
    assert chat.started is None and cancels_of(sim, record.chat_id) == []
    sim.wait_for(lambda: record.chat_id in sim.disconnects)  # its thread was freed too
    assert chat.take(0) == []


def test_stop_before_the_ids_without_cancel_sends_none(sim, config):
    before = len(sim.streams)
    chat = BackgroundChat(config, "/late 0.5 /slow hi")
    record = sim.wait_for(lambda: len(sim.streams) > before and sim.streams[-1])
    chat.stop(cancel=False)
    assert chat.state is ChatState.STOPPED
    chat.join(10)
    assert chat.state is ChatState.STOPPED and chat.cancel_thread is None
    assert cancels_of(sim, record.chat_id) == []


# -- against a scripted Coze ----------------------------------------------------------------------

# The reply comes in two parts, each sent when the test lets it go: the ids and a delta, the end.
FIRST_PART = (
    b'event:conversation.chat.created\ndata:{"id":"c1","conversation_id":"v1"}\n\n'
    b'event:conversation.message.delta\ndata:{"id":"m","type":"answer","content":"hi"}\n\n'
)
LAST_PART = b'event:conversation.chat.completed\ndata:{"id":"c1"}\n\n'


class ScriptedCoze:
    """A Coze whose reply, body parts and cancel answer each wait for the test to let them go.

    An httpx transport without sockets: aborting a reply does not end it, so what a chat does
    with events read after a stop can be seen.
    """

    def __init__(self, network_stream: object | None = None) -> None:
        self.requested = threading.Event()  # the chat request arrived
        self.open_reply = threading.Event()
        self.send_first = threading.Event()
        self.send_last = threading.Event()
        self.cancel_arrived = threading.Event()
        self.answer_cancel = threading.Event()
        for gate in (self.open_reply, self.send_last, self.answer_cancel):
            gate.set()  # unless a test holds it
        self.cancels: list[bytes] = []
        self.network_stream = network_stream
        self.parts = (FIRST_PART, LAST_PART)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v3/chat/cancel":
            self.cancels.append(request.content)
            self.cancel_arrived.set()
            self.answer_cancel.wait(10)
            return httpx.Response(200, json={"code": 0, "msg": ""})
        self.requested.set()
        self.open_reply.wait(10)
        extensions = {} if self.network_stream is None else {"network_stream": self.network_stream}
        return httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            stream=_HeldBody(list(zip((self.send_first, self.send_last), self.parts, strict=True))),
            extensions=extensions,
        )

    def let_everything_go(self) -> None:
        for gate in (self.open_reply, self.send_first, self.send_last, self.answer_cancel):
            gate.set()


class _HeldBody(httpx.SyncByteStream):
    def __init__(self, parts: list[tuple[threading.Event, bytes]]) -> None:
        self._parts = parts

    def __iter__(self) -> Iterator[bytes]:
        for go, part in self._parts:
            go.wait(10)
            yield part


@pytest.fixture
def coze() -> Iterator[tuple[ScriptedCoze, httpx.Client, CozeConfig]]:
    scripted = ScriptedCoze()
    with httpx.Client(transport=httpx.MockTransport(scripted.handle)) as client:
        yield scripted, client, CozeConfig(pat=TOKEN, bot_id=BOT_ID, base_url="https://api.coze.cn")
        scripted.let_everything_go()


def test_reading_until_the_end_is_taken(coze):
    scripted, client, config = coze
    chat = BackgroundChat(config, "hi", client=client)
    assert scripted.requested.wait(5)
    assert chat.state is ChatState.READING and chat.take(0) == []
    scripted.send_first.set()
    seen: list[ChatEvent] = []
    while not chat.finished:
        seen += chat.take(1)
    assert [type(e) for e in seen] == [ChatStarted, AnswerDelta, ChatCompleted]
    assert chat.state is ChatState.FINISHED


def test_stop_during_the_grace_then_the_ids_arrive_one_cancel_at_each_step(coze):
    scripted, client, config = coze
    chat = BackgroundChat(config, "hi", client=client, start_grace=60)
    assert scripted.requested.wait(5)
    chat.stop()  # the reply is open (or about to be): the grace runs, the ids are yet to come
    assert chat.state is ChatState.STOPPING_AWAITING_IDS
    chat.stop()
    assert chat.state is ChatState.STOPPING_AWAITING_IDS  # a second stop changes nothing
    scripted.answer_cancel.clear()
    scripted.send_first.set()  # here come the ids
    assert scripted.cancel_arrived.wait(5)
    assert chat.state is ChatState.CANCELLING
    assert chat.reading  # the reader itself sends the cancel, before closing the stream
    assert chat.take(0) == []
    scripted.answer_cancel.set()
    chat.join(5)
    assert chat.state is ChatState.STOPPED
    assert scripted.cancels == [b'{"conversation_id":"v1","chat_id":"c1"}']
    assert chat.started is not None and chat.started.chat_id == "c1"
    assert chat.cancel_thread is None and chat.take(0) == []


def test_the_grace_runs_out_and_ids_read_after_it_are_still_cancelled(coze):
    scripted, client, config = coze
    chat = BackgroundChat(config, "hi", client=client, start_grace=0.05)
    assert scripted.requested.wait(5)
    chat.stop()
    wait_until(lambda: chat.state is ChatState.GAVE_UP)
    assert chat.started is None and chat.take(0) == []
    scripted.send_first.set()  # the ids were read just as the time ran out
    chat.join(5)
    assert chat.state is ChatState.STOPPED
    assert len(scripted.cancels) == 1 and chat.cancel_thread is None


def test_stop_with_the_ids_cancels_on_its_own_thread(coze):
    scripted, client, config = coze
    scripted.send_first.set()
    chat = BackgroundChat(config, "hi", client=client)
    wait_until(lambda: chat.started)
    scripted.answer_cancel.clear()
    chat.stop()
    assert scripted.cancel_arrived.wait(5)
    assert chat.state is ChatState.CANCELLING
    assert chat.cancel_thread is not None and chat.cancel_thread.is_alive()
    assert chat.take(0) == []
    scripted.answer_cancel.set()
    chat.join(5)
    assert chat.state is ChatState.STOPPED and len(scripted.cancels) == 1


def test_stop_without_cancel_before_the_ids_reads_no_further(coze):
    scripted, client, config = coze
    chat = BackgroundChat(config, "hi", client=client)
    assert scripted.requested.wait(5)
    chat.stop(cancel=False)
    assert chat.state is ChatState.STOPPED
    scripted.send_first.set()
    chat.join(5)
    assert chat.state is ChatState.STOPPED
    assert scripted.cancels == [] and chat.take(0) == []


def test_stop_with_the_ids_then_more_events_still_one_cancel(coze):
    scripted, client, config = coze
    scripted.send_last.clear()
    scripted.send_first.set()
    chat = BackgroundChat(config, "hi", client=client)
    wait_until(lambda: chat.started)
    scripted.answer_cancel.clear()
    chat.stop()  # the cancel thread sends it; the stream (no socket to shut) reads on
    assert scripted.cancel_arrived.wait(5)
    assert chat.state is ChatState.CANCELLING
    scripted.send_last.set()  # an event read while cancelling: the reader only leaves
    wait_until(lambda: not chat.reading)
    assert len(scripted.cancels) == 1
    scripted.answer_cancel.set()
    chat.join(5)
    assert chat.state is ChatState.STOPPED and len(scripted.cancels) == 1
    assert chat.take(0) == []


def test_the_grace_starts_when_the_reply_opens_not_at_the_stop(coze):
    scripted, client, config = coze
    scripted.open_reply.clear()
    chat = BackgroundChat(config, "hi", client=client, start_grace=0.05)
    assert scripted.requested.wait(5)
    chat.stop()  # Coze has not replied yet: giving up now would only lose the cancel
    time.sleep(0.3)  # six graces long
    assert chat.state is ChatState.STOPPING_AWAITING_IDS
    scripted.open_reply.set()  # headers, and silence
    wait_until(lambda: chat.state is ChatState.GAVE_UP)
    assert chat.started is None and chat.cancel_thread is None and scripted.cancels == []


def test_a_stream_that_ends_without_the_ids_after_a_stop_gives_up(coze):
    scripted, client, config = coze
    scripted.parts = (b"", b"")  # the reply ends without naming its chat
    chat = BackgroundChat(config, "hi", client=client, start_grace=60)
    assert scripted.requested.wait(5)
    chat.stop()
    assert chat.state is ChatState.STOPPING_AWAITING_IDS
    scripted.send_first.set()
    chat.join(5)
    assert not chat.reading and chat.state is ChatState.GAVE_UP
    assert chat.started is None and scripted.cancels == [] and chat.take(0) == []


def test_stop_shuts_the_open_replys_socket_down():
    """The positive side of the pool test: a reply still open is aborted through its socket."""
    ours, peer = socket.socketpair()

    class Connection:  # the reply's network stream, as httpcore hands it to httpx
        def get_extra_info(self, name: str) -> object:
            return ours if name == "socket" else None

    scripted = ScriptedCoze(network_stream=Connection())
    config = CozeConfig(pat=TOKEN, bot_id=BOT_ID, base_url="https://api.coze.cn")
    try:
        with httpx.Client(transport=httpx.MockTransport(scripted.handle)) as client:
            chat = BackgroundChat(config, "hi", client=client)
            assert scripted.requested.wait(5)
            chat.stop(cancel=False)
            peer.settimeout(10)
            assert peer.recv(1) == b""  # shut down: the peer sees the end at once
            scripted.let_everything_go()
            chat.join(5)
        assert chat.state is ChatState.STOPPED
    finally:
        ours.close()
        peer.close()
