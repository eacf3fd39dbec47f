"""The client against the simulator over real sockets: each checks the other."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from coze_answer import Turn, pick_context, stream_text
from coze_stream import (
    AnswerCompleted,
    AnswerDelta,
    BackgroundChat,
    ChatCompleted,
    ChatStarted,
    ChatState,
    ContextMessage,
    CozeAPIError,
    CozeAuthError,
    CozeBotError,
    CozeConfig,
    CozeError,
    CozeRateLimitError,
    CozeStreamError,
    CozeTimeoutError,
    FollowUp,
    ReasoningDelta,
    _request,
    cancel_chat,
    send_feedback,
    stream_chat,
)
from coze_stream.simulator import build_answer
from tests.helpers import BOT_ID, TOKEN

pytestmark = pytest.mark.timeout(60)


# `sim` (1000 deltas a second) and `config` come from conftest.py.


@pytest.fixture
def fast_retries(monkeypatch):
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(min(seconds, 0.05))

    monkeypatch.setattr(_request, "_sleep", sleep)
    return waits


def test_a_full_answer(sim, config):
    events = list(stream_chat(config, "你好 simulator"))
    answer = build_answer("你好 simulator")
    assert "".join(e.text for e in events if isinstance(e, AnswerDelta)) == answer
    assert [e.text for e in events if isinstance(e, AnswerCompleted)] == [answer]
    assert len([e for e in events if isinstance(e, FollowUp)]) == 3
    assert isinstance(events[-1], ChatCompleted) and events[-1].usage.token_count > 0
    assert sim.streams[-1].finished


def test_reasoning_and_two_answer_messages(config):
    events = list(stream_chat(config, "/think /multi two parts"))
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    assert "two parts" in reasoning
    first_answer = next(i for i, e in enumerate(events) if isinstance(e, AnswerDelta))
    assert all(not isinstance(e, ReasoningDelta) for e in events[first_answer:])
    completed = [e for e in events if isinstance(e, AnswerCompleted)]
    assert len(completed) == 2 and completed[0].message_id != completed[1].message_id
    text = "".join(stream_text(config, "/multi two parts"))
    assert text == f"{completed[0].text}\n\n{completed[1].text}"


def test_connection_is_reused(sim, config):
    with httpx.Client() as client:
        list(stream_text(config, "one", client=client))
        list(stream_text(config, "two", client=client))
    ports = [r.client_port for r in sim.requests[-2:]]
    assert ports[0] == ports[1]


@pytest.mark.parametrize(
    ("command", "error", "code", "partial"),
    [
        ("/fail auth", CozeAuthError, 4100, False),
        ("/fail echo-token", CozeAuthError, 4101, False),
        ("/fail bot", CozeBotError, 4200, False),
        ("/fail unpublished", CozeBotError, 4015, False),
        ("/fail busy", CozeRateLimitError, 4009, False),
        ("/fail 502", CozeAPIError, None, False),
        # Mid-stream, an error's class is its code's cause too: 5000 is Coze's internal error.
        ("/fail error-event", CozeAPIError, 5000, True),
        ("/fail chat-failed", CozeAPIError, 5000, True),
        ("/fail cut", CozeStreamError, None, True),
        ("/fail malformed", CozeStreamError, None, True),
    ],
)
def test_each_failure_command(sim, config, fast_retries, command, error, code, partial):
    received: list[str] = []
    with pytest.raises(error) as caught:
        for text in stream_text(config, f"{command} q"):
            received.append(text)
    assert type(caught.value) is error
    assert caught.value.code == code
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value)
    if caught.value.code is not None:
        assert caught.value.logid  # every Coze reply carries a log id
    assert bool(received) == partial
    if partial:
        assert build_answer("q").startswith("".join(received))


def test_retried_failures_are_retried_max_retries_times(sim, config, fast_retries):
    before = len(sim.requests)
    with pytest.raises(CozeAPIError):
        list(stream_chat(config, "/fail 502 again"))
    assert len(sim.requests) - before == 1 + config.max_retries
    assert len(fast_retries) == config.max_retries


def test_rate_limit_is_retried_after_retry_after(sim, config, fast_retries):
    assert "".join(stream_text(config, "/fail rate-limit please")) == build_answer("please")
    assert [r.status for r in sim.requests[-2:]] == [429, 200]
    assert fast_retries == [1.0]


def test_wrong_token_and_wrong_bot(sim):
    with pytest.raises(CozeAuthError) as caught:
        list(stream_chat(CozeConfig(pat="pat_wrong", bot_id=BOT_ID, base_url=sim.base_url), "hi"))
    assert caught.value.http_status == 401
    with pytest.raises(CozeBotError):
        list(stream_chat(CozeConfig(pat=TOKEN, bot_id="1", base_url=sim.base_url), "hi"))


def test_silence_past_the_read_timeout(sim):
    config = CozeConfig(pat=TOKEN, bot_id=BOT_ID, base_url=sim.base_url, read_timeout=0.3)
    received: list[str] = []
    with pytest.raises(CozeTimeoutError):
        for text in stream_text(config, "/stall 2 quiet"):
            received.append(text)
    assert received


def test_closing_the_generator_early_is_a_disconnect(sim, config):
    events = stream_text(config, "/slow close me early")
    next(events)
    chat_id = sim.streams[-1].chat_id
    events.close()
    sim.wait_for(lambda: chat_id in sim.disconnects)


def test_cancel_a_running_chat(sim, config):
    chat = BackgroundChat(config, "/slow cancel me")
    started = sim.wait_for(lambda: chat.started, timeout=5)
    assert cancel_chat(config, started.conversation_id, started.chat_id) is True
    assert sim.cancels[-1].running
    assert cancel_chat(config, started.conversation_id, started.chat_id) is False
    chat.stop(cancel=False)
    chat.join(5)


def test_background_stop_aborts_a_silent_stream_at_once(sim, config):
    chat = BackgroundChat(config, "/stall 30 hold on")
    texts: list[str] = []
    deadline = time.monotonic() + 5
    while not texts and time.monotonic() < deadline:
        texts += [e.text for e in chat.take(0.1) if isinstance(e, AnswerDelta)]
    assert texts
    chat_id = chat.started.chat_id
    chat.stop()
    chat.join(5)
    assert not chat.reading  # the socket was shut down, not waited on for 30 s
    sim.wait_for(lambda: any(c.chat_id == chat_id for c in sim.cancels))
    # The shut-down socket and the cancel race to the simulator: whichever comes first ends it.
    record = sim.wait_for(lambda: sim.stream(chat_id).ended and sim.stream(chat_id))
    assert record.outcome in ("disconnected", "canceled"), record.outcome
    assert (record.outcome == "disconnected") == (chat_id in sim.disconnects)


def drain(chat: BackgroundChat, seconds: float) -> list[object]:
    """Everything ``chat`` hands out within ``seconds``, or until it is over: finished, or its
    reading thread ended (then nothing more can come once what it left was taken)."""
    seen: list[object] = []
    deadline = time.monotonic() + seconds
    while not chat.finished and time.monotonic() < deadline:
        reading = chat.reading
        seen += chat.take(0.05)
        if not reading:
            break  # the thread had ended before that take, so it had left all it ever will
    return seen


def test_stop_before_coze_replies_frees_the_connection_at_once(sim, config):
    # Without headers there are no ids to cancel with: the request is aborted, so neither the
    # connection nor a thread waits for a reply that may never come.
    before = len(sim.streams)
    chat = BackgroundChat(config, "/late 60 /slow stopped before a byte came")
    record = sim.wait_for(lambda: len(sim.streams) > before and sim.streams[-1])
    chat.stop()
    assert drain(chat, 5) == []  # nothing of the unwanted answer is handed out
    chat.join(10)
    assert not chat.reading and chat.started is None
    sim.wait_for(lambda: record.chat_id in sim.disconnects)
    assert record.deltas_sent == 0 and not record.finished


def test_stop_before_the_chat_starts_without_cancel_sends_none(sim, config):
    before = len(sim.streams)
    chat = BackgroundChat(config, "/late 0.5 /slow not cancelled")
    record = sim.wait_for(lambda: len(sim.streams) > before and sim.streams[-1])
    chat.stop(cancel=False)
    assert drain(chat, 5) == []
    chat.join(5)
    assert chat.cancel_thread is None
    sim.wait_for(lambda: record.chat_id in sim.disconnects)
    assert not any(c.chat_id == record.chat_id for c in sim.cancels)


def test_stop_gives_up_waiting_for_ids_that_never_come(config):
    # Headers, then silence: a reply that never names its chat is abandoned after the grace.
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def serve() -> None:
        conn, _ = server.accept()
        accepted.append(conn)
        conn.recv(65536)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    silent = CozeConfig(pat=TOKEN, bot_id=BOT_ID, base_url=f"http://127.0.0.1:{port}")
    try:
        chat = BackgroundChat(silent, "hello", start_grace=0.3)
        thread.join(5)
        time.sleep(0.1)  # the headers have reached the reader
        chat.stop()
        chat.join(5)
        assert not chat.reading  # ended by the grace, not by the 60 s read timeout
        assert chat.state is ChatState.GAVE_UP
        assert chat.started is None and chat.cancel_thread is None
        assert drain(chat, 1) == []
    finally:
        for conn in accepted:
            conn.close()
        server.close()


def test_nothing_is_handed_out_after_stop(sim, config):
    chat = BackgroundChat(config, "/slow some answer")
    sim.wait_for(lambda: chat.started, timeout=5)
    sim.wait_for(lambda: sim.streams[-1].deltas_sent >= 1)
    time.sleep(0.1)  # the first delta is in the queue, not yet taken
    chat.stop(cancel=False)
    assert chat.take(0) == [] and chat.take(0.2) == []
    chat.join(5)


def test_stop_before_the_request_goes_out_starts_no_chat(sim, config):
    # BackgroundChat.stop sets the stop event that the request loop checks before each attempt.
    from coze_stream._client import stoppable_chat

    before = len(sim.requests)
    stopped = threading.Event()
    stopped.set()
    assert list(stoppable_chat(config, "never sent", stop=stopped)) == []
    assert len(sim.requests) == before


def test_a_response_is_forgotten_before_its_connection_goes_back_to_the_pool():
    """httpx frees the connection when the body ends, which can be before the last event is
    handed out (an event without its closing blank line). From then on stop() must not touch
    it: the pool may already have given it to another chat, in another session."""
    released = threading.Event()
    stop_pressed = threading.Event()
    touched: list[str] = []  # what was asked of the connection once it was back in the pool

    class Connection:  # the reply's network stream, as httpcore hands it to httpx
        def get_extra_info(self, name: str) -> None:
            if released.is_set():
                touched.append(name)

    class Body(httpx.SyncByteStream):
        def __iter__(self):
            yield (
                b'event:conversation.chat.created\ndata:{"id":"c1","conversation_id":"v1"}\n\n'
                b"event:conversation.message.delta\n"
                b'data:{"id":"m","type":"answer","content":"hi"}\n\n'
                b'event:conversation.chat.completed\ndata:{"id":"c1"}\n'
            )

        def close(self) -> None:  # where httpcore gives the connection back to its pool
            released.set()
            stop_pressed.wait(5)  # and the person presses Stop right then

    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            stream=Body(),
            extensions={"network_stream": Connection()},
        )
    )
    with httpx.Client(transport=transport) as client:
        chat = BackgroundChat(
            CozeConfig(pat=TOKEN, bot_id=BOT_ID, base_url="https://api.coze.cn"),
            "hi",
            client=client,
        )
        assert released.wait(5)  # the body has ended; its last event is not handed out yet
        chat.stop(cancel=False)
        stop_pressed.set()
        chat.join(5)
    assert touched == []
    assert chat.state is ChatState.STOPPED and chat.started is not None


def test_background_chat_delivers_events_before_its_error(config):
    chat = BackgroundChat(config, "/fail error-event late")
    seen: list[object] = []
    with pytest.raises(CozeError) as caught:
        while not chat.finished:
            seen += chat.take(0.5)
    assert caught.value.code == 5000
    assert any(isinstance(e, AnswerDelta) for e in seen)
    assert chat.take(0) == []


def test_errors_never_contain_the_token(sim, fast_retries):
    config = CozeConfig(pat=TOKEN, bot_id=BOT_ID, base_url=sim.base_url)
    for command in ("/fail echo-token", "/fail auth", "/fail bot"):
        with pytest.raises(CozeError) as caught:
            list(stream_chat(config, command))
        assert "CANARY" not in str(caught.value)


def test_a_finished_background_chat_leaves_its_pooled_connection_alone(sim, config):
    with httpx.Client() as client:
        for question in ("one", "two", "three"):
            chat = BackgroundChat(config, question, client=client)
            while not chat.finished:
                chat.take(0.5)
            chat.join(5)
            chat.stop()  # after the end: must not touch the connection now back in the pool
    ports = [r.client_port for r in sim.requests[-3:]]
    assert ports[0] == ports[1] == ports[2]


def test_stop_during_a_retry_wait_starts_no_new_chat(sim, config):
    before = len(sim.requests)
    chat = BackgroundChat(config, "/fail rate-limit stop while waiting")
    sim.wait_for(lambda: len(sim.requests) > before and sim.requests[-1].status == 429)
    chat.stop()  # during the 1 s Retry-After wait
    chat.join(5)
    assert not chat.reading  # over: no retry can come from it any more
    assert len(sim.requests) == before + 1


# -- memory: the earlier turns reach the bot -------------------------------------------------------


def recalled(events: list) -> str:
    (answer,) = [e.text for e in events if isinstance(e, AnswerCompleted)]
    return answer


def test_the_bot_is_told_the_earlier_turns(sim, config):
    context = [ContextMessage("user", "我叫小明"), ContextMessage("assistant", "你好，小明！")]
    events = list(stream_chat(config, "/recall 我叫什么？", context=context))
    assert recalled(events) == (
        "## 我记得的对话 / What I was told\n\n"
        'You asked: "我叫什么？"\n\n'
        "I was sent 2 earlier messages / 更早的消息：\n\n"
        "- user: 我叫小明\n"
        "- assistant: 你好，小明！\n"
    )
    record = sim.streams[-1]
    assert [(m.role, m.type, m.content) for m in record.earlier] == [
        ("user", "question", "我叫小明"),
        ("assistant", "answer", "你好，小明！"),
    ]
    # Still a conversation of its own: no memory is kept between chats on the server side.
    again = list(stream_chat(config, "/recall"))
    assert "I was sent no earlier messages" in recalled(again)
    assert sim.streams[-1].conversation_id != record.conversation_id
    assert sim.streams[-1].user_id != record.user_id


def test_a_follow_up_from_the_page_s_turns_reaches_a_bot_that_knows_them(sim, config):
    first = build_answer("我叫小明")
    turns = [Turn("user", ["我叫小明"]), Turn("assistant", [first])]
    turns += [Turn("user", ["broken"]), Turn("assistant", ["half"], error=RuntimeError("it broke"))]
    text = "".join(stream_text(config, "/recall what is my name", context=pick_context(turns)))
    assert "- user: 我叫小明\n" in text and "- user: broken\n" in text
    assert f"- assistant: {' '.join(first.split())}\n" in text
    assert "half" not in text


def test_a_background_chat_carries_the_context(sim, config):
    chat = BackgroundChat(config, "/recall", context=[ContextMessage("user", "remember: 42")])
    events = []
    while not chat.finished:
        events += chat.take(0.5)
    chat.join(5)
    assert "- user: remember: 42\n" in recalled(events)


def test_coze_s_limit_of_100_messages_is_met(sim, config):
    context = [ContextMessage("user" if i % 2 else "assistant", f"m{i}") for i in range(99)]
    events = list(stream_chat(config, "/recall", context=context))
    assert "I was sent 99 earlier messages" in recalled(events)


# -- feedback ------------------------------------------------------------------------------------


def answered(config) -> tuple[str, str]:
    events = list(stream_chat(config, "rate this"))
    started = next(e for e in events if isinstance(e, ChatStarted))
    (answer,) = [e for e in events if isinstance(e, AnswerCompleted)]
    return started.conversation_id, answer.message_id


def test_feedback_on_an_answer_is_given_changed_and_taken_back(sim, config):
    conv, msg = answered(config)
    send_feedback(config, conv, msg, "like")
    assert sim.feedback_of(conv, msg) == "like"
    send_feedback(config, conv, msg, "unlike")
    assert sim.feedback_of(conv, msg) == "unlike"
    send_feedback(config, conv, msg, None)
    assert sim.feedback_of(conv, msg) is None
    assert [(f.method, f.feedback_type, f.code) for f in sim.feedbacks[-3:]] == [
        ("POST", "like", 0),
        ("POST", "unlike", 0),
        ("DELETE", None, 0),
    ]


def test_feedback_reuses_a_given_client_s_connection(sim, config):
    conv, msg = answered(config)
    with httpx.Client() as client:
        send_feedback(config, conv, msg, "like", client=client)
        send_feedback(config, conv, msg, None, client=client)
    ports = [r.client_port for r in sim.requests[-2:]]
    assert ports[0] == ports[1]


def test_feedback_on_an_answer_the_simulator_never_gave_is_a_clear_error(sim, config):
    conv, _ = answered(config)
    for message_id in ("1" * 19, "../../v3/chat"):
        with pytest.raises(CozeAPIError) as caught:
            send_feedback(config, conv, message_id, "like")
        assert type(caught.value) is CozeAPIError and caught.value.code == 4200
        assert "does not know this answer" in str(caught.value)
        assert caught.value.logid == sim.requests[-1].logid  # what Coze support asks for
        assert sim.feedbacks[-1].message_id == message_id  # one path segment, decoded as sent


def test_feedback_with_a_wrong_token_is_an_auth_error(sim, config):
    conv, msg = answered(config)
    wrong = CozeConfig(pat="pat_" + "w" * 60, bot_id=BOT_ID, base_url=sim.base_url)
    with pytest.raises(CozeAuthError) as caught:
        send_feedback(wrong, conv, msg, "like")
    assert caught.value.code == 4100 and caught.value.http_status == 401
    assert "w" * 60 not in str(caught.value)
    assert sim.feedback_of(conv, msg) is None
