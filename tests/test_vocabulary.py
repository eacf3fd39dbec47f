"""Coze's whole vocabulary, fed as raw bytes (also split at awkward points): question nodes,
client plugins, object_string answers and every shape of failure."""

from __future__ import annotations

import json

import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coze_answer import AnswerStream, Replace, parts_markdown, stream_text, web_address
from coze_stream import (
    AnswerCompleted,
    AnswerDelta,
    AnswerPart,
    ChatStarted,
    CozeAPIError,
    CozeAuthError,
    CozeError,
    CozeRateLimitError,
    CozeStreamError,
    ReplyRequested,
    RichAnswerCompleted,
    Usage,
    stream_chat,
)
from tests.helpers import CHAT_URL, CONFIG, TOKEN, USAGE, chat, frame, message, sse_response


def requires_action(*calls: dict) -> dict:
    return chat(
        "requires_action",
        usage=USAGE,
        required_action={
            "type": "submit_tool_outputs",
            "submit_tool_outputs": {"tool_calls": calls},
        },
    )


QUESTION = "你想订哪一天的票？ Which day?"
QUESTION_NODE = b"".join(
    [
        frame("conversation.chat.created", chat("created")),
        frame("conversation.chat.in_progress", chat()),
        frame("conversation.message.delta", message("answer", "你想订哪一天的票？")),
        frame("conversation.message.delta", message("answer", " Which day?")),
        frame("conversation.message.completed", message("answer", QUESTION)),
        frame(
            "conversation.chat.requires_action",
            requires_action(
                {
                    "id": "call1",
                    "type": "reply_message",
                    "function": {"name": "question_node", "arguments": "{}"},
                }
            ),
        ),
        frame("done", '"[DONE]"'),
    ]
)

RICH_ITEMS = [
    {"type": "text", "text": "Here is the chart:"},
    {"type": "image", "file_url": "https://lf-bot-studio.coze.cn/chart one.png", "name": "chart"},
    {"type": "file", "file_url": "https://example.com/report.pdf", "name": "report [Q3].pdf"},
    {"type": "image", "file_url": "javascript:alert(1)", "name": "bad"},
    {"type": "audio", "file_url": "https://example.com/a.mp3"},
]
RICH_ANSWER = b"".join(
    [
        frame("conversation.chat.created", chat("created")),
        frame(
            "conversation.message.completed",
            message("answer", json.dumps(RICH_ITEMS), content_type="object_string"),
        ),
        frame("conversation.chat.completed", chat("completed", usage=USAGE)),
        frame("done", '"[DONE]"'),
    ]
)


def chunked(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut for cut in cuts if 0 < cut < len(body)})
    return [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]


# -- 1. a chatflow's Question or Input node ------------------------------------------------------


def test_a_question_node_ends_the_chat_well_with_the_question_as_the_answer(mock):
    mock.post(CHAT_URL).mock(return_value=sse_response(QUESTION_NODE))
    events = list(stream_chat(CONFIG, "订票"))
    assert [type(e) for e in events] == [
        ChatStarted,
        AnswerDelta,
        AnswerDelta,
        AnswerCompleted,
        ReplyRequested,
    ]
    assert events[-1] == ReplyRequested(Usage(30, 10, 20))
    mock.post(CHAT_URL).mock(return_value=sse_response(QUESTION_NODE))
    assert "".join(stream_text(CONFIG, "订票")) == QUESTION


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cuts=st.lists(st.integers(1, len(QUESTION_NODE) - 1), max_size=40))
def test_a_question_node_split_anywhere_reads_the_same(cuts):
    with respx.mock:
        respx.post(CHAT_URL).mock(return_value=sse_response(chunked(QUESTION_NODE, cuts)))
        events = list(stream_chat(CONFIG, "订票"))
    assert isinstance(events[-1], ReplyRequested)
    assert "".join(e.text for e in events if isinstance(e, AnswerDelta)) == QUESTION


def test_the_answer_model_says_the_bot_waits_for_a_reply(mock):
    mock.post(CHAT_URL).mock(return_value=sse_response(QUESTION_NODE))
    answer = AnswerStream(frame_seconds=0)
    for event in stream_chat(CONFIG, "订票"):
        answer.update([event])
    answer.finish()
    assert answer.awaiting_reply and answer.text == QUESTION and not answer.has_no_text


def test_a_client_side_plugin_is_an_error_that_names_it(mock):
    body = frame("conversation.chat.created", chat("created")) + frame(
        "conversation.chat.requires_action",
        requires_action(
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": "{}"},
            },
            {"id": "c2", "type": "function", "function": {"name": f"leak {TOKEN}"}},
        ),
    )
    mock.post(CHAT_URL).mock(return_value=sse_response(body))
    with pytest.raises(CozeStreamError) as caught:
        list(stream_chat(CONFIG, "weather?"))
    sentence = str(caught.value)
    assert "its plugin get_weather, leak [token hidden]" in sentence
    assert "remove client-side plugins" in sentence and TOKEN not in sentence


# -- 2. object_string answers --------------------------------------------------------------------


def test_an_object_string_answer_is_read_as_its_items(mock):
    mock.post(CHAT_URL).mock(return_value=sse_response(RICH_ANSWER))
    events = list(stream_chat(CONFIG, "chart"))
    rich = [e for e in events if isinstance(e, RichAnswerCompleted)]
    assert rich == [
        RichAnswerCompleted(
            (
                AnswerPart("text", text="Here is the chart:"),
                AnswerPart(
                    "image", url="https://lf-bot-studio.coze.cn/chart one.png", name="chart"
                ),
                AnswerPart("file", url="https://example.com/report.pdf", name="report [Q3].pdf"),
                AnswerPart("image", url="javascript:alert(1)", name="bad"),
            ),
            "m1",
        )
    ]


def test_an_object_string_answer_becomes_markdown_never_raw_json(mock):
    mock.post(CHAT_URL).mock(return_value=sse_response(RICH_ANSWER))
    text = "".join(stream_text(CONFIG, "chart"))
    assert text == (
        "Here is the chart:\n\n"
        "![chart](<https://lf-bot-studio.coze.cn/chart%20one.png>)\n\n"
        "[report \\[Q3\\].pdf](<https://example.com/report.pdf>)\n\n"
        "bad"
    )
    assert "file_url" not in text and "javascript" not in text


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://a.example/x.png", "https://a.example/x.png"),
        ("HTTP://a.example/a b<c>.png", "HTTP://a.example/a%20b%3Cc%3E.png"),
        ("javascript:alert(1)", None),
        ("data:image/png;base64,AAAA", None),
        ("//a.example/x.png", None),
        ("/local/x.png", None),
        ("https:///no-host", None),
    ],
)
def test_only_web_addresses_become_links(url, safe):
    assert web_address(url) == safe


def test_parts_without_a_usable_address_show_their_name():
    parts = [AnswerPart("file", url="ftp://x/y", name="y.txt"), AnswerPart("image", url="")]
    assert parts_markdown(parts) == "y.txt\n\nimage"


def test_an_object_string_that_is_not_json_leaves_no_text(mock):
    body = RICH_ANSWER.replace(json.dumps(json.dumps(RICH_ITEMS)).encode(), b'"not json"')
    assert b"not json" in body
    mock.post(CHAT_URL).mock(return_value=sse_response(body))
    answer = AnswerStream(frame_seconds=0)
    for event in stream_chat(CONFIG, "chart"):
        answer.update([event])
    answer.finish()
    assert answer.has_no_text


# -- 3. conversation.chat.failed as a bare {code, msg} -------------------------------------------


@pytest.mark.parametrize(
    "failed",
    [
        {"code": 4011, "msg": "balance is not enough"},
        chat("failed", last_error={"code": 4011, "msg": "balance is not enough"}),
        {
            **chat("failed", last_error={"code": 0, "msg": ""}),
            "code": 4011,
            "msg": "balance is not enough",
        },
    ],
    ids=["bare", "last_error", "last_error empty, code beside it"],
)
def test_chat_failed_keeps_cozes_code_and_message_whatever_its_shape(mock, failed):
    body = (
        frame("conversation.chat.created", chat("created"))
        + frame("conversation.message.delta", message("answer", "partial"))
        + frame("conversation.chat.failed", failed)
    )
    mock.post(CHAT_URL).mock(return_value=sse_response(body))
    received: list[str] = []
    with pytest.raises(CozeAPIError) as caught:
        received.extend(stream_text(CONFIG, "hi"))
    assert received == ["partial"]
    assert caught.value.code == 4011 and caught.value.coze_message == "balance is not enough"
    assert str(caught.value).startswith("The Coze account has run out of tokens")


# -- 4. an error event whose code is a string ----------------------------------------------------


@pytest.mark.parametrize(("code", "expected"), [("4020", 4020), (" 4011 ", 4011), ("oops", None)])
def test_an_error_event_s_code_may_be_a_string(mock, code, expected):
    body = frame("conversation.chat.created", chat("created")) + frame(
        "error", {"code": code, "msg": "from the backend"}
    )
    mock.post(CHAT_URL).mock(return_value=sse_response(body))
    with pytest.raises(CozeError) as caught:
        list(stream_chat(CONFIG, "hi"))
    assert caught.value.code == expected and caught.value.coze_message == "from the backend"
    if expected == 4020:
        assert isinstance(caught.value, CozeRateLimitError)


# -- 5. an event stream whose body is a bare JSON error ------------------------------------------


BARE_JSON = json.dumps(
    {"code": 4101, "msg": "The token you entered is incorrect", "detail": {"logid": "L9"}}
).encode()


@pytest.mark.parametrize("body", [BARE_JSON, BARE_JSON + b"\n", b"\n  " + BARE_JSON])
def test_a_bare_json_error_in_an_event_stream_is_the_error_it_says(mock, body):
    mock.post(CHAT_URL).mock(return_value=sse_response(body, headers={"x-tt-logid": "LOG42"}))
    with pytest.raises(CozeAuthError) as caught:
        list(stream_chat(CONFIG, "hi"))
    assert caught.value.code == 4101 and caught.value.logid == "LOG42"
    assert str(caught.value).startswith("The access token has no permission for this")


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(1, len(BARE_JSON) - 1), max_size=20))
def test_a_bare_json_error_split_anywhere_is_still_that_error(cuts):
    with respx.mock:
        respx.post(CHAT_URL).mock(return_value=sse_response(chunked(BARE_JSON, cuts)))
        with pytest.raises(CozeAuthError):
            list(stream_chat(CONFIG, "hi"))


def test_a_stream_of_events_that_just_ends_is_still_cut_off(mock):
    # Only a body with no event at all is read as a bare JSON error.
    body = frame("conversation.chat.created", chat("created")) + b'{"code": 4101}'
    mock.post(CHAT_URL).mock(return_value=sse_response(body))
    with pytest.raises(CozeStreamError, match="ended before it was complete"):
        list(stream_chat(CONFIG, "hi"))


def test_a_completed_text_that_differs_is_a_replace_for_a_ui_that_can_redraw(mock):
    # (The rule stream_text cannot follow: it is what the page and the CLI do.)
    body = b"".join(
        [
            frame("conversation.message.delta", message("answer", "21")),
            frame("conversation.message.completed", message("answer", "2024")),
            frame("conversation.chat.completed", chat("completed")),
        ]
    )
    mock.post(CHAT_URL).mock(return_value=sse_response(body))
    answer = AnswerStream(frame_seconds=0)
    for event in stream_chat(CONFIG, "hi"):
        answer.update([event])
    assert answer.finish() == [Replace("2024")]


def _outcome(body: bytes | list[bytes]) -> tuple[list[object], CozeError | None]:
    events: list[object] = []
    with respx.mock:
        respx.post(CHAT_URL).mock(return_value=sse_response(body))
        try:
            events.extend(stream_chat(CONFIG, "hi"))
        except CozeError as error:
            return events, error
    return events, None


FAILED_BARE = (
    frame("conversation.chat.created", chat("created"))
    + frame("conversation.message.delta", message("answer", "partial"))
    + frame("conversation.chat.failed", {"code": 4011, "msg": "balance is not enough"})
)
ERROR_STRING_CODE = frame("conversation.chat.created", chat("created")) + frame(
    "error", {"code": "4020", "msg": "slow down"}
)
PLUGIN = frame("conversation.chat.created", chat("created")) + frame(
    "conversation.chat.requires_action",
    requires_action({"id": "c1", "type": "function", "function": {"name": "get_weather"}}),
)
EVERY_CASE = {
    "question node": QUESTION_NODE,
    "object_string": RICH_ANSWER,
    "failed, bare": FAILED_BARE,
    "error code string": ERROR_STRING_CODE,
    "bare JSON": BARE_JSON,
    "client plugin": PLUGIN,
}


@pytest.mark.parametrize("body", EVERY_CASE.values(), ids=EVERY_CASE.keys())
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_case_reads_the_same_however_its_bytes_are_split(body, data):
    whole_events, whole_error = _outcome(body)
    cuts = data.draw(st.lists(st.integers(1, len(body) - 1), max_size=30))
    events, error = _outcome(chunked(body, cuts))
    assert events == whole_events
    assert type(error) is type(whole_error)
    assert str(error) == str(whole_error)
