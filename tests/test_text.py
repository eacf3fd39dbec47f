"""The wire layer's rule for an answer's text (coze_stream.AnswerText, coze_stream.stream_text),
fed as raw SSE bytes, also split at awkward points; and AnswerStream following the same rule."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import coze_answer
import coze_stream
from coze_answer import AnswerStream, AppendText, Replace
from coze_stream import (
    AnswerCompleted,
    AnswerDelta,
    AnswerPart,
    AnswerText,
    ChatCompleted,
    ChatEvent,
    FollowUp,
    ReasoningDelta,
    RichAnswerCompleted,
    stream_chat,
    stream_text,
    text_after,
)
from coze_stream.simulator import build_answer
from tests.helpers import CHAT_URL, CONFIG, SSE, USAGE, chat, frame, message, sse_response


def body_of(*frames: bytes) -> bytes:
    return b"".join(
        [
            frame("conversation.chat.created", chat("created")),
            *frames,
            frame("conversation.chat.completed", chat("completed", usage=USAGE)),
            frame("done", '"[DONE]"'),
        ]
    )


def delta(text: str, mid: str) -> bytes:
    return frame("conversation.message.delta", message("answer", text, mid))


def completed(text: str, mid: str, **extra: object) -> bytes:
    return frame("conversation.message.completed", message("answer", text, mid, **extra))


def chunked(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


# Two streamed messages (the second's completed text goes on past its deltas), reasoning and a
# follow-up (no text), then a message that came whole. Non-ASCII, so a split can fall inside a
# character as well as inside "\n\n" and the JSON.
FIRST, SECOND, WHOLE = "你好，", "世界", "整段话"
MIXED = body_of(
    frame("conversation.message.delta", message("answer", "", "a", reasoning_content="想")),
    delta(FIRST[:1], "a"),
    delta(FIRST[1:], "a"),
    completed(FIRST, "a"),
    delta(SECOND, "b"),
    completed(SECOND + "！", "b"),
    frame("conversation.message.completed", message("follow_up", "再问?", "f")),
    completed(WHOLE, "c"),
)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 64, len(MIXED)])
def test_deltas_a_blank_line_between_messages_and_a_whole_message_whole(mock, size):
    mock.post(CHAT_URL).mock(side_effect=lambda request: sse_response(chunked(MIXED, size)))
    given_text = list(stream_text(CONFIG, "hi"))
    # Message "b"'s "！" came only in its completed text, and message "c" was yielded after it:
    # the "！" belongs before text already yielded, so nothing is added at the end.
    assert given_text == [FIRST[:1], FIRST[1:], "\n\n" + SECOND, "\n\n" + WHOLE]
    mock.post(CHAT_URL).mock(side_effect=lambda request: sse_response(chunked(MIXED, size)))
    answer = AnswerText()
    for event in stream_chat(CONFIG, "hi"):
        answer.take(event)
    assert answer.text == f"{FIRST}\n\n{SECOND}！\n\n{WHOLE}" and answer.differs


def test_the_completed_text_that_goes_on_past_the_deltas_is_yielded_at_the_end(mock):
    body = body_of(delta("Hello", "a"), delta(", wor", "a"), completed("Hello, world.", "a"))
    mock.post(CHAT_URL).mock(return_value=sse_response(chunked(body, 7)))
    assert list(stream_text(CONFIG, "hi")) == ["Hello", ", wor", "ld."]


def test_a_completed_text_that_differs_adds_nothing_and_says_so(mock):
    body = body_of(delta("2024 年", "a"), completed("20 年", "a"))
    mock.post(CHAT_URL).mock(return_value=sse_response(body))
    assert list(stream_text(CONFIG, "hi")) == ["2024 年"]
    mock.post(CHAT_URL).mock(return_value=sse_response(body))
    answer = AnswerText()
    given_text = "".join(answer.take(event) for event in stream_chat(CONFIG, "hi"))
    assert answer.finish() == "" and answer.differs
    assert given_text == answer.given == "2024 年" and answer.text == "20 年"


def test_an_object_string_message_is_its_items_as_markdown(mock):
    items = [
        {"type": "text", "text": "See:"},
        {"type": "image", "file_url": "https://a.example/x.png", "name": "x"},
    ]
    body = body_of(
        delta("Before.", "a"),
        completed(json.dumps(items), "b", content_type="object_string"),
    )
    mock.post(CHAT_URL).mock(return_value=sse_response(chunked(body, 4)))
    rich = coze_stream.parts_markdown(
        [
            AnswerPart("text", text="See:"),
            AnswerPart("image", url="https://a.example/x.png", name="x"),
        ]
    )
    assert list(stream_text(CONFIG, "hi")) == ["Before.", "\n\n" + rich]
    assert rich.startswith("See:") and "](<https://a.example/x.png>)" in rich


def test_a_question_node_ends_the_text_with_the_question(mock):
    action = chat(
        "requires_action",
        usage=USAGE,
        required_action={
            "type": "submit_tool_outputs",
            "submit_tool_outputs": {
                "tool_calls": [{"id": "c", "type": "reply_message", "function": {"name": "q"}}]
            },
        },
    )
    body = b"".join(
        [
            frame("conversation.chat.created", chat("created")),
            delta("Which day?", "a"),
            completed("Which day? (1-7)", "a"),
            frame("conversation.chat.requires_action", action),
        ]
    )
    mock.post(CHAT_URL).mock(return_value=sse_response(chunked(body, 3)))
    assert list(stream_text(CONFIG, "book")) == ["Which day?", " (1-7)"]


def test_returning_to_an_earlier_message_starts_a_new_paragraph_and_differs():
    answer = AnswerText()
    events: list[ChatEvent] = [
        AnswerDelta("one", "a"),
        AnswerDelta("two", "b"),
        AnswerDelta(" more", "a"),
    ]
    assert [answer.take(event) for event in events] == ["one", "\n\ntwo", "\n\n more"]
    # Coze's text keeps each message together, in the order its first text came.
    assert answer.text == "one more\n\ntwo" and answer.differs and answer.finish() == ""
    assert answer.message_id == "a"


def test_events_without_answer_text_add_nothing():
    answer = AnswerText()
    for event in (ReasoningDelta("hm", "a"), FollowUp("Why?"), ChatCompleted(None)):
        assert answer.take(event) == ""
    assert answer.text == answer.given == "" and not answer.differs and answer.message_id == ""


def test_text_after():
    assert text_after("abc", "ab") == "c"
    assert text_after("abc", "abc") == ""
    assert text_after("abc", "x") is None
    assert text_after("ab", "abc") is None


class TrackedStream(httpx.SyncByteStream):
    """A response body that records whether the client closed it."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.closed = False

    def __iter__(self):
        yield from chunked(self.body, 10)

    def close(self) -> None:
        self.closed = True


def test_stopping_early_closes_the_response(mock):
    stream = TrackedStream(MIXED)
    mock.post(CHAT_URL).mock(return_value=httpx.Response(200, headers=SSE, stream=stream))
    texts = stream_text(CONFIG, "hi")
    assert next(texts) == FIRST[:1]
    assert not stream.closed
    texts.close()
    assert stream.closed


def test_coze_answer_s_stream_text_is_the_same_text_guarded_for_a_browser(mock):
    """coze_stream's is Coze's text as it came; coze_answer's shows an image from a host it was
    not allowed as a link, and is otherwise the same text, delta by delta."""
    tracker = "![pixel](https://tracker.example/p.gif)"
    body = body_of(delta("See ", "a"), delta(tracker, "a"), completed("See " + tracker, "a"))
    mock.post(CHAT_URL).mock(return_value=sse_response(body))
    raw = "".join(coze_stream.stream_text(CONFIG, "hi"))
    shown = "".join(coze_answer.stream_text(CONFIG, "hi"))
    assert raw == "See " + tracker
    assert shown == "See \\" + tracker  # its "!" escaped: a link, not an image
    allowed = "".join(coze_answer.stream_text(CONFIG, "hi", image_hosts=["tracker.example"]))
    assert allowed == raw


# -- AnswerStream builds on the same rule --------------------------------------------------------

MESSAGE_IDS = st.sampled_from(["a", "b", "c"])
TEXT = st.text(alphabet="ab \n你", max_size=4)
EVENTS = st.lists(
    st.one_of(
        st.builds(AnswerDelta, TEXT.filter(bool), MESSAGE_IDS),
        st.builds(AnswerCompleted, TEXT, MESSAGE_IDS),
        st.builds(
            RichAnswerCompleted,
            st.tuples(st.builds(AnswerPart, st.just("text"), TEXT)),
            MESSAGE_IDS,
        ),
        st.builds(ReasoningDelta, TEXT.filter(bool), MESSAGE_IDS),
    ),
    max_size=12,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(EVENTS)
def test_answer_stream_shows_what_answer_text_gives(events):
    wire = AnswerText()
    wire_text = "".join(wire.take(event) for event in events)
    wire_rest = wire.finish()
    # No guard and no blocks: what AnswerStream shows is then exactly the text.
    answer = AnswerStream(frame_seconds=0, split_blocks=False, image_hosts=None)
    shown = [
        c.text for event in events for c in answer.update([event]) if isinstance(c, AppendText)
    ]
    assert "".join(shown) == wire_text
    end = answer.finish()
    assert answer.text == wire.text and answer.message_id == wire.message_id
    replaced = any(isinstance(change, Replace) for change in end)
    if not coze_answer.needs_whole_render(wire.text):
        assert replaced == wire.differs
        assert "".join(c.text for c in end if isinstance(c, AppendText)) == wire_rest


# -- through the simulator ------------------------------------------------------------------------


def test_stream_text_yields_the_simulator_s_deltas(config):
    # `config` talks to conftest.py's simulator, at 1000 deltas a second.
    events = list(stream_chat(config, "你好 text"))
    deltas = [event.text for event in events if isinstance(event, AnswerDelta)]
    assert len(deltas) > 1
    assert list(stream_text(config, "你好 text")) == deltas
    assert "".join(deltas) == build_answer("你好 text")
    # Two answer messages: the second's first delta brings the blank line with it.
    events = list(stream_chat(config, "/multi two parts"))
    answer_deltas = [event for event in events if isinstance(event, AnswerDelta)]
    expected = [
        ("\n\n" if i and event.message_id != answer_deltas[i - 1].message_id else "") + event.text
        for i, event in enumerate(answer_deltas)
    ]
    assert len({event.message_id for event in answer_deltas}) == 2
    assert list(stream_text(config, "/multi two parts")) == expected
