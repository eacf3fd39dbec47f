"""Text is always text: a lone UTF-16 surrogate from Coze or the visitor never breaks the chat.

Coze's JSON may spell a surrogate half alone, and a gateway that cuts strings by UTF-16 units
sends an emoji's halves in two deltas. Whatever arrives, every string the wire layer hands out is
valid Unicode (a pair joined, a lone half U+FFFD), and so is everything the page then encodes:
Streamlit's protobuf, the copy button's payload, both downloads.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.proto.Button_pb2 import Button
from streamlit.proto.Markdown_pb2 import Markdown

import chat_page.copy_button as copy_module
from chat_page.answer_bubble import new_answer
from coze_answer import (
    AnswerStream,
    AppendReasoning,
    AppendText,
    Turn,
    chat_json,
    chat_markdown,
    clean_message,
    plain_markdown,
    words,
)
from coze_stream import (
    AnswerDelta,
    AnswerText,
    ChatEvent,
    CozeAPIError,
    CozeError,
    FollowUp,
    ReasoningDelta,
    stream_chat,
    valid_text,
)
from coze_stream import _events as events_module
from coze_stream._events import iter_events
from tests.helpers import (
    APP,
    BOT_ID,
    CHAT_URL,
    CONFIG,
    ROOT,
    TOKEN,
    bubble_text,
    chat,
    message,
    sse_response,
)
from tests.surrogate_coze import ECHO, SHOWN, VARIANTS, surrogate_coze

pytestmark = pytest.mark.timeout(120)

SMILE = "\U0001f600"

# Text as a gateway may send it: any characters, emoji (two UTF-16 units each) and surrogate
# halves on their own.
HALVES = st.integers(0xD800, 0xDFFF).map(chr)
TEXT = st.lists(
    st.one_of(st.text(max_size=6), HALVES, st.sampled_from([SMILE, "\U0001f44d", "中", "\n"])),
    max_size=12,
).map("".join)


def utf16_pieces(text: str, cuts: list[int]) -> list[str]:
    """``text`` cut at UTF-16 unit positions (an emoji may be cut in two), each piece as Python
    reads a JSON string holding those units (a half stays a lone surrogate)."""
    units = text.encode("utf-16-le", "surrogatepass")
    count = len(units) // 2
    bounds = sorted({0, count, *(cut % (count + 1) for cut in cuts)})
    return [
        units[2 * start : 2 * end].decode("utf-16-le", "surrogatepass")
        for start, end in itertools.pairwise(bounds)
    ]


def ascii_frame(event: str, data: dict) -> bytes:
    """One SSE frame with ``data`` as ASCII JSON: each surrogate half spelled "\\udXXX"."""
    return f"event:{event}\ndata:{json.dumps(data, ensure_ascii=True)}\n\n".encode()


def delta(text: str, *, reasoning: bool = False, mid: str = "m1") -> bytes:
    fields = {"reasoning_content": text, "content": ""} if reasoning else {"content": text}
    return ascii_frame("conversation.message.delta", message("answer", "", mid) | fields)


def stream_of(answer_pieces: list[str], reasoning_pieces: list[str] = (), **completed) -> bytes:
    whole = message("answer", "".join(answer_pieces)) | completed
    return b"".join(
        [
            ascii_frame("conversation.chat.created", chat()),
            *(delta(piece, reasoning=True) for piece in reasoning_pieces),
            *(delta(piece) for piece in answer_pieces),
            ascii_frame("conversation.message.completed", whole),
            ascii_frame("conversation.chat.completed", chat("completed")),
        ]
    )


def events_of(body: bytes) -> list[ChatEvent]:
    response = httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})
    return list(iter_events(response, CONFIG))


def strings_in(value: object) -> Iterator[str]:
    """Every string in an event (or an error), its fields' included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)
    elif hasattr(value, "__slots__") or hasattr(value, "__dict__"):
        names = getattr(value, "__slots__", None) or vars(value)
        for name in names:
            yield from strings_in(getattr(value, name, None))


def assert_valid(*texts: str) -> None:
    for text in texts:
        text.encode("utf-8")  # raises UnicodeEncodeError on a lone surrogate


@contextmanager
def decoder(name: str) -> Iterator[None]:
    """Events decoded by orjson (the app's default) or by the standard library alone."""
    if name == "orjson":
        yield
        return
    with mock.patch.object(events_module, "_fast_json", events_module._json_without_surrogates):
        yield


DECODERS = ["orjson", "json"]


# -- the wire layer --


@pytest.mark.parametrize("name", DECODERS)
@settings(max_examples=150, deadline=None)
@given(text=TEXT, cuts=st.lists(st.integers(0, 200), max_size=6), thought=TEXT)
def test_every_string_from_the_wire_is_valid_and_halves_are_joined(name, text, cuts, thought):
    answer_pieces = [p for p in utf16_pieces(text, cuts) if p]
    reasoning_pieces = [p for p in utf16_pieces(thought, cuts[::-1]) if p]
    with decoder(name):
        events = events_of(stream_of(answer_pieces, reasoning_pieces))
    for event in events:
        assert_valid(*strings_in(event))
    answers = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    reasonings = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    # What arrived apart reads as if it had come whole: a pair joined, a lone half U+FFFD.
    assert answers == valid_text("".join(answer_pieces))
    assert reasonings == valid_text("".join(reasoning_pieces))
    # The wire layer's text rule and the page's model both see the joined characters.
    wire = AnswerText()
    given_text = "".join(wire.take(event) for event in events) + wire.finish()
    assert given_text == wire.text == valid_text("".join(answer_pieces))
    assert not wire.differs
    model = AnswerStream(frame_seconds=0, split_blocks=False)
    changes = model.update(events, ended=True) + model.finish()
    shown = "".join(c.text for c in changes if isinstance(c, AppendText))
    assert shown == model.text == valid_text("".join(answer_pieces))
    assert model.reasoning == valid_text("".join(reasoning_pieces))


@pytest.mark.parametrize("name", DECODERS)
def test_an_emoji_split_across_two_deltas_arrives_whole(name):
    with decoder(name):
        events = events_of(stream_of(["smile \ud83d", "\ude00 done"], ["hm \ud83d", "\ude00"]))
    deltas = [e.text for e in events if isinstance(e, AnswerDelta)]
    assert deltas == ["smile ", f"{SMILE} done"]  # the half waits for the next delta
    assert [e.text for e in events if isinstance(e, ReasoningDelta)] == ["hm ", SMILE]


@pytest.mark.parametrize("name", DECODERS)
def test_a_half_whose_other_half_never_comes_is_a_replacement_character(name):
    with decoder(name):
        # The reasoning's half is followed by answer text, not by reasoning: each text keeps
        # its own half. The answer's last half is still held when its message completes.
        events = events_of(stream_of(["a\ud83d", "b", "c\ud83d"], ["think \ud83d"]))
    assert "".join(e.text for e in events if isinstance(e, AnswerDelta)) == "a\ufffdbc\ufffd"
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "think \ufffd"


@pytest.mark.parametrize("name", DECODERS)
def test_follow_ups_ids_and_whole_messages_are_valid(name):
    body = b"".join(
        [
            ascii_frame("conversation.chat.created", chat(id="c\ud800", conversation_id="v\udc00")),
            ascii_frame(
                "conversation.message.completed", message("answer", "whole \ud800", "m\ud800")
            ),
            ascii_frame("conversation.message.completed", message("follow_up", "next \udbff?")),
            ascii_frame("conversation.chat.completed", chat("completed")),
        ]
    )
    with decoder(name):
        events = events_of(body)
    for event in events:
        assert_valid(*strings_in(event))
    assert FollowUp("next \ufffd?") in events


@pytest.mark.parametrize(
    ("event", "data"),
    [
        ("conversation.chat.failed", {"last_error": {"code": 4000, "msg": "bad \ud800 input"}}),
        ("error", {"code": 4000, "msg": "bad \ud800 input"}),
        (
            "conversation.chat.requires_action",
            {
                "required_action": {
                    "submit_tool_outputs": {
                        "tool_calls": [{"type": "function", "function": {"name": "w\ud800"}}]
                    }
                }
            },
        ),
    ],
)
def test_an_error_coze_words_with_a_lone_half_is_valid(event, data):
    body = ascii_frame("conversation.chat.created", chat()) + ascii_frame(event, data)
    with pytest.raises(CozeError) as caught:
        events_of(body)
    assert_valid(str(caught.value), *strings_in(caught.value))


@respx.mock
def test_an_error_reply_with_a_lone_half_is_valid():
    respx.post(CHAT_URL).mock(
        return_value=httpx.Response(
            400,
            content=b'{"code": 4000, "msg": "bad \\ud800 request"}',
            headers={"content-type": "application/json"},
        )
    )
    with pytest.raises(CozeAPIError) as caught:
        list(stream_chat(CONFIG, "hi"))
    assert caught.value.coze_message == "bad \ufffd request"
    assert_valid(str(caught.value), caught.value.sentence)


@respx.mock
def test_the_hot_path_waits_for_a_held_half_even_when_orjson_reads_the_next_delta():
    # The second delta is plain text orjson reads at once; the half before it still goes first.
    body = [stream_of(["x\ud83d", "plain"])]
    respx.post(CHAT_URL).mock(return_value=sse_response(body))
    texts = [e.text for e in stream_chat(CONFIG, "hi") if isinstance(e, AnswerDelta)]
    assert texts == ["x", "\ufffdplain"]


# -- through the page's own encoders --


def markdown_proto(text: str) -> bytes:
    """``text`` as Streamlit sends Markdown to the browser (raises on a lone surrogate)."""
    return Markdown(body=text).SerializeToString()


def copy_payload(text: str) -> bytes:
    """The bytes the copy button hands Streamlit for ``text``."""
    sent: list[bytes] = []
    with mock.patch.object(copy_module, "_mount", lambda **kw: sent.append(kw["data"])):
        copy_module.copy_button(text, key="k", label="Copy", copied_label="Copied", help="h")
    return sent[0]


@settings(max_examples=100, deadline=None)
@given(text=TEXT, cuts=st.lists(st.integers(0, 200), max_size=6), typed=TEXT, thought=TEXT)
def test_the_page_encodes_whatever_came_or_was_typed(text, cuts, typed, thought):
    pieces = [p for p in utf16_pieces(text, cuts) if p]
    events = events_of(stream_of(pieces, [p for p in utf16_pieces(thought, cuts) if p]))
    # The page's own model, as the page builds it.
    answer = new_answer()
    changes = answer.update(events, ended=True) + answer.finish()
    question = clean_message(typed)
    turns = [Turn("user", [question]), Turn("assistant", question=question)]
    turns[1].keep(answer)
    # Streamlit's protobuf: the question, each block, the reasoning, every change's text.
    markdown_proto(plain_markdown(question))
    for block in turns[1].blocks:
        markdown_proto(block)
    markdown_proto(turns[1].reasoning)
    for change in changes:
        if isinstance(change, AppendText | AppendReasoning):
            markdown_proto(change.text)
    for follow_up in turns[1].follow_ups:
        Button(label=plain_markdown(follow_up)).SerializeToString()
    # The copy button: its payload is strict UTF-8 and holds the answer as shown.
    payload = copy_payload(turns[1].content)
    assert json.loads(payload.decode("utf-8"))["text"] == turns[1].content
    # Both downloads, as Streamlit encodes a str download (UTF-8).
    for language in ("en", "zh"):
        chat_markdown(turns, words(language)).encode("utf-8")
    assert json.loads(chat_json(turns).encode("utf-8"))["messages"][1]["text"] == (turns[1].content)


def test_a_typed_lone_half_is_sent_as_valid_text():
    assert clean_message("typed \ud800 words") == "typed \ufffd words"
    assert clean_message("pair \ud83d\ude00 kept") == f"pair {SMILE} kept"


# -- the page and the command line, against a Coze that sends lone halves --


@pytest.fixture(scope="module")
def coze():
    with surrogate_coze() as server:
        yield server


def test_the_chat_goes_on_after_each_kind_of_lone_half(monkeypatch, coze):
    from streamlit.testing.v1 import AppTest

    for name in ("COZE_DEMO", "COZE_READ_TIMEOUT", "COZE_CONTEXT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COZE_PAT", TOKEN)
    monkeypatch.setenv("COZE_BOT_ID", BOT_ID)
    monkeypatch.setenv("COZE_API_BASE_URL", coze.base_url)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    for variant in [*VARIANTS, "hello again"]:
        at.chat_input[0].set_value(variant).run()
        assert not at.exception, at.exception
        assert not at.error, [e.value for e in at.error]
    answers = [bubble_text(m) for m in at.chat_message if m.name == "assistant"]
    assert len(answers) == len(VARIANTS) + 1
    for answer, variant in zip(answers, VARIANTS, strict=False):
        assert SHOWN[variant] in answer
    assert f"{ECHO}hello again" in answers[-1]
    # The suggested follow-up (a lone half in it) is a button that says U+FFFD.
    assert any("\ufffd" in button.label for button in at.button)


def run_cli(coze, *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("COZE_")}
    env = {"COZE_PAT": TOKEN, "COZE_BOT_ID": BOT_ID, "COZE_API_BASE_URL": coze.base_url}
    return subprocess.run(
        [sys.executable, "-m", "coze_stream", *args],
        cwd=ROOT,
        env={**base, **env, "PYTHONIOENCODING": "utf-8"},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_command_line_prints_each_kind_of_lone_half(coze, variant):
    result = run_cli(coze, variant, "--reasoning", "--follow-ups")
    assert result.returncode == 0, result.stderr
    assert SHOWN[variant] in result.stdout
    assert "more \ufffd?" in result.stdout
    events = run_cli(coze, variant, "--events")
    assert events.returncode == 0, events.stderr
    assert SHOWN[variant] in "".join(
        json.loads(line).get("text", "") for line in events.stdout.splitlines()
    )
