"""Memory: earlier turns sent as Coze's additional_messages, and which turns the page picks."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from coze_answer import CONTEXT_CHARS, CONTEXT_MESSAGES, Turn, pick_context, stream_text
from coze_stream import (
    MAX_CONTEXT_MESSAGES,
    BackgroundChat,
    ChatCompleted,
    ContextMessage,
    CozeAPIError,
    CozeConfig,
    CozeStreamError,
    stream_chat,
)
from tests.helpers import BASE, BOT_ID, CHAT_URL, TOKEN

CONFIG = CozeConfig(pat=TOKEN, bot_id=BOT_ID, base_url=BASE, max_retries=0)

STREAM = (
    b'event:conversation.chat.created\ndata:{"id":"chat1","conversation_id":"conv1"}\n\n'
    b'event:conversation.message.delta\ndata:{"id":"m1","role":"assistant","type":"answer",'
    b'"content":"ok","content_type":"text"}\n\n'
    b'event:conversation.chat.completed\ndata:{"id":"chat1","conversation_id":"conv1",'
    b'"status":"completed"}\n\n'
)
EARLIER = [
    ContextMessage("user", "我叫小明"),
    ContextMessage("assistant", "你好，小明！\n\n- a list\n"),
    ContextMessage("user", "  spaces kept  "),
]


def sse() -> httpx.Response:
    return httpx.Response(200, content=STREAM, headers={"content-type": "text/event-stream"})


@pytest.fixture
def route():
    with respx.mock(assert_all_called=False) as router:
        yield router.post(CHAT_URL).mock(side_effect=lambda request: sse())


def sent(route) -> list[dict]:
    return [json.loads(call.request.content) for call in route.calls]


# -- ContextMessage -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "text", "error"),
    [
        ("system", "hi", ValueError),
        ("User", "hi", ValueError),
        ("bot", "hi", ValueError),
        ("user", "", ValueError),
        ("assistant", " \n\t", ValueError),
        ("user", None, TypeError),
        ("user", b"bytes", TypeError),
    ],
)
def test_a_context_message_is_a_user_or_assistant_turn_with_text(role, text, error):
    with pytest.raises(error):
        ContextMessage(role, text)


def test_a_context_message_is_frozen_and_equal_by_value():
    message = ContextMessage("user", "hi")
    assert message == ContextMessage("user", "hi") != ContextMessage("assistant", "hi")
    assert len({message, ContextMessage("user", "hi")}) == 1
    with pytest.raises(AttributeError):
        message.text = "other"  # type: ignore[misc]


# -- the request ----------------------------------------------------------------------------------


def test_earlier_turns_go_before_the_question_oldest_first(route):
    events = list(stream_chat(CONFIG, "我叫什么？", context=EARLIER))
    assert isinstance(events[-1], ChatCompleted)
    (body,) = sent(route)
    assert body["additional_messages"] == [
        {"role": "user", "type": "question", "content": "我叫小明", "content_type": "text"},
        {
            "role": "assistant",
            "type": "answer",
            "content": "你好，小明！\n\n- a list\n",
            "content_type": "text",
        },
        {"role": "user", "type": "question", "content": "  spaces kept  ", "content_type": "text"},
        {"role": "user", "type": "question", "content": "我叫什么？", "content_type": "text"},
    ]
    # Still a new conversation every time: no conversation id, a fresh random user id.
    assert (
        "conversation_id" not in body
        and "conversation_id" not in route.calls.last.request.url.params
    )
    assert uuid.UUID(body["user_id"]).version == 4


def test_the_raw_request_bytes_carry_the_context_as_json(route):
    list(stream_chat(CONFIG, "q", context=[ContextMessage("assistant", '说 "hi"\n')]))
    raw = route.calls.last.request.content
    assert (
        b'"additional_messages":[{"role":"assistant","type":"answer",'
        + '"content":"说 \\"hi\\"\\n","content_type":"text"},'.encode()
        + b'{"role":"user","type":"question","content":"q","content_type":"text"}]'
    ) in raw


def test_no_context_sends_the_question_alone_as_before(route):
    list(stream_chat(CONFIG, "hi"))
    list(stream_chat(CONFIG, "hi", context=[]))
    list(stream_chat(CONFIG, "hi", context=iter(())))
    for body in sent(route):
        assert body["additional_messages"] == [
            {"role": "user", "type": "question", "content": "hi", "content_type": "text"}
        ]


def test_each_message_with_context_gets_its_own_user_id(route):
    list(stream_chat(CONFIG, "a", context=EARLIER))
    list(stream_chat(CONFIG, "b", context=EARLIER))
    first, second = sent(route)
    assert first["user_id"] != second["user_id"]


def test_any_iterable_of_messages_is_taken_once(route):
    list(stream_chat(CONFIG, "q", context=(m for m in EARLIER)))
    assert len(sent(route)[0]["additional_messages"]) == 4


def test_at_most_99_earlier_messages(route):
    most = [ContextMessage("user", f"m{i}") for i in range(MAX_CONTEXT_MESSAGES)]
    list(stream_chat(CONFIG, "q", context=most))
    assert len(sent(route)[0]["additional_messages"]) == 100  # Coze's limit
    with pytest.raises(ValueError, match="at most 99"):
        stream_chat(CONFIG, "q", context=[*most, ContextMessage("user", "one more")])
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("context", "error"),
    [
        ("a string", TypeError),
        ([("user", "hi")], TypeError),
        ([{"role": "user", "content": "hi"}], TypeError),
        ([ContextMessage("user", "hi"), None], TypeError),
    ],
)
def test_a_malformed_context_fails_before_any_request(route, context, error):
    with pytest.raises(error):
        stream_chat(CONFIG, "q", context=context)  # the call itself raises: nothing sent
    with pytest.raises(error):
        next(stream_text(CONFIG, "q", context=context))
    assert route.call_count == 0


def test_a_context_message_changed_behind_its_back_is_still_refused(route):
    message = ContextMessage("user", "hi")
    object.__setattr__(message, "role", "system")
    with pytest.raises(ValueError, match="role"):
        stream_chat(CONFIG, "q", context=[message])
    assert route.call_count == 0


def test_the_error_for_a_bad_context_names_no_text_of_it(route):
    with pytest.raises(TypeError) as caught:
        stream_chat(CONFIG, "q", context=[TOKEN])
    assert TOKEN not in str(caught.value) and "CANARY" not in str(caught.value)


def test_coze_refusing_the_context_is_a_clear_error_with_the_token_hidden():
    reply = httpx.Response(
        200,
        json={"code": 4000, "msg": f"invalid additional_messages for {TOKEN}"},
        headers={"x-tt-logid": "LOG4000"},
    )
    with respx.mock:
        route = respx.post(CHAT_URL).mock(return_value=reply)
        with pytest.raises(CozeAPIError) as caught:
            retrying = CozeConfig(pat=TOKEN, bot_id=CONFIG.bot_id, base_url=BASE, max_retries=2)
            list(stream_chat(retrying, "q", context=EARLIER))
    assert caught.value.code == 4000 and caught.value.logid == "LOG4000"
    assert TOKEN not in str(caught.value) and "[token hidden]" in str(caught.value)
    assert route.call_count == 1  # a refused request is not retried


def test_stream_text_sends_the_context(route):
    assert "".join(stream_text(CONFIG, "q", context=EARLIER)) == "ok"
    assert len(sent(route)[0]["additional_messages"]) == 4


def test_a_background_chat_sends_the_context(route):
    with httpx.Client() as client:
        chat = BackgroundChat(CONFIG, "q", client=client, context=EARLIER)
        chat.join(10)
        events = chat.take(0)
    assert isinstance(events[-1], ChatCompleted)
    assert [m["content"] for m in sent(route)[0]["additional_messages"]] == [
        "我叫小明",
        "你好，小明！\n\n- a list\n",
        "  spaces kept  ",
        "q",
    ]


def test_a_background_chat_refuses_a_bad_context_before_it_starts(route):
    with pytest.raises(ValueError):
        BackgroundChat(CONFIG, "q", context=[ContextMessage("user", "x")] * 100)
    assert route.call_count == 0


# -- which turns the page sends -------------------------------------------------------------------


def user(text: str) -> Turn:
    return Turn("user", [text])


def answer(*blocks: str, **extra: object) -> Turn:
    return Turn("assistant", list(blocks), **extra)  # type: ignore[arg-type]


def test_turns_become_context_messages_oldest_first():
    turns = [user("hi"), answer("## Hello\n\n", "there"), user("more")]
    assert pick_context(turns) == [
        ContextMessage("user", "hi"),
        ContextMessage("assistant", "## Hello\n\nthere"),  # the blocks as shown, joined
        ContextMessage("user", "more"),
    ]


def test_failed_answers_and_notices_are_left_out_stopped_answers_are_kept_as_shown():
    turns = [
        user("q1"),
        answer("half an answ", error=CozeStreamError("The answer broke off.")),  # even with text
        user("q2"),
        answer(no_text=True),  # the bot finished without any text this page can show
        user("q3"),
        answer("stopped he", stopped=True),
        user("q4"),
        answer(stopped=True),  # stopped before any text
        user("q5"),
        answer("   \n"),
    ]
    assert pick_context(turns) == [
        ContextMessage("user", "q1"),
        ContextMessage("user", "q2"),
        ContextMessage("user", "q3"),
        ContextMessage("assistant", "stopped he"),
        ContextMessage("user", "q4"),
        ContextMessage("user", "q5"),
    ]


def test_the_newest_messages_that_fit_are_kept_whole():
    turns = [user("a" * 10), answer("b" * 10), user("c" * 10), answer("d" * 10)]
    assert [m.text[0] for m in pick_context(turns, max_chars=25)] == ["c", "d"]
    assert [m.text[0] for m in pick_context(turns, max_chars=30)] == ["b", "c", "d"]
    assert [m.text[0] for m in pick_context(turns, max_messages=1)] == ["d"]
    assert pick_context(turns, max_messages=0) == []


def test_an_older_message_that_would_fit_is_not_taken_past_one_that_does_not():
    # No gaps: the long middle answer ends the context even though the first question is short.
    turns = [user("short"), answer("x" * 100), user("q")]
    assert pick_context(turns, max_chars=50) == [ContextMessage("user", "q")]


def test_when_even_the_newest_message_is_too_long_nothing_is_sent():
    turns = [user("q"), answer("x" * 101)]
    assert pick_context(turns, max_chars=100) == []


def test_the_limits_default_and_never_pass_coze_s():
    many = [user(f"m{i}") for i in range(300)]
    assert len(pick_context(many)) == CONTEXT_MESSAGES
    assert len(pick_context(many, max_messages=1000)) == MAX_CONTEXT_MESSAGES
    long = [user("x" * CONTEXT_CHARS), user("y")]
    assert pick_context(long) == [ContextMessage("user", "y")]
    with pytest.raises(ValueError):
        pick_context(many, max_chars=-1)
    with pytest.raises(ValueError):
        pick_context(many, max_messages=-1)


def test_the_picked_context_goes_on_the_wire(route):
    turns = [
        user("我叫小明"),
        answer("你好，", "小明！"),
        user("x"),
        answer("y", error=RuntimeError()),
    ]
    list(stream_chat(CONFIG, "我叫什么？", context=pick_context(turns)))
    assert [(m["role"], m["content"]) for m in sent(route)[0]["additional_messages"]] == [
        ("user", "我叫小明"),
        ("assistant", "你好，小明！"),
        ("user", "x"),
        ("user", "我叫什么？"),
    ]


turn_strategy = st.one_of(
    st.builds(user, st.text(max_size=30)),
    st.builds(
        lambda blocks, error, no_text, stopped: answer(
            *blocks, error=error, no_text=no_text, stopped=stopped
        ),
        st.lists(st.text(max_size=20), max_size=3),
        st.sampled_from([None, CozeStreamError("boom")]),
        st.booleans(),
        st.booleans(),
    ),
)


@given(
    turns=st.lists(turn_strategy, max_size=40),
    max_messages=st.integers(0, 120),
    max_chars=st.integers(0, 400),
)
def test_the_context_is_the_longest_newest_run_of_whole_messages_within_the_limits(
    turns, max_messages, max_chars
):
    picked = pick_context(turns, max_messages=max_messages, max_chars=max_chars)
    eligible = [
        ContextMessage(t.role, t.content)  # type: ignore[arg-type]
        for t in turns
        if t.error is None and not t.no_text and t.content.strip()
    ]
    # Whole messages, in order, the newest ones: a tail of the eligible messages.
    assert picked == (eligible[len(eligible) - len(picked) :] if picked else [])
    assert len(picked) <= min(max_messages, MAX_CONTEXT_MESSAGES)
    assert sum(len(m.text) for m in picked) <= max_chars
    # As long as it can be: the next older message would break a limit.
    if len(picked) < len(eligible):
        older = eligible[len(eligible) - len(picked) - 1]
        assert (
            len(picked) + 1 > min(max_messages, MAX_CONTEXT_MESSAGES)
            or sum(len(m.text) for m in picked) + len(older.text) > max_chars
        )
