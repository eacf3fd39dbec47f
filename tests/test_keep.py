"""A chat as kept in the browser: written without anything of the owner's, read back strictly
(anything at all never raises, never yields more than the caps, never a control character)."""

from __future__ import annotations

import json
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from coze_answer import KEEP_VERSION, MAX_TURNS, Turn, chat_title, read_chat, turn_record
from coze_answer._display import Cap
from coze_answer._keep import (
    MAX_BLOCKS,
    MAX_FOLLOW_UPS,
    MAX_STORED_CHARS,
    MAX_TEXT_CHARS,
    KeptFailure,
    KeptRefusal,
)
from coze_stream import CozeRateLimitError, CozeStreamError, Usage
from tests.helpers import TOKEN

CHAT_ID = "0123456789abcdef"


def stored(turns: list[object], **extra: object) -> str:
    return json.dumps({"v": KEEP_VERSION, "id": CHAT_ID, "demo": False, "turns": turns} | extra)


def answer(**fields: object) -> Turn:
    turn = Turn("assistant", ["Hello ", "**world**"], question="hi", at=1_700_000_000.0)
    for name, value in fields.items():
        setattr(turn, name, value)
    return turn


def test_a_chat_comes_back_as_it_was_shown() -> None:
    done = answer(
        reasoning="thinking…",
        thought_seconds=1.5,
        follow_ups=["And then?"],
        usage=Usage(30, 10, 20),
        first_text_seconds=0.2,
        total_seconds=2.0,
        conversation_id="7400000000000000001",
        chat_id="7400000000000000002",
        message_id="7400000000000000003",
        feedback="like",
        remembered=2,
        display_caps=frozenset({Cap.TABLE_AS_GRID}),
        max_formulas=50,
    )
    question = Turn("user", ["hi"], at=1_699_999_999.0)
    chat = read_chat(stored([turn_record(question), turn_record(done)]))
    assert chat is not None and chat.id == CHAT_ID and not chat.demo and chat.dropped == 0
    back_question, back = chat.turns
    assert (back_question.role, back_question.content, back_question.id) == (
        "user",
        "hi",
        question.id,
    )
    for name in (
        "blocks",
        "question",
        "reasoning",
        "thought_seconds",
        "follow_ups",
        "usage",
        "first_text_seconds",
        "total_seconds",
        "conversation_id",
        "chat_id",
        "message_id",
        "feedback",
        "remembered",
        "display_caps",
        "max_formulas",
        "id",
        "at",
    ):
        assert getattr(back, name) == getattr(done, name), name
    assert not back.stopped and not back.failed


def test_stopped_failed_refused_and_unfinished_answers_keep_their_marks() -> None:
    stopped = answer(stopped=True)
    streaming = answer(streaming=True)  # the page was left mid-answer: kept as stopped
    failed = answer(error=CozeRateLimitError("busy", code=4020, logid="LOG123", coze_message="x"))
    broke = answer(error=CozeStreamError("cut"))
    crashed = answer(error=RuntimeError(f"with the token {TOKEN}"))
    refused = answer(refusal=KeptRefusal("rate", 12.0))
    chat = read_chat(
        stored([turn_record(t) for t in (stopped, streaming, failed, broke, crashed, refused)])
    )
    assert chat is not None
    back = chat.turns
    assert back[0].stopped and back[1].stopped
    assert isinstance(back[2].error, CozeRateLimitError) and back[2].error.code == 4020
    assert not back[2].error.logid and not back[2].error.coze_message
    assert isinstance(back[3].error, CozeStreamError)
    assert isinstance(back[4].error, KeptFailure)
    assert back[5].refusal == KeptRefusal("rate", 12.0)


def test_nothing_of_the_owner_is_written() -> None:
    failed = answer(
        error=CozeRateLimitError(f"token {TOKEN}", logid="20241210LOGID", coze_message=TOKEN)
    )
    text = json.dumps([turn_record(failed), turn_record(answer(error=RuntimeError(TOKEN)))])
    assert "CANARY" not in text and "LOGID" not in text and "token" not in text


def test_what_is_not_this_pages_chat_is_not_read() -> None:
    for raw in (
        None,
        42,
        "",
        "not json",
        "[]",
        json.dumps({"v": 2, "id": CHAT_ID, "turns": []}),
        json.dumps({"v": KEEP_VERSION, "id": "../../etc", "turns": []}),
        json.dumps({"v": KEEP_VERSION, "id": CHAT_ID, "turns": {}}),
        "[" * 100_000,
        " " * (MAX_STORED_CHARS + 1),
    ):
        assert read_chat(raw) is None, raw


def test_a_turn_that_does_not_pass_is_left_out_and_the_rest_stays() -> None:
    good = turn_record(Turn("user", ["fine"], at=1.0))
    bad = [
        {"role": "system", "at": 1, "text": "x"},
        {"role": "user", "at": "yesterday", "text": "x"},
        {"role": "user", "at": 1, "text": 5},
        {"role": "user", "at": 1, "text": "x" * (MAX_TEXT_CHARS + 1)},
        {"role": "assistant", "at": 1, "blocks": "not a list"},
        {"role": "assistant", "at": 1, "blocks": ["x"] * (MAX_BLOCKS + 1)},
        {"role": "assistant", "at": 1, "blocks": [], "follow_ups": ["?"] * (MAX_FOLLOW_UPS + 1)},
        {"role": "assistant", "at": 1, "blocks": [], "total_seconds": float("inf")},
        {"role": "assistant", "at": 1, "blocks": [], "total_seconds": -1},
        {"role": "assistant", "at": 1, "blocks": [], "usage": [1, 2]},
        {"role": "assistant", "at": 1, "blocks": [], "failure": {"kind": "owner-secret"}},
        {"role": "assistant", "at": 1, "blocks": [], "refusal": {"reason": "because"}},
        {"role": "assistant", "at": 1e30, "blocks": []},
        "a string",
    ]
    chat = read_chat(stored([good, *bad, good]))
    assert chat is not None and chat.dropped == len(bad)
    assert [t.content for t in chat.turns] == ["fine", "fine"]


def test_ids_are_what_feedback_needs_and_nothing_else() -> None:
    record = turn_record(answer(total_seconds=1.0))
    record |= {"conversation_id": "../x?y", "message_id": "7400", "feedback": "<b>"}
    [turn] = read_chat(stored([record])).turns  # type: ignore[union-attr]
    assert (turn.conversation_id, turn.message_id, turn.feedback) == ("", "7400", None)


def test_control_and_bidirectional_characters_are_taken_out() -> None:
    record = {"role": "user", "at": 1, "text": "a\x00b\x1b[31mc\u202ed\ud800e\n\tf"}
    [turn] = read_chat(stored([record])).turns  # type: ignore[union-attr]
    assert turn.content == "ab[31mcd\ufffde\n\tf"


def test_only_the_newest_turns_up_to_the_cap_are_read() -> None:
    turns = [{"role": "user", "at": 1, "text": str(n)} for n in range(MAX_TURNS + 5)]
    chat = read_chat(stored(turns))
    assert chat is not None and len(chat.turns) == MAX_TURNS and chat.dropped == 5
    assert chat.turns[-1].content == str(MAX_TURNS + 4)


def test_the_list_shows_the_first_question_on_one_line_shortened() -> None:
    assert chat_title([Turn("user", ["  what\nis   this?  "])]) == "what is this?"
    title = chat_title([answer(), Turn("user", ["x" * 200])])
    assert len(title) == 60 and title.endswith("…")
    assert chat_title([]) == ""


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=30,
)
FIELDS = st.sampled_from(
    [
        "role",
        "at",
        "text",
        "blocks",
        "question",
        "reasoning",
        "follow_ups",
        "usage",
        "failure",
        "refusal",
        "total_seconds",
        "stopped",
        "feedback",
        "message_id",
        "id",
        "remembered",
    ]
)
TURN = st.dictionaries(FIELDS, JSON | st.sampled_from(["user", "assistant", 1.0]), max_size=10)


def assert_within_caps(raw: object) -> None:
    chat = read_chat(raw)
    if chat is None:
        return
    assert len(chat.turns) <= MAX_TURNS
    for turn in chat.turns:
        assert turn.role in ("user", "assistant")
        assert len(turn.content) <= MAX_TEXT_CHARS and len(turn.blocks) <= MAX_BLOCKS
        assert len(turn.follow_ups) <= MAX_FOLLOW_UPS
        for text in (*turn.blocks, turn.reasoning, turn.question, *turn.follow_ups):
            assert all(ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs") for ch in text)


@given(st.text() | JSON)
def test_any_text_or_json_value_never_raises(raw: object) -> None:
    assert_within_caps(raw)
    assert_within_caps(json.dumps(raw))


@given(st.lists(TURN, max_size=8), JSON)
def test_any_turns_never_raise_nor_pass_the_caps(turns: list[object], demo: object) -> None:
    assert_within_caps(stored(turns, demo=demo))
